import Foundation

/// Where a copy of EMBED Open Data keeps its two tables: EMBED_OpenData_clinical.csv (one row per
/// finding) and EMBED_OpenData_metadata.csv (one row per image), or their `_reduced` versions.
struct EmbedTables {
    let clinical: URL
    let metadata: URL

    static let clinicalNames = ["EMBED_OpenData_clinical.csv", "EMBED_OpenData_clinical_reduced.csv"]
    static let metadataNames = ["EMBED_OpenData_metadata.csv", "EMBED_OpenData_metadata_reduced.csv"]

    /// `url` is the dataset folder (the tables in it or in its `tables` folder), or one of the two
    /// tables, the other beside it.
    static func locate(_ url: URL) throws -> EmbedTables {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw InputError.badFile(path: url.path, reason: "no such file or folder")
        }
        if isFolder.boolValue {
            let folders = [url, url.appendingPathComponent("tables")]
            func find(_ names: [String]) -> URL? {
                folders.lazy.flatMap { folder in names.map { folder.appendingPathComponent($0) } }.first { files.fileExists(atPath: $0.path) }
            }
            guard let clinical = find(clinicalNames), let metadata = find(metadataNames) else {
                throw InputError.badFile(path: url.path, reason: "needs \(clinicalNames[0]) and \(metadataNames[0]) (or their _reduced versions) in this folder or its 'tables' folder")
            }
            return EmbedTables(clinical: clinical, metadata: metadata)
        }
        let name = url.lastPathComponent, folder = url.deletingLastPathComponent()
        let pair: (URL, URL)
        if name.contains("clinical") {
            pair = (url, folder.appendingPathComponent(name.replacingOccurrences(of: "clinical", with: "metadata")))
        } else if name.contains("metadata") {
            pair = (folder.appendingPathComponent(name.replacingOccurrences(of: "metadata", with: "clinical")), url)
        } else {
            throw InputError.badFile(path: url.path, reason: "not an EMBED table: give the dataset folder, or the clinical or metadata CSV")
        }
        for table in [pair.0, pair.1] where !files.fileExists(atPath: table.path) {
            throw InputError.badFile(path: table.path, reason: "missing: EMBED labels join the clinical and the metadata CSV")
        }
        return EmbedTables(clinical: pair.0, metadata: pair.1)
    }
}

/// One row of the clinical table, reduced to what the labels need.
struct EmbedFinding {
    var patient: String
    var exam: String
    /// Days since 1970-01-01; nil when the table has no study_date_anon.
    var day: Int?
    var screening: Bool
    /// L, R, or "" for both breasts (B, or no finding).
    var side: String
    var densityIndex: Int?
    var mass: Bool
    var suspiciousCalcification: Bool
    /// Where a cancer (path_severity 0 invasive or 1 in situ) was found: L, R, "" for both; nil for none.
    var cancerSide: String?

    /// Whether a finding on `findingSide` ("" = both) concerns the breast on `side`.
    static func covers(_ findingSide: String, _ side: String) -> Bool { findingSide.isEmpty || findingSide == side }
}

/// EMBED's legend codes, and the rules that turn them into the downstream tasks' labels.
enum EmbedCodes {
    /// massshape codes of masses (generic, round, oval, irregular); the other codes are asymmetries,
    /// architectural distortion, ducts and lymph nodes.
    static let massShapes: Set<Character> = ["G", "R", "O", "X"]
    /// calcfind codes of BI-RADS suspicious morphology: amorphous, coarse heterogeneous, fine-linear,
    /// fine linear-branching, fine pleomorphic, pleomorphic.
    static let suspiciousCalcifications: Set<Character> = ["A", "H", "F", "B", "I", "K"]
    /// Assessments that call a finding back or suspect it (BI-RADS 0, 4, 5, 6).
    static let actionableAssessments: Set<String> = ["A", "S", "M", "K"]
    /// Pathology counted as cancer: invasive (0) and non-invasive (1).
    static let cancerSeverities: Set<Int> = [0, 1]
    /// A later exam's cancer counts for a screening exam when diagnosed within this many days.
    static let cancerWindowDays = 365

    /// A mass: a mass shape, or a margin recorded without a shape.
    static func isMass(shape: String, margin: String) -> Bool {
        shape.contains(where: massShapes.contains) || (shape.isEmpty && !margin.isEmpty)
    }

    /// A suspicious calcification: a suspicious morphology, or a generic or unspecified one (calcfind G,
    /// or only a distribution) that was called back or assessed suspicious.
    static func isSuspiciousCalcification(morphology: String, distribution: String, assessment: String) -> Bool {
        if morphology.contains(where: suspiciousCalcifications.contains) { return true }
        let unspecified = morphology.contains("G") || (morphology.isEmpty && !distribution.isEmpty)
        return unspecified && actionableAssessments.contains(assessment)
    }

    /// Whether `text` is a tissueden value: empty, or 1-5 ("2" or "2.0").
    static func isDensityCode(_ text: String) -> Bool {
        guard !text.isEmpty else { return true }
        guard let value = Double(text) else { return false }
        return value == value.rounded() && (1...5).contains(value)
    }

    /// tissueden 1-4 -> density index 0-3 (A-D); 5 (male) and empty -> nil.
    static func densityIndex(_ text: String) -> Int? {
        guard let value = Double(text), value == value.rounded(), (1...4).contains(value) else { return nil }
        return Int(value) - 1
    }

    /// "2017-04-19" (a time after it is ignored) -> days since 1970-01-01.
    static func day(_ text: String) -> Int? {
        let parts = text.prefix(10).split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else { return nil }
        return daysFromCivil(year: parts[0], month: parts[1], day: parts[2])
    }

    /// Proleptic Gregorian calendar date -> days since 1970-01-01.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
