import Foundation
import MammoImaging
import Torch

/// Model input from preprocessed PNGs, the one way training and evaluation prepare images: each PNG
/// read as a 1 x 1 x H x W float tensor at the tower's input size (area when shrinking, bilinear
/// otherwise), optionally transformed (augmentation). Normalisation is the model's (see
/// `ImageNormalization` in MammoModels).
public enum ModelInput {
    /// One preprocessed PNG as a 1 x 1 x `height` x `width` float tensor.
    public static func loadImage(_ url: URL, height: Int, width: Int) throws -> Tensor {
        let image: GrayscaleImage
        do { image = try GrayscaleImage.readPNG(url) } catch { throw InputError.badFile(path: url.path, reason: "\(error)") }
        return try resized(Tensor(image.pixels.map(Float.init), shape: [1, 1, image.height, image.width]), height: height, width: width)
    }

    /// A 1 x 1 x h x w float image at `height` x `width`: area averaging when shrinking, bilinear otherwise.
    public static func resized(_ x: Tensor, height: Int, width: Int) throws -> Tensor {
        guard x.size(2) != height || x.size(3) != width else { return x }
        let shrinking = x.size(2) >= height && x.size(3) >= width
        return try Functional.interpolate(x, size: (height, width), mode: shrinking ? .area : .bilinear)
    }

    /// Images `urls` loaded, each transformed (then normalised) by `prepare`, as N x C x H x W.
    public static func batch(_ urls: [URL], height: Int, width: Int, prepare: (Tensor) throws -> Tensor) throws -> Tensor {
        try Tensor.cat(urls.map { try prepare(loadImage($0, height: height, width: width)) }, dim: 0)
    }
}
