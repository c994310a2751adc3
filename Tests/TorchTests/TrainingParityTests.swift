import Foundation
import Testing
@testable import Torch

/// A tiny conv net and a tiny transformer block trained for 50 steps (AdamW with decay groups,
/// warm-up + cos^2 schedule, gradient clipping) follow PyTorch's loss curve from the same initial
/// weights and data (fixture: training.safetensors).
@Suite struct TrainingParityTests {
    final class ConvNet: Module, UnaryLayer {
        let features: Sequential
        let head: Linear
        init(classes: Int) throws {
            features = Sequential([
                try Conv2d(3, 8, kernelSize: 3, padding: 1), try BatchNorm2d(8), Activation(.silu),
                try Conv2d(8, 16, kernelSize: 3, stride: 2, padding: 1), try BatchNorm2d(16), Activation(.silu),
            ])
            head = try Linear(16, classes)
            super.init()
            register("features", features)
            register("head", head)
        }
        func forward(_ x: Tensor) throws -> Tensor {
            try head(Functional.adaptiveAvgPool2d(features(x), outputSize: (1, 1)).flatten(start: 1))
        }
    }

    /// Pre-norm block with masked multi-head attention, as `Block` in generate_fixtures.py.
    final class Block: Module {
        let heads: Int
        let ln1: LayerNorm, query: Linear, key: Linear, value: Linear, out: Linear, ln2: LayerNorm, fc1: Linear, fc2: Linear, head: Linear
        init(width: Int, heads: Int) throws {
            self.heads = heads
            ln1 = try LayerNorm(width)
            query = try Linear(width, width); key = try Linear(width, width); value = try Linear(width, width)
            out = try Linear(width, width)
            ln2 = try LayerNorm(width)
            fc1 = try Linear(width, 4 * width); fc2 = try Linear(4 * width, width)
            head = try Linear(width, 3)
            super.init()
            for (name, m) in [("ln1", ln1), ("query", query), ("key", key), ("value", value), ("out", out), ("ln2", ln2),
                              ("fc1", fc1), ("fc2", fc2), ("head", head)] as [(String, Module)] { register(name, m) }
        }
        func forward(_ x: Tensor, mask: Tensor) throws -> Tensor {
            let (b, t, d) = (x.size(0), x.size(1), x.size(2))
            let h = try ln1(x)
            func split(_ z: Tensor) throws -> Tensor { try z.view([b, t, heads, d / heads]).transpose(1, 2) }
            let q = try split(query(h)), k = try split(key(h)), v = try split(value(h))
            var scores = try q.matmul(k.transpose(-1, -2)) / Double(d / heads).squareRoot()
            scores = try scores.maskedFill(mask.view([b, 1, 1, t]).logicalNot(), value: -1e4)
            let attended = try Functional.softmax(scores, dim: -1).matmul(v).transpose(1, 2).reshape([b, t, d])
            var y = try x + out(attended)
            y = try y + fc2(fc1(ln2(y)).gelu())
            let pooled = try (y * mask.unsqueeze(-1)).sum(dim: 1) / mask.sum(dim: 1, keepDim: true)
            return try head(pooled)
        }
    }

    static func initialWeights(_ file: SafetensorsFile, _ prefix: String) throws -> [String: Tensor] {
        var weights: [String: Tensor] = [:]
        for key in file.keys where key.hasPrefix(prefix) { weights[String(key.dropFirst(prefix.count))] = try file.tensor(key) }
        return weights
    }

    static func train(_ module: Module, steps: Int = 50, loss: (Int) throws -> Tensor) throws -> [Double] {
        let optimizer = Adam.adamW(groups: ParameterGroup.decaySplit(module.parameters(), learningRate: 3e-3, weightDecay: 1e-2))
        let schedule = WarmupCosineSquaredSchedule(warmupSteps: 5, totalSteps: steps)
        var losses: [Double] = []
        for step in 0..<steps {
            optimizer.apply(schedule, step: step)
            let value = try loss(step)
            try optimizer.zeroGrad()
            try value.backward()
            try clipGradientNorm(module.parameters(), maxNorm: 1.0)
            try optimizer.step()
            losses.append(try value.item())
        }
        return losses
    }

    @Test func convNetFollowsPyTorch() throws {
        let file = try SafetensorsFile(url: Fixtures.url("training.safetensors"))
        let model = try ConvNet(classes: 4)
        let weights = try Self.initialWeights(file, "conv.init.")
        #expect(Set(model.stateDict().map(\.0)) == Set(weights.keys))
        try model.load(stateDict: weights)
        let batches = try (0..<4).map { (try file.tensor("conv.data.\($0).x"), try file.tensor("conv.data.\($0).y")) }
        let losses = try Self.train(model) { step in
            let (x, y) = batches[step % batches.count]
            return try Functional.crossEntropy(model(x), target: y)
        }
        let expected = try file.tensor("conv.losses").toArray(Double.self)
        let worst = zip(losses, expected).map { Swift.abs($0 - $1) }.max()!
        #expect(worst < 1e-4, "largest loss difference \(worst)")
        #expect(losses.last! < losses.first!)
    }

    @Test func transformerBlockFollowsPyTorch() throws {
        let file = try SafetensorsFile(url: Fixtures.url("training.safetensors"))
        let model = try Block(width: 16, heads: 2)
        let weights = try Self.initialWeights(file, "block.init.")
        #expect(Set(model.stateDict().map(\.0)) == Set(weights.keys))
        try model.load(stateDict: weights)
        let batches = try (0..<4).map {
            (try file.tensor("block.data.\($0).x"), try file.tensor("block.data.\($0).y"), try file.tensor("block.data.\($0).mask"))
        }
        let losses = try Self.train(model) { step in
            let (x, y, mask) = batches[step % batches.count]
            return try Functional.crossEntropy(model.forward(x, mask: mask), target: y)
        }
        let expected = try file.tensor("block.losses").toArray(Double.self)
        let worst = zip(losses, expected).map { Swift.abs($0 - $1) }.max()!
        #expect(worst < 1e-4, "largest loss difference \(worst)")
        #expect(losses.last! < losses.first!)
    }
}
