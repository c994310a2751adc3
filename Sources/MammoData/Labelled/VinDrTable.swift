import Foundation

/// The rows of a VinDr-Mammo table, read once for every consumer (labelled images, image-text
/// pairs, inspection): finding_annotations.csv or breast-level_annotations.csv as published, or the
/// Mammo-CLIP VinDr CSV (vindr_detection_v1_folds.csv: `patient_id`, `view`, 0/1 `Mass` and
/// `Suspicious_Calcification` columns). A finding file has a row per finding, so an image can appear
/// on several rows.
public struct VinDrTable: Sendable {
    public struct Row: Sendable {
        public var imageID: String
        /// The study (VinDr) or patient (Mammo-CLIP CSV) the image belongs to.
        public var studyID: String
        public var laterality: String
        public var view: String
        /// The categories this row names, "No Finding" left out; nil when the table has no findings.
        public var findings: Set<String>?
        /// `breast_density` as written ("DENSITY C"), empty when the table has no such column.
        public var density: String
        public var split: String
        /// The row's line in the file (the header is line 1).
        public var line: Int
    }

    public let url: URL
    public let rows: [Row]
    /// Whether the table states findings (finding categories or the two 0/1 columns).
    public let hasFindings: Bool
    public let hasDensity: Bool

    public init(_ url: URL) throws {
        let t = try CSVTable(dataset: url)
        let image = try t.column("image_id"), study = try t.firstColumn(of: ["study_id", "patient_id"]), side = try t.column("laterality")
        let view = try t.firstColumn(of: ["view_position", "view"]), splitColumn = try t.column("split")
        let density = t.header.firstIndex(of: "breast_density")
        let categories = t.header.firstIndex(of: "finding_categories")
        let flags = t.has("Mass") && t.has("Suspicious_Calcification") ? (try t.column("Mass"), try t.column("Suspicious_Calcification")) : nil
        var rows: [Row] = []
        rows.reserveCapacity(t.rows.count)
        for (i, row) in t.rows.enumerated() {
            var findings: Set<String>? = nil
            if let categories {
                findings = Set(PythonLiteral.strings(row[categories]).filter { $0 != "No Finding" })
            } else if let (mass, calcification) = flags {
                var found: Set<String> = []
                for (column, name) in [(mass, "Mass"), (calcification, "Suspicious Calcification")] {
                    guard let value = Double(row[column].isEmpty ? "0" : row[column]), value == 0 || value == 1 else {
                        throw InputError.badFile(path: url.path, reason: "row \(i + 2): \(t.header[column]) '\(row[column])' is not 0 or 1")
                    }
                    if value == 1 { found.insert(name) }
                }
                findings = found
            }
            rows.append(Row(imageID: row[image], studyID: row[study], laterality: row[side], view: row[view], findings: findings,
                            density: density.map { row[$0] } ?? "", split: row[splitColumn], line: i + 2))
        }
        self.url = url
        self.rows = rows
        hasFindings = categories != nil || flags != nil
        hasDensity = density != nil
    }
}
