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

/// "HEIGHTxWIDTH" (rows x columns, as every `--size` option takes it) as numbers, nil when malformed.
func parseHeightByWidth(_ text: String) -> (height: Int, width: Int)? {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count == 2, let height = parts[0], let width = parts[1] else { return nil }
    return (height, width)
}
