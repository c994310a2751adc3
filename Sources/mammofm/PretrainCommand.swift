import ArgumentParser
import Foundation
import MammoTraining
import Torch

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain the dual encoder with the Mammo-CLIP multi-view contrastive loss.",
        discussion: """
        Reads a YAML configuration (configs/pretrain/*.yaml) and `--set section.key=value` overrides. \
        Writes OUTPUT/metrics.jsonl, OUTPUT/checkpoints/, OUTPUT/best and OUTPUT/final (converted model \
        folders that `embed` reads) and OUTPUT/tokenizer. Started again with the same configuration, a run \
        continues from its latest checkpoint and ends with the same weights as an uninterrupted one.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The YAML configuration.") var config: String?
    @Option(name: .customLong("set"), help: "Override a key: --set training.batch_size=16 (repeatable).") var overrides: [String] = []

    func run() throws {
        global.apply()
        let settings = try PretrainConfig.load(yaml: config.map { URL(fileURLWithPath: $0) }, overrides: overrides)
        if let threads = settings.training.threads, global.threads == nil { Torch.threadCount = threads }
        let trainer = try Pretrainer(config: settings)
        trainer.log = { FileHandle.standardError.write(Data(("\n" + $0 + "\n").utf8)) }
        for note in trainer.setupNotes { FileHandle.standardError.write(Data("pretrain: \(note)\n".utf8)) }
        FileHandle.standardError.write(Data(("pretrain: \(trainer.train.dataset.samples.count) training and "
            + "\(trainer.validation?.dataset.samples.count ?? 0) validation breasts, \(trainer.totalSteps) steps, "
            + "\(trainer.model.parameterCount) parameters -> \(settings.output)\n").utf8))
        let interactive = ProgressReporter.standardErrorIsTerminal
        var lastPrint = Date.distantPast
        let final = try trainer.run { p in
            let now = Date()
            guard now.timeIntervalSince(lastPrint) >= (interactive ? 0.5 : 10) || p.step == p.totalSteps else { return }
            lastPrint = now
            let line = String(format: "step %d/%d | epoch %d | loss %.4f | lr %.2e | logit scale %.2f | %.1f images/s | ETA %@",
                              p.step, p.totalSteps, p.epoch + 1, p.loss, p.learningRate, p.logitScale, p.imagesPerSecond,
                              ProgressReporter.clock(p.secondsLeft))
            ProgressReporter.status(line, interactive: interactive)
        }
        ProgressReporter.finishStatus(interactive: interactive)
        let best = final.bestValidationLoss.map { String(format: ", best validation loss %.4f (epoch %d)", $0, (final.bestEpoch ?? 0) + 1) } ?? ""
        print("\(final.step) steps\(best) -> \(settings.output)/final")
    }
}
