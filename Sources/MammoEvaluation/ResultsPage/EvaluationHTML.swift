import Foundation

/// results.html of an evaluation: provenance, one summary table, then per entry the ROC curve,
/// reliability diagram and confusion matrix (binary) or confusion matrix (multi-class), as inline SVG.
public enum EvaluationHTML {
    static func e(_ text: String) -> String { PageCharts.escape(text) }
    static func f(_ v: Double?) -> String { v.map { $0.isFinite ? String(format: "%.3f", $0) : "n/a" } ?? "n/a" }
    static func interval(_ i: Interval?) -> String { i.map { "\(f($0.lower))-\(f($0.upper))" } ?? "" }

    public static func render(_ document: EvaluationDocument) -> String {
        var html = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>MammoFM \(e(document.command))</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}
        td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px;text-align:right}th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
        .figs svg{margin-right:8px;border:1px solid #ddd;background:#fafafa}.note{color:#555}</style></head><body>
        <h1>MammoFM \(e(document.command))</h1>
        <table><tr><th>model</th><td>\(e(document.model ?? "(predictions file)"))</td></tr>
        <tr><th>weights hash</th><td>\(e(document.modelHash ?? "n/a"))</td></tr>
        <tr><th>dataset</th><td>\(e(document.dataset)) (\(e(document.datasetFormat)))</td></tr>
        <tr><th>created</th><td>\(e(document.created))</td></tr>
        """
        for (key, value) in document.configuration.sorted(by: { $0.key < $1.key }) {
            html += "<tr><th>\(e(key))</th><td>\(e(value))</td></tr>"
        }
        html += "</table>\n"
        for note in document.notes { html += "<p class=\"note\">\(e(note))</p>\n" }
        html += "<h2>Summary</h2>\n" + summary(document.entries)
        if let comparisons = document.comparisons, !comparisons.isEmpty {
            html += "<h2>Paired comparisons (DeLong)</h2>\n<table><tr><th>first</th><th>second</th><th>task</th><th>level</th><th>AUROC first</th>"
                + "<th>AUROC second</th><th>difference</th><th>z</th><th>p</th></tr>\n"
            for c in comparisons {
                html += "<tr><td>\(e(c.first))</td><td>\(e(c.second))</td><td>\(e(c.task))</td><td>\(e(c.level.rawValue))</td><td>\(f(c.aurocFirst))</td>"
                    + "<td>\(f(c.aurocSecond))</td><td>\(f(c.difference))</td><td>\(String(format: "%.2f", c.z))</td><td>\(String(format: "%.4g", c.pValue))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += "<h2>Details</h2>\n"
        for entry in document.entries { html += details(entry) }
        return html + "</body></html>\n"
    }

    static func summary(_ entries: [EvaluationEntry]) -> String {
        var html = """
        <table><tr><th>entry</th><th>task</th><th>level</th><th>cases (positive)</th><th>AUROC</th><th>95% CI DeLong</th>
        <th>95% CI bootstrap</th><th>AUPRC</th><th>sens.</th><th>spec.</th><th>accuracy</th><th>quadratic kappa</th><th>ECE</th></tr>
        """
        for entry in entries {
            let ev = entry.evaluation
            if let b = ev.binary {
                html += "<tr><td>\(e(entry.name))</td><td>\(e(ev.task.name))</td><td>\(e(ev.level.rawValue))</td><td>\(b.cases) (\(b.positives))</td>"
                    + "<td><b>\(f(b.auroc))</b></td><td>\(interval(b.aurocDeLong))</td><td>\(interval(b.aurocBootstrap))</td><td>\(f(b.auprc))</td>"
                    + "<td>\(f(b.sensitivity))</td><td>\(f(b.specificity))</td><td>\(f(b.accuracy))</td><td></td><td>\(f(b.expectedCalibrationError))</td></tr>\n"
            } else if let m = ev.multiclass {
                html += "<tr><td>\(e(entry.name))</td><td>\(e(ev.task.name))</td><td>\(e(ev.level.rawValue))</td><td>\(m.cases)</td>"
                    + "<td><b>\(f(m.aurocMacro))</b> (macro)</td><td></td><td></td><td></td><td></td><td></td>"
                    + "<td>\(f(m.accuracy)) \(interval(m.accuracyBootstrap))</td><td>\(f(m.kappaQuadratic)) \(interval(m.kappaQuadraticBootstrap))</td><td></td></tr>\n"
            }
        }
        return html + "</table>\n"
    }

    static func details(_ entry: EvaluationEntry) -> String {
        let ev = entry.evaluation
        var html = "<h3>\(e(entry.name)): \(e(ev.task.name))</h3>\n"
        if let b = ev.binary {
            html += "<p>AUROC \(f(b.auroc)) (DeLong \(interval(b.aurocDeLong)); bootstrap over patients \(interval(b.aurocBootstrap))), "
                + "AUPRC \(f(b.auprc)); threshold \(String(format: "%.4g", b.threshold)) (\(e(b.thresholdRule))): sensitivity \(f(b.sensitivity)), "
                + "specificity \(f(b.specificity)), PPV \(f(b.ppv)), NPV \(f(b.npv)), balanced accuracy \(f(b.balancedAccuracy)).</p>\n"
            html += "<div class=\"figs\">" + PageCharts.roc([(entry.name, b.roc)], title: "ROC (AUROC \(f(b.auroc)))")
                + PageCharts.calibration(b.calibration, title: "Calibration (ECE \(f(b.expectedCalibrationError)))")
                + PageCharts.confusion(b.confusion, classes: ev.task.classes, title: "Confusion at the threshold") + "</div>\n"
        } else if let m = ev.multiclass {
            let perClass = zip(ev.task.classes, m.aurocPerClass).map { "\(e($0)) \(f($1))" }.joined(separator: ", ")
            html += "<p>accuracy \(f(m.accuracy)), balanced accuracy \(f(m.balancedAccuracy)), kappa \(f(m.kappa)) / linear \(f(m.kappaLinear)) / "
                + "quadratic \(f(m.kappaQuadratic)); one-vs-rest AUROC \(perClass).</p>\n"
            html += "<div class=\"figs\">" + PageCharts.confusion(m.confusion, classes: ev.task.classes, title: "Confusion (argmax)") + "</div>\n"
        }
        return html
    }
}
