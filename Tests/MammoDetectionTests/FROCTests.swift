import Foundation
import MammoEvaluation
import Testing

/// FROC on cases worked out by hand (see the comments for each point of the curve).
@Suite struct FROCTests {
    static func box(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> BoundingBox { BoundingBox(xmin: x1, ymin: y1, xmax: x2, ymax: y2) }
    static func detection(_ score: Double, _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> ScoredBox {
        ScoredBox(box: box(x1, y1, x2, y2), score: score)
    }

    /// Three images: two lesions, none, one; six detections, two of them tied at 0.6.
    static let lesions = [[box(0, 0, 10, 10), box(20, 20, 30, 30)], [], [box(50, 50, 70, 70)]]
    static let detections = [
        // IoU 0.81 with the first lesion (centre inside); a false positive; IoU 0.36 with the second (centre inside).
        [detection(0.9, 1, 1, 10, 10), detection(0.8, 40, 40, 50, 50), detection(0.6, 22, 22, 28, 28)],
        [detection(0.7, 0, 0, 5, 5), detection(0.6, 1, 1, 3, 3)],
        // IoU 324 / 2380 = 0.136 with the lesion, centre (76, 76) outside it.
        [detection(0.5, 52, 52, 100, 100)],
    ]

    @Test func centreRuleCurveAndCPM() throws {
        let froc = try FROCAnalysis(detections: Self.detections, lesions: Self.lesions, rule: .centreInBox)
        // 0.9: lesion 1 found; 0.8, 0.7: one false positive each; 0.6: lesion 2 found and one more false
        // positive (both tied detections join at once); 0.5: a false positive (centre outside).
        let expected: [(Double, Double, Double)] = [(0.9, 0, 1.0 / 3), (0.8, 1.0 / 3, 1.0 / 3), (0.7, 2.0 / 3, 1.0 / 3), (0.6, 1, 2.0 / 3), (0.5, 4.0 / 3, 2.0 / 3)]
        #expect(froc.curve.count == expected.count)
        for (point, (t, fp, s)) in zip(froc.curve, expected) {
            #expect(point.threshold == t && abs(point.falsePositivesPerImage - fp) < 1e-12 && abs(point.sensitivity - s) < 1e-12, "\(point)")
        }
        // 1/8, 1/4, 1/2 FP per image: the first point (1/3); 1, 2, 4, 8: the 0.6 point (2/3).
        #expect(abs(froc.sensitivity(atFalsePositivesPerImage: 0.5) - 1.0 / 3) < 1e-12)
        #expect(abs(froc.sensitivity(atFalsePositivesPerImage: 1) - 2.0 / 3) < 1e-12)
        #expect(froc.threshold(atFalsePositivesPerImage: 1) == 0.6)
        #expect(abs(froc.cpm() - 11.0 / 21) < 1e-12)
        #expect(froc.lesionScores == [0.9, 0.6, nil])
    }

    @Test func iouRulesChangeWhatCountsAsAHit() throws {
        // IoU >= 0.1: the last detection finds the third lesion, so at 1 FP per image all three are found.
        let loose = try FROCAnalysis(detections: Self.detections, lesions: Self.lesions, rule: .iou10)
        #expect(abs(loose.sensitivity(atFalsePositivesPerImage: 1) - 1) < 1e-12)
        #expect(abs(loose.cpm() - 5.0 / 7) < 1e-12)
        // IoU >= 0.5: only the first detection hits; the 0.36 overlap becomes a false positive.
        let strict = try FROCAnalysis(detections: Self.detections, lesions: Self.lesions, rule: .iou50)
        #expect(strict.curve.map(\.falsePositivesPerImage).last.map { abs($0 - 5.0 / 3) < 1e-12 } == true)
        #expect(abs(strict.cpm() - 1.0 / 3) < 1e-12)
    }

    @Test func oneDetectionOnTwoLesionsFindsBoth() throws {
        let froc = try FROCAnalysis(detections: [[Self.detection(0.4, 8, 8, 16, 16)]], lesions: [[Self.box(0, 0, 20, 20), Self.box(5, 5, 25, 25)]])
        #expect(froc.curve.count == 1 && froc.curve[0].falsePositivesPerImage == 0 && froc.curve[0].sensitivity == 1)
        #expect(froc.cpm() == 1)
    }

    @Test func noDetectionsAndBadInput() throws {
        let none = try FROCAnalysis(detections: [[], []], lesions: [[Self.box(0, 0, 5, 5)], []])
        #expect(none.curve.isEmpty && none.cpm() == 0 && none.threshold(atFalsePositivesPerImage: 8) == nil)
        #expect(throws: MetricError.self) { try FROCAnalysis(detections: [[]], lesions: [[]]) }
        #expect(throws: MetricError.self) { try FROCAnalysis(detections: [[]], lesions: [[], []]) }
    }
}
