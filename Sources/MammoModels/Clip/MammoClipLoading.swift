import Foundation
import MammoText
import Torch

/// A dual encoder with its tokenizer, as loaded from disk.
public struct LoadedMammoClip {
    public let model: MammoClip
    /// nil when no vocabulary was available (images can still be embedded).
    public let tokenizer: WordPieceTokenizer?
    /// What was read, for messages and provenance.
    public let source: String
}

/// Reads every weight layout a Mammo-CLIP user has on disk.
public enum MammoClipLoader {
    /// Loads `path`: a converted directory (`config.json` + `model.safetensors` + tokenizer files), or
    /// an official Mammo-CLIP checkpoint (a `torch.save` file whose "model" entry is the BreastClip
    /// state dict). Official checkpoints carry no vocabulary: `tokenizerDirectory` (a folder with
    /// vocab.txt, e.g. a Bio_ClinicalBERT download) supplies it; without one, a `tokenizer` folder or
    /// vocab.txt beside the checkpoint is used when present.
    public static func load(_ path: URL, tokenizerDirectory: URL? = nil) throws -> LoadedMammoClip {
        var isDirectory: ObjCBool = false
        // A save killed between its two renames leaves the previous model beside the name.
        try? OutputFolder.recoverInterruptedSwap(path)
        guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw TorchError.io(path: path.path, reason: "no such file or directory")
        }
        if isDirectory.boolValue { return try loadConverted(path, tokenizerDirectory: tokenizerDirectory) }
        return try loadOfficial(path, tokenizerDirectory: tokenizerDirectory)
    }

    /// A directory written by `save(_:tokenizer:to:)` / `mammofm convert`.
    public static func loadConverted(_ directory: URL, tokenizerDirectory: URL? = nil) throws -> LoadedMammoClip {
        let configURL = directory.appendingPathComponent("config.json")
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        for required in [configURL, weightsURL] where !FileManager.default.fileExists(atPath: required.path) {
            throw TorchError.io(path: directory.path, reason: "not a converted MammoFM model: \(required.lastPathComponent) is missing")
        }
        let config = try MammoClipConfig.load(configURL)
        let model = try MammoClip(config: config)
        try model.load(stateDict: SafetensorsFile(url: weightsURL).tensors())
        model.eval()
        let tokenizer = try loadTokenizer(tokenizerDirectory ?? directory, required: tokenizerDirectory != nil, expected: config.text.bert.vocabSize)
        return LoadedMammoClip(model: model, tokenizer: tokenizer, source: directory.path)
    }

    /// An official checkpoint: architecture inferred from the state-dict shapes and the stored config.
    public static func loadOfficial(_ url: URL, tokenizerDirectory: URL? = nil) throws -> LoadedMammoClip {
        let checkpoint = try TorchCheckpoint(url: url)
        let state: [String: Tensor]
        if case .dict = (try? checkpoint.value(at: ["model"])) ?? .none {
            state = try checkpoint.stateDict(at: ["model"])
        } else {
            state = try checkpoint.stateDict()
        }
        guard state["logit_scale"] != nil || state.keys.contains(where: { $0.hasPrefix("image_encoder.") }) else {
            throw ModelError.unrecognisedWeights(source: url.path, reason: "no Mammo-CLIP state dict (expected image_encoder.*, text_encoder.*, logit_scale under \"model\")")
        }
        let stored = (try? checkpoint.value(at: ["config", "model"]))?.dictionary
        let config = try inferConfig(from: state, stored: stored, source: url.path)
        let model = try MammoClip(config: config)
        var weights = state
        weights.removeValue(forKey: "text_encoder.text_encoder.embeddings.position_ids")
        try model.load(stateDict: weights)
        model.eval()
        let folder = tokenizerDirectory ?? [url.deletingLastPathComponent().appendingPathComponent("tokenizer"), url.deletingLastPathComponent()]
            .first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("vocab.txt").path) }
        let tokenizer = try folder.flatMap { try loadTokenizer($0, required: true, expected: config.text.bert.vocabSize) }
        return LoadedMammoClip(model: model, tokenizer: tokenizer, source: url.path)
    }

    static func loadTokenizer(_ directory: URL, required: Bool, expected: Int) throws -> WordPieceTokenizer? {
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent("vocab.txt").path) else {
            if required {
                throw ModelError.tokenizer("\(directory.path) has no vocab.txt: point to the tokenizer folder of the text encoder (e.g. a Bio_ClinicalBERT download)")
            }
            return nil
        }
        let tokenizer = try WordPieceTokenizer(directory: directory)
        guard tokenizer.vocabularySize == expected else {
            throw ModelError.tokenizer("\(directory.path)/vocab.txt has \(tokenizer.vocabularySize) tokens but the model's embedding table has \(expected) rows: it is not this model's vocabulary")
        }
        return tokenizer
    }

    /// The configuration a BreastClip state dict implies. BERT's head count is not visible in shapes:
    /// it follows the BERT convention of 64 dimensions per head.
    public static func inferConfig(from state: [String: Tensor], stored: [String: PickleValue]?, source: String) throws -> MammoClipConfig {
        func shapes(_ prefix: String) -> [String: [Int]] {
            var result: [String: [Int]] = [:]
            for (k, v) in state where k.hasPrefix(prefix) { result[String(k.dropFirst(prefix.count))] = v.shape }
            return result
        }
        let image: EfficientNetConfig
        do { image = try EfficientNetConfig.infer(fromShapes: shapes("image_encoder.")) } catch let error as ModelError {
            throw ModelError.unrecognisedWeights(source: source, reason: "image_encoder.*: \(error)")
        }
        let text = shapes("text_encoder.text_encoder.")
        // Ranks are checked before any dimension is read: a checkpoint's shapes are input.
        func matrix(_ shapes: [String: [Int]], _ key: String, prefix: String) throws -> [Int]? {
            guard let found = shapes[key] else { return nil }
            guard found.count == 2, found.allSatisfy({ $0 > 0 }) else {
                throw ModelError.unrecognisedWeights(source: source, reason: "\(prefix)\(key) has shape \(found); a matrix of positive dimensions was expected")
            }
            return found
        }
        let textPrefix = "text_encoder.text_encoder."
        guard let words = try matrix(text, "embeddings.word_embeddings.weight", prefix: textPrefix),
              let positions = try matrix(text, "embeddings.position_embeddings.weight", prefix: textPrefix),
              let types = try matrix(text, "embeddings.token_type_embeddings.weight", prefix: textPrefix),
              let intermediate = try matrix(text, "encoder.layer.0.intermediate.dense.weight", prefix: textPrefix) else {
            throw ModelError.unrecognisedWeights(source: source, reason: "no BERT text encoder under text_encoder.text_encoder.*")
        }
        var layers = 0
        while text["encoder.layer.\(layers).attention.self.query.weight"] != nil { layers += 1 }
        let hidden = words[1]
        let bert = BertConfig(vocabSize: words[0], hiddenSize: hidden, numHiddenLayers: layers, numAttentionHeads: Swift.max(1, hidden / 64),
                              intermediateSize: intermediate[0], maxPositionEmbeddings: positions[0], typeVocabSize: types[0])
        guard let projection = try matrix(shapes("image_projection."), "projection.weight", prefix: "image_projection.") else {
            throw ModelError.unrecognisedWeights(source: source, reason: "no image_projection.projection.weight")
        }
        let textConfig = stored?["text_encoder"]?.dictionary
        let projectionConfig = stored?["projection_head"]?.dictionary
        let pooling = textConfig?["pooling"]?.stringValue.flatMap(TextPooling.init(rawValue:)) ?? .eos
        let isMLP = state["image_projection.fc.weight"] != nil
        let name = image.variant == "custom" ? "mammoclip" : "mammoclip-\(image.variant)"
        return MammoClipConfig(
            name: name,
            image: .init(efficientNet: image, pooling: .average, inputHeight: 1520, inputWidth: 912,
                         mean: MammoClipConfig.referenceMean, std: MammoClipConfig.referenceStd),
            text: .init(bert: bert, pooling: pooling, maxLength: Swift.min(256, positions[0]),
                        hasPooler: text["pooler.dense.weight"] != nil),
            projection: .init(kind: isMLP ? .mlp : .linear, dimension: projection[0],
                              dropout: projectionConfig?["dropout"]?.doubleValue ?? 0.1),
            temperature: stored?["temperature"]?.doubleValue ?? 0.07, maximumLogitScale: 100)
    }

    /// Writes the converted layout (config.json, model.safetensors and the tokenizer files) as a
    /// whole: flushed to disk, then swapped into place. A folder at `directory` that is not a MammoFM
    /// model is refused (never deleted); a MammoFM model there is replaced.
    public static func save(_ model: MammoClip, tokenizer: WordPieceTokenizer?, to directory: URL) throws {
        try OutputFolder.replace(directory, as: .model, durable: true) { staging in
            try model.config.jsonData().write(to: staging.appendingPathComponent("config.json"))
            try Safetensors.write(model.stateDict(), metadata: ["format": "pt", "mammofm.model": model.config.name],
                                  to: staging.appendingPathComponent("model.safetensors"))
            if let tokenizer { try tokenizer.save(to: staging) }
        }
    }
}
