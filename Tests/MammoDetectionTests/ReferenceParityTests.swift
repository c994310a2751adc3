import Foundation
@testable import MammoDetection
import MammoEvaluation
import MammoModels
import Testing
import Torch

enum DetectionFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let tensors: [String: Tensor] = try! SafetensorsFile(url: folder.appendingPathComponent("detection.safetensors")).tensors()

    static func tensor(_ key: String) throws -> Tensor { try #require(tensors[key], "fixture tensor \(key)") }

    /// Largest absolute difference between two tensors of one shape (infinity when the shapes differ).
    static func maxDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
        guard a.shape == b.shape else { return .infinity }
        return try (a.to(.float64) - b.to(.float64)).abs().max().item()
    }

    /// Largest difference relative to the reference's magnitude (at least 1).
    static func maxRelativeDifference(_ a: Tensor, _ reference: Tensor) throws -> Double {
        guard a.shape == reference.shape else { return .infinity }
        let r = try reference.to(.float64)
        return try ((a.to(.float64) - r).abs() / r.abs().clamp(min: 1)).max().item()
    }
}

/// Parity with the reference's detector code (Tests/MammoDetectionTests/Fixtures/generate_detection_fixtures.py).
@Suite struct ReferenceParityTests {
    @Test func anchorsEqualTheReferences() throws {
        for (h, w) in [(128, 96), (100, 76)] {
            let anchors = try AnchorGenerator().anchors(height: h, width: w)
            #expect(try DetectionFixtures.maxDifference(anchors, DetectionFixtures.tensor("anchors.\(h)x\(w)")) == 0, "\(h) x \(w)")
        }
    }

    @Test func boxesDecodeAndClipAsTheReference() throws {
        let anchors = try DetectionFixtures.tensor("anchors.128x96")
        let boxes = try BoxCoding.clip(BoxCoding.decode(DetectionFixtures.tensor("decode.deltas"), anchors: anchors), height: 128, width: 96)
        #expect(try DetectionFixtures.maxRelativeDifference(boxes, DetectionFixtures.tensor("decode.boxes")) < 1e-5)
    }

    @Test func lossAndGradientsEqualTheReferences() throws {
        let anchors = try DetectionFixtures.tensor("anchors.128x96")
        let probabilities = try DetectionFixtures.tensor("loss.probabilities").clone().requiresGrad(true)
        let regression = try DetectionFixtures.tensor("loss.regression").clone().requiresGrad(true)
        let rows = try DetectionFixtures.tensor("loss.annotations").toArray(Float.self)
        // Annotation rows of -1 are padding, as in the reference's collater.
        let targets = (0..<3).map { image in
            (0..<2).compactMap { box -> DetectionLoss.Target? in
                let row = Array(rows[((image * 2 + box) * 5)..<((image * 2 + box) * 5 + 5)])
                return row[4] == -1 ? nil : DetectionLoss.Target(box: Array(row[0..<4]), label: Int(row[4]))
            }
        }
        let (classification, box) = try DetectionLoss()(classification: probabilities, regression: regression, anchors: anchors, targets: targets)
        #expect(try DetectionFixtures.maxRelativeDifference(classification.reshape([1]), DetectionFixtures.tensor("loss.classification")) < 1e-5)
        #expect(try DetectionFixtures.maxRelativeDifference(box.reshape([1]), DetectionFixtures.tensor("loss.box")) < 1e-5)
        try (classification + box).backward()
        #expect(try DetectionFixtures.maxDifference(#require(probabilities.grad), DetectionFixtures.tensor("loss.grad.probabilities")) < 1e-5)
        #expect(try DetectionFixtures.maxDifference(#require(regression.grad), DetectionFixtures.tensor("loss.grad.regression")) < 1e-5)
    }

    @Test func retinaNetForwardAndDetectionsEqualTheReferences() throws {
        var config = try EfficientNetConfig.variant("b0")
        config.numClasses = nil
        let model = try RetinaNet(backbone: EfficientNet(config: config), classes: 2)
        #expect(model.taps == BackboneTaps(c3Block: 10, c4Block: 15))
        try model.fillWithReproducibleWeights()
        model.eval()
        let images = try DetectionFixtures.tensor("model.images")
        let (classification, regression, grids) = try Autograd.inferenceMode { try model.forward(images) }
        #expect(grids.map(\.rows) == [16, 8, 4, 2, 1] && grids.map(\.columns) == [12, 6, 3, 2, 1])
        #expect(try DetectionFixtures.maxDifference(classification, DetectionFixtures.tensor("model.classification")) < 1e-5)
        #expect(try DetectionFixtures.maxRelativeDifference(regression, DetectionFixtures.tensor("model.regression")) < 1e-5)

        let anchors = try model.anchorGenerator.anchors(height: 128, width: 96)
        let detections = try DetectionDecoder().detections(classification: classification, regression: regression, anchors: anchors,
                                                           index: 0, height: 128, width: 96)
        let scores = try DetectionFixtures.tensor("model.detections.scores").toArray(Float.self)
        let labels = try DetectionFixtures.tensor("model.detections.labels").toArray(Int64.self)
        let boxes = try DetectionFixtures.tensor("model.detections.boxes").toArray(Float.self)
        #expect(detections.count == scores.count)
        for (i, detection) in detections.enumerated() where i < scores.count {
            #expect(abs(detection.score - Double(scores[i])) < 1e-5 && detection.label == Int(labels[i]), "detection \(i)")
            let expected = [detection.box.xmin, detection.box.ymin, detection.box.xmax, detection.box.ymax]
            #expect(zip(expected, boxes[(i * 4)..<(i * 4 + 4)]).allSatisfy { abs($0 - Double($1)) < 1e-3 }, "box \(i)")
        }
    }

    @Test func nmsKeepsTheBoxesTorchvisionKeeps() throws {
        let flat = try DetectionFixtures.tensor("nms.boxes").toArray(Float.self)
        let boxes = (0..<(flat.count / 4)).map { Array(flat[($0 * 4)..<($0 * 4 + 4)]) }
        let kept = NonMaximumSuppression.keep(boxes: boxes, scores: try DetectionFixtures.tensor("nms.scores").toArray(Float.self), iouThreshold: 0.5)
        #expect(kept == (try DetectionFixtures.tensor("nms.keep").toArray(Int64.self)).map(Int.init))
    }

    @Test func averagePrecisionEqualsTheReferenceEvaluation() throws {
        struct Case: Decodable {
            var detections: [[[Double]]]
            var groundTruth: [[[Double]]]
            var averagePrecision: [Double]
            var annotations: [Int]
        }
        let data = try Data(contentsOf: DetectionFixtures.folder.appendingPathComponent("detection.json"))
        let cases = try JSONDecoder().decode([String: [Case]].self, from: data)["cases"] ?? []
        #expect(cases.count == 4)
        for (n, c) in cases.enumerated() {
            for label in 0..<2 {
                let detections = c.detections.map { image in
                    image.filter { Int($0[5]) == label }.map {
                        ScoredBox(box: BoundingBox(xmin: $0[0], ymin: $0[1], xmax: $0[2], ymax: $0[3]), score: $0[4], label: label)
                    }
                }
                let truth = c.groundTruth.map { image in
                    image.filter { Int($0[4]) == label }.map { BoundingBox(xmin: $0[0], ymin: $0[1], xmax: $0[2], ymax: $0[3]) }
                }
                let result = try AveragePrecision.compute(detections: detections, groundTruth: truth)
                #expect(result.groundTruthBoxes == c.annotations[label])
                #expect(abs(result.averagePrecision - c.averagePrecision[label]) < 1e-12, "case \(n) class \(label): \(result.averagePrecision) against \(c.averagePrecision[label])")
            }
        }
    }
}

@Suite struct AnchorScaleTests {
    @Test func aScaleMultipliesEveryAnchorAroundTheSameCentres() throws {
        var half = AnchorGenerator()
        half.sizeScale = 0.5
        let reference = try AnchorGenerator().anchors(height: 128, width: 96), scaled = try half.anchors(height: 128, width: 96)
        let centres = { (t: Tensor) throws -> Tensor in
            try (t.narrow(dim: 1, start: 0, length: 2) + t.narrow(dim: 1, start: 2, length: 2)) / 2
        }
        let sizes = { (t: Tensor) throws -> Tensor in try t.narrow(dim: 1, start: 2, length: 2) - t.narrow(dim: 1, start: 0, length: 2) }
        #expect(try DetectionFixtures.maxDifference(centres(reference), centres(scaled)) < 1e-4)
        #expect(try DetectionFixtures.maxDifference(sizes(reference) * 0.5, sizes(scaled)) < 1e-4)
        // A manifest written before the scale existed reads as the reference's sizes.
        let json = #"{"pyramidLevels": [3, 4, 5, 6, 7], "ratios": [0.5, 1, 2], "scales": [1, 1.2599210498948732, 1.5874010519681994]}"#
        #expect(try JSONDecoder().decode(AnchorGenerator.self, from: Data(json.utf8)).sizeScale == 1)
    }
}
