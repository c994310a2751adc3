import Foundation

/// An axis-aligned box in pixel coordinates of one image: x to the right, y down, corners
/// (xmin, ymin) and (xmax, ymax), as VinDr's finding_annotations.csv and the reference's detectors.
public struct BoundingBox: Codable, Equatable, Hashable, Sendable {
    public var xmin: Double
    public var ymin: Double
    public var xmax: Double
    public var ymax: Double

    public init(xmin: Double, ymin: Double, xmax: Double, ymax: Double) {
        self.xmin = xmin
        self.ymin = ymin
        self.xmax = xmax
        self.ymax = ymax
    }

    public var width: Double { xmax - xmin }
    public var height: Double { ymax - ymin }
    public var area: Double { Swift.max(0, width) * Swift.max(0, height) }
    public var centre: (x: Double, y: Double) { ((xmin + xmax) / 2, (ymin + ymax) / 2) }

    /// Intersection over union, 0 when the union is empty (the reference's `compute_overlap`, whose
    /// union is at least machine epsilon).
    public func iou(_ other: BoundingBox) -> Double {
        let w = Swift.max(0, Swift.min(xmax, other.xmax) - Swift.max(xmin, other.xmin))
        let h = Swift.max(0, Swift.min(ymax, other.ymax) - Swift.max(ymin, other.ymin))
        let union = Swift.max(width * height + other.width * other.height - w * h, Double.ulpOfOne)
        return w * h / union
    }

    /// Whether the point lies inside the box (edges included).
    public func contains(x: Double, y: Double) -> Bool { x >= xmin && x <= xmax && y >= ymin && y <= ymax }
}

/// A detection: a box with its score and label on one image.
public struct ScoredBox: Codable, Equatable, Sendable {
    public var box: BoundingBox
    public var score: Double
    /// Index of the class among the detector's classes.
    public var label: Int

    public init(box: BoundingBox, score: Double, label: Int = 0) {
        self.box = box
        self.score = score
        self.label = label
    }
}
