import Foundation

/// The cohort in the EMBED Open Data layout (embed/EMBED_OpenData_clinical.csv, one row per finding,
/// and embed/EMBED_OpenData_metadata.csv, one row per image), coded with EMBED's legend, so the EMBED
/// reader runs on data whose truth is known.
extension CohortTables {
    /// The clinical columns written (a subset of the published file's; readers look columns up by name).
    static let embedClinicalHeader = ["empi_anon", "acc_anon", "study_date_anon", "desc", "numfind", "side", "asses", "tissueden",
                                      "massshape", "massmargin", "calcfind", "calcdistri", "otherfind", "location", "depth", "bside",
                                      "path_severity", "total_L_find", "total_R_find", "age_at_study"]

    /// One row per finding; a side without findings gets a negative row (asses N), as EMBED records
    /// the contralateral breast of a bilateral screening exam.
    func embedClinical() -> [[String]] {
        var rows = [Self.embedClinicalHeader]
        for record in records {
            let plan = record.plan
            for exam in plan.exams {
                let head = [String(plan.index + 1), embedAccession(plan, exam), embedDate(plan, exam), "MG Screening Bilateral"]
                let left = exam.findings.filter { $0.side == .left }.count, right = exam.findings.filter { $0.side == .right }.count
                let tail = [String(left), String(right), String(exam.age)]
                let density = String(plan.density.index + 1)
                var number = 0
                for side in [Side.left, .right] {
                    let findings = exam.findings.filter { $0.side == side }
                    if findings.isEmpty {
                        number += 1
                        rows.append(head + [String(number), side.rawValue, "N", density, "", "", "", "", "", "", "", "", ""] + tail)
                    }
                    for finding in findings {
                        number += 1
                        rows.append(head + [String(number), side.rawValue, Self.embedAssessment(finding.birads), density]
                                    + Self.embedDescriptors(finding, generator: config.generator) + Self.embedPathology(finding) + tail)
                    }
                }
            }
        }
        return rows
    }

    /// One row per image: every cohort image is a 2D full-field CC or MLO view.
    func embedMetadata() -> [[String]] {
        [["empi_anon", "acc_anon", "study_date_anon", "anon_dicom_path", "StudyDescription", "SeriesDescription", "FinalImageType",
          "ImageLateralityFinal", "ViewPosition", "spot_mag", "num_roi", "ROI_coords"]]
            + allImages.map { plan, exam, image in
                let boxes = exam.findings(image.side, image.view).compactMap { image.boxes[$0.id] }
                let coordinates = "[" + boxes.map { "[\($0.ymin), \($0.xmin), \($0.ymax), \($0.xmax)]" }.joined(separator: ", ") + "]"
                return [String(plan.index + 1), embedAccession(plan, exam), embedDate(plan, exam), image.path, "MG Screening Bilateral",
                        "\(image.side == .left ? "L" : "R") \(image.view.rawValue)", "2D", image.side.rawValue, image.view.rawValue, "0",
                        String(boxes.count), coordinates]
            }
    }

    /// A numeric accession per exam (EMBED's acc_anon is numeric): patient number x 100 + exam number.
    func embedAccession(_ plan: PatientPlan, _ exam: ExamPlan) -> String {
        String((plan.index + 1) * 100 + (plan.exams.firstIndex(of: exam) ?? 0) + 1)
    }

    /// Exam dates: each patient starts on a day of 2012-2015 drawn from its index, exams follow at
    /// their planned intervals (EMBED shifts dates per patient and keeps intervals).
    func embedDate(_ plan: PatientPlan, _ exam: ExamPlan) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: 2012, month: 1, day: 1))!
        let days = (plan.index * 97) % 1460 + Int((exam.years * 365.25).rounded())
        let date = calendar.date(byAdding: .day, value: days, to: start)!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// BI-RADS 0-6 as EMBED's asses letters.
    static func embedAssessment(_ birads: Int) -> String { ["A", "N", "B", "P", "S", "M", "K"][max(0, min(6, birads))] }

    /// massshape, massmargin, calcfind, calcdistri, otherfind, location (clock), depth.
    static func embedDescriptors(_ f: Finding, generator: GeneratorVersion) -> [String] {
        var shape = "", margin = "", calcification = "", distribution = "", other = ""
        switch f.kind {
        case .mass:
            shape = [MassShape.round: "R", .oval: "O", .irregular: "X"][f.shape ?? .oval]!
            margin = [MassMargin.circumscribed: "D", .obscured: "U", .microlobulated: "M", .indistinct: "I", .spiculated: "S"][f.margin ?? .circumscribed]!
        case .calcification:
            // EMBED's calcfind and calcdistri letters; synth-1 wrote "C" for every distribution.
            calcification = [CalcificationMorphology.punctate: "P", .amorphous: "A", .finePleomorphic: "I", .fineLinear: "B", .vascular: "V",
                             .coarse: "C", .largeRodLike: "L", .rim: "E", .coarseHeterogeneous: "H"][f.calcification ?? .punctate]!
            let letters: [CalcificationDistribution: String] = [.grouped: "G", .regional: "R", .diffuse: "D", .linear: "L", .segmental: "S"]
            distribution = generator == .synth1 ? "C" : letters[f.distribution ?? .grouped]!
        case .architecturalDistortion: shape = "A"
        case .focalAsymmetry: shape = "F"
        case .globalAsymmetry: shape = "B"
        case .asymmetry: shape = "S"
        case .lymphNode: other = f.suspicious ? "Z" : "V"
        case .skinThickening: other = "S"
        }
        let depth = [Depth.anterior: "A", .middle: "M", .posterior: "P"][f.location.depth]!
        return [shape, margin, calcification, distribution, other, String(f.location.clock), depth]
    }

    /// bside and path_severity: cancers are invasive (0) except calcifications (in situ, 1); benign
    /// findings assessed BI-RADS 4 or more were biopsied (benign, 4); others have no pathology.
    static func embedPathology(_ f: Finding) -> [String] {
        if f.malignant { return [f.side.rawValue, f.kind == .calcification ? "1" : "0"] }
        if f.birads >= 4 { return [f.side.rawValue, "4"] }
        return ["", ""]
    }
}
