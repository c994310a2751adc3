import Foundation

/// Everything that shapes a synthetic cohort. The same configuration and seed give byte-identical output.
public struct SynthConfig: Codable, Equatable, Sendable {
    /// Which generator draws the cohort: recorded in cohort-config.json, cohort.json and every patient
    /// record (not among the encoded options, so a synth-1 cohort's files are those its generator wrote).
    public var generator = GeneratorVersion.current
    public var patients: Int
    public var seed: UInt64
    /// Image size (rows x columns) at reduced resolution; ignored with `fullResolution`.
    public var rows = 512
    public var columns = 320
    /// Each vendor's full detector size and pixel spacing instead of `rows` x `columns`.
    public var fullResolution = false
    /// Screening exams per patient: 1 up to this many, 1-2 years apart.
    public var maxExams = 3
    /// Multiplies lesion contrast (1 = default difficulty).
    public var lesionContrast = 1.0
    /// Multiplies lesion size.
    public var lesionSize = 1.0
    /// Multiplies the prevalence of every benign finding.
    public var prevalence = 1.0
    /// Multiplies the cancer hazard.
    public var cancerRate = 1.0
    /// Multiplies the size of every calcification particle (dot diameter, linear segment length and
    /// width), so that morphology survives reduced resolution, where sub-millimetre particles fall below
    /// one pixel. nil means 1; it is left out of cohort.json then, so cohorts made before this option
    /// existed resume unchanged.
    public var calcificationScale: Double?
    /// synth-1 only: how benign (punctate) calcifications are spread. nil is grouped, like the suspicious ones (left
    /// out of cohort.json then); regional spreads them over three times the extent with three times
    /// the particles, as benign calcifications often are, so that they differ from suspicious clusters
    /// at a scale reduced resolution keeps.
    public var benignCalcificationDistribution: CalcificationDistribution?
    /// Fractions of patients in the validation and test splits (the rest train).
    public var validationFraction = 0.1
    public var testFraction = 0.2
    /// Folds over all patients (RSNA-style `fold` column).
    public var folds = 5

    enum CodingKeys: String, CodingKey {
        case patients, seed, rows, columns, fullResolution, maxExams, lesionContrast, lesionSize, prevalence, cancerRate
        case calcificationScale, benignCalcificationDistribution, validationFraction, testFraction, folds
    }

    public init(patients: Int, seed: UInt64) {
        self.patients = patients
        self.seed = seed
    }

    /// Checks ranges; the message names the option.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws { if !ok { throw SynthError.invalidOption(message) } }
        try check(patients >= 1 && patients <= 10_000_000, "patients must be in 1...10000000, got \(patients)")
        try check(rows >= 64 && columns >= 48 && rows <= 8192 && columns <= 8192, "size must be at least 64x48 and at most 8192x8192, got \(rows)x\(columns)")
        try check(maxExams >= 1 && maxExams <= 10, "max exams must be in 1...10, got \(maxExams)")
        try check(lesionContrast > 0 && lesionContrast <= 10, "lesion contrast must be in (0, 10], got \(lesionContrast)")
        try check(lesionSize >= 0.25 && lesionSize <= 4, "lesion size must be in [0.25, 4], got \(lesionSize)")
        try check(prevalence >= 0 && prevalence <= 5, "prevalence must be in [0, 5], got \(prevalence)")
        try check(cancerRate >= 0 && cancerRate <= 20, "cancer rate must be in [0, 20], got \(cancerRate)")
        if let calcificationScale {
            try check(calcificationScale >= 0.25 && calcificationScale <= 10, "calcification scale must be in [0.25, 10], got \(calcificationScale)")
        }
        if let distribution = benignCalcificationDistribution {
            try check(generator == .synth1, "benign calcifications '\(distribution.rawValue)' is an option of generator synth-1; \(generator.rawValue) draws every calcification in its own BI-RADS distribution (benign types diffuse or regional, suspicious ones grouped, linear or segmental)")
            try check([.grouped, .regional].contains(distribution), "benign calcifications must be grouped or regional, got \(distribution.rawValue)")
        }
        try check(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1,
                  "validation and test fractions must leave patients for training")
        try check(folds >= 2 && folds <= 20, "folds must be in 2...20, got \(folds)")
    }
}

/// The generator versions: each draws the same options differently, and a cohort resumes only with
/// the version that began it.
public enum GeneratorVersion: String, Codable, CaseIterable, Sendable {
    /// Calcifications as punctate (benign), amorphous, fine pleomorphic or fine linear clusters of one
    /// placement and extent; reports name them without a benign or suspicious wording.
    case synth1 = "synth-1"
    /// Calcifications from the BI-RADS 5th-edition lexicon: typically benign types (vascular, coarse
    /// popcorn-like, large rod-like, round and punctate, rim) spread diffusely or regionally and often
    /// bilateral, suspicious ones (amorphous, coarse heterogeneous, fine pleomorphic, fine linear
    /// branching) grouped, linear or segmental; reports word each as radiologists do.
    case synth2 = "synth-2"

    /// What new cohorts use unless asked otherwise; synth-1 stays available, byte for byte as it was.
    public static let current = GeneratorVersion.synth2
}

/// Errors of the cohort generator.
public enum SynthError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case existingCohort(path: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidOption(let message): return "invalid synth option: \(message)"
        case .existingCohort(let path, let reason): return "\(path): \(reason)"
        case .writeFailed(let path, let reason): return "\(path): cannot write: \(reason)"
        }
    }
}
