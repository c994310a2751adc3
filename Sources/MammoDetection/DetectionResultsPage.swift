import Foundation
import MammoEvaluation

/// results.html of a detection study or of scored detections: provenance, per split and finding the
/// AP, FROC sensitivities and CPM under each hit rule with their intervals, the FROC curves, the lesion
/// groups, and a gallery of overlay images (files beside the page).
public enum DetectionResultsPage {
    /// One overlay image of the gallery, relative to the page.
    public struct Example: Sendable {
        public var file: String
        public var caption: String
    }

    public static func render(title: String, provenance: [(String, String)], evaluations: [(split: String, evaluation: DetectionEvaluation)],
                              examples: [Example]) -> String {
        let e = PageCharts.escape
        var html = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>\(e(title))</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}
        td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:right}th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
        .figs svg{margin-right:8px;border:1px solid #ddd;background:#fafafa}figure{display:inline-block;margin:6px;font-size:12px;max-width:220px}
        figure img{width:200px;image-rendering:pixelated;border:1px solid #ccc}.note{color:#555}</style></head><body>
        <h1>\(e(title))</h1>
        <table>
        """
        for (key, value) in provenance { html += "<tr><th>\(e(key))</th><td>\(e(value))</td></tr>\n" }
        html += "</table>\n"
        for (split, evaluation) in evaluations { html += section(split: split, evaluation) }
        if !examples.isEmpty {
            html += "<h2>Examples</h2>\n<p class=\"note\">Ground-truth boxes in green; detections at or above the 1-false-positive-per-image "
                + "threshold (centre rule) in the finding's colour (mass red, calcification blue), brighter for higher scores.</p>\n"
            for example in examples {
                html += "<figure><img src=\"\(e(example.file))\" alt=\"\(e(example.caption))\"><figcaption>\(e(example.caption))</figcaption></figure>\n"
            }
        }
        return html + "</body></html>\n"
    }

    static func number(_ value: Double?) -> String { value.map { $0.isFinite ? String(format: "%.3f", $0) : "n/a" } ?? "n/a" }

    static func withInterval(_ estimate: EstimateWithInterval) -> String {
        guard let lower = estimate.lower, let upper = estimate.upper else { return number(estimate.value) }
        return "\(number(estimate.value)) (\(number(lower))-\(number(upper)))"
    }

    static func section(split: String, _ evaluation: DetectionEvaluation) -> String {
        let e = PageCharts.escape
        var html = "<h2>\(e(split)): \(e(evaluation.finding.rawValue))</h2>\n"
        html += "<p>\(evaluation.images) images of \(evaluation.patients) patients, \(evaluation.imagesWithLesions) with a lesion, "
            + "\(evaluation.lesions) lesions. VOC AP at IoU 0.5: <b>\(withInterval(evaluation.averagePrecision))</b>.</p>\n"
        html += "<table><tr><th>hit rule</th>"
        for rate in FROCAnalysis.standardRates { html += "<th>sens. @\(rate < 1 ? "1/\(Int(1 / rate))" : "\(Int(rate))")</th>" }
        html += "<th>sens. @1 (95% CI)</th><th>CPM (95% CI)</th><th>threshold @1</th></tr>\n"
        for rule in evaluation.rules {
            html += "<tr><td>\(e(rule.rule.rawValue))</td>" + rule.sensitivities.map { "<td>\(number($0))</td>" }.joined()
                + "<td><b>\(withInterval(rule.sensitivityAt1FP))</b></td><td>\(withInterval(rule.cpm))</td><td>\(number(rule.thresholdAt1FP))</td></tr>\n"
        }
        html += "</table>\n<div class=\"figs\">"
            + PageCharts.froc(evaluation.rules.map { ($0.rule.rawValue, $0.curve) }, title: "FROC, \(split) \(evaluation.finding.rawValue)") + "</div>\n"
        if !evaluation.groups.isEmpty {
            html += "<table><tr><th>lesions (centre rule, 1 FP/image)</th><th>lesions</th><th>found</th><th>sensitivity</th></tr>\n"
            for group in evaluation.groups {
                html += "<tr><td>\(e(group.name))</td><td>\(group.lesions)</td><td>\(group.found)</td><td>\(number(group.sensitivity))</td></tr>\n"
            }
            html += "</table>\n"
        }
        return html
    }
}
