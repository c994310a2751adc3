import ArgumentParser
import Foundation
import MammoEvaluation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "One table and one HTML page across result files of zeroshot, probe, finetune and evaluate.",
        discussion: """
        Rows are tasks, columns methods (prompt set, probe fraction, fine-tune, baseline); each cell is the headline \
        (AUROC, macro one-vs-rest AUROC for density) at the task's primary level (image for findings, breast otherwise) \
        with its 95% interval, averaged over seeds. Prints the table as Markdown; --out also writes an HTML page \
        linking each result's report.html and any --link.
        """)

    @Argument(help: "result.json files.") var results: [String]
    @Option(help: "Where to write the HTML page (e.g. demo-output/index.html).") var out: String?
    @Option(help: "An extra link on the page: 'TITLE=PATH' (repeatable).") var link: [String] = []
    @Option(help: "The page's title.") var title = "MammoFM results"

    func run() throws {
        let documents = try results.map { try EvaluationDocument.read(URL(fileURLWithPath: $0)) }
        let summary = ResultsSummary(documents)
        print(summary.markdown)
        guard let out else { return }
        let page = URL(fileURLWithPath: out)
        let base = page.deletingLastPathComponent().standardizedFileURL.path
        func relative(_ path: String) -> String {
            let full = URL(fileURLWithPath: path).standardizedFileURL.path
            return full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : full
        }
        let e = ReportCharts.escape
        var html = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>\(e(title))</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px}
        th{background:#f0f0f0}</style></head><body><h1>\(e(title))</h1>
        <p>AUROC (macro one-vs-rest for density) on the test split with 95% intervals (patient bootstrap, or DeLong), per image for findings and per breast otherwise.</p>
        \(summary.html)<h2>Reports</h2><ul>
        """
        for (path, document) in zip(results, documents) {
            let report = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("report.html").path
            html += "<li><a href=\"\(e(relative(report)))\">\(e(document.command))</a>: \(document.entries.count) evaluations, model \(e(document.model ?? "n/a")) (weights \(e(document.modelHash ?? "n/a")))</li>\n"
        }
        for item in link {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--link takes 'TITLE=PATH', got '\(item)'") }
            html += "<li><a href=\"\(e(relative(parts[1])))\">\(e(parts[0]))</a></li>\n"
        }
        html += "</ul>\n"
        for document in documents { for note in document.notes { html += "<p>\(e(document.command)): \(e(note))</p>\n" } }
        html += "</body></html>\n"
        try FileManager.default.createDirectory(at: page.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(html.utf8).write(to: page, options: .atomic)
        FileHandle.standardError.write(Data("wrote \(out)\n".utf8))
    }
}
