import Foundation
import MammoData
import MammoEvaluation
import MammoImaging
import Torch

/// `mammofm detect`: a detector run on preprocessed PNGs (their geometry read from the sidecars
/// beside them, when present) or on DICOM files (preprocessed here as the detector's images were),
/// writing `detections.json` and one overlay PNG per image into the output folder.
public struct DetectionRun: Sendable {
    public enum Inputs: Sendable {
        /// Preprocessed PNGs (`mammofm preprocess` output).
        case images([URL])
        /// DICOM files.
        case dicom([URL])
    }

    public var detector: URL
    public var inputs: Inputs
    public var output: URL
    public var device: Device = .cpu

    public init(detector: URL, inputs: Inputs, output: URL) {
        self.detector = detector
        self.inputs = inputs
        self.output = output
    }

    @discardableResult
    public func run(log: RunLog = .standardError) throws -> DetectionsDocument {
        try OutputFolder.claim(output, as: .results)
        let model = try Detector.read(detector, device: device)
        let manifest = model.manifest
        let overlays = output.appendingPathComponent("overlays")
        try FileManager.default.createDirectory(at: overlays, withIntermediateDirectories: true)
        var entries: [DetectionsDocument.Image] = []
        // Each input: its name, the normalised tensor, the mapping to the original grid, the overlay's background.
        func handle(name: String, input: Tensor, mapping: BoxMapping?, background: Tensor) throws {
            let found = try model.detect(input.to(device: device))[0]
            entries.append(DetectionsDocument.image(name, detections: found, findings: manifest.findings, inputWidth: manifest.inputWidth,
                                                    inputHeight: manifest.inputHeight, mapping: mapping))
            try DetectionOverlay.draw(background, detections: found, findings: manifest.findings)
                .writePNG(overlays.appendingPathComponent(URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent + ".png"))
        }
        switch inputs {
        case .images(let urls):
            var geometries: [URL: [String: PreprocessingGeometry]] = [:]
            for url in urls {
                let folder = url.deletingLastPathComponent()
                if geometries[folder] == nil { geometries[folder] = (try? PreprocessedGeometries.read(folder)) ?? [:] }
                let id = url.deletingPathExtension().lastPathComponent
                let mapping = geometries[folder]?[id].map { BoxMapping(geometry: $0, inputWidth: manifest.inputWidth, inputHeight: manifest.inputHeight) }
                if mapping == nil { log.note("\(url.lastPathComponent): no preprocessing sidecar beside it; boxes are given in detector-input pixels only") }
                let raw = try ModelInput.loadImage(url, height: manifest.inputHeight, width: manifest.inputWidth)
                try handle(name: url.lastPathComponent, input: model.input([url]), mapping: mapping, background: raw)
                if mapping == nil {
                    // The PNG is its own preprocessed grid (that of Mammo-CLIP's resized boxes).
                    let size = try PNGSize.read(url)
                    entries[entries.count - 1].preprocessedWidth = size.width
                    entries[entries.count - 1].preprocessedHeight = size.height
                }
            }
        case .dicom(let urls):
            guard let profile = PreprocessingProfile(rawValue: manifest.preprocessing) else {
                throw InputError.badFile(path: detector.path, reason: "unknown preprocessing '\(manifest.preprocessing)'")
            }
            for url in urls {
                let image: DicomImage
                do { image = try DicomImage(contentsOf: url) } catch { throw InputError.badFile(path: url.path, reason: "\(error)") }
                let (pixels, geometry) = try profile.apply(image, width: manifest.preprocessedWidth, height: manifest.preprocessedHeight)
                let mapping = BoxMapping(geometry: geometry, inputWidth: manifest.inputWidth, inputHeight: manifest.inputHeight)
                let raw = try ModelInput.resized(pixels.to(.float32).reshape([1, 1, pixels.size(pixels.rank - 2), pixels.size(pixels.rank - 1)]),
                                                 height: manifest.inputHeight, width: manifest.inputWidth)
                try handle(name: url.lastPathComponent, input: model.input(pixels: pixels), mapping: mapping, background: raw)
            }
        }
        let document = DetectionsDocument(mammofmVersion: MammoFMRelease.version,
                                          detectorHash: try WeightsHash.of(file: detector.appendingPathComponent(Detector.weightsName)),
                                          findings: manifest.findings, images: entries)
        try document.write(to: output.appendingPathComponent("detections.json"))
        log.note("wrote \(output.path)/detections.json and \(entries.count) overlays (\(entries.reduce(0) { $0 + $1.detections.count }) detections)")
        return document
    }
}
