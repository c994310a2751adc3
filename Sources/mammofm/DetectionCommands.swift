import ArgumentParser
import Foundation
import MammoData
import MammoDetection
import Torch

extension DetectionStudyFinding: ExpressibleByArgument {}
extension DetectorTraining.Backbone: ExpressibleByArgument {}
extension DetectorTraining.NormalImages: ExpressibleByArgument {}
extension DetectorStudy.Initialisation: ExpressibleByArgument {}
extension BoxColumns: ExpressibleByArgument {}

/// --finding: one finding, or both in one multi-class detector.
enum DetectionStudyFinding: String, CaseIterable {
    case mass, calcification, all

    var findings: [DetectionFinding] {
        switch self {
        case .mass: return [.mass]
        case .calcification: return [.calcification]
        case .all: return DetectionFinding.allCases
        }
    }
}

struct TrainDetectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-detector",
        abstract: "Train a RetinaNet lesion detector on a MammoFM image tower, then score it (AP, FROC).",
        discussion: """
        The reference's detector: EfficientNet taps feeding a feature pyramid (P3-P7, width 256), class and box \
        subnets, anchors of sizes 32-512, focal loss and smooth L1, frozen batch norm, Adam at 5e-5 with the \
        gradient norm clipped at 0.1, flips; one detector per finding (--finding all: one multi-class detector). \
        Boxes come from the dataset in DICOM pixels and are mapped through each image's preprocessing sidecar. \
        OUT/checkpoint is written after every epoch (rerunning the same command resumes; another run's checkpoint is \
        refused), then OUT/detector, OUT/evaluation.json (validation and test: AP@0.5, FROC under three hit rules, \
        CPM, patient-bootstrap intervals on test, sensitivity by lesion size and density), OUT/test-detections.json and \
        OUT/results.html (the figures, FROC curves and overlays of test images under OUT/overlays). Mammo-CLIP's \
        vindr_detection_v1_folds.csv reads as vindr; --boxes resized takes its resized_* boxes, which lie on the grid of \
        its preprocessed PNGs (theirs, or `mammofm preprocess --profile mammoclip` output).
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "A converted MammoFM model folder: its image tower starts the detector.") var model: String
    @Option(help: "The dataset: a synth cohort folder or VinDr finding_annotations.csv.") var dataset: String
    @Option(help: "Dataset format: synth or vindr.") var format: DatasetFormat
    @Option(help: "Which boxes: dicom (xmin..ymax, DICOM pixels) or resized (Mammo-CLIP's resized_* columns).") var boxes = BoxColumns.dicom
    @Option(help: "Folder of preprocessed PNGs with their sidecars (`mammofm preprocess --keep-file-names`).") var images: String
    @Option(help: "mass, calcification or all (one multi-class detector).") var finding: DetectionStudyFinding
    @Option(help: "pretrained (the model's tower) or random (same architecture, random weights).") var initialisation = DetectorStudy.Initialisation.pretrained
    @Option(help: "fine-tuned (the whole tower trains) or frozen (only the pyramid and subnets).") var backbone = DetectorTraining.Backbone.fineTuned
    @Option(help: "Epochs.") var epochs = 10
    @Option(help: "Images per step.") var batchSize = 8
    @Option(help: "Adam learning rate (the reference's 5e-5).") var learningRate = 5e-5
    @Option(help: "Training-patient fraction (e.g. 10% or 0.1).", transform: parseFractionArgument) var fraction = 1.0
    @Option(help: "Seed (head initialisation, order, flips, the fraction's patients).") var seed: UInt64 = 0
    @Option(help: "excluded (the reference: only images with the finding train) or included (normal images train as all-negative).")
    var normalImages = DetectorTraining.NormalImages.excluded
    @Flag(help: "Train without flips.") var noFlips = false
    @Flag(help: "Add the reference's affine (rotation, shear, translation, scale) and elastic augmentation, boxes moved with the image.")
    var geometricAugmentation = false
    @Option(help: "Detector input HEIGHTxWIDTH (default: the model's input size; the reference uses 512x512).") var inputSize: String?
    @Option(help: "Feature pyramid width (the reference's 256).") var pyramidWidth = 256
    @Option(help: "Anchor sizes relative to the reference's 32-512 (0.5: 16-256, for small inputs).") var anchorScale = 1.0
    @Option(help: "Patient-bootstrap resamples for the test intervals (0: none).") var bootstrap = 1000
    @Option(help: ArgumentHelp("The results folder.", discussion: "A new or empty folder, or an earlier results folder of MammoFM; any other folder is refused."))
    var out: String
    @Flag(help: "Print evaluation.json.") var json = false

    func run() throws {
        try global.apply()
        var study = DetectorStudy(model: URL(fileURLWithPath: model), dataset: URL(fileURLWithPath: dataset), format: format,
                                  images: URL(fileURLWithPath: images), output: URL(fileURLWithPath: out), findings: finding.findings)
        study.initialisation = initialisation
        study.boxes = boxes
        study.training.backbone = backbone
        study.training.epochs = epochs
        study.training.batchSize = batchSize
        study.training.learningRate = learningRate
        study.training.fraction = fraction
        study.training.seed = seed
        study.training.normalImages = normalImages
        study.training.flips = !noFlips
        study.training.geometric = geometricAugmentation
        if let inputSize {
            guard let size = parseHeightByWidth(inputSize), size.height >= 32, size.width >= 32 else {
                throw ValidationError("--input-size takes HEIGHTxWIDTH of at least 32 x 32, e.g. 512x512")
            }
            study.inputHeight = size.height
            study.inputWidth = size.width
        }
        study.pyramidWidth = pyramidWidth
        study.anchorScale = anchorScale
        study.bootstrapReplicates = bootstrap
        study.device = global.device
        let outcome = try study.run()
        if json { try printJSON(outcome) }
    }
}

struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run a trained detector on images or DICOM files: detections.json and overlays.",
        discussion: """
        --image takes preprocessed PNGs (their sidecars, read from the same folder, map boxes to the DICOM grid); \
        --dicom takes DICOM files, preprocessed as the detector's training images were. detections.json lists per \
        image each detection's finding, score and box in detector-input pixels and in the original image's pixels; \
        OUT/overlays/ holds the input with the boxes drawn (mass red, calcification blue).
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "A detector folder (`mammofm train-detector` writes OUT/detector).") var detector: String
    @Option(name: .customLong("image"), help: "A preprocessed PNG (repeatable).") var images: [String] = []
    @Option(name: .customLong("dicom"), help: "A DICOM file (repeatable).") var dicom: [String] = []
    @Option(help: ArgumentHelp("The output folder.", discussion: "A new or empty folder, or an earlier results folder of MammoFM."))
    var out: String
    @Flag(help: "Print detections.json.") var json = false

    func validate() throws {
        guard images.isEmpty != dicom.isEmpty else { throw ValidationError("give --image files or --dicom files (one kind)") }
    }

    func run() throws {
        try global.apply()
        var run = DetectionRun(detector: URL(fileURLWithPath: detector),
                               inputs: images.isEmpty ? .dicom(dicom.map { URL(fileURLWithPath: $0) }) : .images(images.map { URL(fileURLWithPath: $0) }),
                               output: URL(fileURLWithPath: out))
        run.device = global.device
        let document = try run.run()
        if json { try printJSON(document) }
    }
}
