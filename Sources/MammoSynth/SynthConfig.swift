import Foundation

/// Everything that shapes a synthetic cohort. The same configuration and seed give byte-identical output.
public struct SynthConfig: Codable, Equatable, Sendable {
    /// The generator's version: recorded in cohort.json; changes whenever its output changes.
    public static let generatorVersion = "synth-1"

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
    /// How benign (punctate) calcifications are spread. nil is grouped, like the suspicious ones (left
    /// out of cohort.json then); regional spreads them over three times the extent with three times
    /// the particles, as benign calcifications often are, so that they differ from suspicious clusters
    /// at a scale reduced resolution keeps.
    public var benignCalcificationDistribution: CalcificationDistribution?
    /// Fractions of patients in the validation and test splits (the rest train).
    public var validationFraction = 0.1
    public var testFraction = 0.2
    /// Folds over all patients (RSNA-style `fold` column).
    public var folds = 5

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
        try check(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1,
                  "validation and test fractions must leave patients for training")
        try check(folds >= 2 && folds <= 20, "folds must be in 2...20, got \(folds)")
    }
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
