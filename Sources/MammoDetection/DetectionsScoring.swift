import Foundation
import MammoData
import MammoEvaluation
import MammoImaging
import Torch

/// `mammofm evaluate --detections`: scores a detections file (`mammofm detect`'s or
/// `train-detector`'s) against a dataset's boxes, in the grid the boxes are given in (DICOM pixels,
/// or the preprocessed images' for Mammo-CLIP's resized boxes): VOC AP, FROC under three hit rules
/// with the CPM and patient-bootstrap intervals, lesion groups. Every image of the split must have an
/// entry; images of other splits are left out. Writes result.json and results.html (with overlays
/// when the preprocessed images are given).
public struct DetectionsScoring: Sendable {
    public var detections: URL
    public var dataset: URL
    public var format: DatasetFormat
    public var boxes: BoxColumns = .dicom
    public var split: DataSplit = .test
    /// Share of training patients moved to validation when the dataset has none (as for training).
    public var validationFraction = 0.1
    /// Preprocessed PNGs (with sidecars for DICOM-pixel boxes), for the page's overlays; optional.
    public var images: URL?
    public var bootstrapReplicates = 1000
    public var seed: UInt64 = 0
    /// A results folder for result.json, results.html and overlays/; nil writes nothing.
    public var output: URL?

    public init(detections: URL, dataset: URL, format: DatasetFormat) {
        self.detections = detections
        self.dataset = dataset
        self.format = format
    }

    /// What was scored and the figures, per finding.
    public struct Result: Codable, Sendable {
        public var format = "mammofm-detection-scores"
        public var version = 1
        public var detections: String
        public var detectorHash: String
        public var dataset: String
        public var datasetFormat: String
        public var boxes: BoxColumns
        public var split: String
        /// Entries of the file for images outside the split, not scored.
        public var otherImages: Int
        public var evaluations: [DetectionEvaluation]
    }

    public func run(log: RunLog = .standardError) throws -> Result {
        if let output { try OutputFolder.claim(output, as: .results) }
        let document = try DetectionsDocument.load(detections)
        let data = try DetectionDataset.read(dataset, format: format, boxes: boxes, validationFraction: validationFraction, validationSeed: seed)
        var byID: [String: Int] = [:]
        for (i, entry) in document.images.enumerated() {
            let name = URL(fileURLWithPath: entry.image).lastPathComponent
            let id = ["png", "dcm", "dicom"].contains(URL(fileURLWithPath: name).pathExtension.lowercased())
                ? URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent : name
            byID[id] = i
        }
        let scored = data.images(in: split)
        guard !scored.isEmpty else { throw InputError.badInput("\(dataset.path) has no \(split.rawValue) images") }
        let absent = scored.filter { byID[$0.imageID] == nil }
        guard absent.isEmpty else {
            throw InputError.badFile(path: detections.path, reason: "\(absent.count) of the \(scored.count) \(split.rawValue) images of \(dataset.path) "
                                     + "have no entry (first: \(absent[0].imageID)); every image of the split must be scored, normal ones included")
        }
        let entries = scored.map { document.images[byID[$0.imageID]!] }
        // Each entry's boxes in the dataset's grid.
        func grid(_ entry: DetectionsDocument.Image, _ detection: DetectionsDocument.Detection) throws -> BoundingBox {
            switch boxes {
            case .dicom:
                guard let box = detection.sourceBox else {
                    throw InputError.badFile(path: detections.path, reason: "'\(entry.image)' has no boxes in DICOM pixels (detected without its "
                                             + "preprocessing sidecar); run detect on the DICOM files or on PNGs with sidecars, or score resized boxes")
                }
                return box
            case .resized:
                guard let width = entry.preprocessedWidth, let height = entry.preprocessedHeight else {
                    throw InputError.badFile(path: detections.path, reason: "'\(entry.image)' does not give its preprocessed image's size")
                }
                return BoxMapping(geometry: .identity(width: width, height: height), inputWidth: entry.inputWidth, inputHeight: entry.inputHeight)
                    .toPreprocessed(detection.box)
            }
        }
        let bootstrap = bootstrapReplicates > 0 ? PatientBootstrap(replicates: bootstrapReplicates, seed: seed) : nil
        var evaluations: [DetectionEvaluation] = []
        for finding in document.findings {
            let lesions = scored.map { $0.lesions.filter { $0.finding == finding } }
            guard lesions.contains(where: { !$0.isEmpty }) else { log.note("\(split.rawValue): no \(finding.rawValue) lesions to score"); continue }
            let found = try entries.map { entry in
                try entry.detections.filter { $0.finding == finding }.map { ScoredBox(box: try grid(entry, $0), score: $0.score) }
            }
            let evaluation = try DetectionEvaluation.evaluate(finding: finding, images: scored, detections: found, lesions: lesions.map { $0.map(\.box) },
                                                              sizes: lesions.map { $0.map(\.sizeMM) }, bootstrap: bootstrap)
            let centre = evaluation.rules.first { $0.rule == .centreInBox }!
            log.note(String(format: "%@ %@: AP@0.5 %.3f, sensitivity at 1 FP/image %.3f, CPM %.3f (%d images, %d lesions)", split.rawValue,
                            finding.rawValue, evaluation.averagePrecision.value, centre.sensitivityAt1FP.value, centre.cpm.value,
                            evaluation.images, evaluation.lesions))
            evaluations.append(evaluation)
        }
        guard !evaluations.isEmpty else {
            throw InputError.badInput("the \(split.rawValue) split holds no \(document.findings.map(\.rawValue).joined(separator: " or ")) lesion to score")
        }
        let result = Result(detections: detections.path, detectorHash: document.detectorHash, dataset: dataset.path, datasetFormat: format.rawValue,
                            boxes: boxes, split: split.rawValue, otherImages: document.images.count - entries.count, evaluations: evaluations)
        if let output { try write(result, entries: entries, scored: scored, document: document, to: output) }
        return result
    }

    func write(_ result: Result, entries: [DetectionsDocument.Image], scored: [DetectionDataset.Image], document: DetectionsDocument,
               to output: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(encoder.encode(result), to: output.appendingPathComponent("result.json"))
        var examples: [DetectionResultsPage.Example] = []
        if let images, let first = entries.first {
            // Overlays on the preprocessed PNGs, everything in the detections' input grid.
            let geometries = boxes == .dicom ? try PreprocessedGeometries.read(images) : [:]
            let cases = zip(scored, entries).compactMap { image, entry -> DetectionOverlay.Case? in
                let png = images.appendingPathComponent("\(image.imageID).png")
                guard FileManager.default.fileExists(atPath: png.path) else { return nil }
                let toInput: (BoundingBox) -> BoundingBox?
                switch boxes {
                case .dicom:
                    guard let geometry = geometries[image.imageID] else { return nil }
                    let mapping = BoxMapping(geometry: geometry, inputWidth: entry.inputWidth, inputHeight: entry.inputHeight)
                    toInput = { mapping.toInput($0) }
                case .resized:
                    guard let width = entry.preprocessedWidth, let height = entry.preprocessedHeight else { return nil }
                    let mapping = BoxMapping(geometry: .identity(width: width, height: height), inputWidth: entry.inputWidth, inputHeight: entry.inputHeight)
                    toInput = { mapping.fromPreprocessed($0) }
                }
                let lesions = image.lesions.compactMap { lesion in
                    document.findings.firstIndex(of: lesion.finding).flatMap { label in toInput(lesion.box).map { ($0, label) } }
                }
                let detections = entry.detections.compactMap { d in
                    document.findings.firstIndex(of: d.finding).map { ScoredBox(box: d.box, score: d.score, label: $0) }
                }
                return DetectionOverlay.Case(name: image.imageID, png: png, detections: detections, lesions: lesions)
            }
            let thresholds = document.findings.map { finding in
                result.evaluations.first { $0.finding == finding }?.rules.first { $0.rule == .centreInBox }?.thresholdAt1FP
            }
            examples = try DetectionOverlay.gallery(cases, findings: document.findings, thresholds: thresholds, inputWidth: first.inputWidth,
                                                    inputHeight: first.inputHeight, folder: output.appendingPathComponent("overlays"))
        }
        let provenance: [(String, String)] = [
            ("detections", detections.path), ("detector hash", document.detectorHash),
            ("dataset", "\(dataset.path) (\(format.rawValue), \(boxes.rawValue) boxes)"), ("split", split.rawValue),
            ("images scored", "\(entries.count) (\(result.otherImages) entries of other splits left out)"),
            ("bootstrap", "\(bootstrapReplicates) patient resamples"), ("mammofm", MammoFMRelease.version),
        ]
        let page = DetectionResultsPage.render(title: "MammoFM evaluate: detections", provenance: provenance,
                                               evaluations: result.evaluations.map { (split.rawValue, $0) }, examples: examples)
        try writeAtomically(Data(page.utf8), to: output.appendingPathComponent("results.html"))
    }
}
