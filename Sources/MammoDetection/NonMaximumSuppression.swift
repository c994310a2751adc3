import Foundation

/// Greedy non-maximum suppression as torchvision's `nms` (which the reference calls): boxes in
/// descending score order, each kept unless a kept box overlaps it with IoU above the threshold;
/// computed in single precision like the float32 kernel. Returns the kept indices, best first.
public enum NonMaximumSuppression {
    public static func keep(boxes: [[Float]], scores: [Float], iouThreshold: Float) -> [Int] {
        precondition(boxes.count == scores.count, "one score per box")
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        let areas = boxes.map { ($0[2] - $0[0]) * ($0[3] - $0[1]) }
        var suppressed = [Bool](repeating: false, count: boxes.count)
        var kept: [Int] = []
        for (position, i) in order.enumerated() where !suppressed[i] {
            kept.append(i)
            let a = boxes[i]
            for j in order[(position + 1)...] where !suppressed[j] {
                let b = boxes[j]
                let w = max(0, min(a[2], b[2]) - max(a[0], b[0])), h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
                let intersection = w * h
                if intersection / (areas[i] + areas[j] - intersection) > iouThreshold { suppressed[j] = true }
            }
        }
        return kept
    }
}
