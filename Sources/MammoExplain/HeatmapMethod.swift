import Foundation
import MammoModels
import Torch

/// How a sentence's heatmap is made from an image's feature map.
public enum HeatmapMethod: String, Codable, CaseIterable, Sendable {
    /// Mammo-FActOR: the mapper's channel similarities combine the best channels' maps.
    case factor
    /// Dense similarity: every position's features through the image projection, cosine with the sentence.
    case dense
    /// Grad-CAM of the zero-shot score (cosine of the pooled, projected image with the sentence).
    case gradCAM = "gradcam"
}

/// Heatmaps of sentences (their normalised text embeddings) on images (their feature maps), by each
/// method, at the model's input size.
public struct HeatmapExplainer {
    public let model: MammoClip
    public var settings = HeatmapSettings()

    public init(model: MammoClip) {
        self.model = model
    }

    var inputSize: (height: Int, width: Int) { (model.config.image.inputHeight, model.config.image.inputWidth) }

    /// FActOR heatmaps of image `index` of `maps` (N x C x h x w) for each row of `texts` (T x D):
    /// with one head per attribute, `texts` are the attributes in the mapper's order.
    public func factor(maps: Tensor, index: Int, mapper: RegionMapper, texts: Tensor, temperature: Double = 0.07) throws -> [Heatmap] {
        let image = try maps.narrow(dim: 0, start: index, length: 1)
        let similarity = try Autograd.inferenceMode {
            try FactorLoss.channelSimilarity(regions: mapper.forward(features: image), attributes: texts, temperature: temperature)
        }
        let channels = try image.select(dim: 0, index: 0)
        return try (0..<texts.size(0)).map { t in
            try Heatmap.combine(maps: channels, similarities: similarity.select(dim: 0, index: 0).select(dim: 1, index: t),
                                height: inputSize.height, width: inputSize.width, settings: settings)
        }
    }

    /// Dense-similarity heatmaps of image `index` for each row of `texts`.
    public func dense(maps: Tensor, index: Int, texts: Tensor) throws -> [Heatmap] {
        let image = try maps.narrow(dim: 0, start: index, length: 1)
        let (h, w) = (image.size(2), image.size(3))
        let similarity = try Autograd.inferenceMode { () throws -> Tensor in
            let positions = try image.permute([0, 2, 3, 1]).reshape([h * w, image.size(1)])
            let projected = try model.projectImageFeatures(positions.to(device: deviceOfModel), normalize: true)
            return try projected.matmul(texts.to(projected.dtype, device: projected.device).transpose(0, 1)).to(.float32, device: .cpu)
        }
        return try (0..<texts.size(0)).map { t in
            try upsampled(similarity.select(dim: 1, index: t).reshape([1, 1, h, w]))
        }
    }

    /// Grad-CAM heatmaps of image `index` for each row of `texts`: the gradient of the zero-shot
    /// cosine with respect to the feature map, averaged per channel, weights the channels; rectified.
    public func gradCAM(maps: Tensor, index: Int, texts: Tensor) throws -> [Heatmap] {
        try (0..<texts.size(0)).map { t in
            let features = try maps.narrow(dim: 0, start: index, length: 1).to(device: deviceOfModel).clone().requiresGrad(true)
            let embedding = try model.projectImageFeatures(model.config.image.pooling(features), normalize: true)
            let text = try texts.select(dim: 0, index: t).to(embedding.dtype, device: embedding.device)
            try (embedding.select(dim: 0, index: 0) * text).sum().backward()
            guard let gradient = features.grad else { throw ModelError.invalidInput("no gradient reached the feature map") }
            let weights = try gradient.mean([2, 3], keepDim: true)
            let cam = try (features.detach() * weights).sum(dim: 1, keepDim: true).relu()
            return try upsampled(cam.to(.float32, device: .cpu))
        }
    }

    var deviceOfModel: Device { model.logitScale.device }

    func upsampled(_ map: Tensor) throws -> Heatmap {
        let big = try Functional.interpolate(map, size: (inputSize.height, inputSize.width), mode: .bilinear, alignCorners: false)
        return try Heatmap(values: big.contiguous().toArray(Float.self), width: inputSize.width, height: inputSize.height, quantile: settings.quantile)
    }

    public func heatmaps(_ method: HeatmapMethod, maps: Tensor, index: Int, mapper: RegionMapper?, texts: Tensor) throws -> [Heatmap] {
        switch method {
        case .factor:
            guard let mapper else { throw ModelError.invalidInput("FActOR heatmaps need a trained mapper (mammofm train-factor)") }
            return try factor(maps: maps, index: index, mapper: mapper, texts: texts)
        case .dense: return try dense(maps: maps, index: index, texts: texts)
        case .gradCAM: return try gradCAM(maps: maps, index: index, texts: texts)
        }
    }
}
