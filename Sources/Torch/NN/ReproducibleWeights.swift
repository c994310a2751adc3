import Foundation

extension Module {
    /// Fills every state-dict tensor with values that PyTorch reproduces exactly: in sorted key order,
    /// tensor i is drawn from torch's generator seeded with `seed + i` (running variance 0.5 + U(0,1),
    /// running mean and biases 0.1 N(0,1), one-dimensional weights 1 + 0.1 N(0,1), matrices and kernels
    /// N(0,1) / sqrt(fan-in), counters 0). Parity fixtures and benchmarks use it so that weights need
    /// not be stored: the Python side runs the same rule (`deterministic_weights` in the fixture scripts).
    public func fillWithReproducibleWeights(seed: Int = 1000) throws {
        let weights = try Module.reproducibleWeights(shapes: stateDict().map { ($0.0, $0.1.shape, $0.1.dtype) }, seed: seed)
        try load(stateDict: weights)
    }

    /// The tensors `fillWithReproducibleWeights` would write, for a list of (key, shape, dtype).
    public static func reproducibleWeights(shapes: [(String, [Int], DType)], seed: Int = 1000) throws -> [String: Tensor] {
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
}
