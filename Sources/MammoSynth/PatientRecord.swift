import Foundation

/// One written image: where it is and what it shows.
public struct ImageRecord: Codable, Equatable, Sendable {
    public var imageID: String
    public var examID: String
    public var side: Side
    public var view: ViewPosition
    /// Path relative to the cohort directory.
    public var path: String
    public var rows: Int
    public var columns: Int
    public var spacing: Double
    public var studyUID: String
    public var seriesUID: String
    public var sopInstanceUID: String
    /// Finding id -> box, for findings visible in this image.
    public var boxes: [String: FindingBox]
}

/// An exam's report, its paraphrase, and the per-breast texts of the pretraining CSV.
public struct ReportRecord: Codable, Equatable, Sendable {
    public var examID: String
    public var report: SynthReport
    public var paraphrase: SynthReport
    public var breast: [Side: SynthReport]
    public var breastParaphrase: [Side: SynthReport]
}

/// Everything generated for one patient; written last, so its presence marks the patient as done.
public struct PatientRecord: Codable, Equatable, Sendable {
    public var generator: String
    public var plan: PatientPlan
    public var images: [ImageRecord]
    public var reports: [ReportRecord]
}

extension PatientRecord {
    /// Reads a record file; a missing or damaged one is an error naming it.
    public static func read(_ url: URL) throws -> PatientRecord {
        do { return try JSONDecoder().decode(PatientRecord.self, from: Data(contentsOf: url)) } catch {
            throw SynthError.existingCohort(path: url.path, reason: "unreadable patient record: \(error)")
        }
    }
}
