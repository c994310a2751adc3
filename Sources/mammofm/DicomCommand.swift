import ArgumentParser
import Foundation
import MammoImaging
import Torch

struct DicomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dicom",
        abstract: "Inspect and decode DICOM files.",
        subcommands: [DicomInfoCommand.self, DicomDecodeCommand.self])
}

struct DicomInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print the metadata MammoFM reads from a DICOM file.")

    @Argument(help: "A DICOM file.") var file: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let metadata = try DicomImage.readMetadata(URL(fileURLWithPath: file))
        if json {
            var value = metadata
            // LUT tables are long; the summary keeps their shape.
            value.modalityLUT?.data = []
            for i in value.voiLUTs.indices { value.voiLUTs[i].data = [] }
            try printJSON(value)
            return
        }
        let m = metadata
        func line(_ name: String, _ value: Any?) { print(name.padding(toLength: 26, withPad: " ", startingAt: 0) + (value.map { "\($0)" } ?? "-")) }
        line("SOP Instance UID", m.sopInstanceUID)
        line("Modality", m.modality)
        line("Laterality", "\(m.laterality.rawValue)" + (m.lateralitySource.map { " (from \($0))" } ?? ""))
        line("View", m.view)
        line("Patient age (years)", m.patientAgeYears)
        line("Image", "\(m.columns) x \(m.rows), \(m.frames) frame(s), \(m.samplesPerPixel) sample(s)")
        line("Photometric", m.photometricInterpretation)
        line("Bits allocated / stored", "\(m.bitsAllocated) / \(m.bitsStored), \(m.pixelRepresentation == 1 ? "signed" : "unsigned")")
        line("Rescale", m.rescaleSlope.map { "slope \($0), intercept \(m.rescaleIntercept ?? 0)" })
        line("Modality LUT", m.modalityLUT.map { "\($0.entryCount) entries from \($0.firstMapped), \($0.bitsPerEntry) bits" })
        line("Windows (center/width)", m.windowCenters.isEmpty ? nil : zip(m.windowCenters, m.windowWidths).map { "\($0)/\($1)" }.joined(separator: ", "))
        line("Window explanations", m.windowExplanations.isEmpty ? nil : m.windowExplanations.joined(separator: ", "))
        line("VOI LUTs", m.voiLUTs.isEmpty ? nil : m.voiLUTs.map { "\($0.entryCount) entries" + ($0.explanation.map { " (\($0))" } ?? "") }.joined(separator: ", "))
        line("VOI LUT function", m.voiLUTFunction)
        line("Presentation intent", m.presentationIntentType)
        line("Presentation LUT shape", m.presentationLUTShape)
        line("Manufacturer / model", [m.manufacturer, m.manufacturerModelName].compactMap { $0 }.joined(separator: " / "))
        line("Image type", m.imageType.joined(separator: "\\"))
        line("Breast implant present", m.breastImplantPresent)
    }
}

struct DicomDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a DICOM file's pixels to a NumPy .npy file.",
        discussion: "Stored values are written as uint16 (int16 when signed); the modality and VOI stages as float32.")

    @OptionGroup var global: ThreadOptions
    @Argument(help: "A DICOM file.") var file: String
    @Option(help: "The output .npy file.") var out: String
    @Option(help: "stored, modality (Modality LUT / rescale) or voi (then the VOI LUT or window).") var stage = DicomStage.stored
    @Option(help: "Which window or VOI LUT to apply.") var windowIndex = 0
    @Option(help: "Which frame of a multi-frame image (default: all).") var frame: Int?
    @Option(help: "The largest decoded frame accepted, in MiB (default 256).") var maxFrameMegabytes: Int?

    func validate() throws {
        if let maxFrameMegabytes, !(1...65536).contains(maxFrameMegabytes) { throw ValidationError("--max-frame-megabytes must be in 1...65536") }
    }

    func run() throws {
        global.apply()
        let shape = try DicomImage.writeNumpy(URL(fileURLWithPath: file), to: URL(fileURLWithPath: out), stage: stage, windowIndex: windowIndex,
                                              frame: frame, limits: maxFrameMegabytes.map(DicomLimits.frame(megabytes:)) ?? .standard)
        print("\(out): \(shape) \(stage.rawValue) values")
    }
}

extension DicomStage: ExpressibleByArgument {}

