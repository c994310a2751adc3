import Foundation
import MammoModels
import MammoTraining
import Testing
import Torch

/// The `meta` device carries shapes and no data: a computation run on meta tensors fails wherever a
/// tensor made on the CPU meets them, so these runs prove the model, the loss and the optimiser
/// create every tensor on the device of their inputs (what CUDA needs), without a GPU.
@Suite struct MetaDeviceTests {
    @Test func creationFunctionsTakeTheDevice() throws {
        let made = [try Tensor.scalar(1, device: .meta), try Tensor.arange(0, 4, device: .meta), try Tensor.eye(3, device: .meta),
                    try Tensor.linspace(0, 1, steps: 5, device: .meta), try Tensor.randint(low: 0, high: 3, shape: [2], device: .meta),
                    try Tensor.zeros([2], device: .meta), try Tensor.randn([2], device: .meta),
                    try Tensor.from([1, 2] as [Float], shape: [2], device: .meta)]
        #expect(made.allSatisfy { $0.device == .meta })
        #expect(try Tensor.arange(0, 4, device: .meta).shape == [4])
        // randperm has no meta kernel in libtorch; its device argument is checked on the CPU.
        #expect(try Tensor.randperm(4, device: .cpu).device == .cpu)
        // A tensor made on the CPU meeting a meta one is refused: what the next test relies on.
        #expect(throws: (any Error).self) { try Tensor.ones([3], device: .meta) + Tensor.ones([3]) }
    }

    @Test func dualEncoderLossAndOptimiserStepStayOnTheInputsDevice() throws {
        let config = try MammoClipConfig.tiny(vocabularySize: 60)
        Torch.manualSeed(0)
        let model = try MammoClip(config: config)
        try model.to(device: .meta)
        model.train()
        let (batch, length) = (3, 12)
        let image = config.image
        func images() throws -> Tensor {
            try Tensor.randn([batch, image.efficientNet.inputChannels, image.inputHeight, image.inputWidth], device: .meta)
        }
        let ids = try Tensor.randint(low: 0, high: 60, shape: [batch, length], device: .meta)
        let mask = try Tensor.ones([batch, length], dtype: .int64, device: .meta)
        let i1 = try model.encodeImage(images()), i2 = try model.encodeImage(images())
        let t1 = try model.encodeText(inputIds: ids, attentionMask: mask), t2 = try model.encodeText(inputIds: ids, attentionMask: mask)
        #expect([i1, i2, t1, t2].allSatisfy { $0.device == .meta && $0.shape == [batch, config.projection.dimension] })
        // Label-aware targets too: they are built from the texts' keys.
        let terms = try MammoClipLoss(labelSmoothing: 0.1)(image1: i1, image2: i2, text1: t1, text2: t2, logitScale: model.logitScale,
                                                           textKeys: (["a", "b", "a"], ["c", "c", "d"]))
        #expect(terms.total.device == .meta && terms.total.shape == [])
        let clip = try ClipLoss()(image: i1, text: t1, logitScale: model.logitScale)
        #expect(try (terms.total + clip).device == .meta)
        // libtorch's C++ build lacks meta kernels for some backward formulas (aten::where, used by
        // clamp's), so the loss's own backward pass cannot run here; gradients of every parameter's
        // shape come from a backward pass that meta supports, then the optimiser steps.
        let optimizer = Adam.adamW(groups: ParameterGroup.decaySplit(model.parameters(), learningRate: 1e-4, weightDecay: 1e-4))
        try optimizer.zeroGrad()
        var surrogate = try Tensor.zeros([], device: .meta)
        for parameter in model.parameters() where parameter.requiresGrad { surrogate = try surrogate + (parameter * 1.5).sum() }
        try surrogate.backward()
        #expect(model.parameters().allSatisfy { $0.grad?.device == .meta })
        try optimizer.step()
        try model.clampLogitScale()
        #expect(model.parameters().allSatisfy { $0.device == .meta })
    }
}
