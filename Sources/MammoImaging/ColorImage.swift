import CPNG
import Foundation

/// An 8-bit RGB image for figures (contact sheets, overlays).
public struct ColorImage: Sendable {
    public var width: Int
    public var height: Int
    /// Row-major RGB triples.
    public var samples: [UInt8]

    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        self.width = width
        self.height = height
        samples = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) { samples[3 * i] = fill.0; samples[3 * i + 1] = fill.1; samples[3 * i + 2] = fill.2 }
    }

    public mutating func set(_ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = 3 * (y * width + x)
        samples[i] = color.0; samples[i + 1] = color.1; samples[i + 2] = color.2
    }

    /// Writes a PNG through a temporary file and a rename.
    public func writePNG(_ url: URL) throws {
        try writeThroughShim(to: url) { path, message in
            samples.withUnsafeBufferPointer { cpng_write_rgb8(path, $0.baseAddress, Int32(width), Int32(height), &message, message.count) }
        }
    }
}
