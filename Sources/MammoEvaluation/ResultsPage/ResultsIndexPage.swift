import Foundation
import MammoData
import Torch

/// One page across result files of zeroshot, probe, finetune and evaluate (`mammofm summarize`):
/// the summary table, a link to each result's own page, extra links and every document's notes.
public struct ResultsIndexPage: Sendable {
    /// result.json files.
    public var results: [URL]
    public var title = "MammoFM results"
    /// Extra links (title, path), e.g. the pretraining page.
    public var links: [(title: String, path: String)] = []

    public init(results: [URL]) { self.results = results }

    /// The documents and their summary table (as Markdown and HTML).
    public func summary() throws -> (documents: [EvaluationDocument], summary: ResultsSummary) {
        let documents = try results.map(EvaluationDocument.read)
        return (documents, ResultsSummary(documents))
    }

    /// The page, with links relative to `page`'s folder where they lie below it.
    public func html(placedAt page: URL) throws -> String {
        let (documents, summary) = try summary()
        let base = page.deletingLastPathComponent().standardizedFileURL.path
        func relative(_ path: String) -> String {
            let full = URL(fileURLWithPath: path).standardizedFileURL.path
            return full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : full
        }
        let e = PageCharts.escape
        var html = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>\(e(title))</title>
        <style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 7px;font-size:13px}
        th{background:#f0f0f0}</style></head><body><h1>\(e(title))</h1>
        <p>AUROC (macro one-vs-rest for density) on the test split with 95% intervals (patient bootstrap, or DeLong), per image for findings and per breast otherwise.</p>
        \(summary.html)<h2>Results pages</h2><ul>
        """
        for (url, document) in zip(results, documents) {
            let page = url.deletingLastPathComponent().appendingPathComponent("results.html").path
            html += "<li><a href=\"\(e(relative(page)))\">\(e(document.command))</a>: \(document.entries.count) evaluations, model \(e(document.model ?? "n/a")) (weights \(e(document.modelHash ?? "n/a")))</li>\n"
        }
        for link in links { html += "<li><a href=\"\(e(relative(link.path)))\">\(e(link.title))</a></li>\n" }
        html += "</ul>\n"
        for document in documents { for note in document.notes { html += "<p>\(e(document.command)): \(e(note))</p>\n" } }
        return html + "</body></html>\n"
    }

    /// Writes the page to `page` (temporary name, then renamed).
    public func write(to page: URL) throws {
        let html = try html(placedAt: page)
        try FileManager.default.createDirectory(at: page.deletingLastPathComponent(), withIntermediateDirectories: true)
        try writeAtomically(Data(html.utf8), to: page)
    }
}
