import Foundation

/// Inline SVG charts for evaluation reports (no scripts, no external files).
public enum PageCharts {
    static let size = 260.0, margin = 36.0

    /// Plot coordinates of a unit-square value.
    static func point(_ x: Double, _ y: Double) -> (Double, Double) {
        (margin + x * (size - 2 * margin), size - margin - y * (size - 2 * margin))
    }

    static func frame(title: String, xLabel: String, yLabel: String) -> String {
        let (x0, y0) = point(0, 0), (x1, y1) = point(1, 1)
        var s = "<rect x=\"\(x0)\" y=\"\(y1)\" width=\"\(x1 - x0)\" height=\"\(y0 - y1)\" fill=\"#fff\" stroke=\"#999\"/>"
        for t in stride(from: 0.0, through: 1.0, by: 0.25) {
            let (x, _) = point(t, 0), (_, y) = point(0, t)
            s += "<text x=\"\(x)\" y=\"\(y0 + 13)\" font-size=\"9\" text-anchor=\"middle\">\(format(t))</text>"
            s += "<text x=\"\(x0 - 4)\" y=\"\(y + 3)\" font-size=\"9\" text-anchor=\"end\">\(format(t))</text>"
        }
        s += "<text x=\"\((x0 + x1) / 2)\" y=\"\(size - 6)\" font-size=\"10\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        s += "<text x=\"10\" y=\"\((y0 + y1) / 2)\" font-size=\"10\" text-anchor=\"middle\" transform=\"rotate(-90 10 \((y0 + y1) / 2))\">\(escape(yLabel))</text>"
        s += "<text x=\"\(size / 2)\" y=\"14\" font-size=\"11\" text-anchor=\"middle\">\(escape(title))</text>"
        let (dx0, dy0) = point(0, 0), (dx1, dy1) = point(1, 1)
        s += "<line x1=\"\(dx0)\" y1=\"\(dy0)\" x2=\"\(dx1)\" y2=\"\(dy1)\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>"
        return s
    }

    static func svg(_ body: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(size))\" height=\"\(Int(size))\" viewBox=\"0 0 \(size) \(size)\">\(body)</svg>"
    }

    /// ROC curves (one per named series of (FPR, TPR) points) over the chance diagonal.
    public static func roc(_ series: [(name: String, points: [[Double]])], title: String) -> String {
        var body = frame(title: title, xLabel: "1 - specificity", yLabel: "sensitivity")
        for (i, s) in series.enumerated() {
            let path = s.points.map { p -> String in let (x, y) = point(p[0], p[1]); return "\(rounded(x)),\(rounded(y))" }.joined(separator: " ")
            body += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour(i))\" stroke-width=\"1.6\"><title>\(escape(s.name))</title></polyline>"
        }
        return svg(body)
    }

    /// Reliability diagram: observed positive rate against mean predicted probability per bin, the
    /// dot's area proportional to the bin's count.
    public static func calibration(_ bins: [[Double]], title: String) -> String {
        var body = frame(title: title, xLabel: "mean predicted probability", yLabel: "observed positive rate")
        let largest = bins.map { $0[2] }.max() ?? 1
        let path = bins.map { b -> String in let (x, y) = point(b[0], b[1]); return "\(rounded(x)),\(rounded(y))" }.joined(separator: " ")
        body += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour(0))\"/>"
        for b in bins {
            let (x, y) = point(b[0], b[1])
            body += "<circle cx=\"\(rounded(x))\" cy=\"\(rounded(y))\" r=\"\(rounded(2 + 6 * (b[2] / largest).squareRoot()))\" fill=\"\(colour(0))\" fill-opacity=\"0.6\"><title>\(Int(b[2])) cases</title></circle>"
        }
        return svg(body)
    }

    /// A confusion matrix as a shaded grid (rows truth, columns prediction) with counts.
    public static func confusion(_ counts: [[Int]], classes: [String], title: String) -> String {
        let n = counts.count, cell = (size - 2 * margin) / Double(max(n, 1)), largest = Double(counts.flatMap { $0 }.max() ?? 1)
        var body = "<text x=\"\(size / 2)\" y=\"14\" font-size=\"11\" text-anchor=\"middle\">\(escape(title))</text>"
        for r in 0..<n {
            for c in 0..<n {
                let x = margin + Double(c) * cell, y = margin + Double(r) * cell, v = Double(counts[r][c])
                let shade = Int(255 - 180 * (largest > 0 ? v / largest : 0))
                body += "<rect x=\"\(rounded(x))\" y=\"\(rounded(y))\" width=\"\(rounded(cell))\" height=\"\(rounded(cell))\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#fff\"/>"
                body += "<text x=\"\(rounded(x + cell / 2))\" y=\"\(rounded(y + cell / 2 + 4))\" font-size=\"11\" text-anchor=\"middle\">\(counts[r][c])</text>"
            }
            let label = escape(String(classes[r].prefix(12)))
            body += "<text x=\"\(margin - 3)\" y=\"\(rounded(margin + (Double(r) + 0.5) * cell + 3))\" font-size=\"8\" text-anchor=\"end\">\(label)</text>"
            body += "<text x=\"\(rounded(margin + (Double(r) + 0.5) * cell))\" y=\"\(size - margin + 11)\" font-size=\"8\" text-anchor=\"middle\">\(label)</text>"
        }
        body += "<text x=\"\(size / 2)\" y=\"\(size - 6)\" font-size=\"10\" text-anchor=\"middle\">predicted</text>"
        body += "<text x=\"10\" y=\"\(size / 2)\" font-size=\"10\" text-anchor=\"middle\" transform=\"rotate(-90 10 \(size / 2))\">truth</text>"
        return svg(body)
    }

    static func colour(_ i: Int) -> String { ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"][i % 6] }
    static func rounded(_ v: Double) -> String { String(format: "%.1f", v) }
    static func format(_ v: Double) -> String { String(format: "%.2g", v) }

    /// HTML-escapes text.
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
