import Foundation
import Torch

/// report.html for a run: the loss terms, learning rate, logit scale and validation loss against the
/// step, as inline SVG (no scripts, no external files), from metrics.jsonl.
public enum TrainingPage {
    struct Series { var name: String; var colour: String; var points: [(Double, Double)] }

    public static func write(metrics: URL, config: PretrainConfig, to url: URL) throws {
        let lines = (FileManager.default.contents(atPath: metrics.path).map { String(decoding: $0, as: UTF8.self) } ?? "").split(separator: "\n")
        let records = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        func series(_ key: String, _ name: String, _ colour: String) -> Series {
            Series(name: name, colour: colour, points: records.compactMap { r in
                guard let step = r["step"] as? Double ?? (r["step"] as? Int).map(Double.init), let v = r[key] as? Double, v.isFinite else { return nil }
                return (step, v)
            })
        }
        let charts: [(String, [Series])] = [
            ("Training loss (total and terms)", [series("loss", "total", "#1f77b4"), series("image_text", "image to text", "#ff7f0e"),
                                                 series("text_image", "text to image", "#2ca02c"), series("image_image", "view to view", "#d62728"),
                                                 series("text_text", "text to text", "#9467bd")]),
            ("Validation loss (end of each epoch)", [series("validation_loss", "validation", "#d62728")]),
            ("Learning rate", [series("lr", "learning rate", "#1f77b4")]),
            ("Logit scale exp(s)", [series("logit_scale", "logit scale", "#2ca02c")]),
            ("Throughput (images/s)", [series("images_per_second", "images/s", "#8c564b")]),
        ]
        var html = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>MammoFM pretraining: \(escape(config.output))</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:900px}svg{background:#fafafa;border:1px solid #ddd}
        .legend span{margin-right:1em}pre{background:#f4f4f4;padding:1em;overflow:auto}</style></head><body>
        <h1>Pretraining run</h1><p>\(records.count) records from <code>\(escape(metrics.path))</code>.</p>

        """
        for (title, all) in charts {
            let drawn = all.filter { !$0.points.isEmpty }
            guard !drawn.isEmpty else { continue }
            html += "<h2>\(escape(title))</h2>\n" + svg(drawn) + "\n<div class=\"legend\">"
                + drawn.map { "<span style=\"color:\($0.colour)\">&#9632; \(escape($0.name))</span>" }.joined() + "</div>\n"
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        html += "<h2>Configuration</h2><pre>\(escape(String(decoding: try encoder.encode(config), as: UTF8.self)))</pre></body></html>\n"
        try writeAtomically(Data(html.utf8), to: url)
    }

    static func svg(_ series: [Series], width: Double = 820, height: Double = 260) -> String {
        let all = series.flatMap(\.points)
        let (x0, x1) = (all.map(\.0).min()!, max(all.map(\.0).max()!, all.map(\.0).min()! + 1))
        var (y0, y1) = (all.map(\.1).min()!, all.map(\.1).max()!)
        if y1 - y0 < 1e-12 { y0 -= 0.5; y1 += 0.5 }
        let (left, right, top, bottom) = (70.0, 15.0, 10.0, 30.0)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (width - left - right) }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        for i in 0...4 {
            let y = y0 + (y1 - y0) * Double(i) / 4, x = x0 + (x1 - x0) * Double(i) / 4
            out += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>", left, py(y), width - right, py(y))
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%@</text>", left - 6, py(y) + 4, label(y))
            out += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%d</text>", px(x), height - 10, Int(x.rounded()))
        }
        for s in series {
            let points = s.points.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"1.5\" points=\"\(points)\"/>"
            if s.points.count == 1 { out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", px(s.points[0].0), py(s.points[0].1), s.colour) }
        }
        return out + "</svg>"
    }

    static func label(_ v: Double) -> String {
        abs(v) >= 1000 || (abs(v) < 0.01 && v != 0) ? String(format: "%.2e", v) : String(format: "%.3g", v)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
