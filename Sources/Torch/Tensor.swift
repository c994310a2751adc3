import CTorch

/// Turns a shim status into a thrown error, freeing the message.
@inline(__always)
func check(_ status: ct_status?, _ operation: @autoclosure () -> String) throws {
    guard let status else { return }
    let message = String(cString: status)
    ct_error_free(status)
    throw TorchError.engine(operation: operation(), message: message)
}

/// Runs a shim call that writes one new handle and wraps it.
@inline(__always)
func produce(_ operation: @autoclosure () -> String, _ call: (UnsafeMutablePointer<ct_tensor?>) -> ct_status?) throws -> Tensor {
    var out: ct_tensor?
    try check(call(&out), operation())
    return Tensor(owning: out!)
}

/// Runs a shim call that writes two new handles (values, indices).
func producePair(_ operation: String, _ call: (UnsafeMutablePointer<ct_tensor?>, UnsafeMutablePointer<ct_tensor?>) -> ct_status?) throws -> (Tensor, Tensor) {
    var a: ct_tensor?, b: ct_tensor?
    try check(call(&a, &b), operation)
    return (Tensor(owning: a!), Tensor(owning: b!))
}

@inline(__always)
func int64s(_ values: [Int]) -> [Int64] { values.map(Int64.init) }

/// Calls `body` with a C array of the handles of `tensors`.
func withHandles<R>(_ tensors: [Tensor], _ body: (UnsafePointer<ct_tensor?>) throws -> R) rethrows -> R {
    let handles: [ct_tensor?] = tensors.map { $0.handle }
    return try handles.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// An n-dimensional array of numbers on a device, with automatic differentiation.
///
/// A `Tensor` owns one libtorch tensor handle and frees it when it is released. Every operation
/// returns a new tensor and throws `TorchError` when libtorch rejects it; nothing crashes.
/// Views (reshape, transpose, narrow, ...) share storage with their source, as in PyTorch.
public final class Tensor: @unchecked Sendable {
    let handle: ct_tensor

    init(owning handle: ct_tensor) { self.handle = handle }

    deinit { ct_free(handle) }

    // MARK: creation

    /// A tensor holding `values` with the given shape (the element count must match).
    public convenience init<T: TensorElement>(_ values: [T], shape: [Int]) throws {
        let count = shape.reduce(1, *)
        guard count == values.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw TorchError.invalidArgument("shape \(shape) holds \(count) elements but \(values.count) values were given")
        }
        let dims = int64s(shape)
        var out: ct_tensor?
        let status = values.withUnsafeBytes { raw in
            dims.withUnsafeBufferPointer { ct_from_data(raw.baseAddress, $0.baseAddress, Int32(shape.count), T.dtype.rawValue, &out) }
        }
        try check(status, "Tensor(values:shape:)")
        self.init(owning: out!)
    }

    /// A one-dimensional tensor holding `values`.
    public convenience init<T: TensorElement>(_ values: [T]) throws {
        try self.init(values, shape: [values.count])
    }

    /// `values` (made on the host) on `device`.
    public static func from<T: TensorElement>(_ values: [T], shape: [Int], device: Device) throws -> Tensor {
        let host = try Tensor(values, shape: shape)
        return device == .cpu ? host : try host.to(device: device)
    }

    /// A tensor of element type `dtype` made from raw little-endian bytes.
    public convenience init(bytes: UnsafeRawBufferPointer, shape: [Int], dtype: DType) throws {
        let count = shape.reduce(1, *)
        guard shape.allSatisfy({ $0 >= 0 }), count * dtype.byteSize == bytes.count else {
            throw TorchError.invalidArgument("shape \(shape) of \(dtype) needs \(count * dtype.byteSize) bytes, got \(bytes.count)")
        }
        let dims = int64s(shape)
        var out: ct_tensor?
        let status = dims.withUnsafeBufferPointer { ct_from_data(bytes.baseAddress, $0.baseAddress, Int32(shape.count), dtype.rawValue, &out) }
        try check(status, "Tensor(bytes:shape:dtype:)")
        self.init(owning: out!)
    }

    /// A zero-dimensional tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try produce("scalar") { ct_scalar_tensor(value, dtype.rawValue, device.typeCode, device.index, $0) }
    }

    /// A tensor filled with `value`.
    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        let dims = int64s(shape)
        return try produce("full(\(shape))") { out in
            dims.withUnsafeBufferPointer { ct_full($0.baseAddress, Int32(shape.count), value, dtype.rawValue, device.typeCode, device.index, out) }
        }
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, value: 0, dtype: dtype, device: device)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, value: 1, dtype: dtype, device: device)
    }

    /// Standard normal samples from the global generator (see `Torch.manualSeed`).
    public static func randn(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        let dims = int64s(shape)
        return try produce("randn(\(shape))") { out in
            dims.withUnsafeBufferPointer { ct_randn($0.baseAddress, Int32(shape.count), dtype.rawValue, device.typeCode, device.index, out) }
        }
    }

    /// Uniform samples in [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        let dims = int64s(shape)
        return try produce("rand(\(shape))") { out in
            dims.withUnsafeBufferPointer { ct_rand($0.baseAddress, Int32(shape.count), dtype.rawValue, device.typeCode, device.index, out) }
        }
    }

    /// Uniform integers in [low, high), as int64.
    public static func randint(low: Int, high: Int, shape: [Int], device: Device = .cpu) throws -> Tensor {
        let dims = int64s(shape)
        return try produce("randint") { out in
            dims.withUnsafeBufferPointer { ct_randint(Int64(low), Int64(high), $0.baseAddress, Int32(shape.count), device.typeCode, device.index, out) }
        }
    }

    /// A random permutation of 0..<n, as int64.
    public static func randperm(_ n: Int, device: Device = .cpu) throws -> Tensor {
        try produce("randperm") { ct_randperm(Int64(n), device.typeCode, device.index, $0) }
    }

    /// Values from `start` up to (excluding) `end` in steps of `step`.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .int64, device: Device = .cpu) throws -> Tensor {
        try produce("arange") { ct_arange(start, end, step, dtype.rawValue, device.typeCode, device.index, $0) }
    }

    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try produce("linspace") { ct_linspace(start, end, Int64(steps), dtype.rawValue, device.typeCode, device.index, $0) }
    }

    /// The n x n identity matrix.
    public static func eye(_ n: Int, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try produce("eye") { ct_eye(Int64(n), dtype.rawValue, device.typeCode, device.index, $0) }
    }

    // MARK: inspection

    public var rank: Int { Int(ct_ndim(handle)) }

    public var shape: [Int] {
        let n = rank
        guard n > 0 else { return [] }
        var dims = [Int64](repeating: 0, count: n)
        ct_shape(handle, &dims)
        return dims.map(Int.init)
    }

    public var strides: [Int] {
        let n = rank
        guard n > 0 else { return [] }
        var values = [Int64](repeating: 0, count: n)
        ct_strides(handle, &values)
        return values.map(Int.init)
    }

    /// The size of dimension `dim` (negative counts from the end).
    public func size(_ dim: Int) -> Int {
        let s = shape
        return s[dim < 0 ? dim + s.count : dim]
    }

    public var dtype: DType { DType(rawValue: ct_dtype(handle)) ?? .float32 }

    public var device: Device {
        var type: Int32 = 0, index: Int32 = 0
        ct_device(handle, &type, &index)
        switch type {
        case 1: return .cuda(Int(index))
        case 14: return .meta
        default: return .cpu
        }
    }

    public var elementCount: Int { Int(ct_numel(handle)) }
    public var isContiguous: Bool { ct_is_contiguous(handle) }

    // MARK: data out

    /// The elements in row-major order, converted to `T`.
    public func toArray<T: TensorElement>(_: T.Type = T.self) throws -> [T] {
        let n = elementCount
        var result = [T](unsafeUninitializedCapacity: n) { _, count in count = n }
        if T.self == Bool.self {
            var bytes = [UInt8](repeating: 0, count: n)
            try bytes.withUnsafeMutableBytes { try check(ct_copy_out(handle, DType.bool.rawValue, $0.baseAddress, $0.count), "toArray") }
            return bytes.map { $0 != 0 } as! [T]
        }
        try result.withUnsafeMutableBytes { raw in
            try check(ct_copy_out(handle, T.dtype.rawValue, raw.baseAddress, raw.count), "toArray")
        }
        return result
    }

    /// Raw little-endian bytes of the elements (row-major) in the tensor's own dtype.
    public func bytes() throws -> [UInt8] {
        var result = [UInt8](repeating: 0, count: elementCount * dtype.byteSize)
        try result.withUnsafeMutableBytes { try check(ct_copy_out(handle, dtype.rawValue, $0.baseAddress, $0.count), "bytes") }
        return result
    }

    /// The value of a one-element tensor.
    public func item() throws -> Double {
        var value = 0.0
        try check(ct_item(handle, &value), "item (tensor of shape \(shape))")
        return value
    }

    public func floatItem() throws -> Float { Float(try item()) }

    // MARK: conversion

    /// A copy converted to `dtype` and moved to `device` (the same tensor when nothing changes).
    public func to(_ dtype: DType? = nil, device: Device? = nil) throws -> Tensor {
        let target = device ?? self.device
        return try produce("to(\(dtype ?? self.dtype), \(target))") {
            ct_to(handle, (dtype ?? self.dtype).rawValue, target.typeCode, Swift.max(target.index, 0), $0)
        }
    }

    public func clone() throws -> Tensor { try produce("clone") { ct_clone(handle, $0) } }
    public func contiguous() throws -> Tensor { try produce("contiguous") { ct_contiguous(handle, $0) } }

    /// A second handle to this very tensor (not a copy): in-place changes show through both.
    public func alias() throws -> Tensor { try produce("alias") { ct_shallow_clone(handle, $0) } }
}

extension Tensor: CustomStringConvertible {
    /// libtorch's printout of the values, with shape, dtype and device.
    public var description: String {
        var text: UnsafeMutablePointer<CChar>?
        if let status = ct_to_string(handle, &text) {
            ct_error_free(status)
            return "Tensor(shape: \(shape), dtype: \(dtype), device: \(device))"
        }
        defer { ct_error_free(text) }
        return String(cString: text!) + "\nTensor(shape: \(shape), dtype: \(dtype), device: \(device))"
    }
}
