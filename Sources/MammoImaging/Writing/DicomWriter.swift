import CDICOM
import Foundation
import Torch

/// Lossless transfer syntaxes MammoFM writes.
public enum DicomTransferSyntax: String, CaseIterable, Codable, Sendable {
    case explicitLittleEndian = "1.2.840.10008.1.2.1"
    case jpeg2000Lossless = "1.2.840.10008.1.2.4.90"
    case jpegLSLossless = "1.2.840.10008.1.2.4.80"
    case rleLossless = "1.2.840.10008.1.2.5"
    case jpegLosslessSV1 = "1.2.840.10008.1.2.4.70"

    /// A short name for tables and logs.
    public var shortName: String {
        switch self {
        case .explicitLittleEndian: return "uncompressed"
        case .jpeg2000Lossless: return "jpeg2000-lossless"
        case .jpegLSLossless: return "jpeg-ls-lossless"
        case .rleLossless: return "rle"
        case .jpegLosslessSV1: return "jpeg-lossless-sv1"
        }
    }
}

/// Writes single-frame 16-bit grayscale images as DICOM Part 10 files.
public enum DicomWriter {
    /// The implementation class UID written in every file's meta group (a UUID-derived 2.25 UID).
    public static let implementationClassUID = "2.25.96512473305219337432541736145830471651"

    /// Writes `dataset` (which must not hold Pixel Data or the pixel module's size tags) with `pixels`
    /// (rows x columns stored values) to `url` in `syntax`, through a temporary file and a rename.
    /// `sopClassUID` and `sopInstanceUID` go into both the meta group and the data set.
    public static func write(_ dataset: DicomDataset, pixels: [UInt16], rows: Int, columns: Int,
                             sopClassUID: String, sopInstanceUID: String,
                             syntax: DicomTransferSyntax, to url: URL) throws {
        guard pixels.count == rows * columns, rows > 0, columns > 0 else {
            throw ImagingError.unwritable(path: url.path, reason: "\(pixels.count) pixels for \(rows) x \(columns)")
        }
        var body = dataset
        body.set(DicomTag(0x0008, 0x0016), "UI", sopClassUID)
        body.set(DicomTag(0x0008, 0x0018), "UI", sopInstanceUID)
        body.set(DicomTag(0x0028, 0x0002), 1)
        body.set(DicomTag(0x0028, 0x0010), UInt16(rows))
        body.set(DicomTag(0x0028, 0x0011), UInt16(columns))
        body.set(DicomTag(0x0028, 0x0100), 16)
        var pixelBytes = [UInt8](repeating: 0, count: pixels.count * 2)
        for (i, value) in pixels.enumerated() {
            pixelBytes[2 * i] = UInt8(value & 0xFF)
            pixelBytes[2 * i + 1] = UInt8(value >> 8)
        }
        body.set(DicomTag(0x7FE0, 0x0010), .bytes("OW", pixelBytes))
        let file = fileBytes(body, sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID,
                             syntax: .explicitLittleEndian)
        if syntax == .explicitLittleEndian {
            try writeAtomically(Data(file), to: url)
            return
        }
        try writeThroughShim(to: url) { path, message in
            file.withUnsafeBytes { cdicom_write_encoded($0.baseAddress, $0.count, syntax.rawValue, path, &message, message.count) }
        }
    }

    /// Preamble, "DICM", the meta group and the data set.
    static func fileBytes(_ body: DicomDataset, sopClassUID: String, sopInstanceUID: String,
                          syntax: DicomTransferSyntax) -> [UInt8] {
        var meta = DicomDataset()
        meta.set(DicomTag(0x0002, 0x0001), .bytes("OB", [0, 1]))
        meta.set(DicomTag(0x0002, 0x0002), "UI", sopClassUID)
        meta.set(DicomTag(0x0002, 0x0003), "UI", sopInstanceUID)
        meta.set(DicomTag(0x0002, 0x0010), "UI", syntax.rawValue)
        meta.set(DicomTag(0x0002, 0x0012), "UI", implementationClassUID)
        meta.set(DicomTag(0x0002, 0x0013), "SH", "MAMMOFM_0_1")
        let metaBytes = meta.encoded()
        var out = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        // (0002,0000) UL: group length of the elements after it.
        DicomDataset.appendTag(DicomTag(0x0002, 0x0000), to: &out)
        out += Array("UL".utf8) + [4, 0]
        DicomDataset.appendUInt32(UInt32(metaBytes.count), to: &out)
        out += metaBytes
        out += body.encoded()
        return out
    }
}
