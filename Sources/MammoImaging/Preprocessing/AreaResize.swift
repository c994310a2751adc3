import Foundation
import Torch

/// OpenCV's INTER_AREA resize, which the reference preprocessing uses: when shrinking on both axes,
/// each output pixel is the average of the source area it covers (fractional pixels weighted by
/// their overlap); otherwise OpenCV's area-mode linear interpolation. Written as two weight matrices,
/// out = Wy * image * Wx^T, so libtorch does the arithmetic.
public enum AreaResize {
    /// Output rows of weights (dst x src) for one axis.
    static func weights(source: Int, destination: Int, shrinkBoth: Bool) -> [Double] {
        var w = [Double](repeating: 0, count: destination * source)
        // OpenCV derives the scale as 1 / (dst / src); the rounding of that matters where d * scale is
        // within an ulp of an integer.
        let inverse = Double(destination) / Double(source)
        let scale = 1 / inverse
        if shrinkBoth {
            for d in 0..<destination {
                let fsx1 = Double(d) * scale, fsx2 = fsx1 + scale
                let cellWidth = Swift.min(scale, Double(source) - fsx1)
                var sx1 = Int(fsx1.rounded(.up)), sx2 = Int(fsx2.rounded(.down))
                sx2 = Swift.min(sx2, source - 1)
                sx1 = Swift.min(sx1, sx2)
                if Double(sx1) - fsx1 > 1e-3 { w[d * source + sx1 - 1] += (Double(sx1) - fsx1) / cellWidth }
                for s in sx1..<sx2 { w[d * source + s] += 1 / cellWidth }
                if fsx2 - Double(sx2) > 1e-3 { w[d * source + sx2] += Swift.min(Swift.min(fsx2 - Double(sx2), 1), cellWidth) / cellWidth }
            }
        } else {
            for d in 0..<destination {
                var s = Int((Double(d) * scale).rounded(.down))
                // OpenCV keeps this coefficient in single precision.
                var f = Float(Double(d + 1) - Double(s + 1) * inverse)
                f = f <= 0 ? 0 : f - f.rounded(.down)
                if s < 0 { s = 0; f = 0 }
                if s >= source - 1 { s = source - 1; f = 0 }
                w[d * source + s] += Double(1 - f)
                if f > 0 { w[d * source + s + 1] += Double(f) }
            }
        }
        return w
    }

    /// Resizes an H x W image (any real dtype) to `height` x `width`; float64 result, not rounded.
    public static func resize(_ image: Tensor, height: Int, width: Int) throws -> Tensor {
        guard image.rank == 2, height > 0, width > 0 else {
            throw TorchError.invalidArgument("area resize needs an H x W image and a positive size, got \(image.shape) to \(height) x \(width)")
        }
        let (h, w) = (image.size(0), image.size(1))
        let shrinkBoth = h >= height && w >= width
        let wy = try Tensor(weights(source: h, destination: height, shrinkBoth: shrinkBoth), shape: [height, h])
        let wx = try Tensor(weights(source: w, destination: width, shrinkBoth: shrinkBoth), shape: [width, w])
        return try wy.matmul(image.to(.float64)).matmul(wx.t)
    }
}
