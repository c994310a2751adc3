import Foundation
import MammoText
import Torch

/// A BERT model folder in Hugging Face layout: config.json, model.safetensors or pytorch_model.bin,
/// and the tokenizer files (vocab.txt, tokenizer_config.json, special_tokens_map.json).
public struct HuggingFaceBert {
    public let model: BertModel
    public let tokenizer: WordPieceTokenizer

    public static func load(directory: URL) throws -> HuggingFaceBert {
        let config = try BertConfig.load(directory.appendingPathComponent("config.json"))
        let safetensors = directory.appendingPathComponent("model.safetensors")
        let pickle = directory.appendingPathComponent("pytorch_model.bin")
        let raw: [String: Tensor]
        if FileManager.default.fileExists(atPath: safetensors.path) {
            raw = try SafetensorsFile(url: safetensors).tensors()
        } else if FileManager.default.fileExists(atPath: pickle.path) {
            raw = try TorchCheckpoint(url: pickle).stateDict()
        } else {
            throw TorchError.io(path: directory.path, reason: "no model.safetensors or pytorch_model.bin")
        }
        let weights = BertModel.normaliseKeys(raw)
        let model = try BertModel(config: config, withPooler: weights["pooler.dense.weight"] != nil)
        try model.load(stateDict: weights)
        model.eval()
        let tokenizer = try WordPieceTokenizer(directory: directory)
        guard tokenizer.vocabularySize == config.vocabSize else {
            throw ModelError.tokenizer("\(directory.path): vocab.txt has \(tokenizer.vocabularySize) tokens, config.json says \(config.vocabSize)")
        }
        return HuggingFaceBert(model: model, tokenizer: tokenizer)
    }

    /// Pooled (and optionally L2-normalised) sentence embeddings, as sentence-transformers computes them.
    public func embed(_ texts: [String], pooling: TextPooling = .mean, maxLength: Int = 256, normalize: Bool = true) throws -> Tensor {
        let tokens = try TokenTensors(tokenizer.encode(batch: texts, maxLength: maxLength, padding: .longest))
        return try Autograd.inferenceMode {
            let states = try model.forward(inputIds: tokens.ids, attentionMask: tokens.attentionMask, tokenTypeIds: tokens.typeIds)
            let pooled = try pooling(states, attentionMask: tokens.attentionMask)
            return normalize ? try Functional.normalize(pooled, dim: 1) : pooled
        }
    }
}
