import Foundation
import Torch

/// Training augmentation on image tensors with libtorch ops, with the reference's ranges: horizontal
/// and vertical flips, an affine transform (rotation, translation, scale, shear) and an elastic
/// deformation, all in one resampling (bilinear, zeros outside). Parameters come from a seeded
/// generator, so the same sample at the same epoch is augmented the same way on any worker. Boxes
/// follow the flips and the affine part (the elastic part moves pixels by a fraction of a pixel at
/// the reference's settings and is not applied to boxes).
public struct Augmenter: Codable, Equatable, Sendable {
    public var horizontalFlip = 0.5
    public var verticalFlip = 0.5
    /// Probability of the affine transform and its ranges.
    public var affine = 0.5
    public var rotationDegrees = 20.0
    public var translateFraction = 0.1
    public var scaleRange = [0.8, 1.2]
    public var shearDegrees = 20.0
    /// Probability of the elastic deformation; alpha and sigma as albumentations defines them (pixels).
    public var elastic = 0.5
    public var elasticAlpha = 10.0
    public var elasticSigma = 15.0

    public init() {}

    /// One draw of the parameters.
    public struct Draw: Sendable {
        /// Forward map in pixel coordinates centred on the image: out = matrix * in + shift.
        public var matrix: (Double, Double, Double, Double)
        public var shift: (Double, Double)
        public var elasticSeed: UInt64?
    }

    public func draw(_ rng: inout SeededRandom, width: Int, height: Int) -> Draw {
        let fx: Double = rng.chance(horizontalFlip) ? -1 : 1
        let fy: Double = rng.chance(verticalFlip) ? -1 : 1
        var m = (fx, 0.0, 0.0, fy), t = (0.0, 0.0)
        if rng.chance(affine) {
            let angle = rng.uniform(-rotationDegrees, rotationDegrees) * Double.pi / 180
            let shear = rng.uniform(-shearDegrees, shearDegrees) * Double.pi / 180
            let scale = rng.uniform(scaleRange[0], scaleRange[1])
            t = (rng.uniform(-translateFraction, translateFraction) * Double(width), rng.uniform(-translateFraction, translateFraction) * Double(height))
            // Rotation x shear (x-shear) x scale, then the flips.
            let (c, s, k) = (cos(angle), sin(angle), tan(shear))
            let a = (c * scale, (c * k - s) * scale, s * scale, (s * k + c) * scale)
            m = (fx * a.0, fx * a.1, fy * a.2, fy * a.3)
        }
        let elasticSeed: UInt64? = rng.chance(elastic) ? rng.next() : nil
        return Draw(matrix: m, shift: t, elasticSeed: elasticSeed)
    }

    /// Applies a draw to N x C x H x W float images (every image of the batch the same way).
    public func apply(_ d: Draw, to images: Tensor) throws -> Tensor {
        let (h, w) = (Double(images.size(2)), Double(images.size(3)))
        // Inverse of the forward map, in normalised coordinates (x * w/2, y * h/2 are pixel offsets).
        let (a, b, c, e) = d.matrix
        let det = a * e - b * c
        guard abs(det) > 1e-9 else { throw TorchError.invalidArgument("degenerate augmentation transform") }
        let inv = (e / det, -b / det, -c / det, a / det)
        let theta: [Double] = [
            inv.0, inv.1 * h / w, -(inv.0 * d.shift.0 + inv.1 * d.shift.1) * 2 / w,
            inv.2 * w / h, inv.3, -(inv.2 * d.shift.0 + inv.3 * d.shift.1) * 2 / h,
        ]
        let n = images.size(0)
        let thetaTensor = try Tensor(theta.map(Float.init), shape: [1, 2, 3]).expand([n, 2, 3])
        var grid = try Functional.affineGrid(thetaTensor, size: images.shape)
        if let seed = d.elasticSeed {
            grid = try grid + elasticOffsets(seed: seed, height: images.size(2), width: images.size(3)).expand(grid.shape)
        }
        return try Functional.gridSample(images, grid: grid)
    }

    /// A smooth random displacement field (1 x H x W x 2, normalised units) with the per-pixel spread
    /// of albumentations' elastic transform: uniform(-1, 1) noise Gaussian-filtered with sigma, times alpha.
    func elasticOffsets(seed: UInt64, height: Int, width: Int) throws -> Tensor {
        var rng = SeededRandom(seed: seed, salt: 77)
        let step = max(2.0, elasticSigma)
        let gh = Int(Double(height) / step) + 2, gw = Int(Double(width) / step) + 2
        let noise = (0..<(2 * gh * gw)).map { _ in Float(rng.uniform(-1, 1)) }
        let coarse = try Tensor(noise, shape: [1, 2, gh, gw])
        let field = try Functional.interpolate(coarse, size: (height, width), mode: .bicubic, alignCorners: true)
        // Std of filtered uniform noise: (1/sqrt(3)) / (2 sqrt(pi) sigma); the coarse field has std 1/sqrt(3).
        let pixels = elasticAlpha / (2 * Double.pi.squareRoot() * elasticSigma)
        let scale = try Tensor([Float(pixels * 2 / Double(width)), Float(pixels * 2 / Double(height))], shape: [1, 1, 1, 2])
        return try field.permute([0, 2, 3, 1]) * scale
    }

    /// Where a box (pixel-corner coordinates) goes under a draw: the bounding box of its transformed
    /// corners, clipped to the image; nil when it leaves the image.
    public func transform(box: (x0: Double, y0: Double, x1: Double, y1: Double), _ d: Draw, width: Int, height: Int)
        -> (x0: Double, y0: Double, x1: Double, y1: Double)? {
        let (w, h) = (Double(width), Double(height))
        let corners = [(box.x0, box.y0), (box.x1, box.y0), (box.x0, box.y1), (box.x1, box.y1)].map { (x, y) -> (Double, Double) in
            let (qx, qy) = (x - w / 2, y - h / 2)
            return (d.matrix.0 * qx + d.matrix.1 * qy + d.shift.0 + w / 2, d.matrix.2 * qx + d.matrix.3 * qy + d.shift.1 + h / 2)
        }
        let x0 = max(0, corners.map(\.0).min()!), x1 = min(w, corners.map(\.0).max()!)
        let y0 = max(0, corners.map(\.1).min()!), y1 = min(h, corners.map(\.1).max()!)
        return x1 > x0 && y1 > y0 ? (x0, y0, x1, y1) : nil
    }
}
