import Foundation
import Testing
import Torch

/// CPU against CUDA, per op family: the same seeded inputs on both devices, values and input
/// gradients within float32 tolerance. Runs only where a CUDA GPU is usable (`scripts/gpu-check.sh`
/// on a GPU machine); CI has none.
@Suite(.enabled(if: Torch.isCUDAAvailable, "needs a CUDA GPU")) struct CUDAParityTests {
    static let gpu = Device.cuda(0)

    /// Runs `op` on CPU copies and on CUDA copies of `inputs` (which need gradients), and compares
    /// the outputs and the gradients of their sum.
    func agree(_ name: String, _ inputs: [Tensor], tolerance: Double = 1e-4, _ op: ([Tensor]) throws -> Tensor) throws {
        func run(_ device: Device) throws -> (Tensor, [Tensor]) {
            let leaves = try inputs.map { try $0.to(device: device).detach().requiresGrad(true) }
            let out = try op(leaves)
            try out.sum().backward()
            return (try out.to(device: .cpu), try leaves.map { try #require($0.grad).to(device: .cpu) })
        }
        let (cpu, cpuGrads) = try run(.cpu), (gpu, gpuGrads) = try run(Self.gpu)
        func close(_ a: Tensor, _ b: Tensor) throws -> Bool {
            let scale = try max(1, a.abs().max().item())
            return try (a - b).abs().max().item() <= tolerance * scale
        }
        #expect(cpu.shape == gpu.shape, "\(name): CPU and CUDA output shapes differ")
        let outputsAgree = try close(cpu, gpu)
        #expect(outputsAgree, "\(name): CPU and CUDA outputs differ")
        for (a, b) in zip(cpuGrads, gpuGrads) {
            let gradientsAgree = try close(a, b)
            #expect(gradientsAgree, "\(name): CPU and CUDA gradients differ")
        }
    }

    @Test func opFamiliesAgree() throws {
        Torch.manualSeed(0)
        let x = try Tensor.randn([2, 3, 16, 12]), w = try Tensor.randn([4, 3, 3, 3]) * 0.2, b = try Tensor.randn([4])
        try agree("elementwise", [x]) { try ($0[0].exp() * 0.1 + $0[0].sigmoid() - $0[0].tanh()).silu() }
        try agree("reductions", [x]) { try $0[0].mean([2, 3]) + $0[0].sum(dim: 1).max([1, 2]).unsqueeze(1) }
        try agree("matmul", [try Tensor.randn([8, 32]), try Tensor.randn([32, 16])]) { try $0[0].matmul($0[1]) }
        try agree("convolution", [x, w, b]) { try Functional.conv2d($0[0], weight: $0[1], bias: $0[2], padding: (1, 1)) }
        try agree("pooling", [x]) { try Functional.adaptiveAvgPool2d($0[0], outputSize: (1, 1)) + Functional.maxPool2d($0[0], kernel: (2, 2)).mean() }
        try agree("normalisation", [x]) { try Functional.normalize($0[0].flatten(start: 1), dim: 1) }
        try agree("softmax and cross entropy", [try Tensor.randn([6, 5])]) { logits in
            try Functional.crossEntropy(logits[0], target: Tensor.from([0, 1, 2, 3, 4, 0] as [Int64], shape: [6], device: logits[0].device), labelSmoothing: 0.1)
                + Functional.softmax(logits[0], dim: 1).square().sum()
        }
        try agree("resampling", [x]) { try Functional.interpolate($0[0], size: (8, 6), mode: .bilinear) }
    }

    @Test func layersMoveToTheGPU() throws {
        let conv = try Conv2d(3, 4, kernelSize: 3, padding: 1), norm = try BatchNorm2d(4)
        try conv.to(device: Self.gpu)
        try norm.to(device: Self.gpu)
        let y = try norm(conv(Tensor.randn([2, 3, 8, 8], device: Self.gpu)))
        #expect(y.device == Self.gpu && conv.parameters().allSatisfy { $0.device == Self.gpu })
    }
}
