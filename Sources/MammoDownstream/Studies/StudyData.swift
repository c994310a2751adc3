import Foundation
import MammoData
import MammoEvaluation
import MammoImaging
import MammoModels
import Torch

/// What every scoring study (zero-shot, probe, fine-tune) reads and where it writes: the labelled
/// dataset, its preprocessed images, the tasks and levels to score and how, and the results folder.
public struct StudyData: Sendable {
    /// A synth cohort folder, VinDr finding_annotations.csv, RSNA train.csv, a CBIS-DDSM case CSV or EMBED tables.
    public var dataset: URL
    public var format: DatasetFormat
    /// Folder of preprocessed PNGs named `<image_id>.png`.
    public var images: URL
    /// Task names; nil scores every task the dataset labels.
    public var tasks: [String]?
    /// Share of training patients moved to validation when the dataset has no validation split.
    public var validationFraction = 0.1
    /// Patient-level bootstrap resamples for intervals (0: DeLong intervals only).
    public var bootstrapReplicates = 2000
    public var operatingPoint: OperatingPoint = .youden
    /// Where image features are cached; nil: `FeatureExtractor.defaultCacheDirectory`.
    public var featureCache: URL?
    /// Levels to score; nil: each task's defaults.
    public var levels: [ScoringLevel]?
    /// Folder for result.json, results.html, predictions/ and errors.csv; nil writes nothing.
    public var output: URL?
    /// Where models compute.
    public var device: Device = .cpu

    public init(dataset: URL, format: DatasetFormat, images: URL) {
        self.dataset = dataset
        self.format = format
        self.images = images
    }

    /// The dataset with a validation split.
    func load() throws -> LabelledDataset {
        try LabelledDataset.read(format: format, url: dataset).withValidation(fraction: validationFraction)
    }

    /// The tasks asked for, each checked against the dataset's labels.
    func selectedTasks(_ dataset: LabelledDataset) throws -> [ClassificationTask] {
        guard let tasks else { return dataset.tasks }
        return try tasks.map { name in
            let task = try ClassificationTask.named(name.trimmingCharacters(in: .whitespaces))
            guard dataset.tasks.contains(task) else {
                throw InputError.badInput("the \(dataset.format) dataset has no '\(task.name)' labels; it has \(dataset.tasks.map(\.name).joined(separator: ", "))")
            }
            return task
        }
    }

    func levels(for task: ClassificationTask) -> [ScoringLevel] { levels ?? task.defaultLevels }

    var bootstrap: PatientBootstrap? { bootstrapReplicates > 0 ? PatientBootstrap(replicates: bootstrapReplicates) : nil }

    /// Refuses, before any work, an output folder that is not MammoFM's results folder, and marks it.
    func claimOutput() throws {
        if let output { try OutputFolder.claim(output, as: .results) }
    }

    /// Features of every image of the dataset, with progress.
    func extractFeatures(model: MammoClip, modelHash: String, dataset: LabelledDataset, batchNormCalibrationImages: Int = 0,
                         log: RunLog) throws -> FeatureSet {
        let cache = featureCache ?? FeatureExtractor.defaultCacheDirectory
        var extractor = FeatureExtractor(model: model, modelHash: modelHash, imageRoot: images, cacheDirectory: cache)
        extractor.batchNormCalibrationImages = batchNormCalibrationImages
        let progress = log.progress(total: dataset.images.count, unit: "images")
        var done = 0
        let features = try extractor.features(for: dataset.images) { finished, _ in
            progress.advance(by: finished - done, note: "image features")
            done = finished
        }
        if done > 0 { progress.finish() } else { log.note("features read from the cache \(cache.path)") }
        return features
    }

    /// Reports the images that could not be read (log, OUTPUT/errors.csv) and returns the note for
    /// the result; nil when every image was read.
    func noteUnreadable(_ features: FeatureSet, log: RunLog) throws -> String? {
        guard !features.failures.isEmpty else { return nil }
        for failure in features.failures { log.note("skipped \(failure.reason)") }
        if let output {
            try CSVFile.write([["path", "reason"]] + features.failures.map { [$0.path, $0.reason] }, to: output.appendingPathComponent("errors.csv"))
        }
        return "\(features.failures.count) images could not be read and were left out" + (output.map { " (reasons in \($0.path)/errors.csv)" } ?? "")
    }

    /// Runs the scoring of one task; a task the data cannot score (one class in a split, say) becomes a
    /// note in the result instead of ending the whole study.
    func scored(_ task: ClassificationTask, log: RunLog, _ body: () throws -> [EvaluationEntry]) throws -> (entries: [EvaluationEntry], note: String?) {
        func skipped(_ reason: String) -> (entries: [EvaluationEntry], note: String?) {
            log.note("\(task.name): not scored: \(reason)")
            return ([], "\(task.name): not scored: \(reason)")
        }
        do { return (try body(), nil) } catch let error as MetricError {
            return skipped("\(error)")
        } catch InputError.badInput(let reason) {
            return skipped(reason)
        }
    }

    /// Writes test predictions per image to OUTPUT/predictions/<name>-<task>.csv (for `mammofm evaluate`).
    func savePredictions(_ predictions: [Prediction], name: String, task: ClassificationTask) throws {
        guard let output else { return }
        let words = (name + " " + task.name).lowercased().split { !($0.isLetter || $0.isNumber) }
        try PredictionsFile.write(predictions, task: task, to: output.appendingPathComponent("predictions/\(words.joined(separator: "-")).csv"))
    }

    /// Writes the document into the output folder (when there is one) and wraps up the study.
    func finish(_ document: EvaluationDocument, unreadableImages: Int, log: RunLog) throws -> StudyOutcome {
        if let output {
            try document.write(to: output)
            log.note("wrote \(output.path)/result.json and \(output.path)/results.html")
        }
        return StudyOutcome(document: document, unreadableImages: unreadableImages)
    }
}

/// What a scoring study produced: its result document (also written to the output folder) and how
/// many images it had to leave out because their files could not be read.
public struct StudyOutcome: Sendable {
    public var document: EvaluationDocument
    public var unreadableImages: Int
}
