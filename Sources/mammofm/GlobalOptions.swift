import ArgumentParser
import Foundation
import Torch

extension Device: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
}

/// The thread count, which every computing subcommand takes.
struct ThreadOptions: ParsableArguments {
    @Option(name: .long, help: "Threads per tensor operation (default: all cores; libtorch's own default is half).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies the thread count to the engine; call first in `run()`.
    func apply() {
        Torch.threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
    }
}

/// Threads and device, which every subcommand that runs a model takes.
struct GlobalOptions: ParsableArguments {
    @OptionGroup var engine: ThreadOptions
    @Option(help: "Where tensors are computed: cpu, cuda or cuda:N.") var device = Device.cpu

    var threads: Int? { engine.threads }

    /// Applies the options to the engine and checks the device exists; call first in `run()`.
    func apply() throws {
        engine.apply()
        try Torch.checkAvailable(device)
    }

    /// The options that pass the device on to child processes (data-parallel ranks).
    var deviceArguments: [String] { device == .cpu ? [] : ["--device", device.description] }
}

/// "HEIGHTxWIDTH" (rows x columns, as every `--size` option takes it) as numbers, nil when malformed.
func parseHeightByWidth(_ text: String) -> (height: Int, width: Int)? {
    let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard parts.count == 2, let height = parts[0], let width = parts[1] else { return nil }
    return (height, width)
}
