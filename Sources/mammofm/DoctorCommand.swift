import ArgumentParser
import Foundation
import MammoImaging
import Torch

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the tensor engine, threads, BLAS, CUDA and DICOM support of this installation.")

    @OptionGroup var global: ThreadOptions

    @Flag(help: "Print the installation summary as JSON.")
    var json = false

    @Flag(help: "Also print libtorch's own build summary.")
    var verbose = false

    struct Installation: Codable {
        var mammofmVersion: String
        var engine: EngineInfo
        var gdcm: String?
    }

    func run() throws {
        global.apply()
        let installation = Installation(mammofmVersion: MammoFMVersion.string, engine: .current(), gdcm: DicomImage.gdcmLibrary)
        if json {
            try printJSON(installation, formatting: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            return
        }
        let e = installation.engine
        print("MammoFM \(installation.mammofmVersion)")
        print("libtorch       \(e.libtorchVersion) (\(e.backend) build)")
        print("build          \(e.buildFlags)")
        print("library        \(e.libraryPath ?? "unknown")")
        print("threads        \(e.threads) of \(e.cores) cores")
        print("BLAS           \(e.blas)")
        print("CPU capability \(e.cpuCapability ?? "unknown")")
        print("CUDA           \(e.cudaAvailable ? "available, \(e.cudaDevices) device(s)" : "not available")")
        print("Gloo (c10d)    \(e.glooAvailable ? "built in" : "not built in: install libgloo-dev and rebuild")")
        print("GDCM (DICOM)   \(installation.gdcm.map { "found: \($0)" } ?? "not found: install libgdcm-dev")")
        if verbose { print("\nlibtorch build summary:\n\(e.libtorchConfiguration)") }
        for warning in e.warnings { print("warning: \(warning)") }
    }
}
