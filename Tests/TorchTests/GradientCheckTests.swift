import Testing
@testable import Torch

/// Analytic gradients against central finite differences in float64.
@Suite struct GradientCheckTests {
    /// Compares d/d input of sum(f(inputs) * upstream) with (L(x + h) - L(x - h)) / 2h per element.
    func gradcheck(_ inputs: [Tensor], step h: Double = 1e-6, tolerance: Double = 1e-6,
                   _ f: ([Tensor]) throws -> Tensor) throws {
        for x in inputs { try x.requiresGrad(true) }
        let output = try f(inputs)
        let upstream = try Tensor.randn(output.shape, dtype: .float64)
        try (output * upstream).sum().backward()
        for (index, x) in inputs.enumerated() {
            let analytic = try #require(x.grad).toArray(Double.self)
            var numeric: [Double] = []
            let flat = try x.detach().view([-1])
            for i in 0..<x.elementCount {
                let original = try flat[i].item()
                func loss(_ v: Double) throws -> Double {
                    try flat[i].fill_(v)
                    return try Autograd.noGrad { try (f(inputs) * upstream).sum().item() }
                }
                let plus = try loss(original + h), minus = try loss(original - h)
                try flat[i].fill_(original)
                numeric.append((plus - minus) / (2 * h))
            }
            for i in analytic.indices {
                let scale = Swift.max(1, Swift.abs(numeric[i]))
                #expect(Swift.abs(analytic[i] - numeric[i]) <= tolerance * scale,
                        "input \(index) element \(i): analytic \(analytic[i]), numeric \(numeric[i])")
            }
        }
    }

    @Test func conv2d() throws {
        Torch.manualSeed(1)
        try gradcheck([try Tensor.randn([1, 2, 5, 5], dtype: .float64), try Tensor.randn([4, 1, 3, 3], dtype: .float64),
                       try Tensor.randn([4], dtype: .float64)]) {
            try Functional.conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 1), groups: 2)
        }
    }

    @Test func batchNormTraining() throws {
        Torch.manualSeed(2)
        try gradcheck([try Tensor.randn([3, 2, 3, 3], dtype: .float64), try Tensor.rand([2], dtype: .float64) + 0.5,
                       try Tensor.randn([2], dtype: .float64)]) {
            try Functional.batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: nil, runningVar: nil, training: true, eps: 1e-3)
        }
    }

    @Test func layerNorm() throws {
        Torch.manualSeed(3)
        try gradcheck([try Tensor.randn([2, 3, 4], dtype: .float64), try Tensor.randn([4], dtype: .float64),
                       try Tensor.randn([4], dtype: .float64)]) {
            try Functional.layerNorm($0[0], normalizedShape: [4], weight: $0[1], bias: $0[2])
        }
    }

    @Test func gridSample() throws {
        Torch.manualSeed(4)
        // Keep sample points away from pixel boundaries, where bilinear sampling has kinks.
        let grid = try Tensor.rand([1, 2, 3, 2], dtype: .float64) * 1.4 - 0.7
        try gradcheck([try Tensor.randn([1, 2, 4, 5], dtype: .float64), grid], step: 1e-7, tolerance: 1e-5) {
            try Functional.gridSample($0[0], grid: $0[1], mode: .bilinear, padding: .zeros, alignCorners: false)
        }
    }

    @Test func crossEntropy() throws {
        Torch.manualSeed(5)
        let target = try Tensor([2, 0, 1, 2] as [Int64])
        let weight = try Tensor([0.5, 2.0, 1.0] as [Double])
        try gradcheck([try Tensor.randn([4, 3], dtype: .float64)]) {
            try Functional.crossEntropy($0[0], target: target, weight: weight, labelSmoothing: 0.1)
        }
    }
}
