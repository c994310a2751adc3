import Foundation

/// Errors from metric computation; each says what was wrong with the input.
public enum MetricError: Error, Equatable, CustomStringConvertible {
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidInput(let reason): return "cannot compute the metric: \(reason)"
        }
    }
}

/// Area under the ROC curve with DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988, in the
/// midrank form of Sun & Xu 2014): ties count one half, as in scikit-learn's `roc_auc_score`.
public struct ROCAnalysis: Sendable {
    public let auc: Double
    /// DeLong's variance of `auc`.
    public let variance: Double
    /// Structural components: V10 per positive, V01 per negative (used for paired comparisons).
    let positiveComponents: [Double]
    let negativeComponents: [Double]

    /// `scores`: higher means more likely positive. Needs at least one positive and one negative.
    public init(scores: [Double], labels: [Bool]) throws {
        guard scores.count == labels.count else {
            throw MetricError.invalidInput("\(scores.count) scores for \(labels.count) labels")
        }
        guard scores.allSatisfy(\.isFinite) else { throw MetricError.invalidInput("a score is not finite") }
        let positives = zip(scores, labels).filter { $0.1 }.map(\.0)
        let negatives = zip(scores, labels).filter { !$0.1 }.map(\.0)
        guard !positives.isEmpty, !negatives.isEmpty else {
            throw MetricError.invalidInput("AUROC needs both classes (\(positives.count) positive, \(negatives.count) negative)")
        }
        let m = Double(positives.count), n = Double(negatives.count)
        let combined = Self.midranks(positives + negatives)
        let ownPositive = Self.midranks(positives), ownNegative = Self.midranks(negatives)
        // V10_i = (rank of positive i among all - its rank among positives) / n; V01_j likewise.
        let v10 = positives.indices.map { (combined[$0] - ownPositive[$0]) / n }
        let v01 = negatives.indices.map { 1 - (combined[positives.count + $0] - ownNegative[$0]) / m }
        auc = v10.reduce(0, +) / m
        positiveComponents = v10
        negativeComponents = v01
        variance = Self.sampleVariance(v10) / m + Self.sampleVariance(v01) / n
    }

    /// The two-sided `level` confidence interval auc ± z sqrt(variance), clipped to [0, 1].
    public func confidenceInterval(level: Double = 0.95) -> (lower: Double, upper: Double) {
        let half = NormalDistribution.quantile(0.5 + level / 2) * variance.squareRoot()
        return (max(0, auc - half), min(1, auc + half))
    }

    /// DeLong's test of two models scored on the same cases (same order): z statistic and two-sided
    /// p-value of the difference `self.auc - other.auc`.
    public func pairedTest(against other: ROCAnalysis) throws -> (difference: Double, z: Double, pValue: Double) {
        guard positiveComponents.count == other.positiveComponents.count, negativeComponents.count == other.negativeComponents.count else {
            throw MetricError.invalidInput("paired DeLong test needs the same cases for both models")
        }
        let m = Double(positiveComponents.count), n = Double(negativeComponents.count)
        let covariance = Self.sampleCovariance(positiveComponents, other.positiveComponents) / m
            + Self.sampleCovariance(negativeComponents, other.negativeComponents) / n
        let difference = auc - other.auc
        let spread = variance + other.variance - 2 * covariance
        guard spread > 0 else { return (difference, difference == 0 ? 0 : .infinity, difference == 0 ? 1 : 0) }
        let z = difference / spread.squareRoot()
        return (difference, z, 2 * NormalDistribution.survival(abs(z)))
    }

    /// 1-based midranks (ties share the mean of their ranks), in input order.
    static func midranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        return ranks
    }

    static func sampleVariance(_ x: [Double]) -> Double { sampleCovariance(x, x) }

    static func sampleCovariance(_ x: [Double], _ y: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
        return zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / Double(x.count - 1)
    }
}

/// The standard normal distribution's tail and quantile (for confidence intervals and tests).
public enum NormalDistribution {
    /// P(Z > z).
    public static func survival(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// The p-quantile, by Acklam's rational approximation refined with one Halley step (|error| < 1e-15).
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile needs 0 < p < 1")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // Halley refinement against the exact CDF.
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
