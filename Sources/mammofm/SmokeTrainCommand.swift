import ArgumentParser
import Foundation
import Torch

struct SmokeTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smoke-train",
        abstract: "Train a tiny CNN on generated images and say whether the loss fell.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Optimiser steps.") var steps = 60
    @Option(help: "Images per step.") var batchSize = 32
    @Option(help: "Image side in pixels.") var size = 32
    @Option(help: "Random seed.") var seed: UInt64 = 0

    var training: SmokeTraining { SmokeTraining(steps: steps, batchSize: batchSize, size: size, seed: seed, device: global.device) }

    func validate() throws {
        do { try training.validate() } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        try global.apply()
        let outcome = try training.run()
        print(outcome.summary)
        guard outcome.learned else { throw ExitCode.failure }
    }
}
