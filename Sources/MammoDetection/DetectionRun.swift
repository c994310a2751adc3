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

    /// Colours of the findings' boxes in overlays (mass, calcification).
    static let colours: [DetectionFinding: (UInt8, UInt8, UInt8)] = [.mass: (255, 64, 64), .calcification: (64, 200, 255)]

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
            try overlay(background, detections: found, findings: manifest.findings)
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

    /// The image (1 x 1 x H x W, any range) in grey with each detection's box in its finding's colour,
    /// brighter for higher scores.
    func overlay(_ image: Tensor, detections: [ScoredBox], findings: [DetectionFinding]) throws -> ColorImage {
        let height = image.size(2), width = image.size(3)
        let values = try image.to(.float32, device: .cpu).contiguous().toArray(Float.self)
        let low = values.min() ?? 0, high = values.max() ?? 1, span = max(high - low, 1e-6)
        var picture = ColorImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let v = UInt8(max(0, min(255, ((values[y * width + x] - low) / span * 255).rounded())))
                picture.set(x, y, (v, v, v))
            }
        }
        for detection in detections.reversed() {
            let base = Self.colours[findings[detection.label]] ?? (255, 255, 0), strength = 0.4 + 0.6 * min(1, max(0, detection.score))
            let colour = (UInt8(Double(base.0) * strength), UInt8(Double(base.1) * strength), UInt8(Double(base.2) * strength))
            let b = detection.box
            guard [b.xmin, b.ymin, b.xmax, b.ymax].allSatisfy(\.isFinite) else { continue }
            func pixel(_ v: Double, _ limit: Int) -> Int { Int(min(Double(limit), max(0, v)).rounded()) }
            let x0 = pixel(b.xmin, width), x1 = pixel(b.xmax, width) - 1, y0 = pixel(b.ymin, height), y1 = pixel(b.ymax, height) - 1
            guard x1 >= x0, y1 >= y0 else { continue }
            for x in x0...x1 { picture.set(x, y0, colour); picture.set(x, y1, colour) }
            for y in y0...y1 { picture.set(x0, y, colour); picture.set(x1, y, colour) }
        }
        return picture
    }
}
