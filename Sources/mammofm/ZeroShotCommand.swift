import ArgumentParser
import Foundation
import MammoModels
import MammoTraining
import Torch

struct ZeroShotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zeroshot",
        abstract: "Zero-shot AUROC of a model on image-level findings (VinDr-layout CSV, reference prompts).",
        discussion: "Images are read as OUT/images/<image_id>.png from `mammofm preprocess --keep-file-names`.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "A converted model folder (e.g. a pretraining run's final or best).") var model: String
    @Option(help: "finding_annotations.csv in the VinDr-Mammo layout.") var vindr: String
    @Option(help: "The folder of preprocessed PNGs named by image id.") var images: String
    @Option(help: "Splits to score (the CSV's split column).") var split: [String] = ["test"]
    @Option(help: "A prompt pair instead of the reference's: 'CATEGORY=negative text|positive text' (repeatable).") var prompt: [String] = []
    @Flag(help: "Print JSON.") var json = false

    func prompts() throws -> [(finding: String, negative: String, positive: String)] {
        guard !prompt.isEmpty else { return ZeroShotCheck.referencePrompts }
        return try prompt.map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let texts = parts.count == 2 ? parts[1].split(separator: "|", maxSplits: 1).map(String.init) : []
            guard texts.count == 2 else { throw ValidationError("--prompt expects 'CATEGORY=negative|positive', got '\(item)'") }
            return (parts[0], texts[0], texts[1])
        }
    }

    func run() throws {
        global.apply()
        let pipeline = try MammoClipPipeline(path: URL(fileURLWithPath: model))
        let results = try ZeroShotCheck.evaluate(model: pipeline, vindrCSV: URL(fileURLWithPath: vindr), imageRoot: URL(fileURLWithPath: images),
                                                 splits: Set(split), prompts: try prompts())
        if json {
            try printJSON(results)
        } else {
            for r in results { print(String(format: "%@: AUROC %.3f (%d images, %d positive)", r.finding, r.auroc, r.images, r.positives)) }
        }
    }
}
