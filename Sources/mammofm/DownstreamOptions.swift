import ArgumentParser
import Foundation
import MammoDownstream
import MammoEvaluation
import MammoImaging
import MammoModels
import Torch
import MammoData

/// Options shared by zeroshot, probe and finetune: the labelled dataset, its images, tasks and output.
struct DownstreamOptions: ParsableArguments {
    @Option(help: "The labelled dataset: a synth cohort folder, VinDr finding_annotations.csv, RSNA train.csv or a CBIS-DDSM case CSV.")
    var dataset: String
    @Option(help: "Dataset format: synth, vindr, rsna, cbis or embed.") var format: String
    @Option(help: "Folder of preprocessed PNGs named <image_id>.png (`mammofm preprocess --keep-file-names`).") var images: String
    @Option(help: "Tasks, comma-separated (mass, calcification, density, malignancy; default: every task the dataset labels).")
    var tasks: String?
    @Option(help: "Share of training patients moved to validation when the dataset has no validation split (threshold choice).")
    var validationFraction = 0.1
    @Option(help: "Patient-level bootstrap resamples for confidence intervals (0: DeLong intervals only).") var bootstrap = 2000
    @Option(help: "Operating point chosen on validation: youden or specificity:0.9.") var operatingPoint = "youden"

    @Option(help: "Where extracted image features are cached (default: $MAMMOFM_CACHE/features or ~/.cache/mammofm/features).")
    var featureCache: String?
    @Option(help: "Levels to score, comma-separated: image, breast, exam (default: findings per image and breast, others per breast).")
    var levels: String?
    @Option(help: ArgumentHelp("Folder for result.json, report.html and predictions/.",
                               discussion: "A new or empty folder, or an earlier results folder of MammoFM, whose files of the same names are replaced; any other folder is refused, never overwritten."))
    var out: String?
    @Flag(help: "Print the result document as JSON.") var json = false

    /// Refuses, before any work, an --out folder that is not MammoFM's results folder, and marks it.
    func claimOutput() throws {
        if let out { try OutputFolder.claim(URL(fileURLWithPath: out), as: .results) }
    }

    func loadDataset() throws -> LabelledDataset {
        try LabelledDataset.read(format: format, url: URL(fileURLWithPath: dataset)).withValidation(fraction: validationFraction)
    }

    func selectedTasks(_ dataset: LabelledDataset) throws -> [ClassificationTask] {
        guard let tasks else { return dataset.tasks }
        return try tasks.split(separator: ",").map { name in
            let task = try ClassificationTask.named(String(name).trimmingCharacters(in: .whitespaces))
            guard dataset.tasks.contains(task) else {
                throw ValidationError("the \(dataset.format) dataset has no '\(task.name)' labels; it has \(dataset.tasks.map(\.name).joined(separator: ", "))")
            }
            return task
        }
    }

    func levels(for task: ClassificationTask) -> [String] { (try? parseLevels(levels)) ?? task.defaultLevels }

    var bootstrapSettings: PatientBootstrap? { bootstrap > 0 ? PatientBootstrap(replicates: bootstrap) : nil }

    func validate() throws {
        _ = try parseOperatingPoint(operatingPoint)
        _ = try parseLevels(levels)
    }

    var operatingPointSetting: OperatingPoint { (try? parseOperatingPoint(operatingPoint)) ?? .youden }

    var cacheDirectory: URL {
        if let featureCache { return URL(fileURLWithPath: featureCache) }
        let environment = ProcessInfo.processInfo.environment
        let base = environment["MAMMOFM_CACHE"] ?? (environment["XDG_CACHE_HOME"].map { $0 + "/mammofm" })
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/mammofm").path
        return URL(fileURLWithPath: base).appendingPathComponent("features")
    }

    /// Features of every image of the dataset with progress on standard error.
    func extractFeatures(model: MammoClip, modelHash: String, dataset: LabelledDataset, batchNormCalibrationImages: Int = 0) throws -> FeatureSet {
        var extractor = FeatureExtractor(model: model, modelHash: modelHash, imageRoot: URL(fileURLWithPath: images), cacheDirectory: cacheDirectory)
        extractor.batchNormCalibrationImages = batchNormCalibrationImages
        let progress = ProgressReporter(total: dataset.images.count, unit: "images")
        var done = 0
        let features = try extractor.features(for: dataset.images) { finished, _ in
            progress.advance(by: finished - done, note: "image features")
            done = finished
        }
        if done > 0 { progress.finish() } else { FileHandle.standardError.write(Data("features read from the cache \(cacheDirectory.path)\n".utf8)) }
        return features
    }

    /// Reports the images whose files could not be read (standard error, OUT/errors.csv) and returns
    /// the note for the result; nil when every image was read.
    func reportUnreadable(_ features: FeatureSet) throws -> String? {
        guard !features.failures.isEmpty else { return nil }
        for failure in features.failures { FileHandle.standardError.write(Data("skipped \(failure.reason)\n".utf8)) }
        if let out {
            try CSVFile.write([["path", "reason"]] + features.failures.map { [$0.path, $0.reason] },
                              to: URL(fileURLWithPath: out).appendingPathComponent("errors.csv"))
        }
        return "\(features.failures.count) images could not be read and were left out" + (out.map { " (reasons in \($0)/errors.csv)" } ?? "")
    }

    /// Runs the scoring of one task; a task the data cannot score (one class in a split, say) becomes a
    /// note in the result instead of ending the whole command.
    func scored(_ task: ClassificationTask, _ body: () throws -> [EvaluationEntry]) throws -> (entries: [EvaluationEntry], note: String?) {
        func skipped(_ reason: String) -> (entries: [EvaluationEntry], note: String?) {
            FileHandle.standardError.write(Data("\(task.name): not scored: \(reason)\n".utf8))
            return ([], "\(task.name): not scored: \(reason)")
        }
        do { return (try body(), nil) } catch let error as MetricError {
            return skipped("\(error)")
        } catch InputError.badInput(let reason) {
            return skipped(reason)
        }
    }

    /// Writes test predictions per image to OUT/predictions/<name>-<task>.csv (for `mammofm evaluate`).
    func savePredictions(_ predictions: [Prediction], name: String, task: ClassificationTask) throws {
        guard let out else { return }
        let words = (name + " " + task.name).lowercased().split { !($0.isLetter || $0.isNumber) }
        try PredictionsFile.write(predictions, task: task, to: URL(fileURLWithPath: out).appendingPathComponent("predictions/\(words.joined(separator: "-")).csv"))
    }

    /// Writes and prints the document; then, when images were left out, exits with their count (at
    /// most 100) so a script sees a partial result.
    func emit(_ document: EvaluationDocument, unreadableImages: Int = 0) throws {
        try DownstreamSummary.emit(document, out: out, json: json)
        if unreadableImages > 0 { throw ExitCode(Int32(min(unreadableImages, 100))) }
    }
}

/// --levels: comma-separated image, breast, exam; nil when not given (the task's defaults apply).
func parseLevels(_ text: String?) throws -> [String]? {
    guard let text else { return nil }
    let levels = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    for level in levels where !PredictionAggregation.levels.contains(level) {
        throw ValidationError("--levels takes image, breast and exam, not '\(level)'")
    }
    return levels
}

/// --operating-point: youden or specificity:S.
func parseOperatingPoint(_ text: String) throws -> OperatingPoint {
    guard let point = OperatingPoint(parsing: text) else { throw ValidationError("--operating-point takes youden or specificity:S with 0 < S < 1") }
    return point
}

/// One-line summaries of evaluation entries, and the output every scoring command ends with.
enum DownstreamSummary {
    /// Writes result.json and report.html under `out` when given; prints the document as JSON, or
    /// one line per entry, comparison and note.
    static func emit(_ document: EvaluationDocument, out: String?, json: Bool) throws {
        if let out {
            try document.write(to: URL(fileURLWithPath: out))
            FileHandle.standardError.write(Data("wrote \(out)/result.json and \(out)/report.html\n".utf8))
        }
        if json { try printJSON(document); return }
        for entry in document.entries { print(line(entry)) }
        for c in document.comparisons ?? [] {
            print(String(format: "%@ vs %@ (%@ per %@): AUROC %.3f vs %.3f, difference %.3f, z %.2f, p %.4g", c.first, c.second, c.task, c.level,
                         c.aurocFirst, c.aurocSecond, c.difference, c.z, c.pValue))
        }
        for note in document.notes { print("note: \(note)") }
    }

    static func line(_ entry: EvaluationEntry) -> String {
        let ev = entry.evaluation
        if let b = ev.binary {
            return String(format: "%@ | %@ per %@: AUROC %.3f (95%% CI %.3f-%.3f), AUPRC %.3f, %d cases (%d positive), sens %.2f spec %.2f",
                          entry.name, ev.task.name, ev.level, b.auroc, b.aurocDeLong.lower, b.aurocDeLong.upper, b.auprc, b.cases, b.positives,
                          b.sensitivity, b.specificity)
        }
        let m = ev.multiclass!
        return String(format: "%@ | %@ per %@: macro AUROC %.3f, accuracy %.3f, quadratic kappa %.3f, %d cases",
                      entry.name, ev.task.name, ev.level, m.aurocMacro, m.accuracy, m.kappaQuadratic, m.cases)
    }
}
