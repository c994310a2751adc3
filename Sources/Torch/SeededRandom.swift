import Foundation

/// Reproducible random numbers independent of libtorch's global generator: xoshiro256** seeded through
/// SplitMix64. A stream is named by a seed, a salt (what it is for) and labels (which item), so work
/// split over threads draws the same numbers whatever thread runs it.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// The stream for `seed`, `salt` and `labels`.
    public init(seed: UInt64, salt: UInt64, _ labels: [UInt64]) {
        var mix = seed &+ 0x9E37_79B9_7F4A_7C15 &+ salt &* 0x94D0_49BB_1331_11EB
        for label in labels { mix = Self.splitMix(&mix) ^ (label &* 0xBF58_476D_1CE4_E5B9) }
        state = (Self.splitMix(&mix), Self.splitMix(&mix), Self.splitMix(&mix), Self.splitMix(&mix))
    }

    public init(seed: UInt64, salt: UInt64, _ labels: UInt64...) { self.init(seed: seed, salt: salt, labels) }

    /// The generator's state, to save with a checkpoint.
    public var snapshot: [UInt64] { [state.0, state.1, state.2, state.3] }

    /// A generator continuing from a saved `snapshot`.
    public init?(snapshot: [UInt64]) {
        guard snapshot.count == 4 else { return nil }
        state = (snapshot[0], snapshot[1], snapshot[2], snapshot[3])
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
    /// Fisher-Yates with this generator (the standard library's shuffle may change between versions).
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, Int(next() % UInt64(i + 1))) }
    }
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

