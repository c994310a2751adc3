import Foundation
import MammoEvaluation
import Torch

/// Turns a detector's outputs for one image into detections, as the reference's inference and
/// evaluation do: boxes decoded from the anchors and clipped to the image, each anchor scored by its
/// most probable class, anchors scoring above the threshold kept, non-maximum suppression among
/// them, then the best `maximumDetections` by score.
public struct DetectionDecoder: Codable, Equatable, Sendable {
    public var scoreThreshold = 0.05
    public var nmsIoU = 0.5
    public var maximumDetections = 100

    public init() {}

    /// Detections of image `index` of a batch (`classification` N x A x C, `regression` N x A x 4),
    /// in the coordinates of the model input (`height` x `width`), best first.
    public func detections(classification: Tensor, regression: Tensor, anchors: Tensor, index: Int, height: Int, width: Int) throws -> [ScoredBox] {
        let probabilities = try classification.select(dim: 0, index: index)
        let (best, label) = try probabilities.max(dim: 1)
        let scores = try best.to(.float32, device: .cpu).toArray(Float.self)
        let candidates = scores.indices.filter { Double(scores[$0]) > scoreThreshold }
        guard !candidates.isEmpty else { return [] }
        let device = probabilities.device
        let rows = try Tensor.from(candidates.map(Int64.init), shape: [candidates.count], device: device)
        let boxes = try BoxCoding.clip(BoxCoding.decode(regression.select(dim: 0, index: index).indexSelect(dim: 0, index: rows),
                                                        anchors: anchors.indexSelect(dim: 0, index: rows)), height: height, width: width)
        let flat = try boxes.to(.float32, device: .cpu).toArray(Float.self)
        let labels = try label.indexSelect(dim: 0, index: rows).to(device: .cpu).toArray(Int64.self)
        let candidateBoxes = candidates.indices.map { Array(flat[($0 * 4)..<($0 * 4 + 4)]) }
        let candidateScores = candidates.map { scores[$0] }
        let kept = NonMaximumSuppression.keep(boxes: candidateBoxes, scores: candidateScores, iouThreshold: Float(nmsIoU))
        return kept.prefix(maximumDetections).map { i in
            let b = candidateBoxes[i]
            return ScoredBox(box: BoundingBox(xmin: Double(b[0]), ymin: Double(b[1]), xmax: Double(b[2]), ymax: Double(b[3])),
                             score: Double(candidateScores[i]), label: Int(labels[i]))
        }
    }
}
