import Foundation
import Testing
@testable import Torch

/// Every op family against PyTorch: forward values and input gradients (fixture: ops.safetensors,
/// written by Fixtures/generate_fixtures.py, which defines the same cases by name).
@Suite struct OpParityTests {
    typealias Case = @Sendable ([Tensor]) throws -> [Tensor]

    static func seeded(_ body: @escaping Case) -> Case {
        { inputs in Torch.manualSeed(42); return try body(inputs) }
    }

    static let unary: [String: @Sendable (Tensor) throws -> Tensor] = [
        "neg": { try $0.neg() }, "abs": { try $0.abs() }, "exp": { try $0.exp() }, "log": { try $0.log() },
        "log1p": { try $0.log1p() }, "expm1": { try $0.expm1() }, "sqrt": { try $0.sqrt() }, "rsqrt": { try $0.rsqrt() },
        "sin": { try $0.sin() }, "cos": { try $0.cos() }, "tanh": { try $0.tanh() }, "sigmoid": { try $0.sigmoid() },
        "relu": { try $0.relu() }, "relu6": { try $0.relu6() }, "silu": { try $0.silu() }, "gelu": { try $0.gelu() },
        "gelu_tanh": { try $0.gelu(approximateTanh: true) }, "floor": { try $0.floor() }, "ceil": { try $0.ceil() },
        "round": { try $0.round() }, "sign": { try $0.sign() }, "reciprocal": { try $0.reciprocal() }, "erf": { try $0.erf() },
        "square": { try $0.square() }, "softplus": { try $0.softplus() }, "log_sigmoid": { try $0.logSigmoid() },
        "log2": { try $0.log2() }, "trunc": { try $0.trunc() },
    ]

    static let binary: [String: @Sendable (Tensor, Tensor) throws -> Tensor] = [
        "add": { try $0 + $1 }, "sub": { try $0 - $1 }, "mul": { try $0 * $1 }, "div": { try $0 / $1 },
        "maximum": { try $0.maximum($1) }, "minimum": { try $0.minimum($1) }, "atan2": { try $0.atan2($1) },
        "pow": { try $0.pow($1) }, "remainder": { try $0.remainder($1) }, "floor_divide": { try $0.floorDivide($1) },
    ]

    static let compare: [String: @Sendable (Tensor, Tensor) throws -> Tensor] = [
        "eq": { try $0 .== $1 }, "ne": { try $0 .!= $1 }, "lt": { try $0 .< $1 }, "le": { try $0 .<= $1 },
        "gt": { try $0 .> $1 }, "ge": { try $0 .>= $1 },
    ]

    static func complexParts(_ c: Tensor) throws -> Tensor { try Tensor.stack([c.real(), c.imag()], dim: -1) }

    static let cases: [String: Case] = {
        var c: [String: Case] = [
            "create.arange": { _ in [try Tensor.arange(0, 5, step: 0.5, dtype: .float32)] },
            "create.linspace": { _ in [try Tensor.linspace(-1, 1, steps: 7)] },
            "create.eye": { _ in [try Tensor.eye(4)] },
            "create.full": { _ in [try Tensor.full([2, 3], value: 2.5)] },
            "random.randn": seeded { _ in [try Tensor.randn([3, 4])] },
            "random.rand": seeded { _ in [try Tensor.rand([5])] },
            "random.randperm": seeded { _ in [try Tensor.randperm(10)] },
            "random.randint": seeded { _ in [try Tensor.randint(low: 0, high: 7, shape: [6])] },
            "random.dropout": seeded { x in [try Functional.dropout(x[0], p: 0.3, training: true)] },

            "dtype.float_conversions": { x in
                [try x[0].to(.float16).to(.float32), try x[0].to(.bfloat16).to(.float32), try x[0].to(.float64), try x[0].to(.float16).to(.float64)]
            },
            "dtype.integer_conversions": { x in
                [try x[0].to(.int64), try x[0].to(.int32), try x[0].abs().clamp(max: 255).to(.uint8), try x[0].clamp(min: -120, max: 120).to(.int8).to(.int64), try x[0].to(.bool)]
            },

            "shape.reshape": { x in [try x[0].reshape([4, 6])] },
            "shape.permute": { x in [try x[0].permute([2, 0, 1]).contiguous()] },
            "shape.transpose": { x in [try x[0].transpose(0, 2)] },
            "shape.cat": { x in [try Tensor.cat([x[0], x[1]], dim: 1)] },
            "shape.stack": { x in [try Tensor.stack([x[0], x[1]], dim: 1)] },
            "shape.split": { x in try x[0].split(sizes: [1, 2], dim: 1) },
            "shape.chunk": { x in try x[0].chunk(3, dim: 0) },
            "shape.narrow": { x in [try x[0].narrow(dim: 2, start: 1, length: 2)] },
            "shape.slice": { x in [try x[0].slice(dim: 0, start: 1, end: 9, step: 3)] },
            "shape.index_select": { x in [try x[0].indexSelect(dim: 1, index: x[1])] },
            "shape.gather": { x in [try x[0].gather(dim: 1, index: x[1])] },
            "shape.scatter": { x in [try x[0].scatter(dim: 1, index: x[1], source: x[2])] },
            "shape.scatter_add": { x in [try x[0].scatter(dim: 1, index: x[1], source: x[2], add: true)] },
            "shape.expand": { x in [try x[0].expand([3, 4])] },
            "shape.repeat": { x in [try x[0].repeated([2, 1, 2])] },
            "shape.squeeze_unsqueeze": { x in [try x[0].squeeze(1).unsqueeze(0)] },
            "shape.flatten": { x in [try x[0].flatten(start: 1)] },
            "shape.flip": { x in [try x[0].flip([0, 2])] },
            "shape.roll": { x in [try x[0].roll(shifts: [1, -1], dims: [0, 1])] },
            "shape.pad_constant": { x in [try x[0].pad([1, 2, 0, 1], value: 0.5)] },
            "shape.pad_reflect": { x in [try x[0].pad([2, 1, 1, 2], mode: .reflect)] },
            "shape.pad_replicate": { x in [try x[0].pad([2, 1, 1, 2], mode: .replicate)] },
            "shape.pad_circular": { x in [try x[0].pad([2, 1, 1, 2], mode: .circular)] },
            "shape.tril": { x in [try x[0].triangle(diagonal: -1)] },
            "shape.triu": { x in [try x[0].triangle(diagonal: 1, upper: true)] },
            "shape.masked_select": { x in [try x[0].maskedSelect(x[1])] },

            "logical.and_or_xor_not": { x in [try x[0].logicalAnd(x[1]), try x[0].logicalOr(x[1]), try x[0].logicalXor(x[1]), try x[0].logicalNot()] },
            "scalar.ops": { x in
                let v = x[0]
                return [try v + 2, try v - 1.5, try v * 3, try v / 4, try 2 - v, try 3 / (v.abs() + 1), try v.pow(2),
                        try Tensor.full([], value: 2).pow(v)]
            },
            "scalar.int_tensor": { x in [try x[0] + 2, try x[0] * 3, try x[0] / 2] },
            "elementwise.clamp": { x in [try x[0].clamp(min: -1, max: 1), try x[0].clamp(min: 0.5), try x[0].clamp(max: -0.5)] },
            "elementwise.where": { x in [try Tensor.where(x[0], x[1], x[2])] },
            "elementwise.masked_fill": { x in [try x[0].maskedFill(x[1], value: -2)] },
            "elementwise.lerp": { x in [try x[0].lerp(x[1], weight: 0.3)] },

            "reduce.sum": { x in [try x[0].sum(), try x[0].sum(dim: 1), try x[0].sum([0, 2], keepDim: true)] },
            "reduce.mean": { x in [try x[0].mean(), try x[0].mean(dim: -1), try x[0].mean([0, 1], keepDim: true)] },
            "reduce.amax_amin": { x in [try x[0].max([1]), try x[0].min([0, 2]), try x[0].max(), try x[0].min()] },
            "reduce.max_dim": { x in
                let a = try x[0].max(dim: 1), b = try x[0].min(dim: 2, keepDim: true)
                return [a.values, a.indices, b.values, b.indices]
            },
            "reduce.argmax": { x in [try x[0].argmax(), try x[0].argmax(dim: 2), try x[0].argmin(dim: 1, keepDim: true)] },
            "reduce.std_var": { x in [try x[0].std(), try x[0].std([1]), try x[0].variance([2], unbiased: false), try x[0].variance([0, 1], keepDim: true)] },
            "reduce.norm": { x in [try x[0].norm(), try x[0].norm(p: 1, [1]), try x[0].norm(p: .infinity, [0, 2])] },
            "reduce.logsumexp": { x in [try x[0].logsumexp([1]), try x[0].logsumexp([0, 2], keepDim: true)] },
            "reduce.prod_cumsum": { x in [try x[0].prod(), try x[0].prod(dim: 1), try x[0].cumsum(dim: 1)] },
            "reduce.any_all": { x in [try x[0].any(), try x[0].all(dim: 1)] },
            "reduce.topk": { x in
                let a = try x[0].topk(2, dim: 1), b = try x[0].topk(3, largest: false)
                return [a.values, a.indices, b.values, b.indices]
            },
            "reduce.sort": { x in
                let s = try x[0].sort(dim: 1, descending: true)
                return [s.values, s.indices, try x[0].argsort(dim: -1)]
            },

            "linalg.matmul": { x in [try x[0].matmul(x[1])] },
            "linalg.bmm": { x in [try x[0].bmm(x[1])] },
            "linalg.linear": { x in [try Functional.linear(x[0], weight: x[1], bias: x[2])] },
            "linalg.outer": { x in [try x[0].outer(x[1])] },

            "nn.conv2d": { x in [try Functional.conv2d(x[0], weight: x[1], bias: x[2], stride: (2, 2), padding: (1, 1), dilation: (2, 2), groups: 2)] },
            "nn.conv2d_depthwise": { x in [try Functional.conv2d(x[0], weight: x[1], padding: (2, 2), groups: 4)] },
            "nn.conv2d_asymmetric": { x in [try Functional.conv2d(x[0], weight: x[1], bias: x[2], stride: (2, 1), padding: (1, 0))] },
            "nn.conv_transpose2d": { x in [try Functional.convTranspose2d(x[0], weight: x[1], bias: x[2], stride: (2, 2), padding: (1, 1), outputPadding: (1, 1))] },
            "nn.max_pool2d": { x in [try Functional.maxPool2d(x[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
                                     try Functional.maxPool2d(x[0], kernel: (2, 2), ceilMode: true)] },
            "nn.avg_pool2d": { x in [try Functional.avgPool2d(x[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1)),
                                     try Functional.avgPool2d(x[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false),
                                     try Functional.avgPool2d(x[0], kernel: (2, 2), ceilMode: true)] },
            "nn.adaptive_pool2d": { x in [try Functional.adaptiveAvgPool2d(x[0], outputSize: (4, 3)), try Functional.adaptiveMaxPool2d(x[0], outputSize: (2, 5))] },
            "nn.batch_norm_train": { x in
                let rm = try x[3].clone(), rv = try x[4].clone()
                let y = try Functional.batchNorm(x[0], weight: x[1], bias: x[2], runningMean: rm, runningVar: rv, training: true, momentum: 0.1, eps: 1e-5)
                return [y, rm, rv]
            },
            "nn.batch_norm_eval": { x in [try Functional.batchNorm(x[0], weight: x[1], bias: x[2], runningMean: x[3], runningVar: x[4], training: false, momentum: 0.01, eps: 1e-3)] },
            "nn.layer_norm": { x in [try Functional.layerNorm(x[0], normalizedShape: [8], weight: x[1], bias: x[2], eps: 1e-12)] },
            "nn.group_norm": { x in [try Functional.groupNorm(x[0], groups: 2, weight: x[1], bias: x[2])] },
            "nn.embedding": { x in [try Functional.embedding(x[1], weight: x[0], paddingIndex: 0)] },
            "nn.softmax": { x in [try Functional.softmax(x[0], dim: 1), try Functional.logSoftmax(x[0], dim: 0)] },
            "nn.one_hot": { x in [try Functional.oneHot(x[0], classes: 5)] },
            "nn.normalize": { x in [try Functional.normalize(x[0], dim: -1)] },

            "loss.cross_entropy": { x in
                let (l, t, w) = (x[0], x[1], x[2])
                return [try Functional.crossEntropy(l, target: t), try Functional.crossEntropy(l, target: t, weight: w),
                        try Functional.crossEntropy(l, target: t, labelSmoothing: 0.1),
                        try Functional.crossEntropy(l, target: t, weight: w, labelSmoothing: 0.2),
                        try Functional.crossEntropy(l, target: t, reduction: .none),
                        try Functional.crossEntropy(l, target: t, reduction: .sum),
                        try Functional.crossEntropy(l, target: Tensor([0, -100, 1, 1, -100, 0] as [Int64]))]
            },
            "loss.cross_entropy_probabilities": { x in [try Functional.crossEntropy(x[0], target: x[1])] },
            "loss.bce_with_logits": { x in
                [try Functional.binaryCrossEntropyWithLogits(x[0], target: x[1]),
                 try Functional.binaryCrossEntropyWithLogits(x[0], target: x[1], positiveWeight: x[2]),
                 try Functional.binaryCrossEntropyWithLogits(x[0], target: x[1], weight: x[3], positiveWeight: x[2], reduction: .sum)]
            },
            "loss.smooth_l1": { x in [try Functional.smoothL1Loss(x[0], target: x[1], beta: 1.0 / 9), try Functional.smoothL1Loss(x[0], target: x[1], reduction: .none)] },
            "loss.mse_l1": { x in [try Functional.mseLoss(x[0], target: x[1]), try Functional.l1Loss(x[0], target: x[1], reduction: .sum)] },

            "resample.nearest": { x in [try Functional.interpolate(x[0], size: (8, 9), mode: .nearest)] },
            "resample.bilinear": { x in [try Functional.interpolate(x[0], size: (8, 9), mode: .bilinear),
                                         try Functional.interpolate(x[0], size: (3, 4), mode: .bilinear, alignCorners: true)] },
            "resample.bicubic": { x in [try Functional.interpolate(x[0], size: (7, 11), mode: .bicubic)] },
            "resample.area": { x in [try Functional.interpolate(x[0], size: (4, 3), mode: .area)] },
            "resample.affine_grid": { x in [try Functional.affineGrid(x[0], size: [2, 3, 4, 5])] },
            "resample.grid_sample": { x in
                [try Functional.gridSample(x[0], grid: x[1]),
                 try Functional.gridSample(x[0], grid: x[1], mode: .nearest, padding: .border, alignCorners: true),
                 try Functional.gridSample(x[0], grid: x[1], mode: .bicubic, padding: .reflection)]
            },
            "fft.rfft2": { x in [try complexParts(Functional.rfft2(x[0]))] },
            "fft.rfft2_ortho": { x in [try complexParts(Functional.rfft2(x[0], norm: .ortho))] },
            "fft.irfft2_roundtrip": { x in [try Functional.irfft2(Functional.rfft2(x[0]), size: (6, 7))] },
        ]
        for (name, f) in unary { c["unary." + name] = { x in [try f(x[0])] } }
        for (name, f) in binary { c["binary." + name] = { x in [try f(x[0], x[1])] } }
        for (name, f) in compare { c["compare." + name] = { x in [try f(x[0], x[1])] } }
        return c
    }()

    /// 1e-5 against the libtorch that wrote the fixtures (2.15); other releases round some kernels
    /// differently (Debian's 1.13 bicubic resampling differs by 2e-5 relative).
    static let relativeTolerance = Torch.version.hasPrefix("2.15") ? 1e-5 : 5e-5

    static let fixture = Result { try SafetensorsFile(url: Fixtures.url("ops.safetensors")) }

    /// Case names present in the fixture.
    static var fixtureCases: [String] {
        guard let file = try? fixture.get() else { return [] }
        return Set(file.keys.compactMap { key -> String? in
            guard let range = key.range(of: ".out0") else { return nil }
            return String(key[..<range.lowerBound])
        }).sorted()
    }

    @Test func everyFixtureCaseHasASwiftCase() throws {
        let names = Self.fixtureCases
        #expect(names.count > 100)
        let missing = names.filter { Self.cases[$0] == nil }
        #expect(missing.isEmpty, "cases without a Swift definition: \(missing)")
        let extra = Self.cases.keys.filter { !names.contains($0) }
        #expect(extra.isEmpty, "Swift cases missing from the fixture: \(extra)")
    }

    @Test(arguments: fixtureCases)
    func parity(_ name: String) throws {
        let file = try Self.fixture.get()
        let run = try #require(Self.cases[name])
        var inputs: [Tensor] = []
        while file.entries["\(name).in\(inputs.count)"] != nil { inputs.append(try file.tensor("\(name).in\(inputs.count)")) }
        let gradientIndices = inputs.indices.filter { file.entries["\(name).grad\($0)"] != nil }
        for i in gradientIndices { try inputs[i].requiresGrad(true) }

        let outputs = try run(inputs)
        var total: Tensor?
        for (j, output) in outputs.enumerated() {
            let expected = try file.tensor("\(name).out\(j)")
            #expect(output.dtype == expected.dtype, "\(name) output \(j): dtype \(output.dtype), PyTorch \(expected.dtype)")
            if let problem = try mismatch(output, expected, rtol: Self.relativeTolerance) { Issue.record("\(name) output \(j): \(problem)") }
            if file.entries["\(name).upstream\(j)"] != nil {
                let term = try (output * file.tensor("\(name).upstream\(j)")).sum()
                total = try total.map { try $0 + term } ?? term
            }
        }
        #expect(file.entries["\(name).out\(outputs.count)"] == nil, "\(name): PyTorch gave more outputs than \(outputs.count)")
        guard !gradientIndices.isEmpty else { return }
        try #require(total).backward()
        for i in gradientIndices {
            let gradient = try #require(inputs[i].grad, "\(name): input \(i) got no gradient")
            if let problem = try mismatch(gradient, try file.tensor("\(name).grad\(i)"), rtol: Self.relativeTolerance) {
                Issue.record("\(name) gradient of input \(i): \(problem)")
            }
        }
    }
}
