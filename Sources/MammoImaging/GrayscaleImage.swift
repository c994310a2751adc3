import CPNG
import Foundation
import Torch

/// Errors reading or writing images.
public enum ImagingError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case unsupported(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .unwritable(let path, let reason): return "\(path): cannot write: \(reason)"
        case .unsupported(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// A single-channel image of 8- or 16-bit samples.
public struct GrayscaleImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// 8 or 16.
    public var bitDepth: Int
    /// Row-major samples (at most 255 for 8-bit images).
    public var pixels: [UInt16]

    public init(width: Int, height: Int, bitDepth: Int, pixels: [UInt16]) {
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.pixels = pixels
    }

    /// The most samples (width x height x channels) `readPNG` decodes by default: 2^27, far above
    /// any preprocessed mammogram (8192 x 8192 is 2^26).
    public static let defaultMaximumSamples = 1 << 27

    /// Reads an 8- or 16-bit grayscale PNG (gray+alpha keeps the gray sample); colour images are
    /// rejected, mammograms are single-channel. Images beyond
    /// `maximumSamples`, and decompression bombs, are refused before they are inflated.
    public static func readPNG(_ url: URL, maximumSamples: Int = defaultMaximumSamples) throws -> GrayscaleImage {
        var image = cpng_image()
        var message = [CChar](repeating: 0, count: 512)
        guard cpng_read(url.path, &image, UInt64(Swift.max(0, maximumSamples)), &message, message.count) == 0 else {
            throw ImagingError.unreadable(path: url.path, reason: cText(message))
        }
        defer { cpng_free(&image) }
        let channels = Int(image.channels)
        guard channels == 1 || channels == 2 else {
            throw ImagingError.unsupported(path: url.path, reason: "a colour PNG (\(channels) channels): expected a grayscale image")
        }
        let count = Int(image.width) * Int(image.height)
        var pixels = [UInt16](repeating: 0, count: count)
        for i in 0..<count { pixels[i] = image.samples[i * channels] } // gray+alpha: the gray sample
        return GrayscaleImage(width: Int(image.width), height: Int(image.height), bitDepth: Int(image.bit_depth), pixels: pixels)
    }

    /// Writes a grayscale PNG through a temporary file and a rename.
    public func writePNG(_ url: URL) throws {
        guard pixels.count == width * height, bitDepth == 8 || bitDepth == 16 else {
            throw ImagingError.unwritable(path: url.path, reason: "\(pixels.count) samples for \(width) x \(height) at \(bitDepth) bits")
        }
        try writeThroughShim(to: url) { path, message in
            pixels.withUnsafeBufferPointer {
                cpng_write_gray(path, $0.baseAddress, Int32(width), Int32(height), Int32(bitDepth), &message, message.count)
            }
        }
    }

    /// The samples as a 1 x H x W float32 tensor (raw values, not rescaled).
    public func tensor() throws -> Tensor {
        try Tensor(pixels.map(Float.init), shape: [1, height, width])
    }
}
