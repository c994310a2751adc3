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

    /// Threads the JPEG 2000 decoder may use per image (0: GDCM's default, every core). Set it to 1
    /// when several files decode at once.
    public static func setJPEG2000Threads(_ threads: Int) { cdicom_set_jpeg2000_threads(Int32(threads)) }

    /// Reads only the metadata (fast: the pixel data is not decoded).
    public static func readMetadata(_ url: URL) throws -> DicomMetadata {
        let file = try DicomFile(path: url.path, withPixels: false)
        return try DicomMetadata(file, layout: nil)
    }

    /// Reads and decodes a file; truncated or undecodable pixel data is an error, and so is an image
    /// whose claimed size exceeds `limits` (checked before anything is allocated for it).
    public init(contentsOf url: URL, limits: DicomLimits = .standard) throws {
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
        let bits = Int(layout.bits_allocated)
        guard bits == 8 || bits == 16 || bits == 32 else {
            throw DicomError.unsupported(path: path, reason: "\(bits) bits allocated per sample")
        }
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let count = try limits.check(rows: rows, columns: columns, frames: frames, samples: samples, bytesPerSample: bits / 8,
                                     decodedLength: layout.decoded_length, fileBytes: fileBytes, path: path)
        let buffer = try file.decode(layout)
        guard buffer.count >= count * bits / 8 else {
            throw DicomError.unreadable(path: path, reason: "decoder returned \(buffer.count) bytes for \(count) samples of \(bits) bits")
        }
        let shape = samples > 1 ? [frames, rows, columns, samples] : [frames, rows, columns]
        stored = try Self.storedValues(buffer, count: count, shape: shape, bitsAllocated: bits, bitsStored: metadata.bitsStored,
                                       signed: metadata.pixelRepresentation == 1)
    }

    /// Stored values from the decoded containers in one pass: the low `bitsStored` bits, sign-extended
    /// when signed, as int32.
    static func storedValues(_ buffer: [UInt8], count: Int, shape: [Int], bitsAllocated: Int, bitsStored: Int, signed: Bool) throws -> Tensor {
        let width = bitsStored > 0 && bitsStored < bitsAllocated ? bitsStored : bitsAllocated
        let mask: UInt32 = width >= 32 ? UInt32.max : (1 << UInt32(width)) - 1
        let signBit: UInt32 = width >= 32 ? 0 : 1 << UInt32(width - 1)
        var values = [Int32](repeating: 0, count: count)
        buffer.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { out in
                func store(_ i: Int, _ container: UInt32) {
                    let v = container & mask
                    out[i] = signed && width < 32 && v & signBit != 0 ? Int32(bitPattern: v | ~mask) : Int32(bitPattern: v)
                }
                switch bitsAllocated {
                case 8:
                    let p = raw.bindMemory(to: UInt8.self)
                    for i in 0..<count { store(i, UInt32(p[i])) }
                case 16:
                    for i in 0..<count { store(i, UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                default:
                    for i in 0..<count { store(i, raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                }
            }
        }
        return try values.withUnsafeBytes { try Tensor(bytes: $0, shape: shape, dtype: .int32) }
    }

    /// Rows x columns (one frame of a single-sample image), as int32.
    public func frame(_ index: Int = 0) throws -> Tensor {
        guard index >= 0, index < metadata.frames else {
            throw DicomError.invalidValue(path: path, tag: "frame", reason: "frame \(index) of \(metadata.frames)")
        }
        return try stored.select(dim: 0, index: index)
    }
}
