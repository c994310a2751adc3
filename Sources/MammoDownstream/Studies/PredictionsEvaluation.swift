import Foundation
import MammoData
import MammoEvaluation
import Torch

/// Scores per-image predictions of any model against a labelled dataset (`mammofm evaluate`): each
/// file at each level with intervals, the operating point from validation predictions (or a fixed
/// threshold), and with several files each pair compared with DeLong's paired test.
public struct PredictionsEvaluation: Sendable {
    public var dataset: URL
    public var format: DatasetFormat
    public var task: String
    /// Predictions CSVs (`image_id` and `p_<class>` columns, or `probability`), each named by its file name.
    public var predictions: [URL]
    /// One validation-split predictions file per `predictions` file, in order, or none.
    public var validationPredictions: [URL] = []
    /// Fixed operating threshold when there are no validation predictions.
    public var threshold: Double?
    public var operatingPoint: OperatingPoint = .youden
    /// The split the predictions cover.
    public var split: DataSplit = .test
    /// Levels; nil: the task's defaults.
    public var levels: [ScoringLevel]?
    public var validationFraction = 0.1
    public var bootstrapReplicates = 2000
    /// Folder for result.json and results.html; nil writes nothing.
    public var output: URL?

    public init(dataset: URL, format: DatasetFormat, task: String, predictions: [URL]) {
        self.dataset = dataset
        self.format = format
        self.task = task
        self.predictions = predictions
    }

    public func run(log: RunLog = .standardError) throws -> EvaluationDocument {
        guard !predictions.isEmpty else { throw InputError.badInput("give at least one predictions file") }
        guard validationPredictions.isEmpty || validationPredictions.count == predictions.count else {
            throw InputError.badInput("give one validation predictions file per predictions file, or none")
        }
        if let output { try OutputFolder.claim(output, as: .results) }
        let data = try LabelledDataset.read(format: format, url: dataset).withValidation(fraction: validationFraction)
        let task = try ClassificationTask.named(self.task)
        guard data.tasks.contains(task) else { throw InputError.badInput("the \(data.format) dataset has no '\(task.name)' labels") }
        let levelList = levels ?? task.defaultLevels
        var document = EvaluationDocument(command: "evaluate", model: nil, modelHash: nil, dataset: data,
                                          configuration: ["task": task.name, "split": split.rawValue, "files": predictions.map(\.path).joined(separator: ", ")])
        var scored: [(name: String, byLevel: [ScoringLevel: [Prediction]])] = []
        for (i, file) in predictions.enumerated() {
            let name = file.deletingPathExtension().lastPathComponent
            let test = try PredictionsFile.read(file, task: task, dataset: data, split: split)
            let validation = validationPredictions.isEmpty ? nil
                : try PredictionsFile.read(validationPredictions[i], task: task, dataset: data, split: .validation)
            var byLevel: [ScoringLevel: [Prediction]] = [:]
            for level in levelList {
                let aggregated = try PredictionAggregation.at(level, test, images: data.images)
                byLevel[level] = aggregated
                let evaluation = try TaskEvaluation.evaluate(task: task, level: level, test: aggregated,
                                                             validation: validation.map { try PredictionAggregation.at(level, $0, images: data.images) },
                                                             fixedThreshold: threshold, operatingPoint: operatingPoint,
                                                             bootstrap: bootstrapReplicates > 0 ? PatientBootstrap(replicates: bootstrapReplicates) : nil)
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
        if let output {
            try document.write(to: output)
            log.note("wrote \(output.path)/result.json and \(output.path)/results.html")
        }
        return document
    }
}
