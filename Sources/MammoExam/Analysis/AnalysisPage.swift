import Foundation
import MammoData
import MammoEvaluation
import MammoImaging

/// `index.html` of an analysis: the four views (right breast on the left, as radiologists hang them)
/// with their side, view and how they were known, the results per breast and exam, the findings, what
/// was skipped and why, and provenance. Self-contained: images are embedded, nothing is fetched.
public enum AnalysisPage {
    static func e(_ text: String) -> String { PageCharts.escape(text) }

    static func percent(_ p: Double) -> String { String(format: "%.1f%%", p * 100) }

    /// The page; `images` is the folder of the model-input PNGs the document names.
    public static func render(_ document: AnalysisDocument, images: URL) throws -> String {
        var html = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>MammoFM exam analysis</title>
        <style>body{font-family:sans-serif;margin:1.5em;max-width:1200px;color:#222}
        .views{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:10px;max-width:760px}
        figure{margin:0;background:#000;position:relative;text-align:center}figure img{max-width:100%;max-height:460px;display:block;margin:auto}
        figcaption{position:absolute;top:4px;left:6px;color:#ff0;font-size:14px;font-weight:bold;text-shadow:0 0 3px #000}
        .view{position:relative;display:inline-block;max-width:100%}.view svg{position:absolute;left:0;top:0;width:100%;height:100%}
        figure.missing{background:#eee;min-height:120px}figure.missing figcaption{color:#888;text-shadow:none}
        .inferred{color:#f80}table{border-collapse:collapse;margin:0.8em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}
        th{background:#f0f0f0;text-align:left}.positive{color:#b00;font-weight:bold}.note{color:#555;font-size:13px}</style></head><body>
        <h1>Exam analysis</h1>
        <p class="note">Study \(e(document.exam.studyInstanceUID ?? "(no UID)")), date \(e(document.exam.studyDate ?? "unknown")), \
        \(document.images.count) images analysed, \(document.skipped.count) skipped. MammoFM \(e(document.mammofmVersion)); research software, not a diagnosis.</p>
        <h2>Views</h2><div class="views" id="views">
        """
        for key in ["R-CC", "L-CC", "R-MLO", "L-MLO"] {
            let label = key.replacingOccurrences(of: "-", with: " ")
            guard let image = document.images.first(where: { "\($0.laterality)-\($0.view)" == key }) else {
                html += "<figure class=\"missing\" data-view=\"\(key)\"><figcaption>\(label): missing</figcaption></figure>\n"
                continue
            }
            let inferred = image.lateralitySource.hasPrefix("inferred") || image.viewSource.hasPrefix("inferred")
            let source = try thumbnail(images.deletingLastPathComponent().appendingPathComponent(image.modelInput))
            html += "<figure data-view=\"\(key)\"><div class=\"view\"><img alt=\"\(label)\" src=\"data:image/png;base64,\(source)\">"
                + overlay(image) + "</div><figcaption>\(label)\(inferred ? " <span class=\"inferred\">(inferred)</span>" : "")</figcaption></figure>\n"
        }
        html += "</div>\n<h2>Findings</h2>\n"
        if document.findings.isEmpty {
            html += "<p id=\"findings\">No positive decision at the bundle's operating points.</p>\n"
        } else {
            html += "<ul id=\"findings\">" + document.findings.map { "<li class=\"positive\">\(e($0.text))</li>" }.joined() + "</ul>\n"
        }
        let detections = document.images.flatMap { image in (image.detections ?? []).map { (image, $0) } }
        if document.bundle.detectors != nil {
            html += "<h2>Detections</h2>\n"
            if detections.isEmpty {
                html += "<p id=\"detections\">No lesion at or above the detectors' operating points.</p>\n"
            } else {
                html += "<table id=\"detections\"><tr><th>view</th><th>finding</th><th>score</th><th>operating point</th><th>box (DICOM pixels: x, y, width, height)</th></tr>\n"
                    + detections.map { image, d in
                        "<tr><td>\(image.laterality) \(e(image.view))</td><td>\(e(d.finding))</td><td>\(String(format: "%.3f", d.score))</td>"
                            + "<td>\(String(format: "%.3f", d.operatingThreshold))</td><td>\(String(format: "%.0f, %.0f, %.0f, %.0f", d.box.xmin, d.box.ymin, d.box.width, d.box.height))</td></tr>"
                    }.joined(separator: "\n") + "</table>\n"
            }
        }
        html += "<h2>Results per breast</h2>\n<table id=\"scores\"><tr><th>breast</th><th>task</th><th>source</th><th>scores</th><th>calibrated probability</th><th>decision</th></tr>\n"
        for breast in document.breasts {
            for result in breast.results {
                html += row(breast.laterality == "L" ? "left (\(breast.views.joined(separator: ", ")))" : "right (\(breast.views.joined(separator: ", ")))", result)
            }
        }
        for result in document.examResults { html += row("exam", result) }
        html += "</table>\n<h2>Images</h2>\n<table><tr><th>file</th><th>side</th><th>view</th><th>side from</th><th>view from</th><th>manufacturer</th></tr>\n"
        for image in document.images {
            html += "<tr><td>\(e(image.file))</td><td>\(image.laterality)</td><td>\(e(image.view))</td><td>\(e(image.lateralitySource))</td>"
                + "<td>\(e(image.viewSource))</td><td>\(e(image.manufacturer ?? ""))</td></tr>\n"
        }
        html += "</table>\n"
        if !document.exam.missingViews.isEmpty { html += "<p class=\"note\">Missing views: \(e(document.exam.missingViews.joined(separator: ", ")))</p>\n" }
        if !document.skipped.isEmpty {
            html += "<h2>Skipped</h2>\n<table id=\"skipped\"><tr><th>file</th><th>reason</th></tr>\n"
                + document.skipped.map { "<tr><td>\(e($0.file))</td><td>\(e($0.reason))</td></tr>" }.joined(separator: "\n") + "</table>\n"
        }
        if !document.exam.priors.isEmpty {
            html += "<p class=\"note\">Prior exams in the folder (listed, not analysed): "
                + document.exam.priors.map { "\(e($0.studyDate ?? "undated")) (\($0.images) images)" }.joined(separator: ", ") + "</p>\n"
        }
        let t = document.timings
        html += """
        <h2>Provenance</h2><table><tr><th>bundle manifest hash</th><td>\(e(document.bundle.manifestHash))</td></tr>
        <tr><th>encoder</th><td>\(e(document.bundle.imageTower)), \(document.bundle.inputWidth) x \(document.bundle.inputHeight), \(e(document.bundle.preprocessing.rawValue)) preprocessing, weights \(e(document.bundle.modelWeightsHash))</td></tr>
        <tr><th>zero-shot prompts</th><td>\(e(document.bundle.prompts))</td></tr>
        <tr><th>time</th><td>\(String(format: "read %.2f s, preprocess %.2f s, inference %.2f s, total %.2f s", t.readSeconds, t.preprocessSeconds, t.inferenceSeconds, t.totalSeconds))</td></tr>
        <tr><th>created</th><td>\(e(document.created))</td></tr></table>
        </body></html>

        """
        return html
    }

    /// The image's detections as rectangles over its thumbnail (in model-input pixels, scaled with it).
    static func overlay(_ image: AnalysisDocument.Image) -> String {
        guard let detections = image.detections, !detections.isEmpty else { return "" }
        let stroke = max(1, Double(image.geometry.outputWidth) / 160)
        return "<svg viewBox=\"0 0 \(image.geometry.outputWidth) \(image.geometry.outputHeight)\" preserveAspectRatio=\"none\">"
            + detections.map { d in
                let b = d.modelInputBox
                return String(format: "<rect class=\"detection\" data-finding=\"%@\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"%@\" stroke-width=\"%.1f\"><title>%@ %.3f</title></rect>",
                              e(d.finding), b.xmin, b.ymin, b.width, b.height, d.finding == "mass" ? "#ff4040" : "#40c8ff", stroke, e(d.finding), d.score)
            }.joined() + "</svg>"
    }

    static func row(_ breast: String, _ result: AnalysisDocument.TaskResult) -> String {
        let scores = zip(result.classes, result.scores).map { "\($0): \(percent($1))" }.joined(separator: ", ")
        let calibrated = result.probabilities.map { zip(result.classes, $0).map { "\($0): \(percent($1))" }.joined(separator: ", ") } ?? "(uncalibrated)"
        let positive = result.decision != nil && result.classes.count == 2 && result.decision == result.classes[1]
        return "<tr><td>\(e(breast))</td><td>\(e(result.task))</td><td>\(result.source.rawValue)</td><td>\(e(scores))</td><td>\(e(calibrated))</td>"
            + "<td\(positive ? " class=\"positive\"" : "")>\(e(result.decision ?? "-"))</td></tr>\n"
    }

    /// An 8-bit copy of a model input, at most 480 rows, as base64 PNG.
    static func thumbnail(_ url: URL) throws -> String {
        let image = try GrayscaleImage.readPNG(url)
        let step = max(1, (image.height + 479) / 480)
        let height = image.height / step, width = image.width / step
        let shift = image.bitDepth == 16 ? 8 : 0
        var pixels = [UInt16](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width { pixels[y * width + x] = image.pixels[y * step * image.width + x * step] >> UInt16(shift) }
        }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".thumbnail-\(ProcessInfo.processInfo.processIdentifier).png")
        defer { try? FileManager.default.removeItem(at: temporary) }
        try GrayscaleImage(width: width, height: height, bitDepth: 8, pixels: pixels).writePNG(temporary)
        return try Data(contentsOf: temporary).base64EncodedString()
    }
}
