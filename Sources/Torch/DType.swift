import CTorch

/// Element types of tensors, numbered as libtorch numbers them.
public enum DType: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, int16 = 2, int32 = 3, int64 = 4, float16 = 5, float32 = 6, float64 = 7
    case complex64 = 9, complex128 = 10, bool = 11, bfloat16 = 15

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .int16, .float16, .bfloat16: return 2
        case .int32, .float32: return 4
        case .int64, .float64, .complex64: return 8
        case .complex128: return 16
        }
    }

    public var isFloatingPoint: Bool { [.float16, .float32, .float64, .bfloat16].contains(self) }
    public var isComplex: Bool { self == .complex64 || self == .complex128 }

    public var description: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .float16: return "float16"
        case .float32: return "float32"
        case .float64: return "float64"
        case .complex64: return "complex64"
        case .complex128: return "complex128"
        case .bool: return "bool"
        case .bfloat16: return "bfloat16"
        }
    }
}

/// Where a tensor lives.
public enum Device: Equatable, Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)
    /// Shapes and dtypes without data (libtorch's `meta`): runs a computation for its shapes only,
    /// and fails where a tensor of another device meets it, which proves code device-correct.
    case meta

    /// The first GPU.
    public static let gpu = Device.cuda(0)

    var typeCode: Int32 {
        switch self {
        case .cpu: return 0
        case .cuda: return 1
        case .meta: return 14
        }
    }
    var index: Int32 {
        if case .cuda(let i) = self { return Int32(i) }
        return -1
    }

    /// Parses "cpu", "cuda", "cuda:N" or "meta".
    public init(parsing text: String) throws {
        if text == "cpu" { self = .cpu; return }
        if text == "meta" { self = .meta; return }
        if text == "cuda" { self = .cuda(0); return }
        if text.hasPrefix("cuda:"), let n = Int(text.dropFirst(5)), n >= 0 { self = .cuda(n); return }
        throw TorchError.invalidArgument("unknown device '\(text)': expected cpu, cuda, cuda:N or meta")
    }

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let i): return "cuda:\(i)"
        case .meta: return "meta"
        }
    }
}

/// Element types that convert to and from Swift arrays.
public protocol TensorElement: Sendable {
    static var dtype: DType { get }
}
extension Float: TensorElement { public static var dtype: DType { .float32 } }
extension Double: TensorElement { public static var dtype: DType { .float64 } }
extension Int64: TensorElement { public static var dtype: DType { .int64 } }
extension Int32: TensorElement { public static var dtype: DType { .int32 } }
extension UInt8: TensorElement { public static var dtype: DType { .uint8 } }
extension Int8: TensorElement { public static var dtype: DType { .int8 } }
extension Int16: TensorElement { public static var dtype: DType { .int16 } }
extension Bool: TensorElement { public static var dtype: DType { .bool } }
extension Int: TensorElement { public static var dtype: DType { .int64 } }
