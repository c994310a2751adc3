import Foundation

/// Counts and rates of a binary decision at a threshold (a score at or above it is called positive).
public struct ThresholdMetrics: Equatable, Sendable {
    public var threshold: Double
    public var truePositives = 0, falsePositives = 0, trueNegatives = 0, falseNegatives = 0

    public init(scores: [Double], labels: [Bool], threshold: Double) throws {
        guard scores.count == labels.count else { throw MetricError.invalidInput("\(scores.count) scores for \(labels.count) labels") }
        self.threshold = threshold
        for (score, label) in zip(scores, labels) {
            switch (score >= threshold, label) {
            case (true, true): truePositives += 1
            case (true, false): falsePositives += 1
            case (false, false): trueNegatives += 1
            case (false, true): falseNegatives += 1
            }
        }
    }

    static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? .nan : Double(a) / Double(b) }
    /// Recall of positives (NaN without positives).
    public var sensitivity: Double { Self.ratio(truePositives, truePositives + falseNegatives) }
    public var specificity: Double { Self.ratio(trueNegatives, trueNegatives + falsePositives) }
    /// Positive predictive value (precision); NaN when nothing is called positive.
    public var ppv: Double { Self.ratio(truePositives, truePositives + falsePositives) }
    public var npv: Double { Self.ratio(trueNegatives, trueNegatives + falseNegatives) }
    public var accuracy: Double { Self.ratio(truePositives + trueNegatives, truePositives + trueNegatives + falsePositives + falseNegatives) }
    public var balancedAccuracy: Double { (sensitivity + specificity) / 2 }

    /// The threshold maximising Youden's J (sensitivity + specificity - 1) over the observed scores;
    /// the highest such score on ties.
    public static func youdenThreshold(scores: [Double], labels: [Bool]) throws -> Double {
        var best = (j: -Double.infinity, threshold: Double.nan)
        for t in Set(scores).sorted(by: >) {
            let m = try ThresholdMetrics(scores: scores, labels: labels, threshold: t)
            let j = m.sensitivity + m.specificity - 1
            if j > best.j { best = (j, t) }
        }
        guard best.threshold.isFinite else { throw MetricError.invalidInput("Youden's threshold needs both classes") }
        return best.threshold
    }

    /// The highest threshold whose specificity is at least `specificity` (among observed scores,
    /// plus one above the maximum so that "call nothing positive" is possible).
    public static func threshold(forSpecificity specificity: Double, scores: [Double], labels: [Bool]) throws -> Double {
        guard let top = scores.max() else { throw MetricError.invalidInput("no scores") }
        var chosen = top.nextUp
        for t in Set(scores).sorted(by: >) {
            guard try ThresholdMetrics(scores: scores, labels: labels, threshold: t).specificity >= specificity else { break }
            chosen = t
        }
        return chosen
    }
}

/// Area under the precision-recall curve as average precision (scikit-learn's
/// `average_precision_score`): sum over thresholds of (R_k - R_{k-1}) P_k.
public func averagePrecision(scores: [Double], labels: [Bool]) throws -> Double {
    guard scores.count == labels.count else { throw MetricError.invalidInput("\(scores.count) scores for \(labels.count) labels") }
    let positives = labels.filter { $0 }.count
    guard positives > 0 else { throw MetricError.invalidInput("average precision needs a positive") }
    let order = scores.indices.sorted { scores[$0] > scores[$1] }
    var tp = 0, fp = 0, previousRecall = 0.0, total = 0.0
    var i = 0
    while i < order.count {
        // All cases sharing a score form one threshold.
        var j = i
        while j < order.count && scores[order[j]] == scores[order[i]] {
            if labels[order[j]] { tp += 1 } else { fp += 1 }
            j += 1
        }
        let recall = Double(tp) / Double(positives), precision = Double(tp) / Double(tp + fp)
        total += (recall - previousRecall) * precision
        previousRecall = recall
        i = j
    }
    return total
}

/// Expected calibration error of predicted probabilities: cases binned by probability into `bins`
/// equal-width bins on [0, 1] (the last closed), then the case-weighted mean of
/// |observed positive rate - mean predicted probability| per bin.
public func expectedCalibrationError(probabilities: [Double], labels: [Bool], bins: Int = 10) throws -> Double {
    guard probabilities.count == labels.count, !labels.isEmpty else { throw MetricError.invalidInput("\(probabilities.count) probabilities for \(labels.count) labels") }
    guard probabilities.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw MetricError.invalidInput("probabilities must lie in [0, 1]") }
    guard bins >= 1 else { throw MetricError.invalidInput("at least one bin") }
    var count = [Int](repeating: 0, count: bins), positive = [Double](repeating: 0, count: bins), confidence = [Double](repeating: 0, count: bins)
    for (p, y) in zip(probabilities, labels) {
        let b = min(bins - 1, Int(p * Double(bins)))
        count[b] += 1
        confidence[b] += p
        if y { positive[b] += 1 }
    }
    var error = 0.0
    for b in 0..<bins where count[b] > 0 {
        error += abs(positive[b] - confidence[b]) / Double(labels.count)
    }
    return error
}
