import Foundation
import MammoExplain
import Testing
import Torch

enum FactorFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let tensors: [String: Tensor] = try! SafetensorsFile(url: folder.appendingPathComponent("factor.safetensors")).tensors()

    static func tensor(_ key: String) throws -> Tensor { try #require(tensors[key], "fixture tensor \(key)") }

    static func maxDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
        guard a.shape == b.shape else { return .infinity }
        return try (a.to(.float64) - b.to(.float64)).abs().max().item()
    }
}

/// Parity with the reference notebook's mapper and loss (Tests/MammoExplainTests/Fixtures/generate_factor_fixtures.py).
@Suite struct FactorParityTests {
    static func mapper() throws -> RegionMapper {
        let mapper = try RegionMapper(spatialSize: 6, embeddingDimension: 5, heads: 2)
        let weights = FactorFixtures.tensors.filter { $0.key.hasPrefix("pool.") }
        try mapper.load(stateDict: weights)
        return mapper
    }

    @Test func headsAndRegionEmbeddingsEqualTheReferences() throws {
        let regions = try Self.mapper().forward(features: FactorFixtures.tensor("features"))
        #expect(regions.shape == [4, 6, 2, 5])
        for a in 0..<2 {
            #expect(try FactorFixtures.maxDifference(regions.select(dim: 2, index: a), FactorFixtures.tensor("head_\(a)")) < 1e-6)
        }
        // The loss's layout (image x channel, attribute, dimension) is a reshape of ours.
        #expect(try FactorFixtures.maxDifference(regions.reshape([24, 2, 5]), FactorFixtures.tensor("region_embeddings")) < 1e-6)
        // The notebook's own forward interleaves heads and channels: a different tensor (documented).
        #expect(try FactorFixtures.maxDifference(regions.reshape([24, 2, 5]), FactorFixtures.tensor("reference_view_embeddings")) > 1e-2)
    }

    @Test func lossAndItsGradientEqualTheReferences() throws {
        let regions = try FactorFixtures.tensor("region_embeddings").reshape([4, 6, 2, 5]).detach().requiresGrad(true)
        let loss = try FactorLoss.loss(regions: regions, attributes: FactorFixtures.tensor("attribute_embeddings"),
                                       labels: FactorFixtures.tensor("labels"))
        #expect(abs(try loss.item() - FactorFixtures.tensor("loss").item()) < 1e-5)
        try loss.backward()
        let gradient = try #require(regions.grad).reshape([24, 2, 5])
        #expect(try FactorFixtures.maxDifference(gradient, FactorFixtures.tensor("loss_gradient")) < 1e-5)
    }

    @Test func aMapperRefusesFeatureMapsOfAnotherSize() throws {
        #expect { try Self.mapper().forward(features: Tensor.zeros([1, 6, 4, 2])) } throws: { "\($0)".contains("6 positions") }
        #expect { try FactorLoss.loss(regions: Tensor.zeros([2, 3, 2, 5]), attributes: Tensor.zeros([2, 5]), labels: Tensor.zeros([2, 2])) }
            throws: { "\($0)".contains("no image") }
    }
}
