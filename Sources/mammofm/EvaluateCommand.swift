import ArgumentParser
import Foundation
import MammoEvaluation
import Torch
import MammoData

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score per-image predictions (any model's) against a labelled dataset, with CIs and paired comparisons.",
        discussion: """
        A predictions CSV has `image_id` and one column per class, `p_<class>` (e.g. p_mass, or p_A..p_D for \
        density), or for binary tasks a single `probability` column; the downstream commands write such files \
        under OUT/predictions. Every labelled image of the split must be scored once. With several --predictions, \
        each pair is compared with DeLong's paired test.
        """)

    @Option(help: "The labelled dataset (as for probe).") var dataset: String
    @Option(help: "Dataset format: synth, vindr, rsna, cbis or embed.") var format: String
    @Option(help: "The task the predictions are for.") var task: String
    @Option(help: "A predictions CSV (repeatable; named by the file's name).") var predictions: [String]
    @Option(help: "A validation-split predictions CSV per --predictions, in order, for the operating point (Youden).")
    var validationPredictions: [String] = []
    @Option(help: "Fixed operating threshold when no validation predictions are given.") var threshold: Double?
    @Option(help: "Operating point chosen on the validation predictions: youden or specificity:0.9.") var operatingPoint = "youden"
    @Option(help: "Split the predictions cover.") var split = "test"
    @Option(help: "Levels, comma-separated: image, breast, exam (default per task).") var levels: String?
    @Option(help: "Share of training patients moved to validation when the dataset has no validation split.") var validationFraction = 0.1
    @Option(help: "Patient-level bootstrap resamples (0: DeLong only).") var bootstrap = 2000
    @Option(help: ArgumentHelp("Folder for result.json and report.html.",
                               discussion: "A new or empty folder, or an earlier results folder of MammoFM, whose files of the same names are replaced; any other folder is refused, never overwritten."))
    var out: String?
    @Flag(help: "Print the result document as JSON.") var json = false

    func validate() throws {
        guard !predictions.isEmpty else { throw ValidationError("give at least one --predictions file") }
        guard validationPredictions.isEmpty || validationPredictions.count == predictions.count else {
            throw ValidationError("give one --validation-predictions per --predictions, or none")
        }
        guard DataSplit(spelling: split) != nil else { throw ValidationError("--split is train, validation or test") }
        _ = try parseLevels(levels)
        _ = try parseOperatingPoint(operatingPoint)
    }

    func run() throws {
        if let out { try OutputFolder.claim(URL(fileURLWithPath: out), as: .results) }
        let data = try LabelledDataset.read(format: format, url: URL(fileURLWithPath: dataset)).withValidation(fraction: validationFraction)
        let task = try ClassificationTask.named(task)
        guard data.tasks.contains(task) else { throw ValidationError("the \(data.format) dataset has no '\(task.name)' labels") }
        let testSplit = DataSplit(spelling: split)!
        let levelList = try parseLevels(levels) ?? task.defaultLevels, point = try parseOperatingPoint(operatingPoint)
        var document = EvaluationDocument(command: "evaluate", model: nil, modelHash: nil, dataset: data,
                                          configuration: ["task": task.name, "split": testSplit.rawValue, "files": predictions.joined(separator: ", ")])
        var scored: [(name: String, byLevel: [String: [Prediction]])] = []
        for (i, path) in predictions.enumerated() {
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let test = try PredictionsFile.read(URL(fileURLWithPath: path), task: task, dataset: data, split: testSplit)
            let validation = validationPredictions.isEmpty ? nil
                : try PredictionsFile.read(URL(fileURLWithPath: validationPredictions[i]), task: task, dataset: data, split: .validation)
            var byLevel: [String: [Prediction]] = [:]
            for level in levelList {
                let aggregated = try PredictionAggregation.at(level, test, images: data.images)
                byLevel[level] = aggregated
                let evaluation = try TaskEvaluation.evaluate(task: task, level: level, test: aggregated,
                                                             validation: validation.map { try PredictionAggregation.at(level, $0, images: data.images) },
                                                             fixedThreshold: threshold, operatingPoint: point,
                                                             bootstrap: bootstrap > 0 ? PatientBootstrap(replicates: bootstrap) : nil)
                document.entries.append(EvaluationEntry(name: name, method: "predictions file", evaluation: evaluation))
            }
            scored.append((name, byLevel))
        }
        if task.isBinary && scored.count > 1 {
            var comparisons: [PairedComparison] = []
            for a in 0..<scored.count {
                for b in (a + 1)..<scored.count {
                    for level in levelList {
                        comparisons.append(try PairedComparison.delong(first: scored[a].name, scored[a].byLevel[level]!, second: scored[b].name,
                                                                       scored[b].byLevel[level]!, task: task.name, level: level))
                    }
                }
            }
            document.comparisons = comparisons
        }
        try DownstreamSummary.emit(document, out: out, json: json)
    }
}
