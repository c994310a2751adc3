import Foundation
import Torch

/// Output size of a TF "same" convolution: ceil(size / stride).
func sameOutputSize(_ size: Int, stride: Int) -> Int { (size + stride - 1) / stride }

/// Total padding TF "same" needs along one axis.
func samePadding(_ size: Int, kernel: Int, stride: Int, dilation: Int = 1) -> Int {
    Swift.max((sameOutputSize(size, stride: stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
}

/// A convolution with TF "same" padding (keys `weight`, `bias` as nn.Conv2d).
final class SameConv2d: Module, UnaryLayer {
    let weight: Tensor
    let bias: Tensor?
    let stride: Int
    let groups: Int
    let kernel: Int
    let padding: SamePadding
    /// For static padding: (left, right, top, bottom) fixed at construction.
    let staticPads: [Int]?

    /// `imageSize` is the nominal input size at this layer (used by static padding only).
    init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, groups: Int = 1, bias: Bool,
         padding: SamePadding, imageSize: Int) throws {
        let conv = try Conv2d(inChannels, outChannels, kernelSize: kernel, stride: stride, groups: groups, bias: bias)
        weight = conv.weight
        self.bias = conv.bias
        self.stride = stride
        self.groups = groups
        self.kernel = kernel
        self.padding = padding
        if case .staticFor = padding {
            let p = samePadding(imageSize, kernel: kernel, stride: stride)
            staticPads = [p / 2, p - p / 2, p / 2, p - p / 2]
        } else {
            staticPads = nil
        }
        super.init()
        register(parameter: "weight", weight)
        register(parameter: "bias", self.bias)
    }

    func forward(_ x: Tensor) throws -> Tensor {
        var pads = staticPads
        if pads == nil {
            let ph = samePadding(x.size(-2), kernel: kernel, stride: stride), pw = samePadding(x.size(-1), kernel: kernel, stride: stride)
            pads = [pw / 2, pw - pw / 2, ph / 2, ph - ph / 2]
        }
        let padded = pads!.allSatisfy { $0 == 0 } ? x : try x.pad(pads!)
        return try Functional.conv2d(padded, weight: weight, bias: bias, stride: (stride, stride), groups: groups)
    }
}

/// Mobile inverted bottleneck with squeeze-excitation, keys as efficientnet_pytorch's MBConvBlock.
final class MBConvBlock: Module {
    let expandConv: SameConv2d?
    let bn0: BatchNorm2d?
    let depthwiseConv: SameConv2d
    let bn1: BatchNorm2d
    let seReduce: SameConv2d
    let seExpand: SameConv2d
    let projectConv: SameConv2d
    let bn2: BatchNorm2d
    let hasSkip: Bool

    init(_ stage: EfficientNetStage, input: Int, stride: Int, imageSize: Int, config: EfficientNetConfig) throws {
        let expanded = input * stage.expandRatio
        let bn = { (c: Int) in try BatchNorm2d(c, eps: config.batchNormEpsilon, momentum: config.batchNormMomentum) }
        if stage.expandRatio != 1 {
            expandConv = try SameConv2d(input, expanded, kernel: 1, bias: false, padding: config.padding, imageSize: imageSize)
            bn0 = try bn(expanded)
        } else {
            expandConv = nil
            bn0 = nil
        }
        depthwiseConv = try SameConv2d(expanded, expanded, kernel: stage.kernelSize, stride: stride, groups: expanded, bias: false,
                                       padding: config.padding, imageSize: imageSize)
        bn1 = try bn(expanded)
        let squeezed = Swift.max(1, Int(Double(input) * stage.seRatio))
        seReduce = try SameConv2d(expanded, squeezed, kernel: 1, bias: true, padding: config.padding, imageSize: 1)
        seExpand = try SameConv2d(squeezed, expanded, kernel: 1, bias: true, padding: config.padding, imageSize: 1)
        let outputSize = sameOutputSize(imageSize, stride: stride)
        projectConv = try SameConv2d(expanded, stage.outputFilters, kernel: 1, bias: false, padding: config.padding, imageSize: outputSize)
        bn2 = try bn(stage.outputFilters)
        hasSkip = stride == 1 && input == stage.outputFilters
        super.init()
        if let expandConv, let bn0 {
            register("_expand_conv", expandConv)
            register("_bn0", bn0)
        }
        register("_depthwise_conv", depthwiseConv)
        register("_bn1", bn1)
        register("_se_reduce", seReduce)
        register("_se_expand", seExpand)
        register("_project_conv", projectConv)
        register("_bn2", bn2)
    }

    func forward(_ input: Tensor, dropConnectRate: Double) throws -> Tensor {
        var x = input
        if let expandConv, let bn0 { x = try bn0(expandConv(x)).silu() }
        x = try bn1(depthwiseConv(x)).silu()
        let squeezed = try seExpand(seReduce(x.mean([2, 3], keepDim: true)).silu())
        x = try squeezed.sigmoid() * x
        x = try bn2(projectConv(x))
        guard hasSkip else { return x }
        if isTraining && dropConnectRate > 0 {
            // Stochastic depth per sample, as efficientnet_pytorch's drop_connect.
            let keep = 1 - dropConnectRate
            let mask = try (Tensor.rand([x.size(0), 1, 1, 1], dtype: x.dtype, device: x.device) + keep).floor()
            x = try x / keep * mask
        }
        return try x + input
    }
}

/// Pooling of the final feature map.
public enum FeaturePooling: Codable, Equatable, Sendable {
    case average
    /// Generalised mean: (mean of x^p)^(1/p) over positions, with x clamped at eps.
    case gem(p: Double, eps: Double)

    /// Pools an N x C x H x W map to N x C.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch self {
        case .average:
            return try Functional.adaptiveAvgPool2d(x, outputSize: (1, 1)).flatten(start: 1)
        case .gem(let p, let eps):
            let pooled = try Functional.avgPool2d(x.clamp(min: eps).pow(p), kernel: (x.size(-2), x.size(-1)))
            return try pooled.pow(1 / p).flatten(start: 1)
        }
    }
}

/// EfficientNet with efficientnet_pytorch's structure and state-dict keys (`_conv_stem`, `_bn0`,
/// `_blocks.N.*`, `_conv_head`, `_bn1`, optional `_fc`).
public final class EfficientNet: Module {
    public let config: EfficientNetConfig
    let convStem: SameConv2d
    let bn0: BatchNorm2d
    let blocks: ModuleList<MBConvBlock>
    let convHead: SameConv2d
    let bn1: BatchNorm2d
    let classifier: Linear?

    public init(config: EfficientNetConfig) throws {
        guard config.inputChannels >= 1 else { throw ModelError.invalidConfiguration("EfficientNet needs at least one input channel") }
        self.config = config
        let bn = { (c: Int) in try BatchNorm2d(c, eps: config.batchNormEpsilon, momentum: config.batchNormMomentum) }
        var size = config.nominalImageSize
        convStem = try SameConv2d(config.inputChannels, config.stemChannels, kernel: 3, stride: 2, bias: false,
                                  padding: config.padding, imageSize: size)
        bn0 = try bn(config.stemChannels)
        size = sameOutputSize(size, stride: 2)
        var blocks: [MBConvBlock] = []
        for stage in config.stages {
            for repeatIndex in 0..<stage.repeats {
                let stride = repeatIndex == 0 ? stage.stride : 1
                let input = repeatIndex == 0 ? stage.inputFilters : stage.outputFilters
                blocks.append(try MBConvBlock(stage, input: input, stride: stride, imageSize: size, config: config))
                if repeatIndex == 0 { size = sameOutputSize(size, stride: stage.stride) }
            }
        }
        self.blocks = ModuleList(blocks)
        convHead = try SameConv2d(config.stages.last!.outputFilters, config.featureChannels, kernel: 1, bias: false,
                                  padding: config.padding, imageSize: size)
        bn1 = try bn(config.featureChannels)
        classifier = try config.numClasses.map { try Linear(config.featureChannels, $0) }
        super.init()
        register("_conv_stem", convStem)
        register("_bn0", bn0)
        register("_blocks", self.blocks)
        register("_conv_head", convHead)
        register("_bn1", bn1)
        if let classifier { register("_fc", classifier) }
    }

    /// Channels of the final feature map.
    public var featureChannels: Int { config.featureChannels }

    /// Output channels of block `index` (an endpoint for detection taps).
    public func channels(ofBlock index: Int) -> Int { blocks[index].bn2.runningMean.size(0) }

    /// The final feature map (N x C x H/32 x W/32) and the outputs of the requested blocks.
    public func extractFeatures(_ images: Tensor, endpoints: Set<Int> = []) throws -> (features: Tensor, endpoints: [Int: Tensor]) {
        guard images.rank == 4, images.size(1) == config.inputChannels else {
            throw ModelError.invalidInput("EfficientNet-\(config.variant) expects N x \(config.inputChannels) x H x W images, got \(images.shape)")
        }
        if let bad = endpoints.first(where: { !(0..<blocks.count).contains($0) }) {
            throw ModelError.invalidInput("endpoint block \(bad) does not exist: EfficientNet-\(config.variant) has blocks 0..<\(blocks.count)")
        }
        var x = try bn0(convStem(images)).silu()
        var taps: [Int: Tensor] = [:]
        for (index, block) in blocks.modules.enumerated() {
            x = try block.forward(x, dropConnectRate: config.dropConnectRate * Double(index) / Double(blocks.count))
            if endpoints.contains(index) { taps[index] = x }
        }
        return (try bn1(convHead(x)).silu(), taps)
    }

    /// Pooled features (N x C) with dropout in training, as efficientnet_pytorch's top (and the
    /// Mammo-CLIP image encoder, which keeps the dropout but drops `_fc`); with a classifier, its logits.
    public func forward(_ images: Tensor, pooling: FeaturePooling = .average) throws -> Tensor {
        var x = try pooling(extractFeatures(images).features)
        if isTraining && config.dropoutRate > 0 { x = try Functional.dropout(x, p: config.dropoutRate, training: true) }
        return try classifier.map { try $0(x) } ?? x
    }
}
