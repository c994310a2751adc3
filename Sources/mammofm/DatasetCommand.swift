import ArgumentParser
import Foundation
import MammoEvaluation
import MammoData

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset", abstract: "Check a copy of a public dataset's metadata.", subcommands: [DatasetInspectCommand.self])
}


struct DatasetInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Count images, patients, splits and positives per label in a dataset's metadata file.",
        discussion: """
            vindr: finding_annotations.csv or breast-level_annotations.csv; rsna: train.csv; cbis: a mass or \
            calcification case-description CSV; embed: the dataset folder (both tables joined into labelled images, \
            as the downstream commands read them) or one table (the clinical or the metadata CSV); mammoclip: a pretraining CSV; \
            synth: a `mammofm synth` cohort folder or its labels/images.csv.
            """)

    @Argument(help: "The metadata file (or, for synth and embed, the dataset folder).") var path: String
    @Option(help: "vindr, rsna, cbis, embed, mammoclip or synth.") var format: DatasetFormat
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let summary = try format.inspect(URL(fileURLWithPath: path))
        if json {
            try printJSON(summary)
        } else {
            print(summary.text)
        }
    }
}
