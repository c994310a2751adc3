import ArgumentParser
import Foundation
import MammoModels
import Torch

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a Mammo-CLIP checkpoint into MammoFM's format (config.json, model.safetensors, tokenizer files).",
        discussion: """
        CHECKPOINT is an official Mammo-CLIP checkpoint (a torch.save file whose "model" entry is the BreastClip \
        state dict) or a converted directory. The architecture is read from the tensor shapes. Official \
        checkpoints carry no vocabulary: give the tokenizer folder of the text encoder (with vocab.txt, e.g. a \
        Bio_ClinicalBERT download) with --tokenizer, or the converted model can embed images only.
        """)

    @OptionGroup var global: ThreadOptions
    @Argument(help: "The checkpoint to convert.") var checkpoint: String
    @Option(help: ArgumentHelp("The output directory.",
                               discussion: "Written beside, flushed to disk, then swapped in: an earlier model converted or trained by MammoFM there is replaced whole; a folder holding anything else is refused, never deleted."))
    var out: String
    @Option(help: "A tokenizer folder with vocab.txt for the text encoder.") var tokenizer: String?

    func run() throws {
        global.apply()
        // Refused before the (possibly long) load, not after it.
        try OutputFolder.checkWritable(URL(fileURLWithPath: out), as: .model)
        let loaded = try MammoClipLoader.load(URL(fileURLWithPath: checkpoint), tokenizerDirectory: tokenizer.map { URL(fileURLWithPath: $0) })
        try MammoClipLoader.save(loaded.model, tokenizer: loaded.tokenizer, to: URL(fileURLWithPath: out))
        let config = loaded.model.config
        print("converted \(loaded.source) -> \(out)")
        print("model \(config.name): EfficientNet-\(config.image.efficientNet.variant) image tower (\(config.image.efficientNet.featureChannels) features), "
              + "BERT text tower (\(config.text.bert.numHiddenLayers) layers, hidden \(config.text.bert.hiddenSize), vocabulary \(config.text.bert.vocabSize)), "
              + "\(config.projection.kind.rawValue) projection to \(config.projection.dimension), \(loaded.model.parameterCount) parameters")
        if loaded.tokenizer == nil {
            print("warning: no vocabulary was given (--tokenizer DIR): the converted model can embed images but not text")
        }
    }
}
