import Foundation

/// A file written by `torch.save` (the zip format of torch >= 1.6): `.pt`, `.pth`, `.bin`, `.ckpt`
/// and the official Mammo-CLIP `.tar` checkpoints. Read without Python: the pickle is decoded in
/// Swift, tensors are rebuilt from their storages, and classes this reader does not know are kept
/// as opaque `PickleObject`s instead of failing the load.
public struct TorchCheckpoint {
    /// The unpickled object (usually a dict).
    public let root: PickleValue
    public let path: String

    /// Storage class names of torch.save and the dtype of their elements.
    static let storageTypes: [String: DType] = [
        "FloatStorage": .float32, "DoubleStorage": .float64, "HalfStorage": .float16, "BFloat16Storage": .bfloat16,
        "LongStorage": .int64, "IntStorage": .int32, "ShortStorage": .int16, "CharStorage": .int8,
        "ByteStorage": .uint8, "BoolStorage": .bool, "ComplexFloatStorage": .complex64, "ComplexDoubleStorage": .complex128,
    ]

    public init(url: URL) throws {
        path = url.path
        let archive = try ZipArchive(path: url.path)
        guard let picklePath = archive.names.first(where: { $0.hasSuffix("data.pkl") && $0.split(separator: "/").count == 2 }) else {
            if archive.names.isEmpty {
                throw TorchError.zip(path: url.path, reason: "archive is empty")
            }
            throw TorchError.zip(path: url.path, reason: "no '<name>/data.pkl' entry: not a torch.save file (entries: \(archive.names.prefix(5).joined(separator: ", ")))")
        }
        let prefix = String(picklePath.dropLast("data.pkl".count))
        if let order = archive.entries[prefix + "byteorder"], let bytes = archive.file.slice(order.dataOffset, order.size),
           String(decoding: bytes, as: UTF8.self) != "little" {
            throw TorchError.zip(path: url.path, reason: "big-endian checkpoints are not supported")
        }
        let source = url.path
        // Storages are shared between tensors (views); build each once.
        final class StorageCache { var tensors: [String: Tensor] = [:] }
        let cache = StorageCache()
        let persistentLoad: (PickleValue) throws -> PickleValue = { pid in
            guard let fields = pid.items, fields.count >= 5, fields[0].stringValue == "storage",
                  case .global(_, let storageName) = fields[1], let key = fields[2].stringValue else {
                throw TorchError.pickle(path: source, reason: "unsupported persistent id \(pid)")
            }
            guard let dtype = TorchCheckpoint.storageTypes[storageName] else {
                throw TorchError.pickle(path: source, reason: "unsupported storage type \(storageName)")
            }
            if let t = cache.tensors[key] { return .tensor(t) }
            let bytes = try archive.data(prefix + "data/" + key)
            guard bytes.count % dtype.byteSize == 0 else {
                throw TorchError.zip(path: source, reason: "storage \(key) holds \(bytes.count) bytes, not a whole number of \(dtype) elements")
            }
            let t = try Tensor(bytes: bytes, shape: [bytes.count / dtype.byteSize], dtype: dtype)
            cache.tensors[key] = t
            return .tensor(t)
        }
        var unpickler = Unpickler(data: try archive.data(picklePath), source: source,
                                  construct: { module, name, args in try Self.construct(module, name, args, source: source) },
                                  persistentLoad: persistentLoad)
        root = try unpickler.load()
    }

    /// Interprets the calls torch.save emits; returns nil for classes kept opaque.
    static func construct(_ module: String, _ name: String, _ args: [PickleValue], source: String) throws -> PickleValue? {
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"):
            return .dict(PickleDict())
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard args.count >= 4, let storage = args[0].tensorValue, let offset = args[1].intValue,
                  let size = args[2].items?.compactMap(\.intValue), let stride = args[3].items?.compactMap(\.intValue),
                  size.count == stride.count else {
                throw TorchError.pickle(path: source, reason: "malformed _rebuild_tensor_v2 arguments")
            }
            try checkView(size: size, stride: stride, offset: offset, storageElements: storage.elementCount, source: source)
            let view = try storage.asStrided(shape: size, strides: stride, offset: offset)
            let tensor = try view.contiguous().clone()
            if args.count >= 5, case .bool(true) = args[4], tensor.dtype.isFloatingPoint { try tensor.requiresGrad(true) }
            return .tensor(tensor)
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = args.first, case .tensor = data else {
                throw TorchError.pickle(path: source, reason: "malformed _rebuild_parameter arguments")
            }
            return data
        case ("builtins", "set"), ("builtins", "frozenset"):
            return .list(PickleList(args.first?.items ?? []))
        case ("_codecs", "encode"):
            // Python 2-compatible pickles carry bytes as latin-1 text.
            guard let text = args.first?.stringValue else { return nil }
            return .bytes(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        default:
            return nil
        }
    }

    /// Checks a stored tensor's view before it is made: sizes, strides and offset non-negative, the
    /// last element inside the storage (with overflow-checked arithmetic), and no overlapping (zero-
    /// stride) view that would expand a small storage into a larger allocation than it holds.
    static func checkView(size: [Int], stride: [Int], offset: Int, storageElements: Int, source: String) throws {
        func fail(_ reason: String) -> TorchError {
            .pickle(path: source, reason: "tensor of size \(size) and stride \(stride) at offset \(offset): \(reason)")
        }
        guard offset >= 0, size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else { throw fail("negative size, stride or offset") }
        guard let elements = Checked.product(size) else { throw fail("the element count overflows") }
        if elements == 0 { return }
        var last = offset
        for (n, s) in zip(size, stride) {
            guard let step = Checked.multiply(n - 1, s), let next = Checked.add(last, step) else { throw fail("the last element's position overflows") }
            last = next
        }
        guard last < storageElements else { throw fail("overruns its storage of \(storageElements) elements") }
        // Only overlapping views (a zero or too small stride) hold more elements than their storage.
        guard elements <= storageElements else {
            throw fail("an overlapping (broadcast) view of \(elements) elements over a storage of \(storageElements) would be expanded into a larger copy")
        }
    }

    /// Every tensor in the checkpoint with its dotted path (dict keys and list indices), e.g.
    /// "model.visual.weight" for `{"model": {"visual.weight": ...}}`.
    public func allTensors() -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        func walk(_ value: PickleValue, _ path: String) {
            func join(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
            switch value {
            case .tensor(let t): result.append((path, t))
            case .dict(let d):
                for (k, v) in d.entries {
                    switch k {
                    case .string(let s): walk(v, join(s))
                    case .int(let i): walk(v, join(String(i)))
                    default: continue
                    }
                }
            case .list(let l): for (i, v) in l.items.enumerated() { walk(v, join(String(i))) }
            case .tuple(let t): for (i, v) in t.items.enumerated() { walk(v, join(String(i))) }
            default: break
            }
        }
        walk(root, "")
        return result
    }

    /// The value at a path of dict keys, e.g. ["model"], or the root for an empty path.
    public func value(at keyPath: [String]) throws -> PickleValue {
        var current = root
        for key in keyPath {
            guard let next = current.dictionary?[key] else {
                let available = current.dictionary.map { $0.keys.sorted().joined(separator: ", ") } ?? "none (not a dict)"
                throw TorchError.missingKey(key: keyPath.joined(separator: "."), source: "\(path) (keys here: \(available))")
            }
            current = next
        }
        return current
    }

    /// The tensors directly inside the dict at `keyPath` (a state dict), by key.
    public func stateDict(at keyPath: [String] = []) throws -> [String: Tensor] {
        guard case .dict(let d) = try value(at: keyPath) else {
            throw TorchError.invalidArgument("\(path): the value at '\(keyPath.joined(separator: "."))' is not a dict")
        }
        var result: [String: Tensor] = [:]
        for (k, v) in d.entries { if let key = k.stringValue, let t = v.tensorValue { result[key] = t } }
        return result
    }
}
