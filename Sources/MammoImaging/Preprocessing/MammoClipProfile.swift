import Foundation
import Torch

/// The reference preprocessing of Mammo-CLIP, step by step: stored values (with the rescale the
/// reference's reader applies), 5 pixels trimmed from every border, MONOCHROME1 inverted as max - x,
/// min-max to 8 bits (truncated), the "ExtractBreast" crop, and OpenCV's INTER_AREA resize to
/// 912 x 1520 without keeping the aspect ratio and without flipping.
public enum MammoClipProfile {
    public static let border = 5

    /// Length of the run of ones each position belongs to, as the reference's np_CountUpContinuingOnes
    /// computes it (quirks included: a run touching an end counts one short).
    static func runLengths(_ ones: [Bool]) -> [Int] {
        let n = ones.count
        var left = (0..<n).map { ones[$0] ? 0 : $0 }
        for i in 1..<Swift.max(n, 1) { left[i] = Swift.max(left[i], left[i - 1]) }
        let reversed = Array(ones.reversed())
        var right = (0..<n).map { reversed[$0] ? 0 : $0 }
        for i in 1..<Swift.max(n, 1) { right[i] = Swift.max(right[i], right[i - 1]) }
        right = right.reversed().map { n - 1 - $0 }
        return (0..<n).map { right[$0] - left[$0] - 1 }
    }

    /// Indices of the longest run(s) of `ones` (all tied runs, as the reference keeps them).
    static func longestRuns(_ ones: [Bool]) -> [Int] {
        let lengths = runLengths(ones)
        guard let longest = lengths.max() else { return [] }
        return lengths.indices.filter { lengths[$0] == longest }
    }

    /// Whether each column (dim 1) of rows [from, to) of `image` holds more than one value.
    static func nonConstant(_ image: Tensor, along dim: Int, from: Int, to: Int) throws -> [Bool] {
        let band = try image.narrow(dim: 1 - dim, start: from, length: Swift.max(0, to - from))
        let spread = try band.max([1 - dim]) - band.min([1 - dim])
        return try spread.gt(0).toArray(Bool.self)
    }

    /// The reference's ExtractBreast on an 8-bit image: the rows and columns it keeps.
    static func extractBreast(_ image: Tensor) throws -> (rows: [Int], columns: [Int]) {
        let thresholded = try Tensor.where(image.le(40), Tensor.zeros([], dtype: image.dtype), image)
        let height = image.size(0)
        let ya = height / 2 + Int(Double(height) * 0.4), yb = height / 2 - Int(Double(height) * 0.4)
        let columns = longestRuns(try nonConstant(thresholded, along: 1, from: yb, to: ya))
        let selected = try thresholded.indexSelect(dim: 1, index: Tensor(columns.map(Int64.init)))
        let width = selected.size(1)
        let xa = width / 2 + Int(Double(width) * 0.4), xb = width / 2 - Int(Double(width) * 0.4)
        let rows = longestRuns(try nonConstant(selected, along: 0, from: xb, to: xa))
        return (rows, columns)
    }

    /// The 8-bit image before cropping: trimmed, inverted for MONOCHROME1, min-max scaled, truncated.
    /// One pass in single precision, the arithmetic of the reference's float32 numpy code.
    static func eightBit(_ image: DicomImage) throws -> Tensor {
        let m = image.metadata
        var frame = try image.frame(0)
        guard frame.size(0) > 2 * border, frame.size(1) > 2 * border else {
            throw DicomError.unsupported(path: image.path, reason: "image of \(frame.size(1)) x \(frame.size(0)) pixels is too small for the 5-pixel border trim")
        }
        frame = try frame.narrow(dim: 0, start: border, length: frame.size(0) - 2 * border)
            .narrow(dim: 1, start: border, length: frame.size(1) - 2 * border)
        let (h, w) = (frame.size(0), frame.size(1))
        let stored = try frame.contiguous().toArray(Int32.self)
        let rescale = m.rescaleSlope.flatMap { slope in m.rescaleIntercept.map { (Float(slope), Float($0)) } }
            .flatMap { $0.0 != 1 || $0.1 != 0 ? $0 : nil }
        // Each step as one float32 operation, in the reference's order (so results match bit for bit).
        @inline(__always) func value(_ v: Int32) -> Float {
            guard let (slope, intercept) = rescale else { return Float(v) }
            return Float(v) * slope + intercept
        }
        let invert = m.isMonochrome1
        var top: Float = -.infinity
        if invert { for v in stored { top = Swift.max(top, value(v)) } }
        @inline(__always) func oriented(_ v: Int32) -> Float { invert ? top - value(v) : value(v) }
        var low: Float = .infinity
        for v in stored { low = Swift.min(low, oriented(v)) }
        var peak: Float = 0
        for v in stored { peak = Swift.max(peak, oriented(v) - low) }
        guard peak > 0 else { throw DicomError.unsupported(path: image.path, reason: "the image is uniform (no contrast)") }
        var bytes = [UInt8](repeating: 0, count: stored.count)
        for (k, v) in stored.enumerated() { bytes[k] = UInt8(((oriented(v) - low) / peak) * 255) }
        return try bytes.withUnsafeBytes { try Tensor(bytes: $0, shape: [h, w], dtype: .uint8) }
    }

    /// Runs the profile: an H x W uint8 tensor at `height` x `width` and its geometry.
    public static func apply(_ image: DicomImage, width: Int = 912, height: Int = 1520) throws -> (pixels: Tensor, geometry: PreprocessingGeometry) {
        let eight = try eightBit(image)
        let (rows, columns) = try extractBreast(eight)
        guard !rows.isEmpty, !columns.isEmpty else { throw DicomError.unsupported(path: image.path, reason: "no breast region found") }
        let crop = try eight.indexSelect(dim: 0, index: Tensor(rows.map(Int64.init))).indexSelect(dim: 1, index: Tensor(columns.map(Int64.init)))
        let resized = try AreaResize.resize(crop, height: height, width: width).round().clamp(min: 0, max: 255).to(.uint8)
        let contiguous = rows.last! - rows.first! + 1 == rows.count && columns.last! - columns.first! + 1 == columns.count
        let geometry = PreprocessingGeometry(
            profile: "mammoclip", sourceWidth: image.metadata.columns, sourceHeight: image.metadata.rows,
            cropX0: columns.first! + border, cropY0: rows.first! + border, cropX1: columns.last! + 1 + border, cropY1: rows.last! + 1 + border,
            cropIsContiguous: contiguous, flipped: false,
            scaleX: Double(width) / Double(columns.count), scaleY: Double(height) / Double(rows.count),
            padding: [0, 0, 0, 0], outputWidth: width, outputHeight: height)
        return (resized, geometry)
    }
}
