import Foundation

/// A PNG's width and height from its header alone (for images whose pixels are not needed).
public enum PNGSize {
    /// Reads the IHDR chunk of `url`; a file that does not start as a PNG is refused, naming it.
    public static func read(_ url: URL) throws -> (width: Int, height: Int) {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw ImagingError.unreadable(path: url.path, reason: "cannot be opened") }
        defer { try? handle.close() }
        let header = [UInt8]((try? handle.read(upToCount: 24)) ?? Data())
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard header.count == 24, Array(header[0..<8]) == signature, Array(header[12..<16]) == Array("IHDR".utf8) else {
            throw ImagingError.unreadable(path: url.path, reason: "not a PNG (no IHDR header)")
        }
        func bigEndian(_ at: Int) -> Int { header[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        let width = bigEndian(16), height = bigEndian(20)
        guard width > 0, height > 0 else { throw ImagingError.unreadable(path: url.path, reason: "size \(width) x \(height)") }
        return (width, height)
    }
}

extension PreprocessingGeometry {
    /// The geometry of an image used as it is (no crop, flip or scale): for PNGs prepared elsewhere,
    /// whose own pixel grid is the original one.
    public static func identity(width: Int, height: Int) -> PreprocessingGeometry {
        PreprocessingGeometry(profile: "identity", sourceWidth: width, sourceHeight: height, cropX0: 0, cropY0: 0, cropX1: width, cropY1: height,
                              cropIsContiguous: true, flipped: false, scaleX: 1, scaleY: 1, padding: [0, 0, 0, 0], outputWidth: width, outputHeight: height)
    }
}
