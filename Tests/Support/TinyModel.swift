import Foundation
import MammoModels
import MammoText
import Torch

/// A tiny random MammoFM model (the `tiny` configuration at 64 x 40, seeded), saved as pretraining
/// saves its final weights: what the suites that train heads, detectors and mappers start from.
public enum TinyModel {
    public static func save(to folder: URL, vocabulary: [String], seed: UInt64, inputHeight: Int = 64, inputWidth: Int = 40) throws {
        var config = try MammoClipConfig.tiny(vocabularySize: vocabulary.count)
        config.image.inputHeight = inputHeight
        config.image.inputWidth = inputWidth
        Torch.manualSeed(seed)
        try MammoClipLoader.save(MammoClip(config: config), tokenizer: WordPieceTokenizer(vocabulary: vocabulary), to: folder)
    }
}
