import Foundation
import Testing
import Torch
@testable import MammoModels

enum ModelFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
}

/// The fixture generator's `deterministic_weights` (see `Module.fillWithReproducibleWeights`).
func deterministicWeights(shapes: [(String, [Int], DType)], seed: Int = 1000) throws -> [String: Tensor] {
    try Module.reproducibleWeights(shapes: shapes, seed: seed)
}

func deterministicWeights(_ module: Module, seed: Int = 1000) throws {
    try module.fillWithReproducibleWeights(seed: seed)
}

/// Largest absolute difference between two tensors of the same shape.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
    guard a.shape == b.shape else { return .infinity }
    return try (a.to(.float64) - b.to(.float64)).abs().max().item()
}
