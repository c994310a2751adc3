import Foundation

extension PageCharts {
    /// FROC curves: sensitivity against false positives per image on a log2 axis from 1/8 to 8 (the
    /// CPM's range), one series per hit rule or model; points outside the range are clamped to its ends.
    public static func froc(_ series: [(name: String, points: [FROCAnalysis.Point])], title: String) -> String {
        let rates = FROCAnalysis.standardRates
        func x(_ rate: Double) -> Double { (log2(min(max(rate, rates[0]), rates[rates.count - 1])) + 3) / 6 }
        let (x0, y0) = point(0, 0), (x1, y1) = point(1, 1)
        var body = "<rect x=\"\(x0)\" y=\"\(y1)\" width=\"\(x1 - x0)\" height=\"\(y0 - y1)\" fill=\"#fff\" stroke=\"#999\"/>"
        for rate in rates {
            let (px, _) = point(x(rate), 0)
            body += "<line x1=\"\(rounded(px))\" y1=\"\(y0)\" x2=\"\(rounded(px))\" y2=\"\(y1)\" stroke=\"#eee\"/>"
            body += "<text x=\"\(rounded(px))\" y=\"\(y0 + 13)\" font-size=\"9\" text-anchor=\"middle\">\(rate < 1 ? "1/\(Int(1 / rate))" : "\(Int(rate))")</text>"
        }
        for t in stride(from: 0.0, through: 1.0, by: 0.25) {
            let (_, py) = point(0, t)
            body += "<text x=\"\(x0 - 4)\" y=\"\(rounded(py + 3))\" font-size=\"9\" text-anchor=\"end\">\(format(t))</text>"
        }
        body += "<text x=\"\((x0 + x1) / 2)\" y=\"\(size - 6)\" font-size=\"10\" text-anchor=\"middle\">false positives per image</text>"
        body += "<text x=\"10\" y=\"\((y0 + y1) / 2)\" font-size=\"10\" text-anchor=\"middle\" transform=\"rotate(-90 10 \((y0 + y1) / 2))\">sensitivity</text>"
        body += "<text x=\"\(size / 2)\" y=\"14\" font-size=\"11\" text-anchor=\"middle\">\(escape(title))</text>"
        for (i, s) in series.enumerated() {
            // A step curve: sensitivity holds until the next threshold adds a hit.
            var path: [String] = [], last: (Double, Double)?
            for p in s.points {
                let here = point(x(p.falsePositivesPerImage), p.sensitivity)
                if let last { path.append("\(rounded(here.0)),\(rounded(last.1))") }
                path.append("\(rounded(here.0)),\(rounded(here.1))")
                last = here
            }
            if let last { path.append("\(rounded(x1)),\(rounded(last.1))") }
            body += "<polyline points=\"\(path.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour(i))\" stroke-width=\"1.6\"><title>\(escape(s.name))</title></polyline>"
            body += "<text x=\"\(x0 + 6)\" y=\"\(y1 + 12 + 11 * Double(i))\" font-size=\"9\" fill=\"\(colour(i))\">\(escape(s.name))</text>"
        }
        return svg(body)
    }
}
