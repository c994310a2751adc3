import Foundation
import Torch

/// How a sequence of token states becomes one vector.
public enum TextPooling: String, ConfigChoice {
    /// The state of the last real token (index `attention_mask.sum() - 1`, the [SEP]): Mammo-CLIP's default.
    case eos
    /// The state of the first token ([CLS]).
    case bos
    /// The mean over real tokens.
    case mean

    /// Pools N x T x D states with an N x T attention mask to N x D.
    public func callAsFunction(_ states: Tensor, attentionMask: Tensor) throws -> Tensor {
        switch self {
        case .bos:
            return try states.select(dim: 1, index: 0)
        case .eos:
            let last = try (attentionMask.sum(dim: -1) - 1).to(.int64)
            let index = try last.view([-1, 1, 1]).expand([states.size(0), 1, states.size(2)])
            return try states.gather(dim: 1, index: index).squeeze(1)
        case .mean:
            let mask = try attentionMask.unsqueeze(-1).expand(states.shape).to(states.dtype)
            return try (states * mask).sum(dim: 1) / mask.sum(dim: 1).clamp(min: 1e-9)
        }
    }
}

final class BertEmbeddings: Module {
    let wordEmbeddings: Embedding, positionEmbeddings: Embedding, tokenTypeEmbeddings: Embedding
    let layerNorm: LayerNorm
    let dropout: Dropout
    init(_ c: BertConfig) throws {
        wordEmbeddings = try Embedding(c.vocabSize, c.hiddenSize, paddingIndex: c.padTokenId < c.vocabSize ? c.padTokenId : nil)
        positionEmbeddings = try Embedding(c.maxPositionEmbeddings, c.hiddenSize)
        tokenTypeEmbeddings = try Embedding(c.typeVocabSize, c.hiddenSize)
        layerNorm = try LayerNorm(c.hiddenSize, eps: c.layerNormEps)
        dropout = Dropout(c.hiddenDropoutProb)
        super.init()
        register("word_embeddings", wordEmbeddings)
        register("position_embeddings", positionEmbeddings)
        register("token_type_embeddings", tokenTypeEmbeddings)
        register("LayerNorm", layerNorm)
        register("dropout", dropout)
    }
    func forward(_ ids: Tensor, tokenTypes: Tensor) throws -> Tensor {
        let positions = try Tensor.arange(0, Double(ids.size(1)), device: ids.device).unsqueeze(0)
        let sum = try wordEmbeddings(ids) + tokenTypeEmbeddings(tokenTypes) + positionEmbeddings(positions)
        return try dropout(layerNorm(sum))
    }
}

/// Dense -> dropout -> residual -> LayerNorm (keys `dense`, `LayerNorm`).
final class BertResidualOutput: Module {
    let dense: Linear, layerNorm: LayerNorm, dropout: Dropout
    init(_ input: Int, _ c: BertConfig) throws {
        dense = try Linear(input, c.hiddenSize)
        layerNorm = try LayerNorm(c.hiddenSize, eps: c.layerNormEps)
        dropout = Dropout(c.hiddenDropoutProb)
        super.init()
        register("dense", dense)
        register("LayerNorm", layerNorm)
        register("dropout", dropout)
    }
    func forward(_ x: Tensor, residual: Tensor) throws -> Tensor { try layerNorm(dropout(dense(x)) + residual) }
}

final class BertSelfAttention: Module {
    let query: Linear, key: Linear, value: Linear, dropout: Dropout
    let heads: Int
    init(_ c: BertConfig) throws {
        query = try Linear(c.hiddenSize, c.hiddenSize)
        key = try Linear(c.hiddenSize, c.hiddenSize)
        value = try Linear(c.hiddenSize, c.hiddenSize)
        dropout = Dropout(c.attentionProbsDropoutProb)
        heads = c.numAttentionHeads
        super.init()
        register("query", query)
        register("key", key)
        register("value", value)
        register("dropout", dropout)
    }
    /// `additiveMask` is N x 1 x 1 x T: 0 for real tokens, the dtype's minimum for padding.
    func forward(_ x: Tensor, additiveMask: Tensor) throws -> Tensor {
        let (n, t, d) = (x.size(0), x.size(1), x.size(2))
        func split(_ z: Tensor) throws -> Tensor { try z.view([n, t, heads, d / heads]).transpose(1, 2) }
        let q = try split(query(x)), k = try split(key(x)), v = try split(value(x))
        let scores = try q.matmul(k.transpose(-1, -2)) / Double(d / heads).squareRoot() + additiveMask
        let probabilities = try dropout(Functional.softmax(scores, dim: -1))
        return try probabilities.matmul(v).transpose(1, 2).reshape([n, t, d])
    }
}

final class BertAttention: Module {
    let selfAttention: BertSelfAttention, output: BertResidualOutput
    init(_ c: BertConfig) throws {
        selfAttention = try BertSelfAttention(c)
        output = try BertResidualOutput(c.hiddenSize, c)
        super.init()
        register("self", selfAttention)
        register("output", output)
    }
}

final class BertIntermediate: Module {
    let dense: Linear
    let activation: BertActivation
    init(_ c: BertConfig) throws {
        dense = try Linear(c.hiddenSize, c.intermediateSize)
        activation = c.hiddenAct
        super.init()
        register("dense", dense)
    }
    func forward(_ x: Tensor) throws -> Tensor {
        let h = try dense(x)
        switch activation {
        case .relu: return try h.relu()
        case .geluNew, .geluPytorchTanh: return try h.gelu(approximateTanh: true)
        case .gelu: return try h.gelu()
        }
    }
}

final class BertLayer: Module {
    let attention: BertAttention, intermediate: BertIntermediate, output: BertResidualOutput
    init(_ c: BertConfig) throws {
        attention = try BertAttention(c)
        intermediate = try BertIntermediate(c)
        output = try BertResidualOutput(c.intermediateSize, c)
        super.init()
        register("attention", attention)
        register("intermediate", intermediate)
        register("output", output)
    }
    func forward(_ x: Tensor, additiveMask: Tensor) throws -> Tensor {
        let attended = try attention.output.forward(attention.selfAttention.forward(x, additiveMask: additiveMask), residual: x)
        return try output.forward(intermediate.forward(attended), residual: attended)
    }
}

final class BertEncoder: Module {
    let layers: ModuleList<BertLayer>
    init(_ c: BertConfig) throws {
        layers = ModuleList(try (0..<c.numHiddenLayers).map { _ in try BertLayer(c) })
        super.init()
        register("layer", layers)
    }
}

final class BertPooler: Module {
    let dense: Linear
    init(_ c: BertConfig) throws {
        dense = try Linear(c.hiddenSize, c.hiddenSize)
        super.init()
        register("dense", dense)
    }
}

/// The BERT encoder of Hugging Face's `BertModel`, with its state-dict keys (`embeddings.*`,
/// `encoder.layer.N.attention.self.query.*`, ..., optional `pooler.dense.*`).
public final class BertModel: Module {
    public let config: BertConfig
    let embeddings: BertEmbeddings
    let encoder: BertEncoder
    let pooler: BertPooler?

    public init(config: BertConfig, withPooler: Bool = true) throws {
        try config.validate()
        self.config = config
        embeddings = try BertEmbeddings(config)
        encoder = try BertEncoder(config)
        pooler = withPooler ? try BertPooler(config) : nil
        super.init()
        register("embeddings", embeddings)
        register("encoder", encoder)
        if let pooler { register("pooler", pooler) }
    }

    /// Last hidden states (N x T x hidden) for token ids (N x T, int64) and a 0/1 attention mask.
    public func forward(inputIds: Tensor, attentionMask: Tensor? = nil, tokenTypeIds: Tensor? = nil) throws -> Tensor {
        guard inputIds.rank == 2 else { throw ModelError.invalidInput("BERT expects N x T token ids, got \(inputIds.shape)") }
        guard inputIds.size(1) <= config.maxPositionEmbeddings else {
            throw ModelError.invalidInput("sequence of \(inputIds.size(1)) tokens exceeds the model's \(config.maxPositionEmbeddings) positions")
        }
        let mask = try attentionMask ?? Tensor.ones(inputIds.shape, dtype: .int64, device: inputIds.device)
        let types = try tokenTypeIds ?? Tensor.zeros(inputIds.shape, dtype: .int64, device: inputIds.device)
        var x = try embeddings.forward(inputIds, tokenTypes: types)
        // (1 - mask) * finfo.min, as transformers builds the extended attention mask.
        let additive = try ((1 - mask.to(x.dtype)) * Double(-Float.greatestFiniteMagnitude)).view([x.size(0), 1, 1, x.size(1)])
        for layer in encoder.layers.modules { x = try layer.forward(x, additiveMask: additive) }
        return x
    }

    /// tanh(dense(first token)), BERT's pooler output.
    public func pooledOutput(_ hiddenStates: Tensor) throws -> Tensor {
        guard let pooler else { throw ModelError.invalidConfiguration("this BERT was built without a pooler") }
        return try pooler.dense(hiddenStates.select(dim: 1, index: 0)).tanh()
    }

    /// Hugging Face weight files name the same tensors with a "bert." prefix (task models) and may
    /// carry heads (`cls.*`) and the `embeddings.position_ids` buffer: this maps them onto this
    /// model's keys, dropping what it does not use.
    public static func normaliseKeys(_ weights: [String: Tensor]) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (key, value) in weights {
            var k = key
            if k.hasPrefix("bert.") { k.removeFirst(5) }
            if k.hasPrefix("cls.") || k == "embeddings.position_ids" { continue }
            result[k] = value
        }
        return result
    }
}
