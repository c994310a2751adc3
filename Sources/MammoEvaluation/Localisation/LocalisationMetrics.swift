import Foundation

/// How well a heatmap points at lesions: the measures of weakly supervised localisation.
public enum LocalisationMetrics {
    /// Pointing game: whether the centre of the heatmap's peak pixel lies inside one of the boxes.
    public static func pointingHit(peak: (x: Int, y: Int), lesions: [BoundingBox]) -> Bool {
        lesions.contains { $0.contains(x: Double(peak.x) + 0.5, y: Double(peak.y) + 0.5) }
    }

    /// Per lesion, whether some predicted region overlaps it at IoU >= `iou` (Mammo-FActOR's hit rate
    /// at 0.25 and 0.5).
    public static func regionHits(regions: [BoundingBox], lesions: [BoundingBox], iou: Double) -> [Bool] {
        lesions.map { lesion in regions.contains { $0.iou(lesion) >= iou } }
    }

    /// The share of the heatmap's total inside the union of the boxes (pixels whose centre lies in a
    /// box); 0 for an all-zero heatmap.
    public static func energyInside(values: [Float], width: Int, height: Int, lesions: [BoundingBox]) -> Double {
        var inside = 0.0, total = 0.0
        for y in 0..<height {
            for x in 0..<width {
                let v = Double(values[y * width + x])
                total += v
                if lesions.contains(where: { $0.contains(x: Double(x) + 0.5, y: Double(y) + 0.5) }) { inside += v }
            }
        }
        return total > 0 ? inside / total : 0
    }
}
