import ArgumentParser
import Foundation
import MammoImaging
import Torch

struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Turn DICOM mammograms into model-ready PNGs with geometry sidecars, a manifest and an errors list.",
        discussion: """
        INPUT is a directory tree of DICOM files or a CSV listing them (a `path` column, or the first column). \
        Outputs go to DIR/images (PNG + JSON sidecar each), DIR/manifest.csv and DIR/errors.csv. A run that \
        was interrupted continues where it stopped: finished files are skipped. Output names are hashes of the \
        source paths; --keep-identifiers names them by patient and SOP Instance UID instead.

        A file that cannot be read (damaged, unsupported, larger than --max-frame-megabytes) is listed in \
        DIR/errors.csv with its reason and the others go on; the exit status is then the number of failed \
        files (at most 100). DIR must be new, empty or a folder this command wrote; any other folder is \
        refused, never overwritten.
        """)

    @OptionGroup var global: ThreadOptions
    @Argument(help: "A directory of DICOM files or a CSV listing them.") var input: String
    @Option(help: ArgumentHelp("The output directory.",
                               discussion: "New, empty, or a folder preprocess wrote (resumed: finished files are skipped); any other folder is refused, never overwritten."))
    var out: String
    @Option(help: "mammoclip (the reference's steps, 8-bit) or standard (16-bit).") var profile: PreprocessingProfile = .mammoclip
    @Option(help: "Output size HEIGHTxWIDTH.") var size = "1520x912"
    @Flag(help: "standard profile: stretch to the size like the reference instead of padding.") var stretch = false
    @Option(help: "Files decoded in parallel (default: all cores).") var jobs: Int?
    @Flag(help: "Name outputs by patient ID and SOP Instance UID (identifying).") var keepIdentifiers = false
    @Flag(help: "Name outputs after the source file: images/<file name>.png (for files already named by image id).") var keepFileNames = false
    @Option(help: "The largest decoded frame accepted, in MiB (default 256; larger files are recorded as failed).") var maxFrameMegabytes: Int?

    func parsedSize() throws -> (Int, Int) {
        guard let parsed = parseHeightByWidth(size), [parsed.height, parsed.width].allSatisfy({ $0 >= 16 && $0 <= 8192 }) else {
            throw ValidationError("--size must be HEIGHTxWIDTH with each side in 16...8192, e.g. 1520x912; got '\(size)'")
        }
        return parsed
    }

    func validate() throws {
        _ = try parsedSize()
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let maxFrameMegabytes, !(1...65536).contains(maxFrameMegabytes) { throw ValidationError("--max-frame-megabytes must be in 1...65536") }
        if keepFileNames && keepIdentifiers { throw ValidationError("give --keep-file-names or --keep-identifiers, not both") }
    }

    func run() throws {
        let (height, width) = try parsedSize()
        var preprocessor = Preprocessor(outputDirectory: URL(fileURLWithPath: out), profile: profile, width: width, height: height,
                                        stretch: stretch, keepIdentifiers: keepIdentifiers)
        preprocessor.keepFileNames = keepFileNames
        if let maxFrameMegabytes { preprocessor.limits = .frame(megabytes: maxFrameMegabytes) }
        let summary = try preprocessor.process(URL(fileURLWithPath: input), jobs: jobs, threads: global.threads)
        print("\(summary.processed) processed, \(summary.skipped) already done, \(summary.failed.count) failed -> \(out)/manifest.csv"
              + (summary.failed.isEmpty ? "" : ", reasons in \(out)/errors.csv"))
        // The exit status counts the failed files, so a script sees a partial batch.
        if !summary.failed.isEmpty { throw ExitCode(Int32(min(summary.failed.count, 100))) }
    }
}

extension PreprocessingProfile: ExpressibleByArgument {}
