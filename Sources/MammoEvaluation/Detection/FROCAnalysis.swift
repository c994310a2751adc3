import Foundation

/// When a detection finds a lesion.
public enum HitRule: String, Codable, CaseIterable, Sendable {
    /// The detection's centre lies inside the lesion's box (the CAD literature's usual rule).
    case centreInBox = "centre-in-box"
    /// IoU with the lesion's box at least 0.1.
    case iou10 = "iou-0.1"
    /// IoU with the lesion's box at least 0.5 (VOC's).
    case iou50 = "iou-0.5"

    public func hits(_ detection: BoundingBox, _ lesion: BoundingBox) -> Bool {
        switch self {
        case .centreInBox: return lesion.contains(x: detection.centre.x, y: detection.centre.y)
        case .iou10: return detection.iou(lesion) >= 0.1
        case .iou50: return detection.iou(lesion) >= 0.5
        }
    }
}

/// Free-response ROC: lesion sensitivity against mean false positives per image, over every score
/// threshold. A detection that hits at least one lesion of its image is not a false positive and
/// finds every lesion it hits; one that hits none is a false positive. Images without lesions count
/// in the per-image rate. Sensitivity at a false-positive rate is that of the lowest threshold whose
/// rate does not exceed it (the curve is a staircase; nothing is interpolated); the CPM is the mean
/// over 1/8, 1/4, 1/2, 1, 2, 4 and 8 false positives per image.
public struct FROCAnalysis: Sendable {
    public static let standardRates: [Double] = [0.125, 0.25, 0.5, 1, 2, 4, 8]

    /// One threshold: detections scoring at least `threshold` are kept.
    public struct Point: Codable, Equatable, Sendable {
        public var threshold: Double
        public var falsePositivesPerImage: Double
        public var sensitivity: Double
    }

    public let rule: HitRule
    public let images: Int
    public let lesions: Int
    /// Thresholds from the highest score down; each point adds the detections of one distinct score.
    public let curve: [Point]
    /// Per lesion (image order, then box order), the highest score of a detection that hits it; nil if none does.
    public let lesionScores: [Double?]

    /// `detections[i]` and `lesions[i]` belong to image i (one class).
    public init(detections: [[ScoredBox]], lesions: [[BoundingBox]], rule: HitRule = .centreInBox) throws {
        guard detections.count == lesions.count else {
            throw MetricError.invalidInput("\(detections.count) images of detections against \(lesions.count) of lesions")
        }
        guard !detections.isEmpty else { throw MetricError.invalidInput("no images") }
        let lesionCount = lesions.reduce(0) { $0 + $1.count }
        guard lesionCount > 0 else { throw MetricError.invalidInput("no lesions: sensitivity is undefined") }
        self.rule = rule
        images = detections.count
        self.lesions = lesionCount
        // Each detection: its score, whether it is a false positive, and the lesions (global index) it hits.
        var entries: [(score: Double, hits: [Int])] = []
        var offset = 0
        for (found, boxes) in zip(detections, lesions) {
            for detection in found {
                entries.append((detection.score, boxes.indices.filter { rule.hits(detection.box, boxes[$0]) }.map { offset + $0 }))
            }
            offset += boxes.count
        }
        var best = [Double?](repeating: nil, count: lesionCount)
        for entry in entries {
            for lesion in entry.hits where best[lesion].map({ entry.score > $0 }) ?? true { best[lesion] = entry.score }
        }
        lesionScores = best
        entries.sort { $0.score > $1.score }
        var points: [Point] = []
        var falsePositives = 0, found = Set<Int>(), index = 0
        while index < entries.count {
            let threshold = entries[index].score
            while index < entries.count && entries[index].score == threshold {
                if entries[index].hits.isEmpty { falsePositives += 1 } else { found.formUnion(entries[index].hits) }
                index += 1
            }
            points.append(Point(threshold: threshold, falsePositivesPerImage: Double(falsePositives) / Double(images),
                                sensitivity: Double(found.count) / Double(lesionCount)))
        }
        curve = points
    }

    /// Sensitivity at `rate` false positives per image: the last point of the curve within the rate (0 before the first).
    public func sensitivity(atFalsePositivesPerImage rate: Double) -> Double {
        curve.last { $0.falsePositivesPerImage <= rate }?.sensitivity ?? 0
    }

    /// The score threshold of that point (nil when no point is within the rate).
    public func threshold(atFalsePositivesPerImage rate: Double) -> Double? {
        curve.last { $0.falsePositivesPerImage <= rate }?.threshold
    }

    /// Mean sensitivity over `rates` (the competition performance metric, CPM).
    public func cpm(rates: [Double] = FROCAnalysis.standardRates) -> Double {
        rates.map { sensitivity(atFalsePositivesPerImage: $0) }.reduce(0, +) / Double(rates.count)
    }
}
