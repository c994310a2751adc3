import Foundation
import MammoEvaluation
import Testing

/// Platt and temperature scaling against scikit-learn and scipy (Fixtures/calibration.json, from
/// generate_calibration_fixtures.py).
struct CalibrationTests {
    struct Fixture: Decodable {
        struct Platt: Decodable { var name: String, scores: [Double], labels: [Bool], slope: Double, intercept: Double }
        struct Temperature: Decodable { var name: String, probabilities: [[Double]], labels: [Int], temperature: Double }
        var platt: [Platt]
        var temperature: [Temperature]
    }

    static let fixture: Result<Fixture, Error> = Result {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/calibration.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test func plattScalingMatchesScikitLearn() throws {
        for case_ in try Self.fixture.get().platt {
            guard case .platt(let slope, let intercept) = try ProbabilityCalibration.fitPlatt(scores: case_.scores, labels: case_.labels) else {
                Issue.record("\(case_.name): not a Platt map")
                continue
            }
            // scikit-learn stops its BFGS at a gradient tolerance; Newton's method here converges further.
            #expect(abs(slope - case_.slope) < 1e-4 && abs(intercept - case_.intercept) < 1e-4,
                    "\(case_.name): \(slope), \(intercept) against \(case_.slope), \(case_.intercept)")
        }
    }

    @Test func temperatureScalingMatchesScipy() throws {
        for case_ in try Self.fixture.get().temperature {
            guard case .temperature(let t) = try ProbabilityCalibration.fitTemperature(probabilities: case_.probabilities, labels: case_.labels) else {
                Issue.record("\(case_.name): not a temperature")
                continue
            }
            #expect(abs(t - case_.temperature) < 1e-4 * case_.temperature, "\(case_.name): \(t) against \(case_.temperature)")
        }
    }

    @Test func calibrationKeepsTheRankingAndRefusesOneClass() throws {
        let scores = [0.1, 0.4, 0.35, 0.8, 0.65, 0.2], labels = [false, true, false, true, true, false]
        let map = try ProbabilityCalibration.fitPlatt(scores: scores, labels: labels)
        let calibrated = scores.map { map.apply([1 - $0, $0])[1] }
        #expect(try ROCAnalysis(scores: calibrated, labels: labels).auc == ROCAnalysis(scores: scores, labels: labels).auc)
        #expect(calibrated.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(throws: MetricError.self) { try ProbabilityCalibration.fitPlatt(scores: [0.2, 0.3], labels: [true, true]) }
        let rows = ProbabilityCalibration.temperature(2).apply([0.7, 0.2, 0.1])
        #expect(abs(rows.reduce(0, +) - 1) < 1e-12 && rows[0] < 0.7 && rows[0] > rows[1])
    }
}
