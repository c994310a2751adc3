/// Arithmetic on numbers read from files: every operation reports overflow instead of trapping, so
/// a damaged or hostile header becomes an error naming the file, never a crash.
public enum Checked {
    /// a + b, or nil on overflow.
    public static func add(_ a: Int, _ b: Int) -> Int? {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : sum
    }

    /// a x b, or nil on overflow.
    public static func multiply(_ a: Int, _ b: Int) -> Int? {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : product
    }

    /// The product of `values` (1 for none), or nil on overflow or when a value is negative.
    public static func product(_ values: [Int]) -> Int? {
        var result = 1
        for value in values {
            guard value >= 0, let next = multiply(result, value) else { return nil }
            result = next
        }
        return result
    }

    /// An unsigned 64-bit field as Int, or nil when it exceeds Int.max.
    public static func int(_ value: UInt64) -> Int? { value <= UInt64(Int.max) ? Int(value) : nil }

    /// `value` as an integer when it is finite, integral and within `range`; nil otherwise
    /// (`Int(someDouble)` traps on 1e99 or NaN).
    public static func integer(_ value: Double, in range: ClosedRange<Int>) -> Int? {
        guard value.isFinite, value.rounded() == value, value >= Double(range.lowerBound), value <= Double(range.upperBound) else { return nil }
        // Double(Int.max) rounds up to 2^63: compare again after the conversion's own range check.
        guard let exact = Int(exactly: value), range.contains(exact) else { return nil }
        return exact
    }
}
