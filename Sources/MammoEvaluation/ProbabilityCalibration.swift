import Foundation

/// A map from a classifier's scores to calibrated probabilities, fitted on validation cases: Platt
/// scaling for binary tasks (a logistic regression on the score's logit, with Platt's smoothed
/// targets so that a separable validation set does not drive the slope to infinity) and temperature
/// scaling for multiclass tasks (one temperature minimising the negative log-likelihood). Both are
/// monotone, so they keep every ranking (AUROC) and move only the probabilities.
public enum ProbabilityCalibration: Codable, Equatable, Sendable {
    /// p = sigmoid(slope * logit(score) + intercept).
    case platt(slope: Double, intercept: Double)
    /// p_k proportional to score_k^(1 / temperature).
    case temperature(Double)
    /// Scores are used as they are.
    case identity

    /// Scores are clipped away from 0 and 1 before their logit or logarithm is taken.
    static let clip = 1e-6

    /// Calibrated class probabilities of one case's scores (one per class).
    public func apply(_ scores: [Double]) -> [Double] {
        switch self {
        case .identity: return scores
        case .platt(let slope, let intercept):
            guard scores.count == 2 else { return scores }
            let p = 1 / (1 + exp(-(slope * Self.logit(scores[1]) + intercept)))
            return [1 - p, p]
        case .temperature(let t):
            let logs = scores.map { log(min(1, max(Self.clip, $0))) / t }
            let top = logs.max() ?? 0
            let e = logs.map { exp($0 - top) }, sum = e.reduce(0, +)
            return e.map { $0 / sum }
        }
    }

    static func logit(_ p: Double) -> Double {
        let q = min(1 - clip, max(clip, p))
        return log(q / (1 - q))
    }

    /// Platt scaling of positive-class scores against binary labels (Newton's method on the
    /// two-parameter log-likelihood, as in Platt 1999 / Lin, Lin and Weng 2007).
    public static func fitPlatt(scores: [Double], labels: [Bool]) throws -> ProbabilityCalibration {
        guard scores.count == labels.count, !scores.isEmpty else { throw MetricError.invalidInput("calibration needs validation cases") }
        let positives = Double(labels.filter { $0 }.count), negatives = Double(labels.count) - positives
        guard positives > 0, negatives > 0 else { throw MetricError.invalidInput("calibration needs both classes among the validation cases") }
        let high = (positives + 1) / (positives + 2), low = 1 / (negatives + 2)
        let x = scores.map(logit), t = labels.map { $0 ? high : low }
        var a = 1.0, b = 0.0
        for _ in 0..<100 {
            var g0 = 0.0, g1 = 0.0, h00 = 1e-12, h01 = 0.0, h11 = 1e-12
            for i in x.indices {
                let p = 1 / (1 + exp(-(a * x[i] + b)))
                let d = p - t[i], w = p * (1 - p)
                g0 += d * x[i]; g1 += d
                h00 += w * x[i] * x[i]; h01 += w * x[i]; h11 += w
            }
            let det = h00 * h11 - h01 * h01
            guard det.isFinite, abs(det) > 1e-18 else { break }
            let da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det
            a -= da; b -= db
            if abs(da) < 1e-10 && abs(db) < 1e-10 { break }
        }
        guard a.isFinite, b.isFinite else { return .identity }
        return .platt(slope: a, intercept: b)
    }

    /// Temperature scaling of class-probability rows against class indices (golden-section search
    /// of log T in [log 0.05, log 20]).
    public static func fitTemperature(probabilities: [[Double]], labels: [Int]) throws -> ProbabilityCalibration {
        guard probabilities.count == labels.count, !labels.isEmpty else { throw MetricError.invalidInput("calibration needs validation cases") }
        func loss(_ logT: Double) -> Double {
            let calibration = ProbabilityCalibration.temperature(exp(logT))
            return zip(probabilities, labels).reduce(0) { sum, pair in
                let p = calibration.apply(pair.0)
                return sum - log(max(1e-300, pair.1 < p.count ? p[pair.1] : 1e-300))
            }
        }
        var lo = log(0.05), hi = log(20.0)
        let ratio = (5.0.squareRoot() - 1) / 2
        var c = hi - ratio * (hi - lo), d = lo + ratio * (hi - lo)
        for _ in 0..<80 {
            if loss(c) < loss(d) { hi = d } else { lo = c }
            c = hi - ratio * (hi - lo)
            d = lo + ratio * (hi - lo)
        }
        return .temperature(exp((lo + hi) / 2))
    }
}
