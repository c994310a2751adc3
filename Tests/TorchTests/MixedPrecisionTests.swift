import Foundation
import Testing
@testable import Torch

@Suite struct MixedPrecisionTests {
    @Test func autocastComputesMatrixProductsInBFloat16AndRestoresTheSettings() throws {
        let a = try Tensor.randn([8, 16]), b = try Tensor.randn([16, 4])
        #expect(!Autograd.isAutocastEnabled())
        let (inside, sum) = try Autograd.autocast(.cpu, dtype: .bfloat16) {
            (try a.matmul(b), try a + a)
        }
        #expect(inside.dtype == .bfloat16)
        #expect(sum.dtype == .float32, "element-wise additions are not autocast")
        #expect(!Autograd.isAutocastEnabled())
        #expect(try a.matmul(b).dtype == .float32)
        // Close to the float32 product at bfloat16's precision (8 bits of mantissa).
        let error = try (inside.to(.float32) - a.matmul(b)).abs().max().item()
        #expect(error < 0.1 * (try a.matmul(b).abs().max().item()))
    }

    @Test func autocastNestsAndRefusesUnsupportedTypes() throws {
        try Autograd.autocast(.cpu, dtype: .bfloat16) {
            try Autograd.autocast(.cpu, dtype: .bfloat16) { #expect(Autograd.isAutocastEnabled()) }
            #expect(Autograd.isAutocastEnabled(), "leaving an inner scope keeps the outer one")
        }
        #expect(!Autograd.isAutocastEnabled())
        #expect(throws: TorchError.self) { try Autograd.autocast(.cpu, dtype: .int32) {} }
        #expect(!Autograd.isAutocastEnabled())
    }

    @Test func gradientsFlowThroughAnAutocastForwardIntoFloat32Weights() throws {
        let weight = try Tensor.randn([4, 3]).requiresGrad(true)
        let x = try Tensor.randn([5, 4])
        let loss = try Autograd.autocast(.cpu, dtype: .bfloat16) { try x.matmul(weight).sum() }
        try loss.backward()
        let grad = try #require(weight.grad)
        #expect(grad.dtype == .float32)
        let exact = try x.sum(dim: 0).unsqueeze(1).expand([4, 3])
        #expect(try (grad - exact).abs().max().item() < 0.05 * (try exact.abs().max().item()) + 1e-3)
    }

    @Test func gradScalerUnscalesSkipsOverflowAndAdaptsTheScale() throws {
        var scaler = GradScaler(initialScale: 1024, growthInterval: 2)
        let weight = try Tensor([1.0, 2.0] as [Float]).requiresGrad(true)
        try scaler.scaled(try (weight * weight).sum()).backward()
        #expect(try scaler.unscale([weight]))
        #expect(try weight.grad!.toArray(Float.self) == [2, 4], "unscaled gradient is d(w^2)/dw")
        scaler.update(foundNonFinite: false)
        scaler.update(foundNonFinite: false)
        #expect(scaler.scale == 2048 && scaler.growthTracker == 0, "grows after growthInterval clean steps")

        try weight.zeroGrad()
        try scaler.scaled(try (weight * Double.infinity).sum()).backward()
        #expect(try !scaler.unscale([weight]))
        scaler.update(foundNonFinite: true)
        #expect(scaler.scale == 1024 && scaler.growthTracker == 0, "backs off on overflow")
    }
}
