import Foundation
import MammoData
import MammoEvaluation
import MammoImaging
import MammoModels
import Torch

/// Trains a detector on a dataset's training split and scores it on the validation and test splits
/// (`mammofm train-detector`). Writes into the output folder: `checkpoint/` after every epoch (a rerun
/// resumes), `detector/` (the trained detector, its validation figures in detector.json),
/// `evaluation.json` (per split and finding: AP, FROC under three hit rules, CPM, groups),
/// `test-detections.json` (boxes in detector-input and DICOM pixels) and `results.html` (the figures
/// with FROC curves, and overlays of test images under `overlays/`).
public struct DetectorStudy: Sendable {
    /// Where the image tower starts.
    public enum Initialisation: String, Codable, CaseIterable, Sendable {
        /// The MammoFM model's image tower.
        case pretrained
        /// A random tower of the same architecture (the floor a pretrained one must beat).
        case random
    }

    /// A converted MammoFM model folder (its image tower and preprocessing).
    public var model: URL
    public var dataset: URL
    public var format: DatasetFormat
    /// Preprocessed PNGs with their sidecars (`mammofm preprocess --keep-file-names`).
    public var images: URL
    public var output: URL
    public var findings: [DetectionFinding]
    /// Which boxes of the table to train and score on.
    public var boxes: BoxColumns = .dicom
    public var initialisation: Initialisation = .pretrained
    public var training = DetectorTraining()
    /// Detector input size; nil: the model's input size.
    public var inputHeight: Int?
    public var inputWidth: Int?
    public var pyramidWidth = 256
    /// Anchor sizes relative to the reference's 32-512.
    public var anchorScale = 1.0
    public var bootstrapReplicates = 1000
    public var device: Device = .cpu

    public init(model: URL, dataset: URL, format: DatasetFormat, images: URL, output: URL, findings: [DetectionFinding]) {
        self.model = model
        self.dataset = dataset
        self.format = format
        self.images = images
        self.output = output
        self.findings = findings
    }

    /// What the study measured.
    public struct Outcome: Codable, Sendable {
        public var validation: [DetectionEvaluation]
        public var test: [DetectionEvaluation]
        public var trainingImages: Int
        public var trainingLesions: Int
        public var missingImages: [String]
        public var seconds: Double
    }

    public func run(log: RunLog = .standardError) throws -> Outcome {
        let started = Date()
        guard anchorScale > 0, anchorScale.isFinite else { throw InputError.badInput("the anchor scale must be positive, got \(anchorScale)") }
        var anchorGenerator = AnchorGenerator()
        anchorGenerator.sizeScale = anchorScale
        try training.validate()
        try OutputFolder.claim(output, as: .results)
        let data = try DetectionDataset.read(dataset, format: format, boxes: boxes)
        if !data.droppedBoxes.isEmpty {
            log.note("\(data.droppedBoxes.count) boxes of \(dataset.path) have no positive size and are left out (first: \(data.droppedBoxes[0]))")
        }
        let loaded = try MammoClipLoader.load(model)
        let tower = loaded.model.config.image
        let hash = try WeightsHash.of(file: model.appendingPathComponent("model.safetensors"))
        let trainer = try DetectorTrainer(findings: findings, tower: tower, weights: initialisation == .pretrained ? loaded.model.imageTowerStateDict() : nil,
                                          startingModelHash: initialisation == .pretrained ? hash : nil, imagesFolder: images,
                                          inputHeight: inputHeight ?? tower.inputHeight, inputWidth: inputWidth ?? tower.inputWidth,
                                          pyramidWidth: pyramidWidth, anchors: anchorGenerator, settings: training, device: device)
        if boxes == .resized, let other = trainer.geometries.values.first(where: { $0.profile != PreprocessingProfile.mammoclip.rawValue }) {
            throw InputError.badInput("resized boxes lie on the grid of Mammo-CLIP's preprocessing; the images in \(images.path) were made with "
                                      + "the \(other.profile) profile (use `mammofm preprocess --profile mammoclip`, or the DICOM-pixel boxes)")
        }
        let trainingSamples = try trainer.trainingSamples(data)
        var missing = trainer.samples(data, split: .train).missing
        if !missing.isEmpty { log.note("\(missing.count) training images have no preprocessed PNG in \(images.path) and are left out (first: \(missing[0]))") }
        let steps = (trainingSamples.count + training.batchSize - 1) / training.batchSize * training.epochs
        log.note("training a \(findings.map(\.rawValue).joined(separator: " + ")) detector on \(trainingSamples.count) images "
                 + "(\(trainingSamples.reduce(0) { $0 + $1.targets.count }) boxes), \(initialisation.rawValue) \(tower.efficientNet.variant) tower, "
                 + "\(training.backbone.rawValue), input \(trainer.detector.manifest.inputWidth) x \(trainer.detector.manifest.inputHeight)")
        let reporter = log.progress(total: steps, unit: "steps")
        var last = 0
        try trainer.train(trainingSamples, checkpoint: output.appendingPathComponent("checkpoint")) { p in
            reporter.advance(by: p.step - last, note: String(format: "epoch %d/%d class %.4f box %.4f", p.epoch, p.epochs, p.classification, p.regression))
            last = p.step
        }
        reporter.finish()

        let bootstrap = bootstrapReplicates > 0 ? PatientBootstrap(replicates: bootstrapReplicates, seed: training.seed) : nil
        var outcome = Outcome(validation: [], test: [], trainingImages: trainingSamples.count,
                              trainingLesions: trainingSamples.reduce(0) { $0 + $1.targets.count }, missingImages: [], seconds: 0)
        var testDocument: DetectionsDocument?
        var gallery: [DetectionOverlay.Case] = []
        for split in [DataSplit.validation, .test] {
            let (samples, absent) = trainer.samples(data, split: split)
            missing += absent
            guard !samples.isEmpty else { log.note("no \(split.rawValue) images"); continue }
            let detections = try trainer.detect(samples)
            for (label, finding) in findings.enumerated() {
                let perImage = detections.map { $0.filter { $0.label == label } }
                let lesions = samples.map { $0.targets.filter { $0.label == label }.map(\.box) }
                let sizes = samples.map { sample in sample.image.lesions.filter { $0.finding == finding }.map(\.sizeMM) }
                guard lesions.contains(where: { !$0.isEmpty }) else { log.note("\(split.rawValue): no \(finding.rawValue) lesions to score"); continue }
                let evaluation = try DetectionEvaluation.evaluate(finding: finding, images: samples.map(\.image), detections: perImage,
                                                                  lesions: lesions, sizes: sizes, bootstrap: split == .test ? bootstrap : nil)
                if split == .validation { outcome.validation.append(evaluation) } else { outcome.test.append(evaluation) }
                let centre = evaluation.rules.first { $0.rule == .centreInBox }!
                log.note(String(format: "%@ %@: AP@0.5 %.3f, sensitivity at 1 FP/image %.3f, CPM %.3f (%d images, %d lesions)", split.rawValue,
                                finding.rawValue, evaluation.averagePrecision.value, centre.sensitivityAt1FP.value, centre.cpm.value,
                                evaluation.images, evaluation.lesions))
            }
            if split == .test {
                let manifest = trainer.detector.manifest
                testDocument = DetectionsDocument(mammofmVersion: MammoFMRelease.version, detectorHash: "", findings: findings,
                                                  images: zip(samples, detections).map { sample, found in
                                                      var entry = DetectionsDocument.image(sample.image.imageID, detections: found, findings: findings,
                                                                                           inputWidth: manifest.inputWidth, inputHeight: manifest.inputHeight,
                                                                                           mapping: sample.knowsSource ? sample.mapping : nil)
                                                      entry.preprocessedWidth = sample.mapping.geometry.outputWidth
                                                      entry.preprocessedHeight = sample.mapping.geometry.outputHeight
                                                      return entry
                                                  })
                gallery = zip(samples, detections).map { DetectionOverlay.Case(name: $0.image.imageID, png: $0.url, detections: $1, lesions: $0.targets) }
            }
        }
        trainer.detector.manifest.validation = outcome.validation.map { e in
            let centre = e.rules.first { $0.rule == .centreInBox }!
            return DetectorValidation(finding: e.finding, images: e.images, lesions: e.lesions, averagePrecision: e.averagePrecision.value,
                                      sensitivityAt1FP: centre.sensitivityAt1FP.value, cpm: centre.cpm.value, operatingThreshold: centre.thresholdAt1FP)
        }
        let detectorFolder = output.appendingPathComponent("detector")
        try trainer.detector.write(to: detectorFolder)
        outcome.missingImages = missing
        outcome.seconds = Date().timeIntervalSince(started)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if var testDocument {
            testDocument.detectorHash = try WeightsHash.of(file: detectorFolder.appendingPathComponent(Detector.weightsName))
            try testDocument.write(to: output.appendingPathComponent("test-detections.json"))
        }
        try writeAtomically(encoder.encode(outcome), to: output.appendingPathComponent("evaluation.json"))
        let manifest = trainer.detector.manifest
        let thresholds = findings.map { finding in
            outcome.test.first { $0.finding == finding }?.rules.first { $0.rule == .centreInBox }?.thresholdAt1FP
        }
        let examples = try DetectionOverlay.gallery(gallery, findings: findings, thresholds: thresholds, inputWidth: manifest.inputWidth,
                                                    inputHeight: manifest.inputHeight, folder: output.appendingPathComponent("overlays"))
        let provenance: [(String, String)] = [
            ("model", model.path), ("initialisation", initialisation.rawValue), ("dataset", "\(dataset.path) (\(format.rawValue), \(boxes.rawValue) boxes)"),
            ("detector", "\(findings.map(\.rawValue).joined(separator: " + ")), \(manifest.backbone.variant) tower \(training.backbone.rawValue), "
                + "input \(manifest.inputWidth) x \(manifest.inputHeight), pyramid \(pyramidWidth), anchors x\(anchorScale)"),
            ("training", "\(outcome.trainingImages) images, \(outcome.trainingLesions) boxes, \(training.epochs) epochs, batch \(training.batchSize), "
                + "learning rate \(training.learningRate), data fraction \(training.fraction)"),
            ("bootstrap", "\(bootstrapReplicates) patient resamples (test split)"), ("mammofm", MammoFMRelease.version),
        ]
        let page = DetectionResultsPage.render(title: "MammoFM train-detector", provenance: provenance,
                                               evaluations: outcome.validation.map { ("validation", $0) } + outcome.test.map { ("test", $0) },
                                               examples: examples)
        try writeAtomically(Data(page.utf8), to: output.appendingPathComponent("results.html"))
        log.note("wrote \(detectorFolder.path), \(output.path)/evaluation.json, test-detections.json and results.html")
        return outcome
    }
}
