import Foundation

/// How a convolution pads to keep TensorFlow's "same" output size (ceil(input / stride)).
public enum SamePadding: Codable, Equatable, Sendable {
    /// Padding computed once from a nominal input size and kept whatever the real input is, as
    /// `efficientnet_pytorch` does (and so the released Mammo-CLIP checkpoints were trained).
    case staticFor(imageSize: Int)
    /// Padding computed from the actual input, as timm's `tf_efficientnet_*` models do.
    case dynamic
}

/// One stage of an EfficientNet: `repeats` MBConv blocks.
public struct EfficientNetStage: Codable, Equatable, Sendable {
    public var kernelSize: Int
    public var repeats: Int
    public var stride: Int
    public var expandRatio: Int
    public var inputFilters: Int
    public var outputFilters: Int
    public var seRatio: Double
}

/// The architecture of an EfficientNet (B0-B7), mirroring efficientnet_pytorch's global params.
public struct EfficientNetConfig: Codable, Equatable, Sendable {
    public var variant: String
    public var widthCoefficient: Double
    public var depthCoefficient: Double
    /// The nominal resolution (224 for B0 ... 600 for B7); static padding is computed from it.
    public var nominalImageSize: Int
    public var dropoutRate: Double
    public var dropConnectRate: Double
    public var batchNormMomentum: Double
    public var batchNormEpsilon: Double
    public var inputChannels: Int
    /// Classes of the `_fc` layer after pooling, or nil for a feature extractor.
    public var numClasses: Int?
    public var padding: SamePadding

    /// The seven stages of EfficientNet-B0, scaled by the coefficients.
    static let baseStages: [EfficientNetStage] = [
        .init(kernelSize: 3, repeats: 1, stride: 1, expandRatio: 1, inputFilters: 32, outputFilters: 16, seRatio: 0.25),
        .init(kernelSize: 3, repeats: 2, stride: 2, expandRatio: 6, inputFilters: 16, outputFilters: 24, seRatio: 0.25),
        .init(kernelSize: 5, repeats: 2, stride: 2, expandRatio: 6, inputFilters: 24, outputFilters: 40, seRatio: 0.25),
        .init(kernelSize: 3, repeats: 3, stride: 2, expandRatio: 6, inputFilters: 40, outputFilters: 80, seRatio: 0.25),
        .init(kernelSize: 5, repeats: 3, stride: 1, expandRatio: 6, inputFilters: 80, outputFilters: 112, seRatio: 0.25),
        .init(kernelSize: 5, repeats: 4, stride: 2, expandRatio: 6, inputFilters: 112, outputFilters: 192, seRatio: 0.25),
        .init(kernelSize: 3, repeats: 1, stride: 1, expandRatio: 6, inputFilters: 192, outputFilters: 320, seRatio: 0.25),
    ]

    /// (width, depth, resolution, dropout) per variant, as efficientnet_pytorch.
    static let coefficients: [String: (Double, Double, Int, Double)] = [
        "b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3), "b3": (1.2, 1.4, 300, 0.3),
        "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4), "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5),
    ]

    /// The configuration of variant "b0" ... "b7" (also accepts "efficientnet-b5").
    public static func variant(_ name: String, inputChannels: Int = 3, numClasses: Int? = nil,
                               padding: SamePadding? = nil) throws -> EfficientNetConfig {
        let key = name.lowercased().replacingOccurrences(of: "efficientnet-", with: "").replacingOccurrences(of: "efficientnet_", with: "")
        guard let (width, depth, resolution, dropout) = coefficients[key] else {
            throw ModelError.invalidConfiguration("unknown EfficientNet variant '\(name)': expected b0 ... b7")
        }
        return EfficientNetConfig(variant: key, widthCoefficient: width, depthCoefficient: depth, nominalImageSize: resolution,
                                  dropoutRate: dropout, dropConnectRate: 0.2, batchNormMomentum: 0.01, batchNormEpsilon: 1e-3,
                                  inputChannels: inputChannels, numClasses: numClasses,
                                  padding: padding ?? .staticFor(imageSize: resolution))
    }

    /// Channels scaled by the width coefficient and rounded to a multiple of 8 (never by more than 10%).
    public func roundFilters(_ filters: Int) -> Int {
        let divisor = 8.0
        let scaled = Double(filters) * widthCoefficient
        var rounded = Swift.max(divisor, Double(Int(scaled + divisor / 2) / Int(divisor) * Int(divisor)))
        if rounded < 0.9 * scaled { rounded += divisor }
        return Int(rounded)
    }

    /// Block repeats scaled by the depth coefficient, rounded up.
    public func roundRepeats(_ repeats: Int) -> Int { Int((depthCoefficient * Double(repeats)).rounded(.up)) }

    /// The scaled stages.
    public var stages: [EfficientNetStage] {
        Self.baseStages.map { stage in
            var s = stage
            s.inputFilters = roundFilters(stage.inputFilters)
            s.outputFilters = roundFilters(stage.outputFilters)
            s.repeats = roundRepeats(stage.repeats)
            return s
        }
    }

    /// Total MBConv blocks (16 for B0, 23 for B2, 39 for B5).
    public var blockCount: Int { stages.reduce(0) { $0 + $1.repeats } }
    /// Channels of the final feature map (1280 for B0, 1408 for B2, 2048 for B5).
    public var featureChannels: Int { roundFilters(1280) }
    public var stemChannels: Int { roundFilters(32) }
}
