import ArgumentParser
import Foundation
import MammoEvaluation

struct SummarizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "One table and one HTML page across result files of zeroshot, probe, finetune and evaluate.",
        discussion: """
        Rows are tasks, columns methods (prompt set, probe fraction, fine-tune, baseline); each cell is the headline \
        (AUROC, macro one-vs-rest AUROC for density) at the task's primary level (image for findings, breast otherwise) \
        with its 95% interval, averaged over seeds. Prints the table as Markdown; --out also writes an HTML page \
        linking each result's results.html and any --link.
        """)

    @Argument(help: "result.json files.") var results: [String]
    @Option(help: "Where to write the HTML page (e.g. demo-output/index.html).") var out: String?
    @Option(help: "An extra link on the page: 'TITLE=PATH' (repeatable).") var link: [String] = []
    @Option(help: "The page's title.") var title = "MammoFM results"

    func run() throws {
        var page = ResultsIndexPage(results: results.map { URL(fileURLWithPath: $0) })
        page.title = title
        page.links = try link.map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CommandFailure("--link takes 'TITLE=PATH', got '\(item)'") }
            return (parts[0], parts[1])
        }
        print(try page.summary().summary.markdown)
        guard let out else { return }
        try page.write(to: URL(fileURLWithPath: out))
        FileHandle.standardError.write(Data("wrote \(out)\n".utf8))
    }
}
