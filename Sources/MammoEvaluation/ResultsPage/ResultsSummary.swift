import Foundation

/// One table across result documents: a row per task, a column per method (zero-shot prompt set,
/// probe fraction, fine-tune, baseline), the headline number with its 95% interval at the task's
/// primary level (image for findings, breast for breast-level tasks). Seeds of one configuration
/// are averaged, with the spread of their AUROCs shown.
public struct ResultsSummary: Sendable {
    public struct Cell: Sendable {
        public var value: Double
        public var interval: Interval?
        public var seeds: Int
        public var spread: Double?
    }

    public let columns: [String]
    public let tasks: [String]
    public let cells: [String: [String: Cell]]   // task -> column -> cell

    public init(_ documents: [EvaluationDocument]) {
        var columns: [String] = [], tasks: [String] = []
        var collected: [String: [String: [(Double, Interval?)]]] = [:]
        for document in documents {
            for entry in document.entries {
                let ev = entry.evaluation
                let primary = ev.task.defaultLevels[0]
                guard ev.level == primary else { continue }
                let column = Self.column(entry)
                if !columns.contains(column) { columns.append(column) }
                if !tasks.contains(ev.task.name) { tasks.append(ev.task.name) }
                let interval = ev.binary.map { $0.aurocBootstrap ?? $0.aurocDeLong } ?? nil
                collected[ev.task.name, default: [:]][column, default: []].append((ev.headline, interval))
            }
        }
        self.columns = columns
        self.tasks = tasks
        cells = collected.mapValues { byColumn in
            byColumn.mapValues { values in
                let mean = values.map(\.0).reduce(0, +) / Double(values.count)
                let spread = values.count > 1 ? (values.map(\.0).max()! - values.map(\.0).min()!) : nil
                return Cell(value: mean, interval: values.count == 1 ? values[0].1 : nil, seeds: values.count, spread: spread)
            }
        }
    }

    /// "zero-shot ensemble", "linear probe 10%", "random-init probe 100%", "fine-tune 100%".
    static func column(_ entry: EvaluationEntry) -> String {
        guard let fraction = entry.dataFraction else { return entry.name }
        return "\(entry.method) \(String(format: "%g%%", fraction * 100))"
    }

    static func text(_ cell: Cell?) -> String {
        guard let cell else { return "" }
        var s = String(format: "%.3f", cell.value)
        if let i = cell.interval { s += String(format: " (%.2f-%.2f)", i.lower, i.upper) }
        if let spread = cell.spread { s += String(format: " ±%.3f over %d seeds", spread / 2, cell.seeds) }
        return s
    }

    /// A Markdown table (for the README and terminals).
    public var markdown: String {
        var lines = ["| task | " + columns.joined(separator: " | ") + " |", "|---|" + columns.map { _ in "---" }.joined(separator: "|") + "|"]
        for task in tasks {
            lines.append("| \(task) | " + columns.map { Self.text(cells[task]?[$0]) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// An HTML table.
    public var html: String {
        var s = "<table><tr><th>task</th>" + columns.map { "<th>\(PageCharts.escape($0))</th>" }.joined() + "</tr>\n"
        for task in tasks {
            s += "<tr><td>\(PageCharts.escape(task))</td>" + columns.map { "<td>\(PageCharts.escape(Self.text(cells[task]?[$0])))</td>" }.joined() + "</tr>\n"
        }
        return s + "</table>\n"
    }
}
