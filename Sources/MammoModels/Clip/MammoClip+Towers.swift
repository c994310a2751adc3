import Foundation
import Torch

extension MammoClip {
    static let imagePrefix = "image_encoder."
    static let imageBlockPrefix = "image_encoder._blocks."
    static let textPrefix = "text_encoder."
    static let textLayerPrefix = "text_encoder.text_encoder.encoder.layer."

    /// Freezes the image tower (open_clip's `lock_image_tower`), leaving its last
    /// `unlockedLastBlocks` EfficientNet blocks and everything after them (head convolution and
    /// batch norm) trainable; the stem stays frozen whenever any block does. Projections stay trainable.
    public func lockImageTower(unlockedLastBlocks: Int = 0) throws {
        let names = namedParameters()
        let blocks = names.compactMap { Self.blockIndex($0.0, prefix: Self.imageBlockPrefix) }.max().map { $0 + 1 } ?? 0
        for (name, parameter) in names where name.hasPrefix(Self.imagePrefix) {
            let block = Self.blockIndex(name, prefix: Self.imageBlockPrefix)
            let stem = name.hasPrefix("image_encoder._conv_stem") || name.hasPrefix("image_encoder._bn0")
            let unlocked = unlockedLastBlocks > 0 && (block.map { $0 >= blocks - unlockedLastBlocks } ?? !stem)
            try parameter.requiresGrad(unlocked)
        }
    }

    /// Freezes the text tower, leaving its last `unlockedLastLayers` transformer layers trainable
    /// (the embeddings stay frozen). Projections stay trainable.
    public func lockTextTower(unlockedLastLayers: Int = 0) throws {
        let names = namedParameters()
        let layers = names.compactMap { Self.blockIndex($0.0, prefix: Self.textLayerPrefix) }.max().map { $0 + 1 } ?? 0
        for (name, parameter) in names where name.hasPrefix(Self.textPrefix) {
            let layer = Self.blockIndex(name, prefix: Self.textLayerPrefix)
            try parameter.requiresGrad(unlockedLastLayers > 0 && (layer.map { $0 >= layers - unlockedLastLayers } ?? false))
        }
    }

    /// The image tower's weights and buffers alone, keyed as the tower names them (an EfficientNet's
    /// state dict), to load into an `EfficientNet` of the same configuration.
    public func imageTowerStateDict() -> [String: Tensor] {
        Dictionary(stateDict().filter { $0.0.hasPrefix(Self.imagePrefix) }.map { (String($0.0.dropFirst(Self.imagePrefix.count)), $0.1) },
                   uniquingKeysWith: { a, _ in a })
    }

    /// The block number in `name` after `prefix` ("..._blocks.7.x" -> 7).
    static func blockIndex(_ name: String, prefix: String) -> Int? {
        guard name.hasPrefix(prefix) else { return nil }
        return Int(name.dropFirst(prefix.count).prefix { $0.isNumber })
    }
}
