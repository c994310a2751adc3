import Foundation
import Torch

/// OpenCV's INTER_AREA resize, which the reference preprocessing uses: when shrinking on both axes,
/// each output pixel is the average of the source area it covers (fractional pixels weighted by
/// their overlap); otherwise OpenCV's area-mode linear interpolation. Written as two weight matrices,
/// out = Wy * image * Wx^T, so libtorch does the arithmetic.
public enum AreaResize {
    /// One axis's weights in sparse form: for each output index, the first source index and its weights.
    static func sparse(source: Int, destination: Int, shrinkBoth: Bool) -> [(start: Int, weights: [Double])] {
        // OpenCV derives the scale as 1 / (dst / src); the rounding of that matters where d * scale is
        // within an ulp of an integer.
        let inverse = Double(destination) / Double(source)
        let scale = 1 / inverse
        var result: [(start: Int, weights: [Double])] = []
        result.reserveCapacity(destination)
        for d in 0..<destination {
            var entries: [(Int, Double)] = []
            if shrinkBoth {
                let fsx1 = Double(d) * scale, fsx2 = fsx1 + scale
                let cellWidth = Swift.min(scale, Double(source) - fsx1)
                var sx1 = Int(fsx1.rounded(.up)), sx2 = Int(fsx2.rounded(.down))
                sx2 = Swift.min(sx2, source - 1)
                sx1 = Swift.min(sx1, sx2)
                if Double(sx1) - fsx1 > 1e-3 { entries.append((sx1 - 1, (Double(sx1) - fsx1) / cellWidth)) }
                for s in sx1..<sx2 { entries.append((s, 1 / cellWidth)) }
                if fsx2 - Double(sx2) > 1e-3 { entries.append((sx2, Swift.min(Swift.min(fsx2 - Double(sx2), 1), cellWidth) / cellWidth)) }
            } else {
                var s = Int((Double(d) * scale).rounded(.down))
                // OpenCV keeps this coefficient in single precision.
                var f = Float(Double(d + 1) - Double(s + 1) * inverse)
                f = f <= 0 ? 0 : f - f.rounded(.down)
                if s < 0 { s = 0; f = 0 }
                if s >= source - 1 { s = source - 1; f = 0 }
                entries.append((s, Double(1 - f)))
                if f > 0 { entries.append((s + 1, Double(f))) }
            }
            guard let first = entries.map(\.0).min(), let last = entries.map(\.0).max() else { result.append((0, [])); continue }
            var weights = [Double](repeating: 0, count: last - first + 1)
            for (index, weight) in entries { weights[index - first] += weight }
            result.append((first, weights))
        }
        return result
    }

    /// Resizes an H x W image (any real dtype) to `height` x `width`; float64 result, not rounded.
    /// Each output pixel touches only the few source pixels under it, so the passes run over sparse
    /// weights in Swift (a dense matrix product would cost gigaflops at mammogram sizes).
    public static func resize(_ image: Tensor, height: Int, width: Int) throws -> Tensor {
        guard image.rank == 2, height > 0, width > 0 else {
            throw TorchError.invalidArgument("area resize needs an H x W image and a positive size, got \(image.shape) to \(height) x \(width)")
        }
        let (h, w) = (image.size(0), image.size(1))
        let shrinkBoth = h >= height && w >= width
        let rows = sparse(source: h, destination: height, shrinkBoth: shrinkBoth)
        let columns = sparse(source: w, destination: width, shrinkBoth: shrinkBoth)
        let source = try image.to(.float32).contiguous().toArray(Float.self)
        // Vertical pass: height x w.
        var vertical = [Double](repeating: 0, count: height * w)
        source.withUnsafeBufferPointer { src in
            vertical.withUnsafeMutableBufferPointer { dst in
                for (y, row) in rows.enumerated() {
                    let out = dst.baseAddress! + y * w
                    for (k, weight) in row.weights.enumerated() {
                        let input = src.baseAddress! + (row.start + k) * w
                        for x in 0..<w { out[x] += weight * Double(input[x]) }
                    }
                }
            }
        }
        // Horizontal pass: height x width.
        var result = [Double](repeating: 0, count: height * width)
        vertical.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let input = src.baseAddress! + y * w, out = dst.baseAddress! + y * width
                    for (x, column) in columns.enumerated() {
                        var sum = 0.0
                        for (k, weight) in column.weights.enumerated() { sum += weight * input[column.start + k] }
                        out[x] = sum
                    }
                }
            }
        }
        return try Tensor(result, shape: [height, width])
    }
}
