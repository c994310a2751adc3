import Foundation

/// The cohort generator's random numbers: xoshiro256** seeded through SplitMix64. Every patient and
/// every purpose (plan, texture, noise, lesions, text) gets its own stream derived from the cohort
/// seed, so the output does not depend on the number of jobs or the order they run in.
public struct SynthRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Purpose codes for derived streams.
    public enum Purpose: UInt64 { case plan = 1, texture, noise, lesion, text, paraphrase, split, uid }

    public init(seed: UInt64, purpose: Purpose, _ labels: UInt64...) {
        var mix = seed &+ 0x9E37_79B9_7F4A_7C15 &+ purpose.rawValue &* 0x94D0_49BB_1331_11EB
        for label in labels { mix = Self.splitMix(&mix) ^ (label &* 0xBF58_476D_1CE4_E5B9) }
        state = (Self.splitMix(&mix), Self.splitMix(&mix), Self.splitMix(&mix), Self.splitMix(&mix))
    }

    static func splitMix(_ x: inout UInt64) -> UInt64 {
        x = x &+ 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }
    public mutating func chance(_ p: Double) -> Bool { unit() < p }
    /// Uniform integer in the closed range.
    public mutating func integer(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    /// Standard normal (Box-Muller; one value per call, so streams stay simple to reason about).
    public mutating func normal() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
    public mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    /// An index drawn with the given (unnormalised) weights.
    public mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var x = unit() * total
        for (i, w) in weights.enumerated() {
            if x < w { return i }
            x -= w
        }
        return weights.count - 1
    }
}

