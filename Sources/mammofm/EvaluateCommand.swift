import ArgumentParser
import Foundation
import MammoData
import MammoDetection
import MammoDownstream
import MammoEvaluation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score per-image predictions or detections (any model's) against a labelled dataset, with CIs and paired comparisons.",
        discussion: """
        A predictions CSV has `image_id` and one column per class, `p_<class>` (e.g. p_mass, or p_A..p_D for \
        density), or for binary tasks a single `probability` column; the downstream commands write such files \
        under OUT/predictions. Every labelled image of the split must be scored once. With several --predictions, \
        each pair is compared with DeLong's paired test.

        --detections takes a detections.json (`mammofm detect`, or train-detector's test-detections.json) and scores it \
        against the dataset's lesion boxes (synth or vindr; --boxes resized for Mammo-CLIP's resized_* boxes): VOC AP at \
        IoU 0.5, FROC under three hit rules with the CPM, patient-bootstrap intervals. Every image of the split must \
        have an entry. --images (preprocessed PNGs) adds overlays to results.html.
        """)

    @Option(help: "The labelled dataset (as for probe).") var dataset: String
    @Option(help: "Dataset format: synth, vindr, rsna, cbis or embed.") var format: DatasetFormat
    @Option(help: "The task the predictions are for (not for --detections).") var task: String?
    @Option(help: "A predictions CSV (repeatable; named by the file's name).") var predictions: [String] = []
    @Option(help: "A detections file to score against the dataset's boxes (instead of --predictions).") var detections: String?
    @Option(help: "With --detections: dicom (DICOM-pixel boxes) or resized (Mammo-CLIP's resized_* boxes).") var boxes = BoxColumns.dicom
    @Option(help: "With --detections: preprocessed PNGs, for overlays in results.html.") var images: String?
    @Option(help: "A validation-split predictions CSV per --predictions, in order, for the operating point.")
    var validationPredictions: [String] = []
    @Option(help: "Fixed operating threshold when no validation predictions are given.") var threshold: Double?
    @Option(help: "Operating point chosen on the validation predictions: youden or specificity:S.") var operatingPoint = OperatingPoint.youden
    @Option(help: "Split the predictions cover: training, validation or test.") var split = DataSplit.test
    @Option(help: "Levels, comma-separated: image, breast, exam (default per task).", transform: parseLevels) var levels: [ScoringLevel]?
    @Option(help: "Share of training patients moved to validation when the dataset has no validation split.") var validationFraction = 0.1
    @Option(help: "Patient-level bootstrap resamples (0: DeLong only).") var bootstrap = 2000
    @Option(help: ArgumentHelp("Folder for result.json and results.html.",
                               discussion: "A new or empty folder, or an earlier results folder of MammoFM, whose files of the same names are replaced; any other folder is refused, never overwritten."))
    var out: String?
    @Flag(help: "Print the result document as JSON.") var json = false

    func validate() throws {
        if detections != nil {
            guard predictions.isEmpty, task == nil else { throw ValidationError("give --detections, or --task with --predictions, not both") }
            return
        }
        guard !predictions.isEmpty, task != nil else { throw ValidationError("give --task and at least one --predictions file, or --detections") }
        guard validationPredictions.isEmpty || validationPredictions.count == predictions.count else {
            throw ValidationError("give one --validation-predictions per --predictions, or none")
        }
    }

    func run() throws {
        if let detections {
            var scoring = DetectionsScoring(detections: URL(fileURLWithPath: detections), dataset: URL(fileURLWithPath: dataset), format: format)
            scoring.boxes = boxes
            scoring.split = split
            scoring.validationFraction = validationFraction
            scoring.images = images.map { URL(fileURLWithPath: $0) }
            scoring.bootstrapReplicates = bootstrap
            scoring.output = out.map { URL(fileURLWithPath: $0) }
            let result = try scoring.run()
            if json { try printJSON(result) }
            return
        }
        var evaluation = PredictionsEvaluation(dataset: URL(fileURLWithPath: dataset), format: format, task: task!,
                                               predictions: predictions.map { URL(fileURLWithPath: $0) })
        evaluation.validationPredictions = validationPredictions.map { URL(fileURLWithPath: $0) }
        evaluation.threshold = threshold
        evaluation.operatingPoint = operatingPoint
        evaluation.split = split
        evaluation.levels = levels
        evaluation.validationFraction = validationFraction
        evaluation.bootstrapReplicates = bootstrap
        evaluation.output = out.map { URL(fileURLWithPath: $0) }
        try emitDocument(try evaluation.run(), json: json)
    }
}
