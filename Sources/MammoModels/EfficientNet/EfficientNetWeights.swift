import Foundation
import Torch

extension EfficientNetConfig {
    /// The per-block layout a configuration produces: (input channels, output channels, kernel, expanded channels).
    var blockLayout: [[Int]] {
        var layout: [[Int]] = []
        for stage in stages {
            for r in 0..<stage.repeats {
                let input = r == 0 ? stage.inputFilters : stage.outputFilters
                layout.append([input, stage.outputFilters, stage.kernelSize, input * stage.expandRatio])
            }
        }
        return layout
    }

    /// Recovers the architecture from the shapes of an efficientnet_pytorch state dict (keys without
    /// prefix): first among B0-B7, then any width/depth coefficients that reproduce every block.
    /// `nominalImageSize` (for static padding) defaults to the matching variant's, else 224.
    public static func infer(fromShapes shapes: [String: [Int]], nominalImageSize: Int? = nil) throws -> EfficientNetConfig {
        // Ranks are checked before any dimension is read: a checkpoint's shapes are input.
        func shape(_ key: String, rank: Int) throws -> [Int]? {
            guard let found = shapes[key] else { return nil }
            guard found.count == rank else {
                throw ModelError.invalidConfiguration("\(key) has shape \(found) (rank \(found.count)); an EfficientNet stores it with rank \(rank)")
            }
            return found
        }
        guard let stem = try shape("_conv_stem.weight", rank: 4), let head = try shape("_conv_head.weight", rank: 4) else {
            throw ModelError.invalidConfiguration("not an EfficientNet state dict: _conv_stem.weight or _conv_head.weight missing")
        }
        var layout: [[Int]] = []
        var index = 0
        while let project = try shape("_blocks.\(index)._project_conv.weight", rank: 4),
              let depthwise = try shape("_blocks.\(index)._depthwise_conv.weight", rank: 4) {
            let input = try shape("_blocks.\(index)._expand_conv.weight", rank: 4)?[1] ?? depthwise[0]
            layout.append([input, project[0], depthwise[2], depthwise[0]])
            index += 1
        }
        guard !layout.isEmpty else { throw ModelError.invalidConfiguration("EfficientNet state dict has no _blocks") }
        let numClasses = try shape("_fc.weight", rank: 2)?[0]
        func matches(_ c: EfficientNetConfig) -> Bool {
            c.stemChannels == stem[0] && c.featureChannels == head[0] && c.blockLayout == layout
        }
        for name in ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7"] {
            var c = try variant(name, inputChannels: stem[1], numClasses: numClasses)
            if matches(c) {
                if let nominalImageSize { c.padding = .staticFor(imageSize: nominalImageSize); c.nominalImageSize = nominalImageSize }
                return c
            }
        }
        var c = try variant("b0", inputChannels: stem[1], numClasses: numClasses)
        c.variant = "custom"
        let size = nominalImageSize ?? 224
        c.nominalImageSize = size
        c.padding = .staticFor(imageSize: size)
        for width in stride(from: 0.05, through: 4.5, by: 0.05) {
            c.widthCoefficient = (width * 100).rounded() / 100
            guard c.stemChannels == stem[0], c.featureChannels == head[0] else { continue }
            for depth in stride(from: 0.05, through: 6.0, by: 0.05) {
                c.depthCoefficient = (depth * 100).rounded() / 100
                if matches(c) { return c }
            }
        }
        throw ModelError.invalidConfiguration("EfficientNet state dict with \(layout.count) blocks, stem \(stem[0]) and head \(head[0]) channels matches no B0-B7 variant or width/depth scaling")
    }
}

/// Maps timm `tf_efficientnet_b*` state-dict keys onto efficientnet_pytorch keys.
///
/// | timm | efficientnet_pytorch |
/// |---|---|
/// | conv_stem, bn1 | _conv_stem, _bn0 |
/// | blocks.S.I (S = 0, depthwise-separable): conv_dw, bn1, se.conv_reduce, se.conv_expand, conv_pw, bn2 | _blocks.N: _depthwise_conv, _bn1, _se_reduce, _se_expand, _project_conv, _bn2 |
/// | blocks.S.I (S > 0, inverted residual): conv_pw, bn1, conv_dw, bn2, se.*, conv_pwl, bn3 | _blocks.N: _expand_conv, _bn0, _depthwise_conv, _bn1, _se_*, _project_conv, _bn2 |
/// | conv_head, bn2, classifier | _conv_head, _bn1, _fc |
///
/// N counts blocks across stages in order. timm's tf_ models pad dynamically ("same" from the real
/// input), so load them into a configuration with `padding: .dynamic` (and drop connect 0, timm's
/// default).
public enum TimmEfficientNetKeys {
    public static func map(_ weights: [String: Tensor]) throws -> [String: Tensor] {
        // Blocks per stage, to turn (stage, index) into a flat block number.
        var perStage: [Int: Int] = [:]
        for key in weights.keys where key.hasPrefix("blocks.") {
            let parts = key.split(separator: ".")
            if parts.count > 2, let s = Int(parts[1]), let i = Int(parts[2]) { perStage[s] = Swift.max(perStage[s] ?? 0, i + 1) }
        }
        var offsets: [Int: Int] = [:]
        var total = 0
        for s in perStage.keys.sorted() { offsets[s] = total; total += perStage[s]! }
        let top = ["conv_stem": "_conv_stem", "bn1": "_bn0", "conv_head": "_conv_head", "bn2": "_bn1", "classifier": "_fc"]
        let separable = ["conv_dw": "_depthwise_conv", "bn1": "_bn1", "se.conv_reduce": "_se_reduce", "se.conv_expand": "_se_expand",
                         "conv_pw": "_project_conv", "bn2": "_bn2"]
        let inverted = ["conv_pw": "_expand_conv", "bn1": "_bn0", "conv_dw": "_depthwise_conv", "bn2": "_bn1", "se.conv_reduce": "_se_reduce",
                        "se.conv_expand": "_se_expand", "conv_pwl": "_project_conv", "bn3": "_bn2"]
        let hasPwl = { (s: Int, i: Int) in weights.keys.contains { $0.hasPrefix("blocks.\(s).\(i).conv_pwl.") } }
        var result: [String: Tensor] = [:]
        for (key, value) in weights {
            let parts = key.split(separator: ".").map(String.init)
            let mapped: String?
            if parts[0] == "blocks", parts.count >= 4, let s = Int(parts[1]), let i = Int(parts[2]) {
                let module = parts[3..<(parts.count - 1)].joined(separator: ".")
                let table = hasPwl(s, i) ? inverted : separable
                mapped = table[module].map { "_blocks.\(offsets[s]! + i).\($0).\(parts.last!)" }
            } else {
                let module = parts.dropLast().joined(separator: ".")
                mapped = top[module].map { "\($0).\(parts.last!)" }
            }
            guard let target = mapped else {
                throw ModelError.unrecognisedWeights(source: "timm EfficientNet state dict", reason: "no mapping for key '\(key)'")
            }
            result[target] = value
        }
        return result
    }
}
