import Foundation
@testable import MammoTraining
import Testing
import Torch

enum TrainingFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
}

func maxDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
    try (a.to(.float64) - b.to(.float64)).abs().max().item()
}

/// The loss against the reference formula in PyTorch (Fixtures/generate_fixtures.py): values and the
/// gradients of the four embeddings and the logit scale within 1e-6.
@Suite struct ContrastiveLossTests {
    static let fixture = Result { try SafetensorsFile(url: TrainingFixtures.url("loss.safetensors")) }

    @Test(arguments: [("plain", 1.0, 0.5, 0.0), ("smoothed", 1.0, 0.5, 0.1), ("weights", 0.3, 2.0, 0.0), ("gathered", 1.0, 0.5, 0.0)])
    func mammoClipLossMatchesTheReference(_ name: String, _ ii: Double, _ tt: Double, _ smoothing: Double) throws {
        let file = try Self.fixture.get()
        let tags = ["i1", "i2", "t1", "t2"]
        let leaves = try tags.map { try file.tensor("\(name).\($0)").requiresGrad(true) }
        let scale = try Tensor.full([], value: 2.659260036932778, dtype: .float64).requiresGrad(true)
        var loss = MammoClipLoss(imageImageWeight: ii, textTextWeight: tt, labelSmoothing: smoothing)
        if name == "gathered" {
            // Rank 1 of two: the other rank's embeddings come first.
            let others = try tags.map { try file.tensor("\(name).other_\($0)") }
            let lookup = Dictionary(uniqueKeysWithValues: zip(leaves.map(ObjectIdentifier.init), others))
            loss.rank = 1
            loss.gather = { local in try Tensor.cat([lookup[ObjectIdentifier(local)]!, local], dim: 0) }
        }
        let terms = try loss(image1: leaves[0], image2: leaves[1], text1: leaves[2], text2: leaves[3], logitScale: scale)
        try terms.total.backward()
        let expected = try file.tensor("\(name).losses").toArray(Double.self)
        let got = try [terms.total, terms.imageToText, terms.textToImage, terms.imageToImage, terms.textToText].map { try $0.item() }
        for (g, e) in zip(got, expected) { #expect(Swift.abs(g - e) < 1e-6, "\(name): \(got) vs \(expected)") }
        for (leaf, tag) in zip(leaves, tags) {
            #expect(try maxDifference(try #require(leaf.grad), file.tensor("\(name).grad_\(tag)")) < 1e-6, "\(name) grad \(tag)")
        }
        #expect(Swift.abs(try #require(scale.grad).item() - file.tensor("\(name).grad_scale").item()) < 1e-6)
    }

    @Test func clipLossMatchesTheReference() throws {
        let file = try Self.fixture.get()
        let image = try file.tensor("clip.image").requiresGrad(true), text = try file.tensor("clip.text").requiresGrad(true)
        let scale = try Tensor.full([], value: 1.5, dtype: .float64).requiresGrad(true)
        let loss = try ClipLoss()(image: image, text: text, logitScale: scale)
        try loss.backward()
        #expect(Swift.abs(try loss.item() - file.tensor("clip.loss").item()) < 1e-6)
        #expect(try maxDifference(try #require(image.grad), file.tensor("clip.grad_image")) < 1e-6)
        #expect(try maxDifference(try #require(text.grad), file.tensor("clip.grad_text")) < 1e-6)
        #expect(Swift.abs(try #require(scale.grad).item() - file.tensor("clip.grad_scale").item()) < 1e-6)
    }

    @Test func mismatchedShapesAreExplained() throws {
        let a = try Tensor.zeros([4, 8]), b = try Tensor.zeros([3, 8])
        #expect(throws: TorchError.self) {
            _ = try MammoClipLoss()(image1: a, image2: b, text1: a, text2: a, logitScale: Tensor.zeros([]))
        }
    }

    /// Distinct keys give exactly the reference loss; shared keys make those texts mutual matches:
    /// two images whose texts say the same thing are no longer pushed apart.
    @Test func labelAwareTargetsReduceToTheReferenceAndMergeEqualKeys() throws {
        let file = try Self.fixture.get()
        let i1 = try file.tensor("plain.i1"), i2 = try file.tensor("plain.i2")
        let t1 = try file.tensor("plain.t1"), t2 = try file.tensor("plain.t2")
        let scale = try Tensor.full([], value: 1.5, dtype: .float64)
        let n = i1.size(0)
        let distinct = (first: (0..<n).map { "a\($0)" }, second: (0..<n).map { "b\($0)" })
        let reference = try MammoClipLoss()(image1: i1, image2: i2, text1: t1, text2: t2, logitScale: scale).total.item()
        let keyed = try MammoClipLoss()(image1: i1, image2: i2, text1: t1, text2: t2, logitScale: scale, textKeys: distinct).total.item()
        #expect(Swift.abs(keyed - reference) < 1e-9)

        // All texts identical in content: image-text terms become the entropy floor of uniform targets, log n at most.
        let same = (first: [String](repeating: "x", count: n), second: [String](repeating: "x", count: n))
        let t = try MammoClipLoss()(image1: i1, image2: i2, text1: t1, text2: t1, logitScale: Tensor.full([], value: -20, dtype: .float64),
                                    textKeys: same)
        #expect(Swift.abs(try t.imageToText.item() - Foundation.log(Double(n))) < 1e-6, "uniform logits against uniform targets")
        let targets = try MammoClipLoss.matchTargets(rows: [0, 1, 2], rowKeys: ["p", "q", "p"], columnKeys: ["p", "q", "p"])
        #expect(try targets.toArray(Float.self) == [0.5, 0, 0.5, 0, 1, 0, 0.5, 0, 0.5])
        #expect(throws: TorchError.self) {
            _ = try MammoClipLoss()(image1: i1, image2: i2, text1: t1, text2: t2, logitScale: scale, textKeys: (["a"], ["b"]))
        }
    }
}
