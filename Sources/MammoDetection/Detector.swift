import Foundation
import MammoData
import MammoEvaluation
import MammoModels
import Torch

/// What a detector is: its findings, backbone, pyramid, input and the settings of its anchors,
/// loss and decoding (`detector.json`, beside `detector.safetensors`).
public struct DetectorManifest: VersionedManifest, Equatable, Sendable {
    public static let formatName = "mammofm-detector"
    public static let currentVersion = 1
    public static let description = "a detector manifest"

    public var format = formatName
    public var version = currentVersion
    /// One class per finding, in this order.
    public var findings: [DetectionFinding]
    public var backbone: EfficientNetConfig
    public var taps: BackboneTaps
    public var pyramidWidth: Int
    public var inputHeight: Int
    public var inputWidth: Int
    /// Normalisation after the per-image min-max scaling (the image tower's).
    public var mean: Double
    public var std: Double
    /// The preprocessing its images went through ("mammoclip" or "standard") and the size it wrote
    /// them at (the image tower's input), before the resize to the detector's input.
    public var preprocessing: String
    public var preprocessedHeight: Int
    public var preprocessedWidth: Int
    public var anchors: AnchorGenerator
    public var decoder: DetectionDecoder
    /// Weights hash of the MammoFM model whose image tower it started from; nil for a random start.
    public var startingModelHash: String?
    public var training: DetectorTraining?
    /// Validation figures at the end of training (per finding).
    public var validation: [DetectorValidation] = []

    public init(findings: [DetectionFinding], backbone: EfficientNetConfig, taps: BackboneTaps, pyramidWidth: Int, inputHeight: Int,
                inputWidth: Int, mean: Double, std: Double, preprocessing: String, preprocessedHeight: Int, preprocessedWidth: Int, anchors: AnchorGenerator = AnchorGenerator(),
                decoder: DetectionDecoder = DetectionDecoder(), startingModelHash: String? = nil, training: DetectorTraining? = nil) {
        self.findings = findings
        self.backbone = backbone
        self.taps = taps
        self.pyramidWidth = pyramidWidth
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.mean = mean
        self.std = std
        self.preprocessing = preprocessing
        self.preprocessedHeight = preprocessedHeight
        self.preprocessedWidth = preprocessedWidth
        self.anchors = anchors
        self.decoder = decoder
        self.startingModelHash = startingModelHash
        self.training = training
    }
}

/// Validation figures of one finding.
public struct DetectorValidation: Codable, Equatable, Sendable {
    public var finding: DetectionFinding
    public var images: Int
    public var lesions: Int
    public var averagePrecision: Double
    /// Sensitivity at 1 false positive per image (centre-in-box rule) and the CPM.
    public var sensitivityAt1FP: Double
    public var cpm: Double
    /// The score threshold of that operating point (nil when no threshold reaches it).
    public var operatingThreshold: Double?
}

extension DetectorManifest {
    /// A name from the findings ("mass", "mass+calcification").
    public var name: String { findings.map(\.rawValue).joined(separator: "+") }

    /// The score at or above which a detection is reported, per finding: 1 false positive per image
    /// on the validation split, or the decoder's threshold without validation figures.
    public func operatingThreshold(for finding: DetectionFinding) -> Double {
        validation.first { $0.finding == finding }?.operatingThreshold ?? decoder.scoreThreshold
    }
}

/// A RetinaNet with its manifest: what `mammofm train-detector` writes and `detect` reads.
public final class Detector {
    public static let manifestName = "detector.json"
    public static let weightsName = "detector.safetensors"

    public var manifest: DetectorManifest
    public let network: RetinaNet

    public init(manifest: DetectorManifest) throws {
        var backbone = manifest.backbone
        backbone.numClasses = nil
        self.manifest = manifest
        network = try RetinaNet(backbone: EfficientNet(config: backbone), classes: manifest.findings.count, taps: manifest.taps,
                                pyramidWidth: manifest.pyramidWidth, anchors: manifest.anchors)
    }

    /// Writes detector.json and detector.safetensors into `folder`, replaced whole.
    public func write(to folder: URL) throws {
        let tensors = try network.stateDict().map { ($0.0, try $0.1.detach().to(device: .cpu).contiguous()) }
        try OutputFolder.replace(folder, as: .detector, durable: true) { staging in
            try Safetensors.write(tensors, metadata: ["findings": manifest.findings.map(\.rawValue).joined(separator: ",")],
                                  to: staging.appendingPathComponent(Self.weightsName))
            try manifest.write(to: staging.appendingPathComponent(Self.manifestName))
        }
    }

    /// Reads a detector folder onto `device`, in evaluation mode.
    public static func read(_ folder: URL, device: Device = .cpu) throws -> Detector {
        let manifest = try DetectorManifest.read(folder.appendingPathComponent(manifestName),
                                                 missing: "a detector folder holds detector.json and detector.safetensors (`mammofm train-detector` writes one)")
        let detector = try Detector(manifest: manifest)
        let weightsURL = folder.appendingPathComponent(weightsName)
        do {
            try detector.network.load(stateDict: SafetensorsFile(url: weightsURL).tensors())
        } catch {
            throw InputError.badFile(path: weightsURL.path, reason: "the weights do not fit detector.json: \(error)")
        }
        if device != .cpu { try detector.network.to(device: device) }
        detector.network.eval()
        return detector
    }

    /// Normalised detector input of preprocessed PNGs (N x 3 x H x W), each transformed by `transform` first.
    public func input(_ urls: [URL], transform: ((Tensor) throws -> Tensor)? = nil) throws -> Tensor {
        try ModelInput.batch(urls, height: manifest.inputHeight, width: manifest.inputWidth) { image in
            let x = try transform?(image) ?? image
            return try ImageNormalization.reference(x, channels: manifest.backbone.inputChannels, mean: manifest.mean, std: manifest.std)
        }
    }

    /// Normalised detector input of preprocessed pixels (h x w or 1 x 1 x h x w, any real dtype), as
    /// `input(_:)` makes it of a PNG.
    public func input(pixels: Tensor) throws -> Tensor {
        let x = try pixels.to(.float32).reshape([1, 1, pixels.size(pixels.rank - 2), pixels.size(pixels.rank - 1)])
        return try ImageNormalization.reference(ModelInput.resized(x, height: manifest.inputHeight, width: manifest.inputWidth),
                                                channels: manifest.backbone.inputChannels, mean: manifest.mean, std: manifest.std)
    }

    /// Detections per image of a normalised batch, in detector-input pixels, best first.
    public func detect(_ images: Tensor) throws -> [[ScoredBox]] {
        let (classification, regression, grids) = try Autograd.inferenceMode { try network.forward(images) }
        let height = images.size(2), width = images.size(3)
        let anchors = try network.anchorGenerator.anchors(grids: grids, device: images.device)
        return try (0..<images.size(0)).map {
            try manifest.decoder.detections(classification: classification, regression: regression, anchors: anchors, index: $0,
                                            height: height, width: width)
        }
    }
}
