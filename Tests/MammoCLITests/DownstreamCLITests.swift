import Foundation
import MammoModels
import MammoText
import Testing
import Torch

/// zeroshot, probe, finetune, evaluate and summarize chained on a small cohort and a tiny random model,
/// as the demo runs them.
@Suite(.serialized) struct DownstreamCLITests {
    @Test func downstreamCommandsEndToEnd() throws {
        let root = CLI.folder("downstream")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let cohort = root.appendingPathComponent("cohort"), prepared = root.appendingPathComponent("prepared")
        #expect(try CLI.run(["synth", "--patients", "16", "--seed", "6", "--size", "128x80", "--prevalence", "3", "--out", cohort.path]).status == 0)
        #expect(try CLI.run(["preprocess", cohort.appendingPathComponent("dicom").path, "--out", prepared.path, "--size", "64x40",
                             "--keep-file-names"]).status == 0)
        // A tiny random model saved the way pretraining saves its final weights.
        let words = "no mass there is a in the left right breast suspicious calcification calcifications malignancy fatty scattered fibroglandular density heterogeneously extremely dense"
        let vocabulary = VocabularyBuilder.build(from: [words], size: 200)
        var config = try MammoClipConfig.tiny(vocabularySize: vocabulary.count)
        config.image.inputHeight = 64
        config.image.inputWidth = 40
        Torch.manualSeed(2)
        let model = root.appendingPathComponent("model")
        try MammoClipLoader.save(MammoClip(config: config), tokenizer: WordPieceTokenizer(vocabulary: vocabulary), to: model)

        let data = ["--dataset", cohort.path, "--format", "synth", "--images", prepared.appendingPathComponent("images").path,
                    "--feature-cache", root.appendingPathComponent("features").path, "--bootstrap", "50", "--threads", "2"]
        let zeroshot = try CLI.run(["zeroshot", "--model", model.path] + data + ["--out", root.appendingPathComponent("zs").path])
        #expect(zeroshot.status == 0, "\(zeroshot.error)")
        #expect(zeroshot.output.contains("zero-shot reference | density per breast") && zeroshot.output.contains("zero-shot ensemble"))
        let zsResult = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("zs/result.json"))) as? [String: Any]
        #expect((zsResult?["modelHash"] as? String)?.count == 16)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("zs/results.html").path))

        let probe = try CLI.run(["probe", "--model", model.path] + data + ["--tasks", "density", "--fractions", "50%,100%", "--seeds", "0,1",
                                 "--epochs", "2", "--baseline", "random-init", "--out", root.appendingPathComponent("probe").path])
        #expect(probe.status == 0, "\(probe.error)")
        #expect(probe.error.contains("features read from the cache"))   // zeroshot extracted them
        let lines = probe.output.split(separator: "\n").filter { $0.contains("density per breast") }
        #expect(lines.count == 8 && lines.contains { $0.hasPrefix("random-init probe 50% seed 1") })

        let finetune = try CLI.run(["finetune", "--model", model.path] + data + ["--tasks", "density", "--epochs", "1",
                                    "--out", root.appendingPathComponent("ft").path])
        #expect(finetune.status == 0, "\(finetune.error)")
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("ft/checkpoints/density/state.json").path))
        // Run again: the checkpoint says the training is done, so only the scoring runs.
        let again = try CLI.run(["finetune", "--model", model.path] + data + ["--tasks", "density", "--epochs", "1",
                                 "--out", root.appendingPathComponent("ft").path])
        #expect(again.status == 0 && !again.error.contains("steps/s"), "\(again.error)")

        let predictions = root.appendingPathComponent("probe/predictions/linear-probe-100-seed-0-density.csv").path
        let evaluate = try CLI.run(["evaluate", "--dataset", cohort.path, "--format", "synth", "--task", "density", "--predictions", predictions,
                                    "--bootstrap", "0"])
        #expect(evaluate.status == 0 && evaluate.output.contains("density per breast"), "\(evaluate.error)")

        let index = root.appendingPathComponent("index.html")
        let summary = try CLI.run(["summarize", root.appendingPathComponent("zs/result.json").path, root.appendingPathComponent("probe/result.json").path,
                                  root.appendingPathComponent("ft/result.json").path, "--out", index.path])
        #expect(summary.status == 0 && summary.output.contains("| density |") && summary.output.contains("linear probe 50%"), "\(summary.error)")
        let page = try String(contentsOf: index, encoding: .utf8)
        #expect(page.contains("href=\"zs/results.html\"") && page.contains("fine-tune 100%"))

        let unknown = try CLI.run(["probe", "--model", model.path] + data + ["--tasks", "cancerish"])
        #expect(unknown.status != 0 && unknown.error.contains("unknown task"))
        let noModel = try CLI.run(["zeroshot", "--model", root.appendingPathComponent("missing").path] + data)
        #expect(noModel.status != 0 && noModel.error.contains("missing"))
    }
}
