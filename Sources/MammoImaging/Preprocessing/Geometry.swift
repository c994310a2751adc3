import Foundation

/// Where model pixels come from in the original image, written beside every preprocessed output so
/// boxes map between original pixels and model pixels exactly.
public struct PreprocessingGeometry: Codable, Equatable, Sendable {
    public var profile: String
    public var sourceWidth: Int
    public var sourceHeight: Int
    /// The crop in original pixel coordinates, half-open: [x0, x1) x [y0, y1).
    public var cropX0: Int, cropY0: Int, cropX1: Int, cropY1: Int
    /// False when the reference's breast extraction kept several separate column or row runs (ties);
    /// the box then spans them and the mapping is approximate.
    public var cropIsContiguous: Bool
    /// Mirrored left-right after cropping (the `standard` profile's laterality normalisation).
    public var flipped: Bool
    /// Output pixels per cropped source pixel.
    public var scaleX: Double, scaleY: Double
    /// Padding added after scaling: left, top, right, bottom.
    public var padding: [Int]
    public var outputWidth: Int
    public var outputHeight: Int

    /// Original pixel coordinates (continuous, pixel corners at integers) to model coordinates.
    public func toModel(x: Double, y: Double) -> (x: Double, y: Double) {
        var cx = x - Double(cropX0)
        if flipped { cx = Double(cropX1 - cropX0) - cx }
        return (cx * scaleX + Double(padding[0]), (y - Double(cropY0)) * scaleY + Double(padding[1]))
    }

    /// Model coordinates back to original pixel coordinates.
    public func toSource(x: Double, y: Double) -> (x: Double, y: Double) {
        var cx = (x - Double(padding[0])) / scaleX
        if flipped { cx = Double(cropX1 - cropX0) - cx }
        return (cx + Double(cropX0), (y - Double(padding[1])) / scaleY + Double(cropY0))
    }
}
