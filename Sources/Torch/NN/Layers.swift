import CTorch

/// y = x W^T + b, as torch.nn.Linear (keys `weight`, `bias`).
public final class Linear: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?
    public let inputFeatures: Int
    public let outputFeatures: Int

    public init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true) throws {
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = try Initialization.parameter(Initialization.defaultWeight([outputFeatures, inputFeatures], fanIn: inputFeatures))
        self.bias = bias ? try Initialization.parameter(Initialization.defaultBias(outputFeatures, fanIn: inputFeatures)) : nil
        super.init()
        register(parameter: "weight", weight)
        register(parameter: "bias", self.bias)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.size(-1) == inputFeatures else {
            throw TorchError.invalidArgument("Linear(\(inputFeatures) -> \(outputFeatures)) got an input of shape \(x.shape)")
        }
        return try produce("linear of \(x.shape)") { ct_linear(x.handle, weight.handle, bias?.handle, $0) }
    }
}


/// 2-D convolution, as torch.nn.Conv2d (keys `weight`, `bias`).
public final class Conv2d: Module, UnaryLayer {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: (Int, Int)
    public let padding: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true) throws {
        guard groups > 0, inChannels % groups == 0, outChannels % groups == 0 else {
            throw TorchError.invalidArgument("Conv2d: \(inChannels) -> \(outChannels) channels cannot be split into \(groups) groups")
        }
        let fanIn = inChannels / groups * kernelSize.0 * kernelSize.1
        weight = try Initialization.parameter(Initialization.defaultWeight(
            [outChannels, inChannels / groups, kernelSize.0, kernelSize.1], fanIn: fanIn))
        self.bias = bias ? try Initialization.parameter(Initialization.defaultBias(outChannels, fanIn: fanIn)) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        super.init()
        register(parameter: "weight", weight)
        register(parameter: "bias", self.bias)
    }

    /// A square kernel with equal stride and padding on both axes.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            groups: Int = 1, bias: Bool = true) throws {
        try self.init(inChannels, outChannels, kernelSize: (kernelSize, kernelSize), stride: (stride, stride),
                      padding: (padding, padding), groups: groups, bias: bias)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try Functional.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Batch normalisation over N x C x H x W, as torch.nn.BatchNorm2d (keys `weight`, `bias`,
/// `running_mean`, `running_var`, `num_batches_tracked`).
public final class BatchNorm2d: Module, UnaryLayer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let runningMean: Tensor
    public let runningVar: Tensor
    public let batchesTracked: Tensor
    public let eps: Double
    public let momentum: Double

    public init(_ features: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true) throws {
        weight = affine ? try Initialization.parameter(Tensor.ones([features])) : nil
        bias = affine ? try Initialization.parameter(Tensor.zeros([features])) : nil
        runningMean = try Tensor.zeros([features])
        runningVar = try Tensor.ones([features])
        batchesTracked = try Tensor.zeros([], dtype: .int64)
        self.eps = eps
        self.momentum = momentum
        super.init()
        register(parameter: "weight", weight)
        register(parameter: "bias", bias)
        register(buffer: "running_mean", runningMean)
        register(buffer: "running_var", runningVar)
        register(buffer: "num_batches_tracked", batchesTracked)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.size(1) == runningMean.size(0) else {
            throw TorchError.invalidArgument("BatchNorm2d(\(runningMean.size(0))) expects N x \(runningMean.size(0)) x H x W, got \(x.shape)")
        }
        if isTraining { try batchesTracked.add_(try Tensor.ones([], dtype: .int64, device: batchesTracked.device)) }
        return try Functional.batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                                        training: isTraining, momentum: momentum, eps: eps)
    }
}

/// Layer normalisation over the last dimensions, as torch.nn.LayerNorm (keys `weight`, `bias`).
public final class LayerNorm: Module, UnaryLayer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let normalizedShape: [Int]
    public let eps: Double

    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true) throws {
        weight = elementwiseAffine ? try Initialization.parameter(Tensor.ones(normalizedShape)) : nil
        bias = elementwiseAffine ? try Initialization.parameter(Tensor.zeros(normalizedShape)) : nil
        self.normalizedShape = normalizedShape
        self.eps = eps
        super.init()
        register(parameter: "weight", weight)
        register(parameter: "bias", bias)
    }

    public convenience init(_ features: Int, eps: Double = 1e-5) throws { try self.init([features], eps: eps) }

    public func forward(_ x: Tensor) throws -> Tensor {
        try Functional.layerNorm(x, normalizedShape: normalizedShape, weight: weight, bias: bias, eps: eps)
    }
}

/// Group normalisation, as torch.nn.GroupNorm (keys `weight`, `bias`).
public final class GroupNorm: Module, UnaryLayer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let groups: Int
    public let eps: Double

    public init(groups: Int, channels: Int, eps: Double = 1e-5, affine: Bool = true) throws {
        guard groups > 0, channels % groups == 0 else {
            throw TorchError.invalidArgument("GroupNorm: \(channels) channels do not split into \(groups) groups")
        }
        weight = affine ? try Initialization.parameter(Tensor.ones([channels])) : nil
        bias = affine ? try Initialization.parameter(Tensor.zeros([channels])) : nil
        self.groups = groups
        self.eps = eps
        super.init()
        register(parameter: "weight", weight)
        register(parameter: "bias", bias)
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        try Functional.groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps)
    }
}

/// A lookup table of vectors, as torch.nn.Embedding (key `weight`; N(0, 1) initialisation, the
/// padding row zeroed).
public final class Embedding: Module, UnaryLayer {
    public let weight: Tensor
    public let paddingIndex: Int?

    public init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil) throws {
        let table = try Initialization.normal([count, dimension])
        if let paddingIndex {
            guard (0..<count).contains(paddingIndex) else {
                throw TorchError.invalidArgument("Embedding: padding index \(paddingIndex) outside 0..<\(count)")
            }
            try table.select(dim: 0, index: paddingIndex).zero_()
        }
        weight = try Initialization.parameter(table)
        self.paddingIndex = paddingIndex
        super.init()
        register(parameter: "weight", weight)
    }

    public func forward(_ indices: Tensor) throws -> Tensor {
        try Functional.embedding(indices, weight: weight, paddingIndex: paddingIndex)
    }
}

/// Zeroes elements with probability p in training and rescales the rest by 1/(1-p).
public final class Dropout: Module, UnaryLayer {
    public let p: Double
    public init(_ p: Double = 0.5) { self.p = p; super.init() }
    public func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining, p > 0 else { return x }
        return try Functional.dropout(x, p: p, training: true)
    }
}

/// Elementwise activation as a layer (no parameters).
public final class Activation: Module, UnaryLayer {
    public enum Kind: Sendable { case relu, relu6, silu, gelu, geluTanh, sigmoid, tanh, identity }
    public let kind: Kind
    public init(_ kind: Kind) { self.kind = kind; super.init() }
    public func forward(_ x: Tensor) throws -> Tensor {
        switch kind {
        case .relu: return try x.relu()
        case .relu6: return try x.relu6()
        case .silu: return try x.silu()
        case .gelu: return try x.gelu()
        case .geluTanh: return try x.gelu(approximateTanh: true)
        case .sigmoid: return try x.sigmoid()
        case .tanh: return try x.tanh()
        case .identity: return x
        }
    }
}

/// Layers applied in order; children are keyed "0", "1", ... as torch.nn.Sequential.
public final class Sequential: Module, UnaryLayer {
    public let layers: [any UnaryLayer]
    public init(_ layers: [any UnaryLayer]) {
        self.layers = layers
        super.init()
        for (i, layer) in layers.enumerated() { register(String(i), layer) }
    }
    public func forward(_ x: Tensor) throws -> Tensor {
        try layers.reduce(x) { try $1.forward($0) }
    }
}

/// A list of modules keyed "0", "1", ... as torch.nn.ModuleList; the owner decides how to call them.
public final class ModuleList<Element: Module>: Module {
    public let modules: [Element]
    public init(_ modules: [Element]) {
        self.modules = modules
        super.init()
        for (i, module) in modules.enumerated() { register(String(i), module) }
    }
    public subscript(index: Int) -> Element { modules[index] }
    public var count: Int { modules.count }
}
