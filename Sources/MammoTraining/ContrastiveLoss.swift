import Foundation
import Torch

/// The loss terms of one batch (scalars, attached to the graph).
public struct ContrastiveLossTerms {
    public var total: Tensor
    /// Image-to-text and text-to-image cross entropies, each averaged over the four view/text pairings.
    public var imageToText: Tensor
    public var textToImage: Tensor
    /// View-to-view (I1-I2) and text-to-text (T1-T2) terms.
    public var imageToImage: Tensor
    public var textToText: Tensor
}

/// The Mammo-CLIP multi-view contrastive loss. With embeddings I1, I2 (two views of a breast) and T1, T2
/// (two texts), all L2-normalised, and s = exp(logit scale):
/// L_it = mean over (I1,T1), (I2,T1), (I1,T2), (I2,T2) of [CE(s I T^T) + CE(s T I^T)] / 2,
/// L_ii = [CE(s I1 I2^T) + CE(s I2 I1^T)] / 2, L_tt = [CE(s T2 T1^T) + CE(s T1 T2^T)] / 2,
/// L = L_it + imageImageWeight L_ii + textTextWeight L_tt, labels on the batch diagonal.
/// Under data parallelism `gather` concatenates every rank's embeddings (keeping the gradient) and the
/// labels are offset by rank x batch; by default it is the identity (one process).
public struct MammoClipLoss {
    public var imageImageWeight: Double
    public var textTextWeight: Double
    /// Label smoothing of the image-text terms during training (the reference's option; 0 by default).
    public var labelSmoothing: Double
    public var rank: Int
    public var gather: (Tensor) throws -> Tensor

    public init(imageImageWeight: Double = 1.0, textTextWeight: Double = 0.5, labelSmoothing: Double = 0,
                rank: Int = 0, gather: @escaping (Tensor) throws -> Tensor = { $0 }) {
        self.imageImageWeight = imageImageWeight
        self.textTextWeight = textTextWeight
        self.labelSmoothing = labelSmoothing
        self.rank = rank
        self.gather = gather
    }

    /// `logitScale` is the learned parameter (its exponential multiplies the similarities).
    /// `textKeys`, when given, names what each text of the (gathered) batch states: texts with equal
    /// keys are all correct matches (label-aware targets, as UniCL does for image-label data), so two
    /// "no finding" breasts are not pushed apart. Without keys the targets are the batch diagonal
    /// (the reference).
    public func callAsFunction(image1: Tensor, image2: Tensor, text1: Tensor, text2: Tensor, logitScale: Tensor,
                               training: Bool = true, textKeys: (first: [String], second: [String])? = nil) throws -> ContrastiveLossTerms {
        let batch = image1.size(0)
        guard image2.shape == image1.shape, text1.shape == image1.shape, text2.shape == image1.shape, image1.rank == 2 else {
            throw TorchError.invalidArgument("contrastive loss: embeddings must share one N x D shape, got \(image1.shape), \(image2.shape), \(text1.shape), \(text2.shape)")
        }
        let labels = try Tensor.arange(Double(rank * batch), Double(rank * batch + batch), device: image1.device)
        let scale = try logitScale.exp()
        let all = (i1: try gather(image1), i2: try gather(image2), t1: try gather(text1), t2: try gather(text2))
        let smoothing = training ? labelSmoothing : 0
        // Soft targets from the keys: row i spreads over the columns that match it.
        var targets: (first: Tensor, second: Tensor, secondToFirst: Tensor, firstToSecond: Tensor)? = nil
        if let textKeys {
            let total = all.t1.size(0)
            guard textKeys.first.count == total, textKeys.second.count == total else {
                throw TorchError.invalidArgument("contrastive loss: \(textKeys.first.count) and \(textKeys.second.count) text keys for \(total) gathered samples")
            }
            let rows = Array(rank * batch..<(rank * batch + batch))
            let device = image1.device
            targets = (try Self.matchTargets(rows: rows, rowKeys: textKeys.first, columnKeys: textKeys.first, device: device),
                       try Self.matchTargets(rows: rows, rowKeys: textKeys.second, columnKeys: textKeys.second, device: device),
                       try Self.matchTargets(rows: rows, rowKeys: textKeys.second, columnKeys: textKeys.first, device: device),
                       try Self.matchTargets(rows: rows, rowKeys: textKeys.first, columnKeys: textKeys.second, device: device))
        }
        func ce(_ local: Tensor, _ others: Tensor, smoothing: Double = 0, soft: Tensor? = nil) throws -> Tensor {
            let logits = try scale * local.matmul(others.transpose(0, 1))
            if let soft {
                return try (soft * Functional.logSoftmax(logits, dim: 1)).sum(dim: 1).mean().neg()
            }
            return try Functional.crossEntropy(logits, target: labels, labelSmoothing: smoothing)
        }
        let pairs = [(image1, all.i1, text1, all.t1, targets?.first), (image2, all.i2, text1, all.t1, targets?.first),
                     (image1, all.i1, text2, all.t2, targets?.second), (image2, all.i2, text2, all.t2, targets?.second)]
        var imageToText: Tensor? = nil, textToImage: Tensor? = nil
        for (image, allImages, text, allTexts, soft) in pairs {
            let i2t = try ce(image, allTexts, smoothing: smoothing, soft: soft), t2i = try ce(text, allImages, smoothing: smoothing, soft: soft)
            imageToText = try imageToText.map { try $0 + i2t } ?? i2t
            textToImage = try textToImage.map { try $0 + t2i } ?? t2i
        }
        let i2t = try imageToText! / 4, t2i = try textToImage! / 4
        let imageImage = try (ce(image1, all.i2) + ce(image2, all.i1)) / 2
        let textText = try (ce(text2, all.t1, soft: targets?.secondToFirst) + ce(text1, all.t2, soft: targets?.firstToSecond)) / 2
        let total = try (i2t + t2i) / 2 + imageImage * imageImageWeight + textText * textTextWeight
        return ContrastiveLossTerms(total: total, imageToText: i2t, textToImage: t2i, imageToImage: imageImage, textToText: textText)
    }
}

extension MammoClipLoss {
    /// rows.count x columns matrix: row r is uniform over the columns whose key equals rowKeys[rows[r]],
    /// and always includes its own sample (column rows[r]).
    static func matchTargets(rows: [Int], rowKeys: [String], columnKeys: [String], device: Device = .cpu) throws -> Tensor {
        var values = [Float](repeating: 0, count: rows.count * columnKeys.count)
        for (r, row) in rows.enumerated() {
            var matches = columnKeys.indices.filter { columnKeys[$0] == rowKeys[row] }
            if !matches.contains(row) { matches.append(row) }
            for column in matches { values[r * columnKeys.count + column] = 1 / Float(matches.count) }
        }
        return try Tensor.from(values, shape: [rows.count, columnKeys.count], device: device)
    }
}

/// The plain CLIP loss on one image and one text per sample: [CE(s I T^T) + CE(s T I^T)] / 2.
public struct ClipLoss {
    public var rank: Int
    public var gather: (Tensor) throws -> Tensor

    public init(rank: Int = 0, gather: @escaping (Tensor) throws -> Tensor = { $0 }) {
        self.rank = rank
        self.gather = gather
    }

    public func callAsFunction(image: Tensor, text: Tensor, logitScale: Tensor) throws -> Tensor {
        let batch = image.size(0)
        let labels = try Tensor.arange(Double(rank * batch), Double(rank * batch + batch), device: image.device)
        let scale = try logitScale.exp()
        let allImages = try gather(image), allTexts = try gather(text)
        let i2t = try Functional.crossEntropy(scale * image.matmul(allTexts.transpose(0, 1)), target: labels)
        let t2i = try Functional.crossEntropy(scale * text.matmul(allImages.transpose(0, 1)), target: labels)
        return try (i2t + t2i) / 2
    }
}
