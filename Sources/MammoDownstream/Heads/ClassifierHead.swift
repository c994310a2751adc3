import Foundation
import MammoData
import MammoEvaluation
import Torch

/// How a deployed head turns scores into an answer at one level (image or breast): the calibration
/// map and the operating point, both chosen on the validation split.
public struct HeadDecision: Codable, Equatable, Sendable {
    public var level: ScoringLevel
    /// The operating point's rule ("Youden's J", "specificity 0.9"); nil for multiclass tasks (argmax).
    public var operatingPoint: String?
    /// Raw positive-class score at or above which the answer is positive (binary tasks).
    public var threshold: Double?
    /// The same threshold on the calibrated probability.
    public var calibratedThreshold: Double?
    public var calibration: ProbabilityCalibration
    public var validationCases: Int
    /// AUROC (binary) or macro AUROC (multiclass) on the validation cases it was chosen on.
    public var validationAUROC: Double?

    /// Calibrated probabilities and the decision (the positive class or the most probable one).
    public func apply(_ scores: [Double]) -> (probabilities: [Double], decision: Int) {
        let calibrated = calibration.apply(scores)
        if let threshold, scores.count == 2 { return (calibrated, scores[1] >= threshold ? 1 : 0) }
        return (calibrated, calibrated.indices.max { calibrated[$0] < calibrated[$1] } ?? 0)
    }

    /// Fits the calibration and operating point on validation predictions at `level`.
    public static func fit(task: ClassificationTask, level: ScoringLevel, validation: [Prediction],
                           operatingPoint: OperatingPoint) throws -> HeadDecision {
        guard !validation.isEmpty else { throw InputError.badInput("\(task.name): no validation cases to choose the operating point on") }
        if task.isBinary {
            let scores = validation.map(\.positiveProbability), labels = validation.map { $0.label == 1 }
            let calibration = try ProbabilityCalibration.fitPlatt(scores: scores, labels: labels)
            let threshold = try operatingPoint.threshold(validation)
            return HeadDecision(level: level, operatingPoint: operatingPoint.name, threshold: threshold,
                                calibratedThreshold: calibration.apply([1 - threshold, threshold])[1], calibration: calibration,
                                validationCases: validation.count, validationAUROC: try? ROCAnalysis(scores: scores, labels: labels).auc)
        }
        let calibration = try ProbabilityCalibration.fitTemperature(probabilities: validation.map(\.probabilities), labels: validation.map(\.label))
        return HeadDecision(level: level, operatingPoint: nil, threshold: nil, calibratedThreshold: nil, calibration: calibration,
                            validationCases: validation.count, validationAUROC: nil)
    }
}

/// The description of a deployable classifier head (`head.json` beside `head.safetensors`): what it
/// scores, which encoder's features it reads, how it was trained, and its decisions per level.
public struct ClassifierHeadManifest: VersionedManifest, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// Standardisation then Linear(C, n) on the frozen encoder's pooled features.
        case linearProbe = "linear-probe"
    }

    public static let formatName = "mammofm-classifier-head"
    public static let currentVersion = 1
    public static let description = "a classifier head manifest"

    public var format = formatName
    public var version = currentVersion
    public var kind: Kind
    public var task: ClassificationTask
    /// The weights hash of the encoder whose features the head reads (see `WeightsHash`).
    public var encoderWeightsHash: String
    public var inputHeight: Int
    public var inputWidth: Int
    public var trainingCases: Int
    public var trainingPatients: Int
    public var settings: HeadTraining
    /// One per level the task is decided at (image and breast for findings, breast otherwise).
    public var decisions: [HeadDecision]

    public func decision(at level: ScoringLevel) -> HeadDecision? { decisions.first { $0.level == level } }
}

/// A linear probe with its manifest, as saved by `mammofm probe` and read by bundles.
public struct ClassifierHead {
    public static let manifestName = "head.json"
    public static let weightsName = "head.safetensors"

    public var manifest: ClassifierHeadManifest
    public let probe: LinearProbe

    public init(manifest: ClassifierHeadManifest, probe: LinearProbe) {
        self.manifest = manifest
        self.probe = probe
    }

    /// Writes head.json and head.safetensors into `folder` (each through a temporary file).
    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // Safetensors.write goes through a temporary file and a rename itself.
        try Safetensors.write(probe.stateTensors(), metadata: ["task": manifest.task.name], to: folder.appendingPathComponent(Self.weightsName))
        try manifest.write(to: folder.appendingPathComponent(Self.manifestName))
    }

    /// Reads a head folder; its weights must have the shapes its manifest implies.
    public static func read(_ folder: URL) throws -> ClassifierHead {
        let manifest = try ClassifierHeadManifest.read(folder.appendingPathComponent(manifestName),
                                                       missing: "a classifier head folder holds head.json and head.safetensors")
        let weightsURL = folder.appendingPathComponent(weightsName)
        let tensors: [String: Tensor]
        do { tensors = try SafetensorsFile(url: weightsURL).tensors() } catch {
            throw InputError.badFile(path: weightsURL.path, reason: "\(error)")
        }
        do {
            return ClassifierHead(manifest: manifest, probe: try LinearProbe(task: manifest.task, stateTensors: tensors))
        } catch let error as InputError {
            throw InputError.badFile(path: weightsURL.path, reason: "\(error)")
        }
    }
}

extension LinearProbe {
    /// The standardisation and the linear layer, by name.
    func stateTensors() throws -> [(String, Tensor)] {
        var tensors = [("mean", mean), ("std", std), ("weight", head.weight)]
        if let bias = head.bias { tensors.append(("bias", bias)) }
        return try tensors.map { ($0.0, try $0.1.detach().to(.float32, device: .cpu).contiguous()) }
    }

    /// A probe from its saved tensors: mean and std (1 x C), weight (n x C), bias (n).
    convenience init(task: ClassificationTask, stateTensors tensors: [String: Tensor]) throws {
        guard let mean = tensors["mean"], let std = tensors["std"], let weight = tensors["weight"], let bias = tensors["bias"] else {
            throw InputError.badInput("a head's weights are mean, std, weight and bias; found \(tensors.keys.sorted().joined(separator: ", "))")
        }
        let outputs = task.isBinary ? 1 : task.classes.count
        guard weight.rank == 2, weight.size(0) == outputs, mean.shape == [1, weight.size(1)], std.shape == mean.shape, bias.shape == [outputs] else {
            throw InputError.badInput("head shapes do not fit task '\(task.name)' (\(outputs) outputs): weight \(weight.shape), bias \(bias.shape), mean \(mean.shape), std \(std.shape)")
        }
        let layer = try Linear(weight.size(1), outputs)
        try Autograd.noGrad {
            try layer.weight.copy_(weight)
            try layer.bias?.copy_(bias)
        }
        self.init(task: task, mean: mean, std: std, head: layer)
    }
}
