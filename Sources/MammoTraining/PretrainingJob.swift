import Foundation
import Torch

/// `mammofm pretrain` as one call: trains alone, or as one rank of a data-parallel run whose place
/// comes from the environment a launcher sets (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT); rank 0
/// reports progress and writes the files.
public enum PretrainingJob {
    /// Trains and returns rank 0's closing line ("N steps, best validation loss ... -> OUTPUT/final");
    /// nil on the other ranks.
    @discardableResult
    public static func run(_ config: PretrainConfig, device: Device = .cpu, log: RunLog = .standardError) throws -> String? {
        guard let place = try RankEnvironment.current() else { return try train(config, group: nil, device: device, log: log) }
        place.followLauncher()
        do {
            return try train(config, group: try place.joinGroup(), device: device, log: log)
        } catch {
            throw RankError.onRank(place.rank, place.worldSize, error)
        }
    }

    /// Trains as one rank.
    static func train(_ config: PretrainConfig, group: ProcessGroup?, device: Device, log: RunLog) throws -> String? {
        let trainer = try Pretrainer(config: config, group: group, device: device)
        guard trainer.rank == 0 else {
            try trainer.run()
            return nil
        }
        trainer.log = { log.note("\n" + $0) }
        for note in trainer.setupNotes { log.note("pretrain: \(note)") }
        if let checkpoint = trainer.resumedFrom {
            log.note("pretrain: resumed from \(checkpoint.path) at step \(trainer.resumedStep) of \(trainer.totalSteps)")
        }
        log.note("pretrain: \(trainer.train.dataset.samples.count) training and "
            + "\(trainer.validation?.dataset.samples.count ?? 0) validation breasts, \(trainer.totalSteps) steps, "
            + (trainer.worldSize > 1 ? "\(trainer.worldSize) ranks x batch \(config.training.batchSize), " : "")
            + "\(trainer.model.parameterCount) parameters -> \(config.output)")
        var lastPrint = Date.distantPast
        var printed = false
        let final = try trainer.run { p in
            let now = Date()
            guard now.timeIntervalSince(lastPrint) >= (log.interactive ? 0.5 : 10) || p.step == p.totalSteps else { return }
            lastPrint = now
            printed = true
            log.write(String(format: "step %d/%d | epoch %d | loss %.4f | lr %.2e | logit scale %.2f | %.1f images/s | ETA %@",
                             p.step, p.totalSteps, p.epoch + 1, p.loss, p.learningRate, p.logitScale, p.imagesPerSecond,
                             ProgressDisplay.clock(p.secondsLeft)), true)
        }
        if printed && log.interactive { log.write("", false) }
        let best = final.bestValidationLoss.map { String(format: ", best validation loss %.4f (epoch %d)", $0, (final.bestEpoch ?? 0) + 1) } ?? ""
        return "\(final.step) steps\(best) -> \(config.output)/final"
    }
}
