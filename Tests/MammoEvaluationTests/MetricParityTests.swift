import Foundation
@testable import MammoEvaluation
import Testing

/// Metrics against scikit-learn / scipy values (Fixtures/metrics.json, from generate_fixtures.py).
@Suite struct MetricParityTests {
    struct BinaryCase: Decodable {
        var name: String
        var scores: [Double], other: [Double], labels: [Bool]
        var auc: Double, variance: Double, ci95: [Double]
        var paired_z: Double, paired_p: Double
        var average_precision: Double, youden_threshold: Double, median_threshold: Double
        var counts: [Int], balanced_accuracy: Double, ece: Double
    }
    struct KappaCase: Decodable {
        var truth: [Int], predicted: [Int], confusion: [[Int]]
        var none: Double, linear: Double, quadratic: Double
    }
    struct MulticlassCase: Decodable {
        var truth: [Int], probabilities: [[Double]]
        var accuracy: Double, balanced_accuracy: Double, macro_ovr_auroc: Double, quadratic_kappa: Double
    }
    struct Fixture: Decodable {
        var binary: [BinaryCase]
        var kappa: KappaCase
        var multiclass: MulticlassCase
        var normal_quantiles: [String: Double]
    }

    static let fixture: Result<Fixture, Error> = Result {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/metrics.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test func binaryMetricsMatchScikitLearnAndTheDeLongDefinition() throws {
        for c in try Self.fixture.get().binary {
            let roc = try ROCAnalysis(scores: c.scores, labels: c.labels)
            #expect(abs(roc.auc - c.auc) < 1e-9, "\(c.name) auc")
            #expect(abs(roc.variance - c.variance) < 1e-9, "\(c.name) variance")
            let ci = roc.confidenceInterval()
            #expect(abs(ci.lower - c.ci95[0]) < 1e-9 && abs(ci.upper - c.ci95[1]) < 1e-9, "\(c.name) ci \(ci) vs \(c.ci95)")
            let test = try roc.pairedTest(against: ROCAnalysis(scores: c.other, labels: c.labels))
            #expect(abs(test.z - c.paired_z) < 1e-9 && abs(test.pValue - c.paired_p) < 1e-9, "\(c.name) paired \(test)")
            #expect(abs(try averagePrecision(scores: c.scores, labels: c.labels) - c.average_precision) < 1e-9, "\(c.name) AP")
            #expect(try ThresholdMetrics.youdenThreshold(scores: c.scores, labels: c.labels) == c.youden_threshold, "\(c.name) Youden")
            let m = try ThresholdMetrics(scores: c.scores, labels: c.labels, threshold: c.median_threshold)
            #expect([m.truePositives, m.falsePositives, m.trueNegatives, m.falseNegatives] == c.counts, "\(c.name) counts")
            #expect(abs(m.balancedAccuracy - c.balanced_accuracy) < 1e-9, "\(c.name) balanced accuracy")
            let probabilities = c.scores.map { 1 / (1 + exp(-$0)) }
            #expect(abs(try expectedCalibrationError(probabilities: probabilities, labels: c.labels) - c.ece) < 1e-9, "\(c.name) ECE")
        }
    }

    @Test func multiclassSummaryMatchesScikitLearn() throws {
        let c = try Self.fixture.get().multiclass
        let test = zip(c.truth, c.probabilities).enumerated().map { Prediction(caseID: "\($0)", patientID: "\($0)", label: $1.0, probabilities: $1.1) }
        let m = try #require(try TaskEvaluation.evaluate(task: .density, level: .breast, test: test, bootstrap: nil).multiclass)
        #expect(abs(m.accuracy - c.accuracy) < 1e-9)
        #expect(abs(m.balancedAccuracy - c.balanced_accuracy) < 1e-9)
        #expect(abs(m.aurocMacro - c.macro_ovr_auroc) < 1e-9)
        #expect(abs(m.kappaQuadratic - c.quadratic_kappa) < 1e-9)
    }

    @Test func kappaAndConfusionMatrixMatchScikitLearn() throws {
        let k = try Self.fixture.get().kappa
        let matrix = try ConfusionMatrix(truth: k.truth, predicted: k.predicted, classes: 4)
        #expect(matrix.counts == k.confusion)
        #expect(abs(matrix.kappa(.none) - k.none) < 1e-9)
        #expect(abs(matrix.kappa(.linear) - k.linear) < 1e-9)
        #expect(abs(matrix.kappa(.quadratic) - k.quadratic) < 1e-9)
    }

    @Test func normalQuantilesMatchScipy() throws {
        for (p, expected) in try Self.fixture.get().normal_quantiles {
            #expect(abs(NormalDistribution.quantile(Double(p)!) - expected) < 1e-9, "quantile \(p)")
        }
    }

    @Test func thresholdForSpecificityAndRates() throws {
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4], labels = [true, false, true, false, false, false]
        let t = try ThresholdMetrics.threshold(forSpecificity: 0.75, scores: scores, labels: labels)
        #expect(t == 0.7, "0.7 keeps 3 of 4 negatives below; 0.6 would keep 2")
        let m = try ThresholdMetrics(scores: scores, labels: labels, threshold: t)
        #expect(m.sensitivity == 1 && m.specificity == 0.75 && abs(m.ppv - 2.0 / 3) < 1e-12 && m.npv == 1 && m.accuracy == 5.0 / 6)
    }

    @Test func badInputIsExplained() {
        #expect(throws: MetricError.self) { try ROCAnalysis(scores: [0.1, 0.2], labels: [true, true]) }
        #expect(throws: MetricError.self) { try ROCAnalysis(scores: [0.1], labels: [true, false]) }
        #expect(throws: MetricError.self) { try ROCAnalysis(scores: [.nan, 0.2], labels: [true, false]) }
        #expect(throws: MetricError.self) { try ConfusionMatrix(truth: [0, 5], predicted: [0, 1], classes: 4) }
        #expect(throws: MetricError.self) { try expectedCalibrationError(probabilities: [1.5], labels: [true]) }
    }

    /// Patient-level bootstrap: seeded, brackets the estimate, and resamples whole patients.
    @Test func patientBootstrapIsSeededAndResamplesPatients() throws {
        let c = try Self.fixture.get().binary[0]
        let groups = c.scores.indices.map { "P\($0 / 4)" } // four images per patient
        let auc = { (indices: [Int]) throws -> Double in
            try ROCAnalysis(scores: indices.map { c.scores[$0] }, labels: indices.map { c.labels[$0] }).auc
        }
        let a = try PatientBootstrap(replicates: 300, seed: 3).interval(groups: groups, statistic: auc)
        let b = try PatientBootstrap(replicates: 300, seed: 3).interval(groups: groups, statistic: auc)
        #expect(a.lower == b.lower && a.upper == b.upper && a.used == 300)
        #expect(a.lower < c.auc && c.auc < a.upper)
        var sizes: Set<Int> = []
        _ = try PatientBootstrap(replicates: 20, seed: 1).interval(groups: groups) { indices in
            sizes.insert(indices.count % 4)
            return 0.5
        }
        #expect(sizes == [0], "every resample holds whole patients (multiples of four images)")
    }
}
