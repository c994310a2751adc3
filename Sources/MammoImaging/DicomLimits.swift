import Foundation
import Torch

/// The largest decoded image MammoFM accepts, compared with what a header claims before any memory
/// is allocated for its pixels: a full-field digital mammogram (up to about 4096 x 5500 pixels at
/// 16 bits, 45 MB) fits many times over; a header claiming gigabytes is refused with a sentence.
public struct DicomLimits: Sendable, Equatable {
    /// Decoded bytes one frame may take (default 256 MiB).
    public var maximumFrameBytes: Int
    /// Decoded bytes all frames together may take (default 2 GiB: tomosynthesis stacks stay readable).
    public var maximumImageBytes: Int
    /// How many decoded bytes one byte of the file may plausibly hold (default 4096: lossless and
    /// lossy codecs stay far below it even on blank images).
    public var maximumExpansion: Int

    public init(maximumFrameBytes: Int = 256 << 20, maximumImageBytes: Int = 2 << 30, maximumExpansion: Int = 4096) {
        self.maximumFrameBytes = maximumFrameBytes
        self.maximumImageBytes = maximumImageBytes
        self.maximumExpansion = maximumExpansion
    }

    public static let standard = DicomLimits()

    /// The limits with the per-frame size raised to `megabytes` MiB (and the whole image to at least as much).
    public static func frame(megabytes: Int) -> DicomLimits {
        let bytes = Checked.multiply(megabytes, 1 << 20) ?? Int.max
        return DicomLimits(maximumFrameBytes: bytes, maximumImageBytes: Swift.max(bytes, DicomLimits.standard.maximumImageBytes))
    }

    /// The sample count of an image of this layout, after checking its size with overflow-checked
    /// arithmetic against the limits and against the file's size.
    func check(rows: Int, columns: Int, frames: Int, samples: Int, bytesPerSample: Int, decodedLength: UInt64,
               fileBytes: Int, path: String) throws -> Int {
        let layout = "\(columns) x \(rows) pixels x \(samples) samples x \(frames) frames of \(bytesPerSample * 8) bits"
        guard frames >= 1, samples >= 1,
              let frameSamples = Checked.product([rows, columns, samples]), let frameBytes = Checked.multiply(frameSamples, bytesPerSample),
              let count = Checked.multiply(frameSamples, frames), let bytes = Checked.multiply(count, bytesPerSample) else {
            throw DicomError.invalidValue(path: path, tag: "image size", reason: "\(layout) overflows")
        }
        guard frameBytes <= maximumFrameBytes else {
            throw DicomError.unsupported(path: path, reason: "\(layout): a frame of \(frameBytes >> 20) MiB exceeds the limit of "
                                         + "\(maximumFrameBytes >> 20) MiB (raise it with --max-frame-megabytes)")
        }
        guard bytes <= maximumImageBytes, count <= Int(Int32.max) else {
            throw DicomError.unsupported(path: path, reason: "\(layout): \(bytes >> 20) MiB of pixels exceed the limit of \(maximumImageBytes >> 20) MiB")
        }
        guard decodedLength <= UInt64(maximumImageBytes) else {
            throw DicomError.unsupported(path: path, reason: "the decoder announces \(decodedLength) bytes for \(layout)")
        }
        guard fileBytes == 0 || bytes / maximumExpansion <= fileBytes else {
            throw DicomError.invalidValue(path: path, tag: "image size",
                                          reason: "\(layout) (\(bytes) bytes) cannot come from a file of \(fileBytes) bytes")
        }
        return count
    }
}
