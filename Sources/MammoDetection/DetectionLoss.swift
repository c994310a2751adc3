import Foundation
import Torch

/// The reference's RetinaNet loss (Mammo-CLIP's FocalLoss): per image, anchors with IoU at least 0.5
/// to a ground-truth box are positive for that box's class, below 0.4 negative, between ignored; the
/// focal loss (alpha, gamma) on probabilities clamped to [1e-4, 1 - 1e-4] summed and divided by the
/// positives (at least 1), and smooth L1 (beta 1/9) between the positives' regressions and their
/// encoded boxes, averaged. An image without boxes adds zero to both. Both are the mean over images.
public struct DetectionLoss: Codable, Equatable, Sendable {
    public var alpha = 0.25
    public var gamma = 2.0
    public var positiveIoU = 0.5
    public var negativeIoU = 0.4
    public var smoothL1Beta = 1.0 / 9.0

    public init() {}

    /// A ground-truth box with its class index.
    public struct Target: Sendable {
        public var box: [Float]
        public var label: Int
        public init(box: [Float], label: Int) {
            self.box = box
            self.label = label
        }
    }

    /// Classification and regression losses (scalars) of a batch: `classification` N x A x C
    /// probabilities, `regression` N x A x 4, `anchors` A x 4, `targets[i]` the boxes of image i.
    public func callAsFunction(classification: Tensor, regression: Tensor, anchors: Tensor,
                               targets: [[Target]]) throws -> (classification: Tensor, regression: Tensor) {
        guard classification.size(0) == targets.count, regression.size(0) == targets.count else {
            throw TorchError.invalidArgument("detection loss: \(classification.size(0)) images of outputs against \(targets.count) of targets")
        }
        let device = classification.device, classes = classification.size(2)
        var classLosses: [Tensor] = [], boxLosses: [Tensor] = []
        for (image, boxes) in targets.enumerated() {
            guard !boxes.isEmpty else {
                classLosses.append(try Tensor.zeros([], device: device))
                boxLosses.append(try Tensor.zeros([], device: device))
                continue
            }
            if let bad = boxes.first(where: { !(0..<classes).contains($0.label) }) {
                throw TorchError.invalidArgument("detection loss: label \(bad.label) outside the detector's \(classes) classes")
            }
            let p = try classification.select(dim: 0, index: image).clamp(min: 1e-4, max: 1 - 1e-4)
            let gtBoxes = try Tensor.from(boxes.flatMap(\.box), shape: [boxes.count, 4], device: device)
            let gtLabels = try Tensor.from(boxes.map { Int64($0.label) }, shape: [boxes.count], device: device)
            let (bestIoU, bestBox) = try BoxCoding.iou(anchors, gtBoxes).max(dim: 1)
            let positive = try bestIoU.ge(positiveIoU), negative = try bestIoU.lt(negativeIoU)
            let positiveCount = try positive.to(.float32).sum()
            // Targets: 1 at a positive anchor's class, 0 elsewhere on positives and on negatives, -1 ignored.
            let assignedLabel = try gtLabels.indexSelect(dim: 0, index: bestBox)
            let isOne = try Tensor.arange(0, Double(classes), device: device).unsqueeze(0).eq(assignedLabel.unsqueeze(1))
                .logicalAnd(positive.unsqueeze(1))
            let ignored = try positive.logicalOr(negative).logicalNot().unsqueeze(1).expand(p.shape)
            let ones = try isOne.to(.float32)
            let alphaFactor = try ones * (2 * alpha - 1) + (1 - alpha)
            let focalWeight = try alphaFactor * Tensor.where(isOne, 1 - p, p).pow(gamma)
            let bce = try -(ones * p.log() + (1 - ones) * (1 - p).log())
            let perAnchor = try Tensor.where(ignored, Tensor.zeros(p.shape, device: device), focalWeight * bce)
            classLosses.append(try perAnchor.sum() / positiveCount.clamp(min: 1))
            // Regression on positives only: a masked mean over their four values.
            let encoded = try BoxCoding.encode(gtBoxes.indexSelect(dim: 0, index: bestBox), anchors: anchors)
            let difference = try (encoded - regression.select(dim: 0, index: image)).abs()
            let smooth = try Tensor.where(difference.le(smoothL1Beta), 0.5 / smoothL1Beta * difference.pow(2), difference - 0.5 * smoothL1Beta)
            let mask = try positive.unsqueeze(1).to(.float32)
            boxLosses.append(try (smooth * mask).sum() / (positiveCount * 4).clamp(min: 1))
        }
        return (try Tensor.stack(classLosses).mean(), try Tensor.stack(boxLosses).mean())
    }
}
