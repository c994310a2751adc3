import ArgumentParser
import Foundation
import MammoSynth

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Generate a synthetic screening cohort: MG DICOM files, reports, boxes, labels, risk outcomes.",
        discussion: """
        A procedural phantom, not clinical data: breast outlines, power-law parenchymal texture, BI-RADS \
        findings placed consistently in CC and MLO, vendor-specific DICOM encodings, reports from a template \
        grammar, and cancer outcomes over 5 years of follow-up from a hazard of visible factors. The same \
        options and seed give byte-identical output whatever --jobs is. An interrupted run continues where it \
        stopped when started again with the same options.
        """)

    @OptionGroup var global: ThreadOptions
    @Option(help: "Number of patients.") var patients: Int
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: ArgumentHelp("The output directory (new or empty, or an unfinished cohort with the same options).",
                               discussion: "An unfinished cohort made with the same options is resumed; any other folder that is not empty is refused, never overwritten."))
    var out: String
    @Option(help: "Image size HEIGHTxWIDTH at reduced resolution (rows x columns).") var size = "512x320"
    @Flag(help: "Each vendor's full detector size and pixel spacing (slow, large).") var fullResolution = false
    @Option(help: "Patients generated in parallel (default: all cores).") var jobs: Int?
    @Option(help: "Most screening exams per patient (1-2 years apart).") var maxExams = 3
    @Option(help: "Lesion contrast multiplier (difficulty knob).") var lesionContrast = 1.0
    @Option(help: "Lesion size multiplier.") var lesionSize = 1.0
    @Option(help: "Benign finding prevalence multiplier.") var prevalence = 1.0
    @Option(help: "Cancer hazard multiplier.") var cancerRate = 1.0
    @Option(help: "Calcification particle size multiplier: keeps morphology visible at reduced resolution.")
    var calcificationScale = 1.0
    @Option(help: ArgumentHelp("Generator version: synth-2 (default) draws calcifications from the BI-RADS lexicon and words them as radiologists do; synth-1 is the earlier generator, byte for byte.",
                               discussion: "An unfinished cohort resumes only with the version that began it."))
    var generator = GeneratorVersion.current
    @Option(help: "synth-1 only: how benign (punctate) calcifications are spread: grouped (like suspicious ones) or regional (three times the extent and particles).")
    var benignCalcifications: CalcificationDistribution?

    func makeConfig() throws -> SynthConfig {
        guard let parsed = parseHeightByWidth(size) else { throw ValidationError("--size must be HEIGHTxWIDTH, e.g. 512x320; got '\(size)'") }
        var config = SynthConfig(patients: patients, seed: seed)
        config.generator = generator
        (config.rows, config.columns) = parsed
        config.fullResolution = fullResolution
        config.maxExams = maxExams
        config.lesionContrast = lesionContrast
        config.lesionSize = lesionSize
        config.prevalence = prevalence
        config.cancerRate = cancerRate
        // At 1 the option stays out of cohort.json, so cohorts made without it resume.
        config.calcificationScale = calcificationScale == 1 ? nil : calcificationScale
        // Grouped is left out of cohort.json, as before the option, so older cohorts resume.
        if let benignCalcifications, ![.grouped, .regional].contains(benignCalcifications) {
            throw ValidationError("--benign-calcifications must be 'grouped' or 'regional', got '\(benignCalcifications.rawValue)'")
        }
        if let benignCalcifications, generator != .synth1 {
            throw ValidationError("--benign-calcifications is an option of --generator synth-1; \(generator.rawValue) draws benign calcification types diffuse or regional and suspicious ones grouped, linear or segmental")
        }
        config.benignCalcificationDistribution = benignCalcifications == .grouped ? nil : benignCalcifications
        do { try config.validate() } catch { throw ValidationError("\(error)") }
        return config
    }

    func validate() throws {
        _ = try makeConfig()
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() throws {
        global.apply()
        let generator = CohortGenerator(config: try makeConfig(), directory: URL(fileURLWithPath: out))
        print(try generator.generate(jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount))
    }
}

extension CalcificationDistribution: ExpressibleByArgument {}
extension GeneratorVersion: ExpressibleByArgument {}

struct ContactSheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact-sheet",
        abstract: "Draw a synthetic cohort's exams as one PNG: a row per exam (RCC, LCC, RMLO, LMLO), findings boxed.",
        discussion: "Box colours: mass red, calcification yellow, architectural distortion magenta, asymmetry cyan, lymph node green, skin thickening orange.")

    @Argument(help: "A directory written by `mammofm synth`.") var cohort: String
    @Option(help: "The PNG to write.") var out: String
    @Option(help: "Exams to show (abnormal ones first).") var exams = 6
    @Option(help: "Tile height in pixels.") var tileHeight = 240

    func validate() throws {
        guard exams >= 1, exams <= 100 else { throw ValidationError("--exams must be in 1...100") }
        guard tileHeight >= 32, tileHeight <= 2048 else { throw ValidationError("--tile-height must be in 32...2048") }
    }

    func run() throws {
        let sheet = try ContactSheet.make(cohort: URL(fileURLWithPath: cohort), exams: exams, tileHeight: tileHeight)
        try sheet.writePNG(URL(fileURLWithPath: out))
        print("\(sheet.width)x\(sheet.height) -> \(out)")
    }
}
