import Foundation
import MammoImaging

/// EMBED Open Data joined into labelled images: the clinical table's findings matched to the
/// metadata table's images by exam (acc_anon) and side, as EMBED's documentation prescribes (a
/// finding on side L labels the left breast's images, B or no side labels both breasts).
///
/// Images kept: 2D (FinalImageType), full-field (spot_mag not 1), CC or MLO, of screening exams
/// (clinical `desc` contains "screen"). Labels per image:
/// - mass: a finding on its side with a mass shape (massshape G, R, O, X) or a margin without shape;
/// - calcification: a finding on its side with suspicious morphology (calcfind A, H, F, B, I, K), or
///   a generic/unspecified calcification assessed 0, 4, 5 or 6;
/// - density: tissueden 1-4 (5, male, has no label);
/// - malignancy (per breast): pathology 0 (invasive) or 1 (in situ) on that side (bside, else side)
///   recorded on this exam or on an exam of the same patient up to 365 days later (EMBED records a
///   diagnostic work-up's pathology on the diagnostic exam, not always on the screening exam).
/// EMBED defines no split: 20% of patients, chosen by a seeded hash, are the test split.
struct EmbedJoin {
    var dataset: LabelledDataset
    /// Metadata rows left out, by reason.
    var excluded: [String: Int]
    var clinicalRows: Int
    var metadataRows: Int

    static let testFraction = 0.2
    static let splitSeed: UInt64 = 0

    static func read(_ url: URL) throws -> EmbedJoin {
        let tables = try EmbedTables.locate(url)
        let clinical = try CSVTable(dataset: tables.clinical)
        let findings = try readFindings(clinical)
        let byExam = Dictionary(grouping: findings, by: \.exam)
        let cancersByPatient = Dictionary(grouping: findings.filter { $0.cancerSide != nil }, by: \.patient)

        let metadata = try CSVTable(dataset: tables.metadata)
        let exam = try metadata.column("acc_anon"), path = try metadata.column("anon_dicom_path")
        let view = try metadata.column("ViewPosition"), side = try metadata.firstColumn(of: ["ImageLateralityFinal", "ImageLaterality"])
        let type = metadata.has("FinalImageType") ? try metadata.column("FinalImageType") : nil
        let spot = metadata.has("spot_mag") ? try metadata.column("spot_mag") : nil

        var images: [LabelledImage] = [], seen = Set<String>(), excluded: [String: Int] = [:]
        for row in metadata.rows {
            let reason: String?
            let id = imageID(row[path])
            let rows = byExam[identifier(row[exam])] ?? []
            if let type, row[type] != "2D" { reason = "FinalImageType not 2D" }
            else if let spot, Double(row[spot]) == 1 { reason = "special view (spot_mag 1)" }
            else if !["CC", "MLO"].contains(row[view]) { reason = "view not CC or MLO" }
            else if !["L", "R"].contains(row[side]) { reason = "laterality not L or R" }
            else if rows.isEmpty { reason = "exam not in the clinical table" }
            else if !rows[0].screening { reason = "not a screening exam" }
            else if id.isEmpty || seen.contains(id) { reason = id.isEmpty ? "empty anon_dicom_path" : "duplicate image" }
            else { reason = nil }
            if let reason { excluded[reason, default: 0] += 1; continue }
            seen.insert(id)
            let breast = row[side], first = rows[0]
            var labels = [
                "mass": rows.contains { EmbedFinding.covers($0.side, breast) && $0.mass } ? 1 : 0,
                "calcification": rows.contains { EmbedFinding.covers($0.side, breast) && $0.suspiciousCalcification } ? 1 : 0,
                "malignancy": (cancersByPatient[first.patient] ?? []).contains { cancer in
                    EmbedFinding.covers(cancer.cancerSide!, breast) && (cancer.exam == first.exam || within(cancer.day, after: first.day))
                } ? 1 : 0,
            ]
            if let density = rows.lazy.compactMap(\.densityIndex).first { labels["density"] = density }
            let split: DataSplit = PatientSampling.unitHash(first.patient, seed: splitSeed) < testFraction ? .test : .train
            images.append(LabelledImage(imageID: id, patientID: first.patient, examID: first.exam, laterality: breast, view: row[view],
                                        split: split, labels: labels))
        }
        let dataset = LabelledDataset(format: "embed", source: tables.clinical.deletingLastPathComponent().path, images: images,
                                      tasks: [.mass, .calcification, .density, .malignancy])
        return EmbedJoin(dataset: dataset, excluded: excluded, clinicalRows: clinical.rows.count, metadataRows: metadata.rows.count)
    }

    /// The image id MammoFM's preprocessed files are named by: the DICOM file name without ".dcm"
    /// (EMBED names files by SOP Instance UID; `mammofm preprocess --keep-file-names` keeps it).
    static func imageID(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? ""
        return name.lowercased().hasSuffix(".dcm") ? String(name.dropLast(4)) : name
    }

    /// An identifier as written by tools that store EMBED's numeric ids as floats ("123.0" -> "123").
    static func identifier(_ text: String) -> String { text.hasSuffix(".0") ? String(text.dropLast(2)) : text }

    /// Whether a diagnosis on `cancerDay` falls 0-365 days after `examDay`.
    static func within(_ cancerDay: Int?, after examDay: Int?) -> Bool {
        guard let cancerDay, let examDay else { return false }
        return (0...EmbedCodes.cancerWindowDays).contains(cancerDay - examDay)
    }

    /// Parses every clinical row; a value outside EMBED's legend is an error naming the row and column.
    static func readFindings(_ t: CSVTable) throws -> [EmbedFinding] {
        let patient = try t.column("empi_anon"), exam = try t.column("acc_anon"), desc = try t.column("desc")
        let side = try t.column("side"), assessment = try t.column("asses"), density = try t.column("tissueden")
        let shape = try t.column("massshape"), morphology = try t.column("calcfind"), severity = try t.column("path_severity")
        let optional = { (name: String) in t.header.firstIndex(of: name) }
        let margin = optional("massmargin"), distribution = optional("calcdistri"), pathologySide = optional("bside")
        let date = optional("study_date_anon")
        func bad(_ i: Int, _ column: Int, _ expected: String) -> InputError {
            InputError.badFile(path: t.path, reason: "line \(i + 2): \(t.header[column]) '\(t.rows[i][column])' is not \(expected)")
        }
        func laterality(_ text: String) -> String? { ["L": "L", "R": "R", "B": "", "": ""][text.uppercased()] }
        return try t.rows.enumerated().map { i, row in
            guard let findingSide = laterality(row[side]) else { throw bad(i, side, "L, R, B or empty") }
            guard EmbedCodes.isDensityCode(row[density]) else { throw bad(i, density, "1-5 or empty") }
            var day: Int? = nil
            if let date, !row[date].isEmpty {
                guard let parsed = EmbedCodes.day(row[date]) else { throw bad(i, date, "a date (YYYY-MM-DD)") }
                day = parsed
            }
            var cancerSide: String? = nil
            if !row[severity].isEmpty {
                guard let value = Double(row[severity]), value == value.rounded(), (0...6).contains(value) else { throw bad(i, severity, "0-6 or empty") }
                if EmbedCodes.cancerSeverities.contains(Int(value)) {
                    let recorded = pathologySide.map { row[$0] } ?? ""
                    guard let recordedSide = laterality(recorded) else { throw bad(i, pathologySide!, "L, R, B or empty") }
                    cancerSide = recorded.isEmpty ? findingSide : recordedSide
                }
            }
            let asses = row[assessment].uppercased()
            return EmbedFinding(patient: identifier(row[patient]), exam: identifier(row[exam]), day: day, screening: row[desc].lowercased().contains("screen"),
                                side: findingSide, densityIndex: EmbedCodes.densityIndex(row[density]),
                                mass: EmbedCodes.isMass(shape: row[shape].uppercased(), margin: margin.map { row[$0] } ?? ""),
                                suspiciousCalcification: EmbedCodes.isSuspiciousCalcification(
                                    morphology: row[morphology].uppercased(), distribution: distribution.map { row[$0] } ?? "", assessment: asses),
                                cancerSide: cancerSide)
        }
    }
}
