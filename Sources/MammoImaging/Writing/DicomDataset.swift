import Foundation

/// A DICOM data set being built for writing: elements by tag, encoded as Explicit VR Little Endian.
public struct DicomDataset: Sendable {
    /// An element value with its value representation.
    public enum Value: Sendable {
        /// Text VRs (CS, LO, SH, PN, DA, TM, AS, DS, IS, UI, LT, ST): several values are joined by '\'.
        case text(String, [String])
        case unsignedShorts([UInt16])
        /// OB or OW bytes (OW must be an even count).
        case bytes(String, [UInt8])
        case sequence([DicomDataset])

        var vr: String {
            switch self {
            case .text(let vr, _): return vr
            case .unsignedShorts: return "US"
            case .bytes(let vr, _): return vr
            case .sequence: return "SQ"
            }
        }
    }

    public private(set) var elements: [DicomTag: Value] = [:]

    public init() {}

    public mutating func set(_ tag: DicomTag, _ value: Value) { elements[tag] = value }
    public mutating func set(_ tag: DicomTag, _ vr: String, _ values: String...) { elements[tag] = .text(vr, values) }
    public mutating func set(_ tag: DicomTag, _ values: UInt16...) { elements[tag] = .unsignedShorts(values) }

    /// The encoded elements in tag order.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        for tag in elements.keys.sorted(by: { ($0.group, $0.element) < ($1.group, $1.element) }) {
            Self.append(tag, elements[tag]!, to: &out)
        }
        return out
    }

    static func append(_ tag: DicomTag, _ value: Value, to out: inout [UInt8]) {
        var payload: [UInt8]
        switch value {
        case .text(let vr, let values):
            payload = Array(values.joined(separator: "\\").utf8)
            if payload.count % 2 == 1 { payload.append(vr == "UI" ? 0 : 0x20) }
        case .unsignedShorts(let values):
            payload = values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        case .bytes(_, let bytes):
            payload = bytes
            if payload.count % 2 == 1 { payload.append(0) }
        case .sequence(let items):
            payload = []
            for item in items {
                let body = item.encoded()
                appendTag(DicomTag(0xFFFE, 0xE000), to: &payload)
                appendUInt32(UInt32(body.count), to: &payload)
                payload += body
            }
        }
        appendTag(tag, to: &out)
        let vr = value.vr
        out += Array(vr.utf8)
        if ["OB", "OW", "SQ", "UN", "UT", "UC", "UR", "OF", "OD", "OL"].contains(vr) {
            out += [0, 0]
            appendUInt32(UInt32(payload.count), to: &out)
        } else {
            out += [UInt8(payload.count & 0xFF), UInt8(payload.count >> 8)]
        }
        out += payload
    }

    static func appendTag(_ tag: DicomTag, to out: inout [UInt8]) {
        out += [UInt8(tag.group & 0xFF), UInt8(tag.group >> 8), UInt8(tag.element & 0xFF), UInt8(tag.element >> 8)]
    }

    static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        out += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }
}
