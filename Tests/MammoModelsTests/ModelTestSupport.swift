import Foundation
import Testing
import Torch
@testable import MammoModels

enum ModelFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
}

/// The fixture generator's `deterministic_weights`: every state-dict tensor, in sorted key order,
/// drawn from torch's generator seeded with seed + index, so weights need not be committed.
func deterministicWeights(shapes: [(String, [Int], DType)], seed: Int = 1000) throws -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for (index, (key, shape, dtype)) in shapes.sorted(by: { $0.0 < $1.0 }).enumerated() {
        Torch.manualSeed(UInt64(seed + index))
        let value: Tensor
        if key.hasSuffix("num_batches_tracked") {
            value = try Tensor.zeros(shape, dtype: dtype)
        } else if key.hasSuffix("running_var") {
            value = try Tensor.rand(shape) + 0.5
        } else if key.hasSuffix("running_mean") {
            value = try Tensor.randn(shape) * 0.1
        } else if shape.count <= 1 && key.hasSuffix("weight") {
            value = try Tensor.randn(shape) * 0.1 + 1
        } else if shape.count <= 1 {
            value = try Tensor.randn(shape) * 0.1
        } else {
            value = try Tensor.randn(shape) * (1 / Double(shape.dropFirst().reduce(1, *)).squareRoot())
        }
        result[key] = try value.to(dtype)
    }
    return result
}

func deterministicWeights(_ module: Module, seed: Int = 1000) throws {
    let weights = try deterministicWeights(shapes: module.stateDict().map { ($0.0, $0.1.shape, $0.1.dtype) }, seed: seed)
    try module.load(stateDict: weights)
}

/// Largest absolute difference between two tensors of the same shape.
func maxAbsDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
    guard a.shape == b.shape else { return .infinity }
    return try (a.to(.float64) - b.to(.float64)).abs().max().item()
}
