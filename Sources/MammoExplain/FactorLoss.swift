import Foundation
import Torch

/// Mammo-FActOR's loss, as the reference notebook computes it. Region embeddings are normalised; an
/// image's similarity to attribute a is the largest over its channels of <r_ca, t_a> / temperature;
/// for every attribute present in the batch, each positive image i contributes
/// -log(exp(s_ia) / (exp(s_ia) + sum_j exp(s_ja * (1 - y_ja)))), and the sum is divided by the number
/// of positives. The sum over j runs over the whole batch with the positives' similarities zeroed,
/// so each positive adds exp(0) = 1 to it: the reference's arithmetic, kept (docs/explain.md).
public enum FactorLoss {
    /// `regions` N x C x A x D (one head per attribute) or N x C x 1 x D (a shared head),
    /// `attributes` A x D (normalised text embeddings), `labels` N x A of 0/1.
    public static func loss(regions: Tensor, attributes: Tensor, labels: Tensor, temperature: Double = 0.07) throws -> Tensor {
        let similarity = try imageSimilarity(regions: regions, attributes: attributes, temperature: temperature)
        let present = try labels.sum(dim: 0).to(.float32, device: .cpu).toArray(Float.self).enumerated().filter { $0.element > 0 }.map(\.offset)
        guard !present.isEmpty else { throw TorchError.invalidArgument("no image of the batch has any of the attributes") }
        let index = try Tensor.from(present.map(Int64.init), shape: [present.count], device: similarity.device)
        let s = try similarity.indexSelect(dim: 1, index: index)
        let y = try labels.to(similarity.dtype).indexSelect(dim: 1, index: index)
        let negatives = try (s * (1 - y)).exp().sum(dim: 0, keepDim: true)
        let terms = try ((s.exp() + negatives).log() - s) * y
        return try terms.sum() / y.sum()
    }

    /// N x A: the largest over channels of the cosine between region and attribute, over the temperature.
    public static func imageSimilarity(regions: Tensor, attributes: Tensor, temperature: Double = 0.07) throws -> Tensor {
        try channelSimilarity(regions: regions, attributes: attributes, temperature: temperature).max(dim: 1).values
    }

    /// N x C x A: each channel's cosine with each attribute over the temperature (a shared head's
    /// regions are compared with every attribute).
    public static func channelSimilarity(regions: Tensor, attributes: Tensor, temperature: Double = 0.07) throws -> Tensor {
        guard regions.rank == 4, attributes.rank == 2, regions.size(3) == attributes.size(1),
              regions.size(2) == 1 || regions.size(2) == attributes.size(0) else {
            throw TorchError.invalidArgument("regions \(regions.shape) and attribute embeddings \(attributes.shape) do not match")
        }
        let normalised = try regions / regions.norm(p: 2, [3], keepDim: true).clamp(min: 1e-12)
        let text = try attributes.to(normalised.dtype, device: normalised.device)
        if regions.size(2) == 1 {
            return try normalised.squeeze(2).matmul(text.transpose(0, 1)) / temperature
        }
        return try (normalised * text.unsqueeze(0).unsqueeze(0)).sum(dim: 3) / temperature
    }
}
