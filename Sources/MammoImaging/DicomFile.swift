import CDICOM
import Foundation
import Torch

/// Errors reading DICOM files; every case names the file.
public enum DicomError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unsupported(path: String, reason: String)
    case invalidValue(path: String, tag: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .unsupported(let path, let reason): return "\(path): unsupported image: \(reason)"
        case .invalidValue(let path, let tag, let reason): return "\(path): \(tag): \(reason)"
        }
    }
}

/// The NUL-terminated text a C shim wrote into `buffer`.
func cText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A DICOM tag (group, element).
public struct DicomTag: Hashable, Sendable, CustomStringConvertible {
    public let group: UInt16
    public let element: UInt16
    public init(_ group: UInt16, _ element: UInt16) { self.group = group; self.element = element }
    public var description: String { String(format: "(%04X,%04X)", group, element) }
}

/// An open DICOM file (a GDCM reader); closed when released. Not shared between threads.
final class DicomFile {
    let path: String
    private let handle: cdicom_file

    init(path: String, withPixels: Bool) throws {
        self.path = path
        var message = [CChar](repeating: 0, count: 512)
        guard let handle = cdicom_open(path, withPixels ? 1 : 0, &message, message.count) else {
            throw DicomError.unreadable(path: path, reason: cText(message))
        }
        self.handle = handle
    }

    deinit { cdicom_close(handle) }


    private func read(_ call: (UnsafeMutablePointer<CChar>?, Int) -> Int) -> String? {
        let length = call(nil, 0)
        guard length >= 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: length + 1)
        _ = call(&buffer, buffer.count)
        let value = cText(buffer)
        return value.isEmpty ? nil : value
    }

    /// A top-level element as text, nil when absent or empty.
    func string(_ tag: DicomTag) -> String? {
        read { cdicom_string(handle, tag.group, tag.element, $0, $1) }
    }

    /// A multi-valued element split at backslashes.
    func strings(_ tag: DicomTag) -> [String] {
        string(tag).map { $0.split(separator: "\\", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
    }

    /// The numeric values of a DS/IS element; a value that is not a finite number is an error
    /// naming the file, the element and the value.
    func numbers(_ tag: DicomTag, _ name: String) throws -> [Double] {
        try strings(tag).filter { !$0.isEmpty }.map { text in
            guard let value = Double(text), value.isFinite else {
                throw DicomError.invalidValue(path: path, tag: "\(name) \(tag)", reason: "'\(text)' is not a finite number")
            }
            return value
        }
    }

    func number(_ tag: DicomTag, _ name: String) throws -> Double? { try numbers(tag, name).first }

    /// The first value of an integer element (IS, US or a number GDCM prints), checked to be an
    /// integer within `range`: "1e99", "NaN" or 70000 rows are errors, never a trap.
    func integer(_ tag: DicomTag, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = strings(tag).first(where: { !$0.isEmpty }) else { return nil }
        guard let value = Double(text), let integer = Checked.integer(value, in: range) else {
            throw DicomError.invalidValue(path: path, tag: "\(name) \(tag)",
                                          reason: "'\(text)' is not an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return integer
    }

    func items(_ sequence: DicomTag) -> Int { Int(cdicom_sequence_items(handle, sequence.group, sequence.element)) }

    func string(in sequence: DicomTag, item: Int, _ tag: DicomTag) -> String? {
        read { cdicom_item_string(handle, sequence.group, sequence.element, Int32(item), tag.group, tag.element, $0, $1) }
    }

    /// Raw bytes and VR of an element inside a sequence item.
    func bytes(in sequence: DicomTag, item: Int, _ tag: DicomTag) -> (bytes: [UInt8], vr: String)? {
        var vr = [CChar](repeating: 0, count: 3)
        let length = cdicom_item_bytes(handle, sequence.group, sequence.element, Int32(item), tag.group, tag.element, nil, 0, &vr)
        guard length >= 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: length)
        _ = bytes.withUnsafeMutableBytes { cdicom_item_bytes(handle, sequence.group, sequence.element, Int32(item), tag.group, tag.element, $0.baseAddress, length, &vr) }
        return (bytes, cText(vr))
    }

    var isLittleEndian: Bool { cdicom_little_endian(handle) != 0 }

    func layout() throws -> cdicom_layout {
        var layout = cdicom_layout()
        var message = [CChar](repeating: 0, count: 512)
        guard cdicom_layout_of(handle, &layout, &message, message.count) == 0 else {
            throw DicomError.unreadable(path: path, reason: cText(message))
        }
        return layout
    }

    /// The decoded pixel buffer (stored values in their containers, host byte order).
    func decode(_ layout: cdicom_layout) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: Int(layout.decoded_length))
        var message = [CChar](repeating: 0, count: 512)
        let status = buffer.withUnsafeMutableBytes { cdicom_decode(handle, $0.baseAddress, $0.count, &message, message.count) }
        guard status == 0 else { throw DicomError.unreadable(path: path, reason: cText(message)) }
        return buffer
    }
}
