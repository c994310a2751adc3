import Foundation
import MammoData
import MammoModels
import Torch

/// The arithmetic of the forward pass. Weights, optimiser state and the loss stay float32.
public enum TrainingPrecision: String, ConfigChoice {
    case fp32
    /// Autocast to bfloat16, no loss scaling needed.
    case bf16
    /// Autocast to float16 with dynamic loss scaling.
    case fp16
}

/// The pretraining objective.
public enum PretrainingLoss: String, ConfigChoice {
    /// Multi-view: both views against both texts, plus image-image and text-text terms (Mammo-CLIP).
    case mammoclip
    /// One image and one text per sample (CLIP).
    case clip
}

/// The model a run starts from: a MammoClipConfig preset, or a model config.json.
public enum ModelPreset: Codable, Equatable, Sendable {
    case tiny, b2, b5
    case file(String)

    public init(_ text: String) {
        switch text {
        case "tiny": self = .tiny
        case "b2": self = .b2
        case "b5": self = .b5
        default: self = .file(text)
        }
    }

    public var spelling: String {
        switch self {
        case .tiny: return "tiny"
        case .b2: return "b2"
        case .b5: return "b5"
        case .file(let path): return path
        }
    }

    public init(from decoder: Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(spelling)
    }
}

/// A pretraining run, as written in a YAML file (snake_case keys) and overridden by `--set key=value`.
public struct PretrainConfig: Codable, Equatable, Sendable {
    public struct Model: Codable, Equatable, Sendable {
        /// A MammoClipConfig preset (tiny, b2, b5) or the path of a model config.json.
        public var preset = ModelPreset.tiny
        /// Start from these weights (a converted model folder or an official checkpoint) instead of random ones.
        public var initialWeights: String? = nil
        /// Input size (rows x columns) overriding the preset's.
        public var inputHeight: Int? = nil
        public var inputWidth: Int? = nil
        public var maxTextLength: Int? = nil
        /// The image tower's batch-norm momentum (PyTorch convention: weight of the new batch), overriding the preset's.
        public var batchNormMomentum: Double? = nil
        /// The text tower's number of transformer layers, overriding the preset's (0: embeddings only).
        public var textLayers: Int? = nil
        /// How the text tower pools token states: eos (the reference), bos or mean; overrides the preset's.
        public var textPooling: TextPooling? = nil
        /// The image tower's EfficientNet width and depth coefficients (B0 is 1.0 / 1.0; the tiny
        /// preset 0.25 / 0.34), overriding the preset's; the tower becomes a custom variant.
        public var imageWidthCoefficient: Double? = nil
        public var imageDepthCoefficient: Double? = nil
    }

    public struct Data: Codable, Equatable, Sendable {
        /// The Mammo-CLIP image-text CSV and the folder of preprocessed PNGs.
        public var csv = ""
        public var images = ""
        public var trainSplits = ["train"]
        public var validationSplits = ["validation"]
        /// Used when the CSV has no `split` column.
        public var validationFold = 0
        /// Image-label data in the VinDr layout (finding_annotations.csv, PNGs named by image id in
        /// `images`), mixed in with this sampling weight relative to the image-text data's 1; empty: none.
        public var labels = ""
        public var labelsWeight = 1.0
        /// Splits of the labels CSV to train on (VinDr: training / test).
        public var labelsSplits = ["training"]
        /// A WordPiece tokenizer folder (vocab.txt), or "build" to build a vocabulary from the training texts.
        public var tokenizer = "build"
        public var vocabularySize = 2000
    }

    public struct Training: Codable, Equatable, Sendable {
        public var epochs = 15
        public var batchSize = 8
        public var accumulationSteps = 1
        public var learningRate = 5e-5
        public var weightDecay = 1e-4
        public var warmupEpochs = 1.0
        public var clipNorm: Double? = nil
        /// exp(logit scale) is clamped to at most this after each step; null keeps the reference's no clamp.
        public var maxLogitScale: Double? = 100
        public var loss = PretrainingLoss.mammoclip
        public var imageImageWeight = 1.0
        public var textTextWeight = 0.5
        public var labelSmoothing = 0.0
        public var lockImage = false
        public var lockText = false
        /// With a locked tower: leave its last K blocks (EfficientNet blocks / BERT layers) trainable.
        public var unlockedLastLayers = 0
        public var workers = 2
        public var prefetch = 4
        public var seed: UInt64 = 0
        public var checkpointEvery = 200
        public var keepCheckpoints = 2
        /// Stop after this many optimiser steps (for short runs); null trains all epochs.
        public var maxSteps: Int? = nil
        public var logEvery = 10
        public var threads: Int? = nil
        public var precision = TrainingPrecision.fp32
        /// Compose each batch of breasts sharing these attributes; empty for the reference's random batches.
        public var groupBatchesBy: [BatchAttribute] = []
        /// Treat texts that state the same thing (one report section; one side's set of findings) as
        /// matches of each other's images instead of as negatives (UniCL-style targets); false is the
        /// reference's batch diagonal.
        public var labelAwareTargets = false
    }

    public var model = Model()
    public var data = Data()
    public var training = Training()
    public var augmentation = Augmenter()
    public var output = "runs/pretrain"

    public init() {}

    /// Reads a YAML file and applies `overrides` ("training.batch_size=16").
    public static func load(yaml url: URL?, overrides: [String]) throws -> PretrainConfig {
        var tree: [String: Any] = [:]
        if let url {
            let text: String
            do { text = try String(contentsOf: url, encoding: .utf8) } catch {
                throw TrainingError.badConfiguration("\(url.path): cannot read: \(error.localizedDescription)")
            }
            do {
                if let loaded = try YAMLTree.load(text, source: url.path) {
                    guard let mapping = loaded as? [String: Any] else { throw TrainingError.badConfiguration("\(url.path): the top level must be a mapping") }
                    tree = mapping
                }
            } catch let error as TrainingError { throw error } catch {
                throw TrainingError.badConfiguration("\(error)")
            }
        }
        for item in overrides {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw TrainingError.badConfiguration("--set expects key=value, got '\(item)'")
            }
            let path = item[..<eq].split(separator: ".").map(String.init)
            let raw = String(item[item.index(after: eq)...])
            let value: Any = (try? YAMLTree.load(raw, source: "--set")).flatMap { $0 } ?? raw
            tree = set(tree, path: path[...], value: value)
        }
        return try decode(tree, source: url?.path ?? "--set")
    }

    static func set(_ tree: [String: Any], path: ArraySlice<String>, value: Any) -> [String: Any] {
        var tree = tree
        guard let key = path.first else { return tree }
        if path.count == 1 { tree[key] = value } else {
            tree[key] = set(tree[key] as? [String: Any] ?? [:], path: path.dropFirst(), value: value)
        }
        return tree
    }

    /// snake_case keys -> camelCase, then JSON decoding with every field optional over the defaults.
    static func decode(_ tree: [String: Any], source: String) throws -> PretrainConfig {
        func camel(_ key: String) -> String {
            let parts = key.split(separator: "_")
            return ([String(parts.first ?? "")] + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }).joined()
        }
        func snake(_ key: String) -> String {
            key.reduce(into: "") { out, c in if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) } }
        }
        // One spelling per setting: snake_case as in the files. Any other spelling (batchSize,
        // batch__size) is refused, so two keys can never map to one setting.
        func convert(_ value: Any, at path: String) throws -> Any {
            if let map = value as? [String: Any] {
                var out: [String: Any] = [:]
                for (key, child) in map {
                    let name = path.isEmpty ? key : "\(path).\(key)"
                    guard snake(camel(key)) == key else {
                        throw TrainingError.badConfiguration("\(source): '\(name)' is not a setting: settings are spelled in snake_case, e.g. '\(snake(camel(key)))'")
                    }
                    out[camel(key)] = try convert(child, at: name)
                }
                return out
            }
            if let list = value as? [Any] { return try list.map { try convert($0, at: path) } }
            return value
        }
        guard let defaults = try JSONSerialization.jsonObject(with: JSONEncoder().encode(PretrainConfig())) as? [String: Any],
              let converted = try convert(tree, at: "") as? [String: Any] else {
            throw TrainingError.badConfiguration("\(source): the configuration must be a mapping")
        }
        let known = Set(defaults.keys)
        for key in converted.keys where !known.contains(key) {
            throw TrainingError.badConfiguration("\(source): unknown section '\(snake(key))' (known: \(known.sorted().map(snake).joined(separator: ", ")))")
        }
        // Field names by section, optional fields included (they are absent from the encoded defaults).
        let defaultsValue = PretrainConfig()
        var fields: [String: Set<String>] = [:]
        for child in Mirror(reflecting: defaultsValue).children {
            guard let name = child.label else { continue }
            fields[name] = Set(Mirror(reflecting: child.value).children.compactMap(\.label))
        }
        func merge(_ base: [String: Any], _ top: [String: Any], at path: String) throws -> [String: Any] {
            var out = base
            let section = String(path.split(separator: ".").last ?? "")
            for (key, value) in top {
                if let known = fields[section], !known.isEmpty, !known.contains(key) {
                    throw TrainingError.badConfiguration("\(source): unknown key '\(snake(section)).\(snake(key))' (known: \(known.map(snake).sorted().joined(separator: ", ")))")
                }
                if let sub = value as? [String: Any], let baseSub = base[key] as? [String: Any] {
                    out[key] = try merge(baseSub, sub, at: "\(path).\(key)")
                } else {
                    out[key] = value
                }
            }
            return out
        }
        let merged = try merge(defaults, converted, at: "config")
        // Numbers are checked before JSON sees them: NaN, infinities and 1e99 get a sentence naming the key.
        func checkNumbers(_ value: Any, at path: String) throws {
            if let map = value as? [String: Any] {
                for (key, child) in map { try checkNumbers(child, at: path.isEmpty ? snake(key) : "\(path).\(snake(key))") }
            } else if let list = value as? [Any] {
                for child in list { try checkNumbers(child, at: path) }
            } else if let number = value as? Double, !(value is Int), !number.isFinite || abs(number) > 1e15 {
                throw TrainingError.badConfiguration("\(source): \(path): \(number) is not a usable number (finite, at most 1e15 in size)")
            }
        }
        try checkNumbers(converted, at: "")
        do {
            let data = try JSONSerialization.data(withJSONObject: merged)
            return try JSONDecoder().decode(PretrainConfig.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            throw TrainingError.badConfiguration("\(source): \(context.codingPath.map { snake($0.stringValue) }.joined(separator: ".")): expected \(type), \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw TrainingError.badConfiguration("\(source): \(context.codingPath.map { snake($0.stringValue) }.joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw TrainingError.badConfiguration("\(source): \(error)")
        }
    }
}
