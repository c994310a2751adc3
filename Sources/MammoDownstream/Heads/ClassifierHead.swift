import Foundation
import MammoData
import MammoEvaluation
import MammoModels
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
/// scores, which encoder it belongs to, how it was trained, and its decisions per level.
public struct ClassifierHeadManifest: VersionedManifest, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// Standardisation then Linear(C, n) on the frozen encoder's pooled features.
        case linearProbe = "linear-probe"
        /// A fine-tuned image tower with its Linear(C, n): it reads images, not the bundle encoder's features.
        case fineTuned = "fine-tuned"
    }

    public static let formatName = "mammofm-classifier-head"
    public static let currentVersion = 1
    public static let description = "a classifier head manifest"

    public var format = formatName
    public var version = currentVersion
    public var kind: Kind
    public var task: ClassificationTask
    /// The weights hash (see `WeightsHash`) of the model whose encoder the head belongs to: the
    /// encoder whose features a linear probe reads, the starting point of a fine-tuned tower.
    public var encoderWeightsHash: String
    /// A fine-tuned head's image tower (architecture, pooling, input size and normalisation); nil for
    /// linear probes, which use the bundle's encoder.
    public var imageTower: MammoClipConfig.ImageTower?
    public var inputHeight: Int
    public var inputWidth: Int
    public var trainingCases: Int
    public var trainingPatients: Int
    public var settings: HeadTraining
    /// One per level the task is decided at (image and breast for findings, breast otherwise).
    public var decisions: [HeadDecision]

    public func decision(at level: ScoringLevel) -> HeadDecision? { decisions.first { $0.level == level } }

    public init(kind: Kind, task: ClassificationTask, encoderWeightsHash: String, imageTower: MammoClipConfig.ImageTower? = nil,
                inputHeight: Int, inputWidth: Int, trainingCases: Int, trainingPatients: Int, settings: HeadTraining, decisions: [HeadDecision]) {
        self.kind = kind
        self.task = task
        self.encoderWeightsHash = encoderWeightsHash
        self.imageTower = imageTower
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.trainingCases = trainingCases
        self.trainingPatients = trainingPatients
        self.settings = settings
        self.decisions = decisions
    }
}

/// A deployable head with its manifest, as saved by `mammofm probe` and `mammofm finetune` and read
/// by bundles.
public struct ClassifierHead {
    public static let manifestName = "head.json"
    /// A probe's standardisation and linear layer, or a fine-tuned classifier's whole state (tower and layer).
    public static let weightsName = "head.safetensors"

    /// What scores: the probe on the bundle encoder's features, or a fine-tuned tower on the images.
    public enum Scorer {
        case linearProbe(LinearProbe)
        case fineTuned(ImageClassifier)
    }

    public var manifest: ClassifierHeadManifest
    public let scorer: Scorer

    public init(manifest: ClassifierHeadManifest, probe: LinearProbe) {
        self.manifest = manifest
        scorer = .linearProbe(probe)
    }

    public init(manifest: ClassifierHeadManifest, fineTuned classifier: ImageClassifier) {
        self.manifest = manifest
        scorer = .fineTuned(classifier)
    }

    /// The linear probe, for heads that read the bundle encoder's features.
    public var probe: LinearProbe? {
        if case .linearProbe(let probe) = scorer { return probe }
        return nil
    }

    /// The fine-tuned classifier, for heads that read images.
    public var classifier: ImageClassifier? {
        if case .fineTuned(let classifier) = scorer { return classifier }
        return nil
    }

    /// Writes head.json and head.safetensors into `folder` (each through a temporary file).
    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let tensors: [(String, Tensor)]
        switch scorer {
        case .linearProbe(let probe): tensors = try probe.stateTensors()
        case .fineTuned(let classifier): tensors = try classifier.stateDict().map { ($0.0, try $0.1.detach().to(device: .cpu).contiguous()) }
        }
        // Safetensors.write goes through a temporary file and a rename itself.
        try Safetensors.write(tensors, metadata: ["task": manifest.task.name, "kind": manifest.kind.rawValue],
                              to: folder.appendingPathComponent(Self.weightsName))
        try manifest.write(to: folder.appendingPathComponent(Self.manifestName))
    }

    /// Reads a head folder; its weights must have the shapes its manifest implies. A fine-tuned
    /// head's classifier is placed on `device`.
    public static func read(_ folder: URL, device: Device = .cpu) throws -> ClassifierHead {
        let manifest = try ClassifierHeadManifest.read(folder.appendingPathComponent(manifestName),
                                                       missing: "a classifier head folder holds head.json and head.safetensors")
        let weightsURL = folder.appendingPathComponent(weightsName)
        let tensors: [String: Tensor]
        do { tensors = try SafetensorsFile(url: weightsURL).tensors() } catch {
            throw InputError.badFile(path: weightsURL.path, reason: "\(error)")
        }
        do {
            switch manifest.kind {
            case .linearProbe:
                return ClassifierHead(manifest: manifest, probe: try LinearProbe(task: manifest.task, stateTensors: tensors))
            case .fineTuned:
                guard let tower = manifest.imageTower else {
                    throw InputError.badFile(path: folder.appendingPathComponent(manifestName).path, reason: "a fine-tuned head names its image tower (imageTower)")
                }
                let classifier = try ImageClassifier(tower: tower, task: manifest.task)
                try classifier.load(stateDict: tensors)
                if device != .cpu { try classifier.to(device: device) }
                classifier.eval()
                return ClassifierHead(manifest: manifest, fineTuned: classifier)
            }
        } catch let error as InputError {
            throw InputError.badFile(path: weightsURL.path, reason: "\(error)")
        } catch let error as TorchError {
            throw InputError.badFile(path: weightsURL.path, reason: "the weights do not fit the head's image tower: \(error)")
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
