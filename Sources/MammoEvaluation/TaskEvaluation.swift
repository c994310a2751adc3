import Foundation
import MammoData

/// A two-sided confidence interval.
public struct Interval: Codable, Equatable, Sendable {
    public var lower: Double
    public var upper: Double
    public init(_ lower: Double, _ upper: Double) { self.lower = lower; self.upper = upper }
}

/// How a binary operating point is chosen on the validation predictions.
public enum OperatingPoint: Codable, Equatable, Sendable {
    /// Youden's J (sensitivity + specificity - 1) at its maximum.
    case youden
    /// The threshold that reaches this specificity (screening programmes fix the recall rate).
    case specificity(Double)

    /// "youden" or "specificity:0.9".
    public init?(parsing text: String) {
        if text == "youden" { self = .youden; return }
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0] == "specificity", let value = Double(parts[1]), value > 0, value < 1 else { return nil }
        self = .specificity(value)
    }

    /// The threshold this rule chooses on `predictions` (their positive-class probabilities).
    public func threshold(_ predictions: [Prediction]) throws -> Double {
        let scores = predictions.map(\.positiveProbability), labels = predictions.map { $0.label == 1 }
        switch self {
        case .youden: return try ThresholdMetrics.youdenThreshold(scores: scores, labels: labels)
        case .specificity(let target): return try ThresholdMetrics.threshold(forSpecificity: target, scores: scores, labels: labels)
        }
    }

    /// The rule in words ("Youden's J", "specificity 0.9").
    public var name: String {
        switch self {
        case .youden: return "Youden's J"
        case .specificity(let target): return String(format: "specificity %g", target)
        }
    }
}

/// Every number of a binary task on one set of cases.
public struct BinaryEvaluation: Codable, Sendable {
    public var cases: Int
    public var positives: Int
    public var patients: Int
    public var auroc: Double
    /// DeLong's 95% interval (clipped to [0, 1]).
    public var aurocDeLong: Interval
    /// Percentile interval over patient-level bootstrap resamples (nil when not requested, or when
    /// too few resamples contain both classes).
    public var aurocBootstrap: Interval?
    public var auprc: Double
    public var expectedCalibrationError: Double
    /// The operating point: threshold and how it was chosen.
    public var threshold: Double
    public var thresholdRule: String
    public var sensitivity: Double
    public var specificity: Double
    public var ppv: Double
    public var npv: Double
    public var accuracy: Double
    public var balancedAccuracy: Double
    /// Rows truth (negative, positive), columns prediction at the threshold.
    public var confusion: [[Int]]
    /// ROC curve as (false-positive rate, true-positive rate) points, at most ~200.
    public var roc: [[Double]]
    /// Reliability diagram: per probability bin (10 equal-width), [mean predicted, observed rate, count].
    public var calibration: [[Double]]
}

/// Every number of a multi-class task (density) on one set of cases.
public struct MulticlassEvaluation: Codable, Sendable {
    public var cases: Int
    public var patients: Int
    public var classCounts: [Int]
    public var accuracy: Double
    public var accuracyBootstrap: Interval?
    public var balancedAccuracy: Double
    public var kappa: Double
    public var kappaLinear: Double
    public var kappaQuadratic: Double
    public var kappaQuadraticBootstrap: Interval?
    /// One-vs-rest AUROC per class (nil when a class is absent), and their mean over present classes.
    public var aurocPerClass: [Double?]
    public var aurocMacro: Double
    /// Rows truth, columns prediction (argmax).
    public var confusion: [[Int]]
}

/// The evaluation of one task: binary or multi-class.
public struct TaskEvaluation: Codable, Sendable {
    public var task: ClassificationTask
    /// What a case is: "image", "breast" or "exam".
    public var level: ScoringLevel
    public var binary: BinaryEvaluation?
    public var multiclass: MulticlassEvaluation?

    /// The headline number: AUROC for binary tasks, macro one-vs-rest AUROC for multi-class ones.
    public var headline: Double { binary?.auroc ?? multiclass?.aurocMacro ?? .nan }

    /// Scores `test` predictions. The binary operating point is chosen by `operatingPoint` on
    /// `validation` when given (the protocol), else `fixedThreshold`, else on the test cases (flagged
    /// optimistic in `thresholdRule`). Bootstrap intervals resample patients.
    public static func evaluate(task: ClassificationTask, level: ScoringLevel, test: [Prediction], validation: [Prediction]? = nil,
                                fixedThreshold: Double? = nil, operatingPoint: OperatingPoint = .youden,
                                bootstrap: PatientBootstrap? = PatientBootstrap()) throws -> TaskEvaluation {
        guard !test.isEmpty else { throw MetricError.invalidInput("no test cases for \(task.name)") }
        guard test.allSatisfy({ $0.probabilities.count == task.classes.count && (0..<task.classes.count).contains($0.label) }) else {
            throw MetricError.invalidInput("\(task.name): every prediction needs \(task.classes.count) probabilities and a label in 0..<\(task.classes.count)")
        }
        if task.isBinary {
            return TaskEvaluation(task: task, level: level, binary: try binary(test, validation: validation, fixedThreshold: fixedThreshold, operatingPoint: operatingPoint,
                                                                              bootstrap: bootstrap), multiclass: nil)
        }
        return TaskEvaluation(task: task, level: level, binary: nil, multiclass: try multiclass(test, classes: task.classes.count, bootstrap: bootstrap))
    }

    static func binary(_ test: [Prediction], validation: [Prediction]?, fixedThreshold: Double?, operatingPoint: OperatingPoint,
                       bootstrap: PatientBootstrap?) throws -> BinaryEvaluation {
        let scores = test.map(\.positiveProbability), labels = test.map { $0.label == 1 }
        let roc = try ROCAnalysis(scores: scores, labels: labels)
        let delong = roc.confidenceInterval()
        let threshold: Double, rule: String
        if let validation, Set(validation.map(\.label)).count == 2 {
            threshold = try operatingPoint.threshold(validation)
            rule = "\(operatingPoint.name) on the validation split"
        } else if let fixedThreshold {
            threshold = fixedThreshold
            rule = "fixed"
        } else {
            threshold = try operatingPoint.threshold(test)
            rule = "\(operatingPoint.name) on the test cases themselves (no validation split: optimistic)"
        }
        let atThreshold = try ThresholdMetrics(scores: scores, labels: labels, threshold: threshold)
        // nil when too few resamples hold both classes (very few positives).
        let interval = bootstrap.flatMap { b in
            try? b.interval(groups: test.map(\.patientID)) { indices in
                try ROCAnalysis(scores: indices.map { scores[$0] }, labels: indices.map { labels[$0] }).auc
            }
        }
        return BinaryEvaluation(
            cases: test.count, positives: labels.filter { $0 }.count, patients: Set(test.map(\.patientID)).count,
            auroc: roc.auc, aurocDeLong: Interval(max(0, delong.lower), min(1, delong.upper)),
            aurocBootstrap: interval.map { Interval($0.lower, $0.upper) },
            auprc: try averagePrecision(scores: scores, labels: labels),
            expectedCalibrationError: try expectedCalibrationError(probabilities: scores.map { min(1, max(0, $0)) }, labels: labels),
            threshold: threshold, thresholdRule: rule, sensitivity: atThreshold.sensitivity, specificity: atThreshold.specificity,
            ppv: atThreshold.ppv, npv: atThreshold.npv, accuracy: atThreshold.accuracy, balancedAccuracy: atThreshold.balancedAccuracy,
            confusion: [[atThreshold.trueNegatives, atThreshold.falsePositives], [atThreshold.falseNegatives, atThreshold.truePositives]],
            roc: rocCurve(scores: scores, labels: labels), calibration: reliability(scores: scores, labels: labels))
    }

    static func multiclass(_ test: [Prediction], classes: Int, bootstrap: PatientBootstrap?) throws -> MulticlassEvaluation {
        let truth = test.map(\.label), predicted = test.map(\.predictedClass)
        let matrix = try ConfusionMatrix(truth: truth, predicted: predicted, classes: classes)
        let counts = (0..<classes).map { c in truth.filter { $0 == c }.count }
        let recalls = (0..<classes).filter { counts[$0] > 0 }.map { Double(matrix.counts[$0][$0]) / Double(counts[$0]) }
        let perClass: [Double?] = (0..<classes).map { c in
            try? ROCAnalysis(scores: test.map { $0.probabilities[c] }, labels: truth.map { $0 == c }).auc
        }
        let present = perClass.compactMap { $0 }
        // nil when the statistic is undefined on the resamples (kappa when every case gets one class).
        func resampled(_ statistic: @escaping (ConfusionMatrix) -> Double) throws -> Interval? {
            bootstrap.flatMap { b in
                let r = try? b.interval(groups: test.map(\.patientID)) { indices in
                    statistic(try ConfusionMatrix(truth: indices.map { truth[$0] }, predicted: indices.map { predicted[$0] }, classes: classes))
                }
                return r.map { Interval($0.lower, $0.upper) }
            }
        }
        return MulticlassEvaluation(
            cases: test.count, patients: Set(test.map(\.patientID)).count, classCounts: counts, accuracy: matrix.accuracy,
            accuracyBootstrap: try resampled { $0.accuracy }, balancedAccuracy: recalls.reduce(0, +) / Double(max(1, recalls.count)),
            kappa: matrix.kappa(.none), kappaLinear: matrix.kappa(.linear), kappaQuadratic: matrix.kappa(.quadratic),
            kappaQuadraticBootstrap: try resampled { $0.kappa(.quadratic) },
            aurocPerClass: perClass, aurocMacro: present.isEmpty ? .nan : present.reduce(0, +) / Double(present.count),
            confusion: matrix.counts)
    }

    /// ROC points at every distinct threshold, thinned to about 200 for plotting.
    static func rocCurve(scores: [Double], labels: [Bool]) -> [[Double]] {
        let positives = Double(labels.filter { $0 }.count), negatives = Double(labels.count) - positives
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var points: [[Double]] = [[0, 0]], tp = 0.0, fp = 0.0, i = 0
        while i < order.count {
            var j = i
            while j < order.count && scores[order[j]] == scores[order[i]] {
                if labels[order[j]] { tp += 1 } else { fp += 1 }
                j += 1
            }
            points.append([fp / negatives, tp / positives])
            i = j
        }
        guard points.count > 200 else { return points }
        let step = Double(points.count - 1) / 199
        return (0..<200).map { points[Int((Double($0) * step).rounded())] }
    }

    /// 10 equal-width probability bins: [mean predicted, observed positive rate, count] for non-empty bins.
    static func reliability(scores: [Double], labels: [Bool], bins: Int = 10) -> [[Double]] {
        var count = [Double](repeating: 0, count: bins), sum = count, positive = count
        for (s, y) in zip(scores, labels) {
            let b = min(bins - 1, max(0, Int(s * Double(bins))))
            count[b] += 1; sum[b] += s
            if y { positive[b] += 1 }
        }
        return (0..<bins).filter { count[$0] > 0 }.map { [sum[$0] / count[$0], positive[$0] / count[$0], count[$0]] }
    }
}
