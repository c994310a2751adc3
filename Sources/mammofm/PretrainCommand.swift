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
        continues from its latest checkpoint and ends with the same weights as an uninterrupted one. OUTPUT must \
        be new, empty or a MammoFM pretraining run (of the same configuration, to resume); any other folder is \
        refused, never overwritten. best/ and final/ are written beside, flushed and swapped in whole.

        Data parallel: `--nproc-per-node N` trains on N processes of this machine (each takes \
        training.batch_size samples of a global batch N times as large; gradients and embeddings are \
        exchanged through a Gloo process group). Processes started by torchrun or a cluster script \
        join from the environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). Rank 0 writes the files.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The YAML configuration.") var config: String?
    @Option(name: .customLong("set"), help: "Override a key: --set training.batch_size=16 (repeatable).") var overrides: [String] = []
    @OptionGroup(title: "Data parallel") var launch: LaunchOptions

    func run() throws {
        global.apply()
        let settings = try PretrainConfig.load(yaml: config.map { URL(fileURLWithPath: $0) }, overrides: overrides)
        if let processes = launch.nprocPerNode {
            // The cores are shared: each rank gets its part unless told otherwise.
            let threads = global.threads ?? settings.training.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / processes)
            let arguments = ["pretrain", "--threads", String(threads)] + (config.map { ["--config", $0] } ?? []) + overrides.flatMap { ["--set", $0] }
            try RankLauncher.run(arguments: arguments, options: launch)
            return
        }
        if let threads = settings.training.threads, global.threads == nil { Torch.threadCount = threads }
        guard let place = try RankEnvironment.current() else { return try train(settings, group: nil) }
        place.followLauncher()
        do {
            try train(settings, group: try place.joinGroup())
        } catch {
            throw RankError.onRank(place.rank, place.worldSize, error)
        }
    }

    /// Trains as one rank (rank 0 reports progress and the result).
    func train(_ settings: PretrainConfig, group: ProcessGroup?) throws {
        let trainer = try Pretrainer(config: settings, group: group)
        guard trainer.rank == 0 else {
            try trainer.run()
            return
        }
        trainer.log = { FileHandle.standardError.write(Data(("\n" + $0 + "\n").utf8)) }
        for note in trainer.setupNotes { FileHandle.standardError.write(Data("pretrain: \(note)\n".utf8)) }
        if let checkpoint = trainer.resumedFrom {
            FileHandle.standardError.write(Data("pretrain: resumed from \(checkpoint.path) at step \(trainer.resumedStep) of \(trainer.totalSteps)\n".utf8))
        }
        FileHandle.standardError.write(Data(("pretrain: \(trainer.train.dataset.samples.count) training and "
            + "\(trainer.validation?.dataset.samples.count ?? 0) validation breasts, \(trainer.totalSteps) steps, "
            + (trainer.worldSize > 1 ? "\(trainer.worldSize) ranks x batch \(settings.training.batchSize), " : "")
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
