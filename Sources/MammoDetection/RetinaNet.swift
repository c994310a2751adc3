import Foundation
import MammoModels
import Torch

/// Which EfficientNet blocks feed the feature pyramid: C3 and C4 are block outputs, C5 the head's
/// feature map. The reference taps B5 at blocks 26 and 37 (176 and 512 channels) and B2 at 15 and 21
/// (120 and 352); other configurations take the same places, the last block of stage 5 (stride 16)
/// and the first block of stage 7 (stride 32).
public struct BackboneTaps: Codable, Equatable, Sendable {
    public var c3Block: Int
    public var c4Block: Int

    public init(c3Block: Int, c4Block: Int) {
        self.c3Block = c3Block
        self.c4Block = c4Block
    }

    public static func reference(for config: EfficientNetConfig) -> BackboneTaps {
        switch config.variant {
        case "b5": return BackboneTaps(c3Block: 26, c4Block: 37)
        case "b2": return BackboneTaps(c3Block: 15, c4Block: 21)
        default:
            let repeats = config.stages.map(\.repeats)
            return BackboneTaps(c3Block: repeats[0..<5].reduce(0, +) - 1, c4Block: repeats[0..<6].reduce(0, +))
        }
    }
}

/// The feature pyramid of the reference (keys `P5_1` ... `P7_2`): lateral 1x1 convolutions, nearest
/// upsampling and 3x3 smoothing give P3-P5; P6 is a stride-2 3x3 convolution of C5, P7 one of ReLU(P6).
/// With the reference's taps C3 has stride 16 and C4 stride 32, so both are upsampled once more.
/// Each upsampling goes to the size of the level it joins (the reference doubles, which fails on
/// inputs that are not multiples of 128: the result is the same where both work).
public final class FeaturePyramid: Module {
    let p5Lateral: Conv2d, p5Output: Conv2d, p4Lateral: Conv2d, p4Output: Conv2d, p3Lateral: Conv2d, p3Output: Conv2d
    let p6: Conv2d, p7: Conv2d

    public init(c3Channels: Int, c4Channels: Int, c5Channels: Int, width: Int = 256) throws {
        p5Lateral = try Conv2d(c5Channels, width, kernelSize: 1)
        p5Output = try Conv2d(width, width, kernelSize: 3, padding: 1)
        p4Lateral = try Conv2d(c4Channels, width, kernelSize: 1)
        p4Output = try Conv2d(width, width, kernelSize: 3, padding: 1)
        p3Lateral = try Conv2d(c3Channels, width, kernelSize: 1)
        p3Output = try Conv2d(width, width, kernelSize: 3, padding: 1)
        p6 = try Conv2d(c5Channels, width, kernelSize: 3, stride: 2, padding: 1)
        p7 = try Conv2d(width, width, kernelSize: 3, stride: 2, padding: 1)
        super.init()
        register("P5_1", p5Lateral)
        register("P5_2", p5Output)
        register("P4_1", p4Lateral)
        register("P4_2", p4Output)
        register("P3_1", p3Lateral)
        register("P3_2", p3Output)
        register("P6", p6)
        register("P7_2", p7)
    }

    /// P3-P7 for an input whose level grids are `grids` (see `AnchorGenerator.grids`).
    public func forward(c3: Tensor, c4: Tensor, c5: Tensor, grids: [(rows: Int, columns: Int)]) throws -> [Tensor] {
        func up(_ x: Tensor, _ grid: (rows: Int, columns: Int)) throws -> Tensor {
            try Functional.interpolate(x, size: (grid.rows, grid.columns), mode: .nearest)
        }
        var p5 = try p5Lateral(c5)
        let p5Up = try up(p5, grids[1])
        p5 = try p5Output(p5)
        var p4 = try up(p4Lateral(c4), grids[1]) + p5Up
        let p4Up = try up(p4, grids[0])
        p4 = try p4Output(p4)
        let p3 = try p3Output(up(p3Lateral(c3), grids[0]) + p4Up)
        let p6Out = try p6(c5)
        let p7Out = try p7(p6Out.relu())
        return [p3, p4, p5, p6Out, p7Out]
    }
}

/// A RetinaNet subnet: four 3x3 convolutions of the pyramid's width with ReLU, then a 3x3 output
/// convolution of `anchors x values` channels (keys `conv1` ... `conv4`, `output`).
public final class RetinaSubnet: Module {
    let convs: [Conv2d]
    public let output: Conv2d
    let valuesPerAnchor: Int

    public init(width: Int, anchors: Int, valuesPerAnchor: Int) throws {
        convs = try (0..<4).map { _ in try Conv2d(width, width, kernelSize: 3, padding: 1) }
        output = try Conv2d(width, anchors * valuesPerAnchor, kernelSize: 3, padding: 1)
        self.valuesPerAnchor = valuesPerAnchor
        super.init()
        for (i, conv) in convs.enumerated() { register("conv\(i + 1)", conv) }
        register("output", output)
    }

    /// N x (H W anchors) x values: positions row-major, then anchors, as the reference's view.
    public func forward(_ x: Tensor) throws -> Tensor {
        var out = x
        for conv in convs { out = try conv(out).relu() }
        out = try output(out).permute([0, 2, 3, 1]).contiguous()
        return try out.view([out.size(0), -1, valuesPerAnchor])
    }
}

/// RetinaNet on an EfficientNet image tower, as the reference's detector (state-dict keys
/// `efficientnet.*`, `fpn.*`, `regressionModel.*`, `classificationModel.*`): the tower's taps feed
/// the pyramid, each level goes through the shared box and class subnets, class outputs through a
/// sigmoid. Convolutions start from N(0, sqrt(2 / (k k out))); the class output's bias from the prior
/// 0.01 and its weight, like the box output's, from zero.
public final class RetinaNet: Module {
    public let backbone: EfficientNet
    public let taps: BackboneTaps
    public let pyramid: FeaturePyramid
    public let boxSubnet: RetinaSubnet
    public let classSubnet: RetinaSubnet
    public let anchorGenerator: AnchorGenerator
    public let classCount: Int

    public static let prior = 0.01

    public init(backbone: EfficientNet, classes: Int, taps: BackboneTaps? = nil, pyramidWidth: Int = 256,
                anchors: AnchorGenerator = AnchorGenerator()) throws {
        guard classes >= 1 else { throw ModelError.invalidConfiguration("a detector needs at least one class") }
        let taps = taps ?? BackboneTaps.reference(for: backbone.config)
        self.backbone = backbone
        self.taps = taps
        anchorGenerator = anchors
        classCount = classes
        pyramid = try FeaturePyramid(c3Channels: backbone.channels(ofBlock: taps.c3Block), c4Channels: backbone.channels(ofBlock: taps.c4Block),
                                     c5Channels: backbone.featureChannels, width: pyramidWidth)
        boxSubnet = try RetinaSubnet(width: pyramidWidth, anchors: anchors.anchorsPerPosition, valuesPerAnchor: 4)
        classSubnet = try RetinaSubnet(width: pyramidWidth, anchors: anchors.anchorsPerPosition, valuesPerAnchor: classes)
        super.init()
        register("efficientnet", backbone)
        register("fpn", pyramid)
        register("regressionModel", boxSubnet)
        register("classificationModel", classSubnet)
        try Autograd.noGrad {
            for module in [pyramid, boxSubnet, classSubnet] {
                for (_, child) in module.namedModules() {
                    guard let conv = child as? Conv2d else { continue }
                    let n = conv.weight.size(0) * conv.weight.size(2) * conv.weight.size(3)
                    try conv.weight.normal_(mean: 0, std: (2.0 / Double(n)).squareRoot())
                }
            }
            try classSubnet.output.weight.zero_()
            try classSubnet.output.bias?.fill_(-Foundation.log((1 - Self.prior) / Self.prior))
            try boxSubnet.output.weight.zero_()
            try boxSubnet.output.bias?.zero_()
        }
    }

    /// Class probabilities (N x A x classes) and box regressions (N x A x 4) of normalised images
    /// N x 3 x H x W, and the grid of each pyramid level; A anchors as `anchorGenerator.anchors(grids:)`
    /// lists them. P3 and P4 take the grids of the image size divided by their strides (rounded up, as
    /// the reference's anchors); P5-P7 the backbone's own (which differ where its static padding was
    /// made for another size).
    public func forward(_ images: Tensor) throws -> (classification: Tensor, regression: Tensor, grids: [(rows: Int, columns: Int)]) {
        let grids = anchorGenerator.grids(height: images.size(2), width: images.size(3))
        let extracted = try backbone.extractFeatures(images, endpoints: [taps.c3Block, taps.c4Block])
        guard let c3 = extracted.endpoints[taps.c3Block], let c4 = extracted.endpoints[taps.c4Block] else {
            throw ModelError.invalidInput("the backbone did not return its taps")
        }
        let levels = try pyramid.forward(c3: c3, c4: c4, c5: extracted.features, grids: grids)
        let regression = try Tensor.cat(levels.map { try boxSubnet.forward($0) }, dim: 1)
        let classification = try Tensor.cat(levels.map { try classSubnet.forward($0).sigmoid() }, dim: 1)
        return (classification, regression, levels.map { ($0.size(2), $0.size(3)) })
    }

    /// Batch norm stays in evaluation mode whatever the module's mode: the detector's "frozen BN".
    public override func train(_ on: Bool = true) {
        super.train(on)
        for (_, module) in namedModules() where module is BatchNorm2d { module.train(false) }
    }
}
