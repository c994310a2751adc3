import ArgumentParser
import Foundation
import Torch

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Threads per tensor operation (default: all cores; libtorch's own default is half).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies the options to the engine; call first in `run()`.
    func apply() {
        Torch.threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
    }
}
