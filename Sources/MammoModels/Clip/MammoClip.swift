import Foundation
import Torch

/// Linear projection (key `projection`), or the MLP variant: Linear-GELU-Linear-Dropout plus the
/// first projection as a residual, then LayerNorm (keys `projection`, `fc`, `layer_norm`).
final class ProjectionHead: Module, UnaryLayer {
    let projection: Linear
    let fc: Linear?
    let layerNorm: LayerNorm?
    let dropout: Dropout

    init(input: Int, _ config: MammoClipConfig.Projection) throws {
        projection = try Linear(input, config.dimension)
        dropout = Dropout(config.dropout)
        if config.kind == .mlp {
            fc = try Linear(config.dimension, config.dimension)
            layerNorm = try LayerNorm(config.dimension)
        } else {
            fc = nil
            layerNorm = nil
        }
        super.init()
        register("projection", projection)
        if let fc, let layerNorm {
            register("fc", fc)
            register("dropout", dropout)
            register("layer_norm", layerNorm)
        }
    }

    func forward(_ x: Tensor) throws -> Tensor {
        let projected = try projection(x)
        guard let fc, let layerNorm else { return projected }
        return try layerNorm(dropout(fc(projected.gelu())) + projected)
    }
}

/// The reference keeps the Hugging Face model one level down (`text_encoder.text_encoder.*`).
final class TextEncoder: Module {
    let bert: BertModel
    init(_ config: BertConfig, withPooler: Bool) throws {
        bert = try BertModel(config: config, withPooler: withPooler)
        super.init()
        register("text_encoder", bert)
    }
}

/// The Mammo-CLIP dual encoder: an EfficientNet image tower and a BERT text tower, each followed by a
/// projection head, and a learnable logit scale. State-dict keys are those of the reference's
/// `BreastClip` (`image_encoder.*`, `text_encoder.text_encoder.*`, `image_projection.*`,
/// `text_projection.*`, `logit_scale`), so official checkpoints load by name.
public final class MammoClip: Module {
    public let config: MammoClipConfig
    public let imageEncoder: EfficientNet
    let textEncoder: TextEncoder
    let imageProjection: ProjectionHead
    let textProjection: ProjectionHead
    /// ln of the inverse temperature, trained; similarities are multiplied by exp(logitScale).
    public let logitScale: Tensor

    public init(config: MammoClipConfig) throws {
        var imageConfig = config.image.efficientNet
        imageConfig.numClasses = nil
        self.config = config
        imageEncoder = try EfficientNet(config: imageConfig)
        textEncoder = try TextEncoder(config.text.bert, withPooler: config.text.hasPooler)
        imageProjection = try ProjectionHead(input: imageConfig.featureChannels, config.projection)
        textProjection = try ProjectionHead(input: config.text.bert.hiddenSize, config.projection)
        logitScale = try Tensor.full([], value: Foundation.log(1 / config.temperature)).requiresGrad(true)
        super.init()
        register("image_encoder", imageEncoder)
        register("text_encoder", textEncoder)
        register("image_projection", imageProjection)
        register("text_projection", textProjection)
        register(parameter: "logit_scale", logitScale)
    }

    /// The BERT text tower.
    public var textModel: BertModel { textEncoder.bert }

    /// Projected image embeddings (N x D), L2-normalised when `normalize`. Images are N x C x H x W,
    /// already normalised (see `ImageNormalization`).
    public func encodeImage(_ images: Tensor, normalize: Bool = true) throws -> Tensor {
        let features = try imageEncoder.forward(images, pooling: config.image.pooling)
        let embedded = try imageProjection(features)
        return normalize ? try Functional.normalize(embedded, dim: 1) : embedded
    }

    /// Projected image embeddings from pooled encoder features (N x C, as `imageEncoder.forward`
    /// returns them): lets cached features be scored against prompts without re-running the encoder.
    public func projectImageFeatures(_ features: Tensor, normalize: Bool = true) throws -> Tensor {
        let embedded = try imageProjection(features)
        return normalize ? try Functional.normalize(embedded, dim: 1) : embedded
    }

    /// Projected text embeddings (N x D) of token ids with their attention mask.
    public func encodeText(inputIds: Tensor, attentionMask: Tensor, tokenTypeIds: Tensor? = nil, normalize: Bool = true) throws -> Tensor {
        let states = try textModel.forward(inputIds: inputIds, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
        let pooled = try config.text.pooling(states, attentionMask: attentionMask)
        let embedded = try textProjection(pooled)
        return normalize ? try Functional.normalize(embedded, dim: 1) : embedded
    }

    /// Keeps exp(logitScale) at most `config.maximumLogitScale` (call after each optimiser step).
    public func clampLogitScale() throws {
        guard let maximum = config.maximumLogitScale else { return }
        try logitScale.copy_(logitScale.clamp(max: Foundation.log(maximum)))
    }
}

/// The reference's input normalisation.
public enum ImageNormalization {
    /// Per image: replicate grayscale to `channels`, min-max scale over the whole image to [0, 1],
    /// then (x - mean) / std. Input N x 1 x H x W (or N x C x H x W), any real dtype.
    public static func reference(_ images: Tensor, channels: Int = 3, mean: Double = MammoClipConfig.referenceMean,
                                 std: Double = MammoClipConfig.referenceStd) throws -> Tensor {
        guard images.rank == 4 else { throw ModelError.invalidInput("expected N x C x H x W images, got \(images.shape)") }
        var x = try images.to(.float32)
        if x.size(1) == 1 && channels > 1 { x = try x.expand([x.size(0), channels, x.size(2), x.size(3)]) }
        let low = try x.min([1, 2, 3], keepDim: true), high = try x.max([1, 2, 3], keepDim: true)
        let scaled = try (x - low) / (high - low).clamp(min: 1e-12)
        return try (scaled - mean) / std
    }
}
