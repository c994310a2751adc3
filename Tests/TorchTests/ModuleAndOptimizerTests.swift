import Foundation
import Testing
@testable import Torch

@Suite struct ModuleTests {
    final class Attention: Module {
        let query: Linear, key: Linear
        init(width: Int) throws {
            query = try Linear(width, width)
            key = try Linear(width, width, bias: false)
            super.init()
            register("query", query)
            register("key", key)
        }
    }

    final class Encoder: Module {
        let layers: ModuleList<Attention>
        let norm: BatchNorm2d
        init(width: Int) throws {
            layers = ModuleList([try Attention(width: width), try Attention(width: width)])
            norm = try BatchNorm2d(3)
            super.init()
            register("layer", layers)
            register("norm", norm)
        }
    }

    @Test func keysAreThePyTorchStateDictKeysInOrder() throws {
        let encoder = try Encoder(width: 4)
        #expect(encoder.stateDict().map(\.0) == [
            "layer.0.query.weight", "layer.0.query.bias", "layer.0.key.weight",
            "layer.1.query.weight", "layer.1.query.bias", "layer.1.key.weight",
            "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked",
        ])
        #expect(encoder.namedParameters().count == 8)
        #expect(encoder.parameterCount == 2 * (16 + 4 + 16) + 6)
    }

    @Test func trainEvalAndFreezeReachEveryChild() throws {
        let encoder = try Encoder(width: 4)
        encoder.eval()
        #expect(encoder.namedModules().allSatisfy { !$0.1.isTraining })
        encoder.train()
        #expect(encoder.norm.isTraining)
        try encoder.layers[0].freeze()
        #expect(encoder.trainableParameters().count == 5)
        try encoder.freeze(false)
        #expect(encoder.trainableParameters().count == 8)
    }

    @Test func defaultInitialisationsFollowPyTorch() throws {
        Torch.manualSeed(0)
        let linear = try Linear(100, 50)
        let bound = 1 / 10.0
        #expect(try linear.weight.abs().max().item() <= bound)
        #expect(try linear.weight.abs().max().item() > 0.9 * bound)
        let embedding = try Embedding(10, 8, paddingIndex: 2)
        #expect(try embedding.weight.select(dim: 0, index: 2).abs().sum().item() == 0)
        let norm = try BatchNorm2d(4)
        #expect(try norm.runningVar.toArray(Float.self) == [1, 1, 1, 1])
    }

    @Test func batchNormUpdatesRunningStatisticsOnlyInTraining() throws {
        let norm = try BatchNorm2d(2)
        let x = try Tensor.randn([4, 2, 3, 3]) * 3 + 1
        _ = try norm(x)
        #expect(try norm.batchesTracked.item() == 1)
        let mean = try norm.runningMean.toArray(Float.self)
        norm.eval()
        _ = try norm(x)
        #expect(try norm.runningMean.toArray(Float.self) == mean)
        #expect(try norm.batchesTracked.item() == 1)
    }

    @Test func conversionKeepsTensorIdentity() throws {
        let linear = try Linear(2, 2)
        let weight = linear.weight
        try linear.to(.float64)
        #expect(weight.dtype == .float64 && linear.weight === weight)
        #expect(linear.weight.requiresGrad)
        #expect(try linear(Tensor.ones([1, 2], dtype: .float64)).dtype == .float64)
    }
}

@Suite struct OptimizerTests {
    /// The same few steps taken in one go, or saved half-way and restored into a new optimiser.
    @Test func stateSavesAndRestoresExactly() throws {
        Torch.manualSeed(11)
        let x = try Tensor.randn([8, 4]), y = try Tensor.randn([8, 2])
        func makeModel() throws -> Linear {
            Torch.manualSeed(12)
            return try Linear(4, 2)
        }
        func step(_ model: Linear, _ optimizer: Optimizer) throws {
            let loss = try Functional.mseLoss(model(x), target: y)
            try optimizer.zeroGrad()
            try loss.backward()
            try optimizer.step()
        }
        let reference = try makeModel()
        let referenceOptimizer = Adam.adamW(reference.parameters(), learningRate: 0.05)
        for _ in 0..<6 { try step(reference, referenceOptimizer) }

        let first = try makeModel()
        let firstOptimizer = Adam.adamW(first.parameters(), learningRate: 0.05)
        for _ in 0..<3 { try step(first, firstOptimizer) }
        let url = temporaryFile("adamw-state.safetensors")
        try firstOptimizer.save(to: url)
        let second = try makeModel()
        try second.load(stateDict: Dictionary(uniqueKeysWithValues: try first.stateDict().map { ($0.0, try $0.1.clone()) }))
        let secondOptimizer = Adam.adamW(second.parameters(), learningRate: 0.05)
        try secondOptimizer.load(from: url)
        for _ in 0..<3 { try step(second, secondOptimizer) }
        #expect(try second.weight.bytes() == reference.weight.bytes())
        #expect(try second.bias!.bytes() == reference.bias!.bytes())

        #expect(throws: TorchError.self) { try SGD(second.parameters(), learningRate: 0.1, momentum: 0.9).load(from: url) }
    }

    @Test func sgdWithNesterovMomentumMatchesTheFormula() throws {
        let p = try Tensor([1.0] as [Double]).requiresGrad(true)
        let optimizer = try SGD([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true)
        var value = 1.0, buffer = 0.0
        for i in 0..<3 {
            try optimizer.zeroGrad()
            try (p * p).sum().backward()
            try optimizer.step()
            let g = 2 * value + 0.01 * value
            buffer = i == 0 ? g : 0.9 * buffer + g
            value -= 0.1 * (g + 0.9 * buffer)
            #expect(Swift.abs(try p.item() - value) < 1e-12)
        }
    }

    @Test func decaySplitSparesBiasesAndNorms() throws {
        let model = Sequential([try Linear(3, 3), try LayerNorm(3)])
        let groups = ParameterGroup.decaySplit(model.parameters(), learningRate: 1e-3, weightDecay: 0.1)
        #expect(groups.map(\.parameters.count) == [1, 3])
        #expect(groups.map(\.weightDecay) == [0.1, 0])
    }

    @Test func gradientClippingBoundsTheNorm() throws {
        let p = try Tensor([3.0, 4.0] as [Double]).requiresGrad(true)
        try (p * p).sum().backward() // gradient (6, 8), norm 10
        let before = try clipGradientNorm([p], maxNorm: 1)
        #expect(Swift.abs(before - 10) < 1e-12)
        #expect(Swift.abs(try p.grad!.norm().item() - 1) < 1e-6)
    }

    @Test func schedulesFollowTheirFormulas() {
        let cos2 = WarmupCosineSquaredSchedule(warmupSteps: 10, totalSteps: 110)
        #expect(cos2.factor(step: 0) == 0)
        #expect(cos2.factor(step: 5) == 0.5)
        #expect(cos2.factor(step: 10) == 1)
        #expect(Swift.abs(cos2.factor(step: 60) - 0.5) < 1e-12)
        #expect(cos2.factor(step: 110) < 1e-12)
        let cosine = WarmupCosineSchedule(warmupSteps: 0, totalSteps: 100, minimumFactor: 0.1)
        #expect(Swift.abs(cosine.factor(step: 100) - 0.1) < 1e-12)
        #expect(Swift.abs(cosine.factor(step: 50) - 0.55) < 1e-12)
        #expect(StepSchedule(stepSize: 10, gamma: 0.5).factor(step: 25) == 0.25)
        #expect(ConstantSchedule(warmupSteps: 4).factor(step: 1) == 0.25)
        #expect(ConstantSchedule().factor(step: 1000) == 1)
    }
}

@Suite struct TensorBasicsTests {
    @Test func arraysRoundTripAndDescribe() throws {
        let t = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
        #expect(t.shape == [2, 3] && t.dtype == .float32 && t.device == .cpu)
        #expect(try t.toArray(Double.self) == [1, 2, 3, 4, 5, 6])
        #expect(try t.transpose(0, 1).toArray(Float.self) == [1, 4, 2, 5, 3, 6])
        #expect(t.description.contains("[2, 3]") && t.description.contains("float32"))
        #expect(try (t.sum() * 2).item() == 42)
        #expect(try Tensor([true, false]).toArray(Bool.self) == [true, false])
    }

    @Test func autogradScopes() throws {
        let x = try Tensor([2.0] as [Double]).requiresGrad(true)
        let y = try Autograd.noGrad { try x * x }
        #expect(!y.requiresGrad)
        let z = try Autograd.inferenceMode { try x * 3 }
        #expect(!z.requiresGrad)
        #expect(Autograd.isEnabled)
        let w = try x * x * x
        try w.backward(gradient: Tensor([1.0] as [Double]))
        #expect(try x.grad!.item() == 12)
        try x.zeroGrad()
        #expect(x.grad == nil)
    }

    @Test func threadCountIsSettable() {
        let previous = Torch.threadCount
        Torch.threadCount = 1
        #expect(Torch.threadCount == 1)
        Torch.threadCount = previous
    }

    @Test func engineReportNamesVersionAndBLAS() {
        let report = EngineInfo.current()
        #expect(report.libtorchVersion.hasPrefix(report.backend == "debian" ? "1." : "2."))
        #expect(report.blas != "unknown")
        #expect(EngineInfo.detectBLAS(config: "", loadedLibraries: ["/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"]) == "reference")
    }

    @Test func deviceParsing() throws {
        #expect(try Device(parsing: "cuda:1") == .cuda(1))
        #expect(try Device(parsing: "cpu") == .cpu)
        #expect(throws: TorchError.self) { try Device(parsing: "tpu") }
    }
}

@Suite struct DeviceTests {
    @Test func movingToAMissingGPUIsAnErrorNotACrash() throws {
        let t = try Tensor.ones([2])
        #expect(try t.to(device: .cpu).toArray(Float.self) == [1, 1])
        if Torch.isCUDAAvailable {
            let moved = try t.to(device: .gpu)
            #expect(moved.device == .cuda(0))
            #expect(try (moved * 2).to(device: .cpu).toArray(Float.self) == [2, 2])
        } else {
            #expect(throws: TorchError.self) { _ = try t.to(device: .cuda(0)) }
            #expect(throws: TorchError.self) { _ = try Tensor.zeros([2], device: .cuda(0)) }
        }
    }
}
