import ArgumentParser
import Foundation
import MammoData
import MammoDownstream
import MammoEvaluation
import Torch

extension DatasetFormat: ExpressibleByArgument {}
extension DataSplit: ExpressibleByArgument {
    public init?(argument: String) { self.init(spelling: argument) }
}
extension ProbeBaseline: ExpressibleByArgument {}

extension OperatingPoint: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

/// Options shared by zeroshot, probe and finetune: the labelled dataset, its images, tasks and output.
struct StudyOptions: ParsableArguments {
    @Option(help: "A converted model folder (e.g. a pretraining run's final or best).") var model: String
    @Option(help: "The labelled dataset: a synth cohort folder, VinDr finding_annotations.csv, RSNA train.csv, a CBIS-DDSM case CSV or EMBED tables.")
    var dataset: String
    @Option(help: "Dataset format: synth, vindr, rsna, cbis or embed.") var format: DatasetFormat
    @Option(help: "Folder of preprocessed PNGs named <image_id>.png (`mammofm preprocess --keep-file-names`).") var images: String
    @Option(help: "Tasks, comma-separated (mass, calcification, density, malignancy; default: every task the dataset labels).")
    var tasks: String?
    @Option(help: "Share of training patients moved to validation when the dataset has no validation split (threshold choice).")
    var validationFraction = 0.1
    @Option(help: "Patient-level bootstrap resamples for confidence intervals (0: DeLong intervals only).") var bootstrap = 2000
    @Option(help: "Operating point chosen on validation: youden or specificity:S (0 < S < 1).") var operatingPoint = OperatingPoint.youden
    @Option(help: "Where extracted image features are cached (default: $MAMMOFM_CACHE/features or ~/.cache/mammofm/features).")
    var featureCache: String?
    @Option(help: "Levels to score, comma-separated: image, breast, exam (default: findings per image and breast, others per breast).",
            transform: parseLevels)
    var levels: [ScoringLevel]?
    @Option(help: ArgumentHelp("Folder for result.json, results.html and predictions/.",
                               discussion: "A new or empty folder, or an earlier results folder of MammoFM, whose files of the same names are replaced; any other folder is refused, never overwritten."))
    var out: String?
    @Flag(help: "Print the result document as JSON.") var json = false

    func studyData(on device: Device) -> StudyData {
        var data = StudyData(dataset: URL(fileURLWithPath: dataset), format: format, images: URL(fileURLWithPath: images))
        data.tasks = tasks?.split(separator: ",").map(String.init)
        data.validationFraction = validationFraction
        data.bootstrapReplicates = bootstrap
        data.operatingPoint = operatingPoint
        data.featureCache = featureCache.map { URL(fileURLWithPath: $0) }
        data.levels = levels
        data.output = out.map { URL(fileURLWithPath: $0) }
        data.device = device
        return data
    }

    /// Prints the outcome; then, when images were left out, exits with their count (at most 100) so
    /// a script sees a partial result.
    func emit(_ outcome: StudyOutcome) throws {
        try emitDocument(outcome.document, json: json)
        if outcome.unreadableImages > 0 { throw ExitCode(Int32(min(outcome.unreadableImages, 100))) }
    }
}

/// Prints a result document: as JSON, or one line per entry, comparison and note.
func emitDocument(_ document: EvaluationDocument, json: Bool) throws {
    if json { try printJSON(document) } else { document.summaryLines.forEach { print($0) } }
}

/// --levels: comma-separated image, breast, exam.
func parseLevels(_ text: String) throws -> [ScoringLevel] {
    try text.split(separator: ",").map { item in
        let name = item.trimmingCharacters(in: .whitespaces)
        guard let level = ScoringLevel(rawValue: name) else { throw ValidationError("--levels takes image, breast and exam, not '\(name)'") }
        return level
    }
}

/// --fractions, --fraction: "10%", "0.1" or "10".
func parseFractionArgument(_ text: String) throws -> Double {
    do { return try parseFraction(text) } catch { throw ValidationError("\(error)") }
}

/// How probe and finetune train their classifier heads; unset options take the reference's per-task values.
struct HeadOptions: ParsableArguments {
    @Option(help: "Epochs (default: the reference's per task: 30, RSNA malignancy 20).") var epochs: Int?
    @Option(help: "Batch size (default: the reference's per task: 8, RSNA malignancy 6).") var batchSize: Int?
    @Option(help: "Learning rate (default: 1e-3 for probes on cached standardised features, the reference's 5e-5 for fine-tuning).")
    var learningRate: Double?
    @Option(help: "AdamW weight decay.") var weightDecay = 1e-4
    @Option(help: "BCE positive weight (default: negatives/positives of the training cases).") var positiveWeight: Double?
    @Flag(help: "Sample training cases class-balanced instead of weighting positives.") var classBalanced = false

    var overrides: HeadOverrides {
        HeadOverrides(epochs: epochs, batchSize: batchSize, learningRate: learningRate, weightDecay: weightDecay,
                      positiveWeight: positiveWeight, classBalanced: classBalanced)
    }

    func validate() throws {
        do { try overrides.validate() } catch { throw ValidationError("\(error)") }
    }
}
