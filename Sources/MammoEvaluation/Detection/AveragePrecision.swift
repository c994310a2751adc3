import Foundation

/// VOC average precision of one class, exactly as the reference's detector evaluation computes it
/// (Mammo-CLIP's `evaluate`, from py-faster-rcnn): the detections of each image in descending score
/// order, each matched to the ground-truth box of highest IoU on its image, a true positive when that IoU
/// is at least the threshold and the box is not yet matched (each box matched once); then all
/// detections sorted by descending score (a stable sort), precision made monotone, and the area
/// under it summed where recall changes (all-point interpolation). No ground truth gives AP 0.
public enum AveragePrecision {
    public struct Result: Equatable, Sendable {
        public var averagePrecision: Double
        public var groundTruthBoxes: Int
        public var detections: Int
        /// Recall at the last detection (the highest the detections reach).
        public var recall: Double
    }

    /// `detections[i]` and `groundTruth[i]` belong to image i (already restricted to one class).
    public static func compute(detections: [[ScoredBox]], groundTruth: [[BoundingBox]], iouThreshold: Double = 0.5) throws -> Result {
        guard detections.count == groundTruth.count else {
            throw MetricError.invalidInput("\(detections.count) images of detections against \(groundTruth.count) of ground truth")
        }
        var scores: [Double] = [], truePositive: [Bool] = []
        var annotations = 0
        for (found, boxes) in zip(detections, groundTruth) {
            annotations += boxes.count
            var matched = Set<Int>()
            let ranked = found.enumerated().sorted { $0.element.score > $1.element.score || ($0.element.score == $1.element.score && $0.offset < $1.offset) }
            for detection in ranked.map(\.element) {
                scores.append(detection.score)
                guard !boxes.isEmpty else { truePositive.append(false); continue }
                // numpy's argmax: the first of equal maxima.
                var best = 0, bestIoU = -Double.infinity
                for (index, box) in boxes.enumerated() {
                    let overlap = detection.box.iou(box)
                    if overlap > bestIoU { best = index; bestIoU = overlap }
                }
                if bestIoU >= iouThreshold && !matched.contains(best) {
                    matched.insert(best)
                    truePositive.append(true)
                } else {
                    truePositive.append(false)
                }
            }
        }
        guard annotations > 0 else { return Result(averagePrecision: 0, groundTruthBoxes: 0, detections: scores.count, recall: 0) }
        // np.argsort(-scores) is a quicksort, not stable; equal scores are rare in practice. A stable
        // order makes the result reproducible.
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var tp = 0.0, fp = 0.0
        var recall: [Double] = [], precision: [Double] = []
        for index in order {
            if truePositive[index] { tp += 1 } else { fp += 1 }
            recall.append(tp / Double(annotations))
            precision.append(tp / Swift.max(tp + fp, Double.ulpOfOne))
        }
        return Result(averagePrecision: allPointArea(recall: recall, precision: precision), groundTruthBoxes: annotations,
                      detections: scores.count, recall: recall.last ?? 0)
    }

    /// py-faster-rcnn's `_compute_ap`: sentinels, the precision envelope, the sum over recall steps.
    static func allPointArea(recall: [Double], precision: [Double]) -> Double {
        let mrec = [0.0] + recall + [1.0]
        var mpre = [0.0] + precision + [0.0]
        for i in stride(from: mpre.count - 1, to: 0, by: -1) { mpre[i - 1] = Swift.max(mpre[i - 1], mpre[i]) }
        var area = 0.0
        for i in 0..<(mrec.count - 1) where mrec[i + 1] != mrec[i] { area += (mrec[i + 1] - mrec[i]) * mpre[i + 1] }
        return area
    }
}
