import CDICOM
import Foundation
import Torch

/// A decoded DICOM image: its metadata and stored values.
public struct DicomImage {
    public let path: String
    public let metadata: DicomMetadata
    /// Stored values as int32, frames x rows x columns (x samples for colour), sign-extended per the
    /// header's Pixel Representation and Bits Stored.
    public let stored: Tensor

    /// Reads only the metadata (fast: the pixel data is not decoded).
    public static func readMetadata(_ url: URL) throws -> DicomMetadata {
        let file = try DicomFile(path: url.path, withPixels: false)
        return try DicomMetadata(file, layout: nil)
    }

    /// Reads and decodes a file; truncated or undecodable pixel data is an error.
    public init(contentsOf url: URL) throws {
        let file = try DicomFile(path: url.path, withPixels: true)
        let layout = try file.layout()
        let photometric = withUnsafeBytes(of: layout.photometric) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let syntax = withUnsafeBytes(of: layout.transfer_syntax) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let metadata = try DicomMetadata(file, layout: (Int(layout.rows), Int(layout.columns), Int(layout.frames),
                                                        Int(layout.bits_allocated), Int(layout.samples_per_pixel), photometric, syntax))
        path = url.path
        self.metadata = metadata
        let (rows, columns, frames, samples) = (Int(layout.rows), Int(layout.columns), Int(layout.frames), Int(layout.samples_per_pixel))
        guard rows > 0, columns > 0 else { throw DicomError.unsupported(path: path, reason: "image of \(columns) x \(rows) pixels") }
        let count = rows * columns * frames * samples
        guard count <= 1 << 31 else { throw DicomError.unsupported(path: path, reason: "image of \(count) samples is too large") }
        let bits = Int(layout.bits_allocated)
        guard bits == 8 || bits == 16 || bits == 32 else {
            throw DicomError.unsupported(path: path, reason: "\(bits) bits allocated per sample")
        }
        let buffer = try file.decode(layout)
        guard buffer.count >= count * bits / 8 else {
            throw DicomError.unreadable(path: path, reason: "decoder returned \(buffer.count) bytes for \(count) samples of \(bits) bits")
        }
        let shape = samples > 1 ? [frames, rows, columns, samples] : [frames, rows, columns]
        let raw: Tensor = try buffer.withUnsafeBytes { bytes in
            let slice = UnsafeRawBufferPointer(rebasing: bytes[0..<(count * bits / 8)])
            switch bits {
            case 8: return try Tensor(bytes: slice, shape: shape, dtype: .uint8).to(.int32)
            case 16: return try Tensor(bytes: slice, shape: shape, dtype: .int16).to(.int32)
            default: return try Tensor(bytes: slice, shape: shape, dtype: .int32)
            }
        }
        stored = try Self.storedValues(raw, bitsAllocated: bits, bitsStored: metadata.bitsStored,
                                       signed: metadata.pixelRepresentation == 1)
    }

    /// Interprets raw containers as stored values: the low `bitsStored` bits, sign-extended when signed.
    static func storedValues(_ raw: Tensor, bitsAllocated: Int, bitsStored: Int, signed: Bool) throws -> Tensor {
        let containerMask = bitsAllocated >= 32 ? -1 : (1 << bitsAllocated) - 1
        var values = raw
        if bitsAllocated < 32 {
            // The int16 view is signed: wrap into the unsigned container range first.
            values = try Tensor.where(values .< 0, values + Double(containerMask + 1), values)
        }
        guard bitsStored > 0, bitsStored < bitsAllocated else {
            if signed && bitsAllocated < 32 {
                let half = Double(1 << (bitsAllocated - 1))
                return try Tensor.where(values.ge(half), values - 2 * half, values)
            }
            return values
        }
        let mask = (1 << bitsStored) - 1
        let low = try values.remainder(Tensor.scalar(Double(mask + 1), dtype: .int32))
        guard signed else { return low }
        let half = Double(1 << (bitsStored - 1))
        return try Tensor.where(low.ge(half), low - 2 * half, low)
    }

    /// Rows x columns (one frame of a single-sample image), as int32.
    public func frame(_ index: Int = 0) throws -> Tensor {
        guard index >= 0, index < metadata.frames else {
            throw DicomError.invalidValue(path: path, tag: "frame", reason: "frame \(index) of \(metadata.frames)")
        }
        return try stored.select(dim: 0, index: index)
    }
}
