import Foundation
@testable import MammoEvaluation
import Testing
@testable import MammoData

/// Task-level evaluation: the numbers agree with the metric primitives, operating points come from
/// validation, and result documents write JSON and HTML that read back.
@Suite struct TaskEvaluationTests {
    static func binaryCases(_ n: Int, seed: UInt64, separation: Double) -> [Prediction] {
        var state = seed
        func unit() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) }
        return (0..<n).map { i in
            let label = i % 4 == 0 ? 1 : 0
            let p = min(1, max(0, unit() * 0.8 + (label == 1 ? separation : 0)))
            return Prediction(caseID: "c\(i)", patientID: "p\(i / 2)", label: label, probabilities: [1 - p, p])
        }
    }

    @Test func binaryNumbersMatchThePrimitives() throws {
        let test = Self.binaryCases(200, seed: 1, separation: 0.3), validation = Self.binaryCases(100, seed: 2, separation: 0.3)
        let ev = try TaskEvaluation.evaluate(task: .mass, level: .image, test: test, validation: validation,
                                             bootstrap: PatientBootstrap(replicates: 200, seed: 3))
        let b = try #require(ev.binary)
        let scores = test.map(\.positiveProbability), labels = test.map { $0.label == 1 }
        let roc = try ROCAnalysis(scores: scores, labels: labels)
        #expect(b.auroc == roc.auc && b.cases == 200 && b.positives == 50 && b.patients == 100)
        #expect(b.aurocDeLong.lower < b.auroc && b.auroc < b.aurocDeLong.upper)
        let boot = try #require(b.aurocBootstrap)
        #expect(boot.lower < b.auroc && b.auroc < boot.upper)
        let youden = try ThresholdMetrics.youdenThreshold(scores: validation.map(\.positiveProbability), labels: validation.map { $0.label == 1 })
        #expect(b.threshold == youden && b.thresholdRule.contains("validation"))
        let at = try ThresholdMetrics(scores: scores, labels: labels, threshold: youden)
        #expect(b.sensitivity == at.sensitivity && b.specificity == at.specificity)
        #expect(b.confusion.flatMap { $0 }.reduce(0, +) == 200 && b.confusion[1][1] == at.truePositives)
        #expect(b.auprc == (try averagePrecision(scores: scores, labels: labels)))
        #expect(b.roc.first == [0, 0] && b.roc.last == [1, 1] && b.roc.count <= 201)
        #expect(b.calibration.map { $0[2] }.reduce(0, +) == 200)
        // A fixed specificity on validation instead of Youden's.
        let screening = try TaskEvaluation.evaluate(task: .mass, level: .image, test: test, validation: validation,
                                                    operatingPoint: .specificity(0.9), bootstrap: nil)
        let target = try ThresholdMetrics.threshold(forSpecificity: 0.9, scores: validation.map(\.positiveProbability),
                                                    labels: validation.map { $0.label == 1 })
        #expect(screening.binary!.threshold == target && screening.binary!.thresholdRule.contains("specificity 0.9"))
        #expect(OperatingPoint(parsing: "specificity:0.95") == .specificity(0.95) && OperatingPoint(parsing: "youden") == .youden)
        #expect(OperatingPoint(parsing: "specificity:2") == nil && OperatingPoint(parsing: "best") == nil)
        // Without validation the test-set choice is flagged.
        let optimistic = try TaskEvaluation.evaluate(task: .mass, level: .image, test: test, bootstrap: nil)
        #expect(optimistic.binary!.thresholdRule.contains("optimistic") && optimistic.binary!.aurocBootstrap == nil)
    }

    @Test func multiclassNumbers() throws {
        // Truth 0 0 1 1 2 3; predicted 0 1 1 1 2 2.
        let rows: [(Int, [Double])] = [(0, [0.7, 0.1, 0.1, 0.1]), (0, [0.3, 0.4, 0.2, 0.1]), (1, [0.1, 0.6, 0.2, 0.1]),
                                       (1, [0.2, 0.5, 0.2, 0.1]), (2, [0.1, 0.1, 0.7, 0.1]), (3, [0.1, 0.1, 0.5, 0.3])]
        let test = rows.enumerated().map { Prediction(caseID: "c\($0)", patientID: "p\($0)", label: $1.0, probabilities: $1.1) }
        let m = try #require(try TaskEvaluation.evaluate(task: .density, level: .breast, test: test, bootstrap: nil).multiclass)
        #expect(m.confusion == [[1, 1, 0, 0], [0, 2, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0]])
        #expect(abs(m.accuracy - 4.0 / 6) < 1e-12 && abs(m.balancedAccuracy - (0.5 + 1 + 1 + 0) / 4) < 1e-12)
        #expect(m.classCounts == [2, 2, 1, 1] && m.aurocPerClass.allSatisfy { $0 != nil })
        let matrix = try ConfusionMatrix(truth: rows.map(\.0), predicted: [0, 1, 1, 1, 2, 2], classes: 4)
        #expect(m.kappaQuadratic == matrix.kappa(.quadratic))
        #expect(throws: MetricError.self) {
            try TaskEvaluation.evaluate(task: .density, level: .breast, test: [Prediction(caseID: "x", patientID: "p", label: 0, probabilities: [1, 0])])
        }
    }

    @Test func documentsWriteJSONAndHTML() throws {
        let test = Self.binaryCases(80, seed: 5, separation: 0.4)
        var ev = try TaskEvaluation.evaluate(task: .mass, level: .image, test: test, bootstrap: nil)
        ev.binary!.npv = .nan   // undefined values survive the round trip
        let dataset = LabelledDataset(format: "synth", source: "/data/<cohort>", images: [], tasks: [.mass])
        var document = EvaluationDocument(command: "probe", model: "m", modelHash: "00ff", dataset: dataset, configuration: ["seed": "0"],
                                          entries: [EvaluationEntry(name: "probe & co", method: "linear probe", evaluation: ev)])
        let other = test.map { Prediction(caseID: $0.caseID, patientID: $0.patientID, label: $0.label, probabilities: [0.5, 0.5]) }
        document.comparisons = [try PairedComparison.delong(first: "a", test, second: "flat", other, task: "mass", level: .image)]
        #expect(document.comparisons![0].aurocSecond == 0.5)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-document-\(getpid())")
        try document.write(to: folder)
        let back = try EvaluationDocument.read(folder.appendingPathComponent("result.json"))
        #expect(back.entries.count == 1 && back.entries[0].evaluation.binary?.auroc == ev.binary?.auroc && back.modelHash == "00ff")
        #expect(back.entries[0].evaluation.binary?.npv.isNaN == true)
        let html = try String(contentsOf: folder.appendingPathComponent("results.html"), encoding: .utf8)
        #expect(html.contains("probe &amp; co") && html.contains("&lt;cohort&gt;") && html.contains("Paired comparisons"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 3)
    }
}
