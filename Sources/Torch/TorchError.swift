/// Errors raised by the tensor engine and its weight readers. Each case says what was expected,
/// what was found and where.
public enum TorchError: Error, CustomStringConvertible, Equatable {
    /// libtorch rejected an operation; `message` is its own short explanation.
    case engine(operation: String, message: String)
    /// An argument is outside what the operation accepts.
    case invalidArgument(String)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// A safetensors file is malformed.
    case safetensors(path: String, reason: String)
    /// A zip archive (a `torch.save` file) is malformed or unsupported.
    case zip(path: String, reason: String)
    /// A pickle stream (inside a `torch.save` file) is malformed or unsupported.
    case pickle(path: String, reason: String)
    /// A key was looked up in a weight file that does not hold it.
    case missingKey(key: String, source: String)
    /// A state dict does not match a module.
    case stateDictMismatch(StateDictComparison)

    public var description: String {
        switch self {
        case .engine(let operation, let message): return "\(operation): \(message)"
        case .invalidArgument(let message): return message
        case .io(let path, let reason): return "\(path): \(reason)"
        case .safetensors(let path, let reason): return "\(path): invalid safetensors file: \(reason)"
        case .zip(let path, let reason): return "\(path): invalid torch.save archive: \(reason)"
        case .pickle(let path, let reason): return "\(path): unreadable pickle data: \(reason)"
        case .missingKey(let key, let source): return "\(source): no tensor named '\(key)'"
        case .stateDictMismatch(let comparison): return "state dict does not match the module: \(comparison)"
        }
    }
}

/// What a state-dict load found: keys the module has but the weights lack, keys the weights have
/// but the module lacks, and keys whose shapes differ.
public struct StateDictComparison: Equatable, CustomStringConvertible, Sendable {
    public var missingKeys: [String] = []
    public var unexpectedKeys: [String] = []
    public var shapeMismatches: [ShapeMismatch] = []

    public struct ShapeMismatch: Equatable, Sendable {
        public let key: String
        public let expected: [Int]
        public let found: [Int]
    }

    public init() {}

    /// True when every key matched in name and shape.
    public var isClean: Bool { missingKeys.isEmpty && unexpectedKeys.isEmpty && shapeMismatches.isEmpty }

    public var description: String {
        var parts: [String] = []
        func list(_ keys: [String]) -> String {
            keys.count <= 8 ? keys.joined(separator: ", ") : keys.prefix(8).joined(separator: ", ") + ", ... (\(keys.count) in all)"
        }
        if !missingKeys.isEmpty { parts.append("missing keys: \(list(missingKeys))") }
        if !unexpectedKeys.isEmpty { parts.append("unexpected keys: \(list(unexpectedKeys))") }
        if !shapeMismatches.isEmpty {
            parts.append("shape mismatches: " + shapeMismatches.prefix(8).map {
                "\($0.key) expects \($0.expected), found \($0.found)"
            }.joined(separator: "; "))
        }
        return parts.isEmpty ? "all keys match" : parts.joined(separator: "; ")
    }
}
