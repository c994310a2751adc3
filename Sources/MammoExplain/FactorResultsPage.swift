import Foundation
import MammoDetection
import MammoEvaluation

/// results.html of `train-factor`: the measures per split, attribute and method with intervals, and
/// a grid of example heatmaps (one row per image and attribute, one column per method).
public enum FactorResultsPage {
    public struct Example: Sendable {
        public var image: String
        public var attribute: DetectionFinding
        public var method: HeatmapMethod
        public var file: String
    }

    public static func render(provenance: [(String, String)], validation: [LocalisationEvaluation], test: [LocalisationEvaluation],
                              examples: [Example]) -> String {
        let e = PageCharts.escape
        var html = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>MammoFM train-factor</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}
        td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:right}th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
        img{width:160px;image-rendering:pixelated;border:1px solid #ccc}.note{color:#555}</style></head><body>
        <h1>MammoFM train-factor: Mammo-FActOR heatmaps</h1><table>
        """
        for (key, value) in provenance { html += "<tr><th>\(e(key))</th><td>\(e(value))</td></tr>\n" }
        html += "</table>\n"
        func number(_ v: Double) -> String { v.isFinite ? String(format: "%.3f", v) : "n/a" }
        func cell(_ estimate: EstimateWithInterval) -> String {
            guard let lower = estimate.lower, let upper = estimate.upper else { return number(estimate.value) }
            return "\(number(estimate.value)) (\(number(lower))-\(number(upper)))"
        }
        for (name, rows) in [("test", test), ("validation", validation)] where !rows.isEmpty {
            html += "<h2>\(name)</h2>\n<table><tr><th>attribute</th><th>method</th><th>images</th><th>lesions</th><th>pointing game</th>"
                + "<th>hit rate IoU 0.25</th><th>hit rate IoU 0.5</th><th>energy inside</th></tr>\n"
            for r in rows {
                html += "<tr><td>\(e(r.attribute.rawValue))</td><td>\(e(r.method.rawValue))</td><td>\(r.images)</td><td>\(r.lesions)</td>"
                    + "<td>\(cell(r.pointingGame))</td><td>\(cell(r.hitRateIoU25))</td><td>\(cell(r.hitRateIoU50))</td><td>\(cell(r.energyInside))</td></tr>\n"
            }
            html += "</table>\n"
        }
        if !examples.isEmpty {
            html += "<h2>Examples (test)</h2>\n<p class=\"note\">Heatmap in red, predicted regions (95th percentile) in yellow, "
                + "the lesions' boxes in green.</p>\n<table><tr><th>image</th>"
                + HeatmapMethod.allCases.map { "<th>\(e($0.rawValue))</th>" }.joined() + "</tr>\n"
            var seen = Set<String>()
            for example in examples where seen.insert("\(example.image)|\(example.attribute.rawValue)").inserted {
                html += "<tr><td>\(e(example.image))<br>\(e(example.attribute.rawValue))</td>"
                for method in HeatmapMethod.allCases {
                    let file = examples.first { $0.image == example.image && $0.attribute == example.attribute && $0.method == method }?.file
                    html += "<td>" + (file.map { "<img src=\"\(e($0))\" alt=\"\(e(method.rawValue))\">" } ?? "") + "</td>"
                }
                html += "</tr>\n"
            }
            html += "</table>\n"
        }
        return html + "</body></html>\n"
    }
}
