import Foundation
import Torch

/// A BERT configuration, read from a Hugging Face `config.json` (unknown fields are ignored).
public struct BertConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Double
    public var hiddenAct: BertActivation
    public var hiddenDropoutProb: Double
    public var attentionProbsDropoutProb: Double
    public var padTokenId: Int

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case maxPositionEmbeddings = "max_position_embeddings", typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps", hiddenAct = "hidden_act", hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob", padTokenId = "pad_token_id"
    }

    public init(vocabSize: Int, hiddenSize: Int = 768, numHiddenLayers: Int = 12, numAttentionHeads: Int = 12,
                intermediateSize: Int = 3072, maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2,
                layerNormEps: Double = 1e-12, hiddenAct: BertActivation = .gelu, hiddenDropoutProb: Double = 0.1,
                attentionProbsDropoutProb: Double = 0.1, padTokenId: Int = 0) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.padTokenId = padTokenId
    }

    /// Missing fields take BERT-base defaults, as transformers' BertConfig does.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let base = BertConfig(vocabSize: 30522)
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? base.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? base.hiddenSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? base.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? base.numAttentionHeads
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? base.intermediateSize
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? base.maxPositionEmbeddings
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? base.typeVocabSize
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? base.layerNormEps
        hiddenAct = try c.decodeIfPresent(BertActivation.self, forKey: .hiddenAct) ?? base.hiddenAct
        hiddenDropoutProb = try c.decodeIfPresent(Double.self, forKey: .hiddenDropoutProb) ?? base.hiddenDropoutProb
        attentionProbsDropoutProb = try c.decodeIfPresent(Double.self, forKey: .attentionProbsDropoutProb) ?? base.attentionProbsDropoutProb
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? base.padTokenId
    }

    /// Reads a Hugging Face `config.json`.
    public static func load(_ url: URL) throws -> BertConfig {
        do {
            return try JSONDecoder().decode(BertConfig.self, from: Data(contentsOf: url))
        } catch {
            throw ModelError.invalidConfiguration("\(url.path): cannot read a BERT config: \(error)")
        }
    }

    func validate() throws {
        guard hiddenSize > 0, numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ModelError.invalidConfiguration("hidden size \(hiddenSize) is not divisible by \(numAttentionHeads) attention heads")
        }
    }
}

/// The feed-forward activation of a BERT layer (`hidden_act` of a Hugging Face config); another
/// name fails when the config is read, with these listed.
public enum BertActivation: String, ConfigChoice {
    case gelu
    /// The tanh approximation, under both of its Hugging Face names.
    case geluNew = "gelu_new", geluPytorchTanh = "gelu_pytorch_tanh"
    case relu
}
