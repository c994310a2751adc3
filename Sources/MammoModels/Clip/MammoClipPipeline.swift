import Foundation
import MammoText
import Torch

/// The public entry point for programs that embed MammoFM: load a model, embed images and texts,
/// score zero-shot prompts.
///
///     let pipeline = try MammoClipPipeline(path: URL(fileURLWithPath: "mammoclip-b5"))
///     let images = try pipeline.embed(images: [pixels])            // N x 512, L2-normalised
///     let texts = try pipeline.embed(texts: ["no mass", "mass"])  // 2 x 512
///     let probabilities = try pipeline.zeroShot(imageEmbeddings: images, promptEmbeddings: texts)
public final class MammoClipPipeline {
    public let model: MammoClip
    public let tokenizer: WordPieceTokenizer?
    public let device: Device

    /// Loads a converted directory or an official checkpoint (see `MammoClipLoader.load`).
    public convenience init(path: URL, tokenizerDirectory: URL? = nil, device: Device = .cpu) throws {
        let loaded = try MammoClipLoader.load(path, tokenizerDirectory: tokenizerDirectory)
        try self.init(model: loaded.model, tokenizer: loaded.tokenizer, device: device)
    }

    public init(model: MammoClip, tokenizer: WordPieceTokenizer?, device: Device = .cpu) throws {
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        if device != .cpu { try model.to(device: device) }
        model.eval()
    }

    /// Embeddings of images given as pixel tensors (H x W or 1 x H x W or C x H x W, any real dtype,
    /// already at the model's input size), normalised the reference's way: replicated to 3 channels,
    /// per-image min-max, then mean/std.
    /// Images per forward pass in `embed(images:)`.
    public static let imageBatchSize = 16

    public func embed(images: [Tensor], normalize: Bool = true) throws -> Tensor {
        guard !images.isEmpty else { throw ModelError.invalidInput("no images to embed") }
        let channels = model.config.image.efficientNet.inputChannels
        // In batches, so memory stays bounded however many images are given.
        var embeddings: [Tensor] = []
        for start in stride(from: 0, to: images.count, by: Self.imageBatchSize) {
            let batch = try Tensor.cat(images[start..<min(images.count, start + Self.imageBatchSize)].map { image -> Tensor in
                let chw = image.rank == 2 ? try image.unsqueeze(0) : image
                guard chw.rank == 3 else { throw ModelError.invalidInput("an image must be H x W or C x H x W, got \(image.shape)") }
                return try ImageNormalization.reference(chw.unsqueeze(0), channels: channels, mean: model.config.image.mean,
                                                        std: model.config.image.std)
            })
            embeddings.append(try Autograd.inferenceMode { try model.encodeImage(batch.to(device: device), normalize: normalize) })
        }
        return try embeddings.count == 1 ? embeddings[0] : Tensor.cat(embeddings, dim: 0)
    }

    /// Embeddings of texts, tokenised with the model's tokenizer (truncated to the model's length).
    public func embed(texts: [String], normalize: Bool = true) throws -> Tensor {
        guard let tokenizer else {
            throw ModelError.tokenizer("this model was loaded without a vocabulary: give the tokenizer folder of its text encoder (mammofm: --tokenizer DIR)")
        }
        guard !texts.isEmpty else { throw ModelError.invalidInput("no texts to embed") }
        let tokens = try TokenTensors(tokenizer.encode(batch: texts, maxLength: model.config.text.maxLength, padding: .longest),
                                      device: device)
        return try Autograd.inferenceMode {
            try model.encodeText(inputIds: tokens.ids, attentionMask: tokens.attentionMask, tokenTypeIds: tokens.typeIds, normalize: normalize)
        }
    }

    /// Zero-shot class probabilities (N x prompts): softmax over cosine similarities, without the
    /// logit scale as the reference scores them, or multiplied by exp(logit_scale) when `useLogitScale`.
    public func zeroShot(imageEmbeddings: Tensor, promptEmbeddings: Tensor, useLogitScale: Bool = false) throws -> Tensor {
        var similarities = try imageEmbeddings.matmul(promptEmbeddings.t)
        if useLogitScale { similarities = try similarities * model.logitScale.detach().exp() }
        return try Functional.softmax(similarities, dim: 1)
    }
}
