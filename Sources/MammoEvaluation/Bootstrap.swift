import Foundation
import Torch

/// Percentile bootstrap confidence intervals that resample patients, not images: every case of a
/// drawn patient comes along, so correlated views and exams of one woman do not narrow the interval.
public struct PatientBootstrap: Sendable {
    public var replicates: Int
    public var seed: UInt64

    public init(replicates: Int = 2000, seed: UInt64 = 0) {
        self.replicates = replicates
        self.seed = seed
    }

    /// The `level` percentile interval of `statistic` over resamples of `groups` (a patient id per
    /// case). Resamples on which the statistic cannot be computed (one class only) are skipped and
    /// counted.
    public func interval(groups: [String], level: Double = 0.95,
                         statistic: (_ indices: [Int]) throws -> Double) throws -> (lower: Double, upper: Double, used: Int) {
        guard level > 0 && level < 1 else { throw MetricError.invalidInput("confidence level must be in (0, 1)") }
        var members: [String: [Int]] = [:], order: [String] = []
        for (i, g) in groups.enumerated() {
            if members[g] == nil { order.append(g) }
            members[g, default: []].append(i)
        }
        guard !order.isEmpty else { throw MetricError.invalidInput("no cases") }
        var rng = SeededRandom(seed: seed, salt: 31)
        var values: [Double] = []
        for _ in 0..<replicates {
            var indices: [Int] = []
            for _ in order.indices { indices += members[order[rng.integer(0...(order.count - 1))]]! }
            if let value = try? statistic(indices), value.isFinite { values.append(value) }
        }
        guard values.count >= 10 else { throw MetricError.invalidInput("only \(values.count) of \(replicates) bootstrap resamples had a defined value") }
        values.sort()
        func percentile(_ q: Double) -> Double {
            // Linear interpolation between order statistics (numpy's default).
            let position = q * Double(values.count - 1)
            let low = Int(position.rounded(.down)), high = min(values.count - 1, low + 1)
            return values[low] + (values[high] - values[low]) * (position - Double(low))
        }
        return (percentile((1 - level) / 2), percentile(1 - (1 - level) / 2), values.count)
    }
}
