import Foundation
import Torch

/// Laterality and view read from the pixels, for archives whose headers lack them. The breast is
/// segmented as the standard profile does (Otsu threshold, largest component). The chest wall is
/// the side holding more of the breast (left edge: left breast, right edge: right breast, the
/// hanging every vendor writes). An MLO includes the axilla, so the breast reaches the top edge of
/// the image and leaves more room below it than above; a CC is centred on the nipple axis and leaves
/// room above it.
public struct InferredOrientation: Codable, Equatable, Sendable {
    public var laterality: Laterality
    /// "CC" or "MLO".
    public var view: String
    /// Share of the breast on the chest-wall half of its extent (0.5: undecided).
    public var chestWallShare: Double
    /// Rows above the breast, as a share of the image height.
    public var topGap: Double
    /// Rows below the breast, as a share of the image height.
    public var bottomGap: Double

    /// A breast within this share of the image height from the top edge reaches it (detector borders
    /// and collimation leave a few percent).
    public static let topEdgeTolerance = 0.06

    public static func infer(_ image: DicomImage) throws -> InferredOrientation {
        let unit = try StandardProfile.displayValues(image, windowIndex: 0)
        let (h, w) = (unit.size(0), unit.size(1))
        let factor = max(1, max(h, w) / 256)
        let gridH = max(1, h / factor), gridW = max(1, w / factor)
        let small = try Functional.adaptiveAvgPool2d(unit.view([1, 1, h, w]).to(.float32), outputSize: (gridH, gridW)).view([gridH, gridW])
        let breast = StandardProfile.largestComponent(try small.gt(StandardProfile.otsu(small)).toArray(Bool.self), width: gridW, height: gridH)
        var x0 = gridW, x1 = 0, y0 = gridH, y1 = 0
        var columnMass = [Int](repeating: 0, count: gridW)
        for i in breast.indices where breast[i] {
            let x = i % gridW, y = i / gridW
            x0 = min(x0, x); x1 = max(x1, x + 1); y0 = min(y0, y); y1 = max(y1, y + 1)
            columnMass[x] += 1
        }
        guard x1 > x0, y1 > y0 else { throw DicomError.unsupported(path: image.path, reason: "no breast region found to infer laterality and view from") }
        let middle = (x0 + x1) / 2
        let left = columnMass[x0..<middle].reduce(0, +), right = columnMass[middle..<x1].reduce(0, +)
        let topGap = Double(y0) / Double(gridH), bottomGap = Double(gridH - y1) / Double(gridH)
        let isMLO = topGap < topEdgeTolerance && bottomGap > topGap
        return InferredOrientation(laterality: left >= right ? .left : .right, view: isMLO ? "MLO" : "CC",
                                   chestWallShare: Double(max(left, right)) / Double(max(1, left + right)), topGap: topGap, bottomGap: bottomGap)
    }
}
