// Writes a converted model folder of a reference configuration (b5 or b2 at 1520 x 912, the
// BERT-base text tower) with seeded random weights and a WordPiece vocabulary of the built-in
// prompts (padded to the reference's 28,996 entries): a full-size model for timing `analyze` and `serve` where no trained checkpoint is at hand.
// Usage: mammofm-model-folder VARIANT OUT_DIR
import Foundation
import MammoDownstream
import MammoModels
import MammoText
import Torch

do {
    let arguments = CommandLine.arguments
    guard arguments.count == 3, ["b5", "b2"].contains(arguments[1]) else {
        throw TorchError.invalidArgument("usage: mammofm-model-folder b5|b2 OUT_DIR")
    }
    let config = arguments[1] == "b5" ? try MammoClipConfig.b5() : try MammoClipConfig.b2()
    let prompts = [PromptSet.reference, PromptSet.ensemble].flatMap { $0.prompts.values.flatMap { $0.flatMap { $0 } } }
    var vocabulary = VocabularyBuilder.build(from: prompts.map { $0.replacingOccurrences(of: "{side}", with: "left right") }, size: 1000)
    // Padded to the reference vocabulary's size, so that the embedding table (and memory) is the reference's.
    vocabulary += (vocabulary.count..<config.text.bert.vocabSize).map { "[unused\($0)]" }
    Torch.manualSeed(7)
    let model = try MammoClip(config: config)
    try MammoClipLoader.save(model, tokenizer: WordPieceTokenizer(vocabulary: vocabulary), to: URL(fileURLWithPath: arguments[2]))
    print("wrote \(arguments[2]): \(config.name), \(config.image.inputWidth) x \(config.image.inputHeight), \(model.parameterCount) parameters")
} catch {
    FileHandle.standardError.write(Data("mammofm-model-folder: \(error)\n".utf8))
    exit(1)
}
