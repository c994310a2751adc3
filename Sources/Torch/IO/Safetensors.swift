import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw data.
public enum Safetensors {
    static let dtypeNames: [String: DType] = [
        "F32": .float32, "F16": .float16, "BF16": .bfloat16, "F64": .float64, "I64": .int64, "I32": .int32,
        "I16": .int16, "I8": .int8, "U8": .uint8, "BOOL": .bool,
    ]

    static func name(of dtype: DType) throws -> String {
        guard let name = dtypeNames.first(where: { $0.value == dtype })?.key else {
            throw TorchError.invalidArgument("safetensors cannot store \(dtype) tensors")
        }
        return name
    }

    /// Writes tensors (in the given order, names unique) and string metadata atomically.
    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to url: URL) throws {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var blobs: [[UInt8]] = []
        var offset = 0
        var seen = Set<String>()
        for (name, tensor) in tensors {
            guard seen.insert(name).inserted else { throw TorchError.invalidArgument("duplicate tensor name '\(name)'") }
            let bytes = try tensor.bytes()
            header[name] = ["dtype": try Self.name(of: tensor.dtype), "shape": tensor.shape, "data_offsets": [offset, offset + bytes.count]]
            offset += bytes.count
            blobs.append(bytes)
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for blob in blobs { data.append(contentsOf: blob) }
        try writeAtomically(data, to: url)
    }
}

/// A memory-mapped safetensors file: the header is parsed and checked on opening; tensors are
/// copied out on demand, so opening a large file costs little.
public final class SafetensorsFile: @unchecked Sendable {
    public struct Entry: Sendable {
        public let dtype: DType
        public let shape: [Int]
        let start: Int
        let end: Int
    }

    public let path: String
    public let metadata: [String: String]
    public let entries: [String: Entry]
    private let file: MappedFile
    private let dataStart: Int

    public init(url: URL) throws {
        path = url.path
        file = try MappedFile(path: path)
        func fail(_ reason: String) -> TorchError { .safetensors(path: url.path, reason: reason) }
        guard file.count >= 8 else { throw fail("file of \(file.count) bytes is too short for a header") }
        let headerLength = file.uint64(at: 0)
        guard headerLength <= UInt64(file.count - 8) else {
            throw fail("header length \(headerLength) exceeds the file size \(file.count)")
        }
        dataStart = 8 + Int(headerLength)
        let headerBytes = Data(file.slice(8, Int(headerLength))!)
        guard let header = (try? JSONSerialization.jsonObject(with: headerBytes)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        let dataSize = file.count - dataStart
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                metadata = m
                continue
            }
            guard let info = value as? [String: Any], let dtypeName = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let dtype = Safetensors.dtypeNames[dtypeName] else { throw fail("entry '\(name)' has unsupported dtype \(dtypeName)") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("entry '\(name)' has a negative dimension in \(shape)") }
            guard let elements = Checked.product(shape), let expected = Checked.multiply(elements, dtype.byteSize) else {
                throw fail("entry '\(name)' of shape \(shape) holds more elements than can be addressed")
            }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] <= dataSize else {
                throw fail("entry '\(name)' byte range \(offsets) lies outside the \(dataSize) data bytes")
            }
            guard offsets[1] - offsets[0] == expected else {
                throw fail("entry '\(name)' of shape \(shape) and dtype \(dtypeName) needs \(expected) bytes, its range holds \(offsets[1] - offsets[0])")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, start: offsets[0], end: offsets[1])
        }
        self.entries = entries
        self.metadata = metadata
    }

    /// Tensor names, sorted.
    public var keys: [String] { entries.keys.sorted() }

    /// A copy of the tensor called `name`.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else { throw TorchError.missingKey(key: name, source: path) }
        let bytes = file.slice(dataStart + entry.start, entry.end - entry.start)!
        return try Tensor(bytes: bytes, shape: entry.shape, dtype: entry.dtype)
    }

    /// Every tensor by name.
    public func tensors() throws -> [String: Tensor] {
        try Dictionary(uniqueKeysWithValues: keys.map { ($0, try tensor($0)) })
    }
}
