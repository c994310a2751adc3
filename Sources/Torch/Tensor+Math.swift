import CTorch

/// Elementwise functions of one tensor.
enum UnaryOp: Int32 {
    case neg, abs, exp, log, log1p, expm1, sqrt, rsqrt, sin, cos, tanh, sigmoid, relu, relu6, silu, gelu,
         geluTanh, floor, ceil, round, sign, reciprocal, erf, logicalNot, square, isnan, softplus, logSigmoid,
         real, imag, angle, isfinite, trunc, log2
}

/// Elementwise functions of two tensors (broadcasting).
enum BinaryOp: Int32 {
    case add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, remainder,
         atan2, floorDivide, logicalXor
}

extension Tensor {
    func unary(_ op: UnaryOp) throws -> Tensor {
        try produce("\(op) of \(shape)") { ct_unary(op.rawValue, handle, $0) }
    }

    func binary(_ op: BinaryOp, _ other: Tensor) throws -> Tensor {
        try produce("\(op) of \(shape) and \(other.shape)") { ct_binary(op.rawValue, handle, other.handle, $0) }
    }

    func binary(_ op: BinaryOp, _ scalar: Double, scalarFirst: Bool = false) throws -> Tensor {
        try produce("\(op) of \(shape) and a scalar") { ct_binary_scalar(op.rawValue, handle, scalar, scalarFirst, $0) }
    }

    public func neg() throws -> Tensor { try unary(.neg) }
    public func abs() throws -> Tensor { try unary(.abs) }
    public func exp() throws -> Tensor { try unary(.exp) }
    public func log() throws -> Tensor { try unary(.log) }
    public func log2() throws -> Tensor { try unary(.log2) }
    public func log1p() throws -> Tensor { try unary(.log1p) }
    public func expm1() throws -> Tensor { try unary(.expm1) }
    public func sqrt() throws -> Tensor { try unary(.sqrt) }
    public func rsqrt() throws -> Tensor { try unary(.rsqrt) }
    public func sin() throws -> Tensor { try unary(.sin) }
    public func cos() throws -> Tensor { try unary(.cos) }
    public func tanh() throws -> Tensor { try unary(.tanh) }
    public func sigmoid() throws -> Tensor { try unary(.sigmoid) }
    public func relu() throws -> Tensor { try unary(.relu) }
    public func relu6() throws -> Tensor { try unary(.relu6) }
    /// x * sigmoid(x), also called swish.
    public func silu() throws -> Tensor { try unary(.silu) }
    /// The exact (erf) GELU, or its tanh approximation.
    public func gelu(approximateTanh: Bool = false) throws -> Tensor { try unary(approximateTanh ? .geluTanh : .gelu) }
    public func floor() throws -> Tensor { try unary(.floor) }
    public func ceil() throws -> Tensor { try unary(.ceil) }
    public func round() throws -> Tensor { try unary(.round) }
    public func trunc() throws -> Tensor { try unary(.trunc) }
    public func sign() throws -> Tensor { try unary(.sign) }
    public func reciprocal() throws -> Tensor { try unary(.reciprocal) }
    public func erf() throws -> Tensor { try unary(.erf) }
    public func logicalNot() throws -> Tensor { try unary(.logicalNot) }
    public func square() throws -> Tensor { try unary(.square) }
    public func isNaN() throws -> Tensor { try unary(.isnan) }
    public func isFinite() throws -> Tensor { try unary(.isfinite) }
    public func softplus() throws -> Tensor { try unary(.softplus) }
    public func logSigmoid() throws -> Tensor { try unary(.logSigmoid) }
    /// Real and imaginary parts and phase of a complex tensor.
    public func real() throws -> Tensor { try unary(.real) }
    public func imag() throws -> Tensor { try unary(.imag) }
    public func angle() throws -> Tensor { try unary(.angle) }

    public func pow(_ exponent: Double) throws -> Tensor { try binary(.pow, exponent) }
    public func pow(_ exponent: Tensor) throws -> Tensor { try binary(.pow, exponent) }
    public func maximum(_ other: Tensor) throws -> Tensor { try binary(.maximum, other) }
    public func minimum(_ other: Tensor) throws -> Tensor { try binary(.minimum, other) }
    public func remainder(_ other: Tensor) throws -> Tensor { try binary(.remainder, other) }
    public func atan2(_ other: Tensor) throws -> Tensor { try binary(.atan2, other) }
    public func floorDivide(_ other: Tensor) throws -> Tensor { try binary(.floorDivide, other) }
    public func eq(_ other: Tensor) throws -> Tensor { try binary(.eq, other) }
    public func ne(_ other: Tensor) throws -> Tensor { try binary(.ne, other) }
    public func lt(_ other: Tensor) throws -> Tensor { try binary(.lt, other) }
    public func le(_ other: Tensor) throws -> Tensor { try binary(.le, other) }
    public func gt(_ other: Tensor) throws -> Tensor { try binary(.gt, other) }
    public func ge(_ other: Tensor) throws -> Tensor { try binary(.ge, other) }
    public func eq(_ value: Double) throws -> Tensor { try binary(.eq, value) }
    public func ne(_ value: Double) throws -> Tensor { try binary(.ne, value) }
    public func lt(_ value: Double) throws -> Tensor { try binary(.lt, value) }
    public func le(_ value: Double) throws -> Tensor { try binary(.le, value) }
    public func gt(_ value: Double) throws -> Tensor { try binary(.gt, value) }
    public func ge(_ value: Double) throws -> Tensor { try binary(.ge, value) }
    public func logicalAnd(_ other: Tensor) throws -> Tensor { try binary(.logicalAnd, other) }
    public func logicalOr(_ other: Tensor) throws -> Tensor { try binary(.logicalOr, other) }
    public func logicalXor(_ other: Tensor) throws -> Tensor { try binary(.logicalXor, other) }

    /// Limits every element to [min, max]; either bound may be absent.
    public func clamp(min: Double? = nil, max: Double? = nil) throws -> Tensor {
        var lo = min ?? 0, hi = max ?? 0
        return try produce("clamp") { out in
            withUnsafePointer(to: &lo) { lp in withUnsafePointer(to: &hi) { hp in
                ct_clamp(handle, min == nil ? nil : lp, max == nil ? nil : hp, out)
            } }
        }
    }

    /// Elements of `a` where `condition` holds, else of `b`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try produce("where") { ct_where(condition.handle, a.handle, b.handle, $0) }
    }

    public func maskedFill(_ mask: Tensor, value: Double) throws -> Tensor {
        try produce("masked_fill of \(shape) by mask \(mask.shape)") { ct_masked_fill(handle, mask.handle, value, $0) }
    }

    /// self + weight * (end - self).
    public func lerp(_ end: Tensor, weight: Double) throws -> Tensor {
        try produce("lerp") { ct_lerp(handle, end.handle, weight, $0) }
    }

    // MARK: linear algebra

    public func matmul(_ other: Tensor) throws -> Tensor {
        try produce("matmul of \(shape) and \(other.shape)") { ct_matmul(handle, other.handle, $0) }
    }

    public func bmm(_ other: Tensor) throws -> Tensor {
        try produce("bmm of \(shape) and \(other.shape)") { ct_bmm(handle, other.handle, $0) }
    }

    public func outer(_ other: Tensor) throws -> Tensor {
        try produce("outer") { ct_outer(handle, other.handle, $0) }
    }

    // MARK: in place (never recorded by autograd)

    /// Overwrites the elements with those of `source` (broadcast and converted).
    public func copy_(_ source: Tensor) throws { try check(ct_copy_(handle, source.handle), "copy_ \(source.shape) into \(shape)") }
    public func fill_(_ value: Double) throws { try check(ct_fill_(handle, value), "fill_") }
    public func uniform_(low: Double, high: Double) throws { try check(ct_uniform_(handle, low, high), "uniform_") }
    public func normal_(mean: Double = 0, std: Double = 1) throws { try check(ct_normal_(handle, mean, std), "normal_") }
    public func add_(_ other: Tensor, alpha: Double = 1) throws { try check(ct_add_(handle, other.handle, alpha), "add_") }
    public func mul_(_ value: Double) throws { try check(ct_mul_scalar_(handle, value), "mul_") }
    public func zero_() throws { try fill_(0) }
    /// Makes this tensor hold `source`'s data (shape, dtype, device) while staying the same object.
    public func setData(_ source: Tensor) throws { try check(ct_set_data(handle, source.handle), "set_data") }
}

// MARK: operators

infix operator .== : ComparisonPrecedence
infix operator .!= : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .> : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence

extension Tensor {
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.add, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.sub, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.mul, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try a.binary(.div, b) }
    public static func + (a: Tensor, b: Double) throws -> Tensor { try a.binary(.add, b) }
    public static func - (a: Tensor, b: Double) throws -> Tensor { try a.binary(.sub, b) }
    public static func * (a: Tensor, b: Double) throws -> Tensor { try a.binary(.mul, b) }
    public static func / (a: Tensor, b: Double) throws -> Tensor { try a.binary(.div, b) }
    public static func + (a: Double, b: Tensor) throws -> Tensor { try b.binary(.add, a, scalarFirst: true) }
    public static func - (a: Double, b: Tensor) throws -> Tensor { try b.binary(.sub, a, scalarFirst: true) }
    public static func * (a: Double, b: Tensor) throws -> Tensor { try b.binary(.mul, a, scalarFirst: true) }
    public static func / (a: Double, b: Tensor) throws -> Tensor { try b.binary(.div, a, scalarFirst: true) }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.neg() }

    public static func .== (a: Tensor, b: Tensor) throws -> Tensor { try a.eq(b) }
    public static func .!= (a: Tensor, b: Tensor) throws -> Tensor { try a.ne(b) }
    public static func .< (a: Tensor, b: Tensor) throws -> Tensor { try a.lt(b) }
    public static func .<= (a: Tensor, b: Tensor) throws -> Tensor { try a.le(b) }
    public static func .> (a: Tensor, b: Tensor) throws -> Tensor { try a.gt(b) }
    public static func .>= (a: Tensor, b: Tensor) throws -> Tensor { try a.ge(b) }
    public static func .== (a: Tensor, b: Double) throws -> Tensor { try a.eq(b) }
    public static func .< (a: Tensor, b: Double) throws -> Tensor { try a.lt(b) }
    public static func .> (a: Tensor, b: Double) throws -> Tensor { try a.gt(b) }
}
