import Foundation
import MammoImaging
import Torch

/// Writes the cohort's tables in the layouts real data sets use, so one loader serves both:
/// - vindr/finding_annotations.csv, vindr/breast-level_annotations.csv (VinDr-Mammo columns)
/// - rsna/train.csv (RSNA Screening Mammography columns plus `fold`)
/// - mammoclip/pretrain.csv (the Mammo-CLIP image-text CSV: one row per breast and exam)
/// - embed/EMBED_OpenData_clinical.csv, embed/EMBED_OpenData_metadata.csv (EMBED Open Data columns)
/// - risk.csv (per exam: years to cancer within 5 years, years of follow-up)
/// - labels/images.csv, labels/findings.csv, reports.csv, splits.csv, cohort.json (summary)
struct CohortTables {
    let config: SynthConfig
    let directory: URL
    let records: [PatientRecord]

    func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func writeAll() throws {
        for folder in ["vindr", "rsna", "mammoclip", "embed", "labels"] {
            try FileManager.default.createDirectory(at: url(folder), withIntermediateDirectories: true)
        }
        try CSVFile.write(vindrFindings(), to: url("vindr/finding_annotations.csv"))
        try CSVFile.write(vindrBreasts(), to: url("vindr/breast-level_annotations.csv"))
        try CSVFile.write(rsna(), to: url("rsna/train.csv"))
        try CSVFile.write(mammoClip(), to: url("mammoclip/pretrain.csv"))
        try CSVFile.write(embedClinical(), to: url("embed/EMBED_OpenData_clinical.csv"))
        try CSVFile.write(embedMetadata(), to: url("embed/EMBED_OpenData_metadata.csv"))
        try CSVFile.write(risk(), to: url("risk.csv"))
        try CSVFile.write(images(), to: url("labels/images.csv"))
        try CSVFile.write(findings(), to: url("labels/findings.csv"))
        try CSVFile.write(reports(), to: url("reports.csv"))
        try CSVFile.write([["patient_id", "split", "fold"]] + records.map { [$0.plan.id, $0.plan.split, "\($0.plan.fold)"] },
                          to: url("splits.csv"))
        try writeAtomically(CohortGenerator.encoder().encode(CohortSummary(config: config, records: records)), to: url("cohort.json"))
    }

    /// Every image with its exam and patient (joined once; five tables walk it).
    let allImages: [(PatientPlan, ExamPlan, ImageRecord)]

    init(config: SynthConfig, directory: URL, records: [PatientRecord]) {
        self.config = config
        self.directory = directory
        self.records = records
        allImages = records.flatMap { record in
            record.images.map { image in (record.plan, record.plan.exams.first { $0.id == image.examID }!, image) }
        }
    }

    func vindrSplit(_ plan: PatientPlan) -> String { plan.split == "test" ? "test" : "training" }
    func coordinate(_ v: Int) -> String { String(format: "%.2f", Double(v)) }

    func vindrFindings() -> [[String]] {
        var rows = [["study_id", "series_id", "image_id", "laterality", "view_position", "height", "width", "breast_birads",
                     "breast_density", "finding_categories", "finding_birads", "xmin", "ymin", "xmax", "ymax", "split"]]
        for (plan, exam, image) in allImages {
            let head = [image.examID, image.seriesUID, image.imageID, image.side.rawValue, image.view.rawValue, "\(image.rows)",
                        "\(image.columns)", "BI-RADS \(exam.birads(image.side))", "DENSITY \(plan.density.rawValue)"]
            let annotated = exam.findings(image.side, image.view).filter { $0.vindrCategory != nil && image.boxes[$0.id] != nil }
            if annotated.isEmpty {
                rows.append(head + ["['No Finding']", "", "", "", "", "", vindrSplit(plan)])
            }
            for f in annotated {
                let b = image.boxes[f.id]!
                rows.append(head + ["['\(f.vindrCategory!)']", "BI-RADS \(f.birads)", coordinate(b.xmin), coordinate(b.ymin),
                                    coordinate(b.xmax), coordinate(b.ymax), vindrSplit(plan)])
            }
        }
        return rows
    }

    func vindrBreasts() -> [[String]] {
        [["study_id", "series_id", "image_id", "laterality", "view_position", "height", "width", "breast_birads", "breast_density", "split"]]
            + allImages.map { plan, exam, image in
                [image.examID, image.seriesUID, image.imageID, image.side.rawValue, image.view.rawValue, "\(image.rows)", "\(image.columns)",
                 "BI-RADS \(exam.birads(image.side))", "DENSITY \(plan.density.rawValue)", vindrSplit(plan)]
            }
    }

    func rsna() -> [[String]] {
        [["site_id", "patient_id", "image_id", "laterality", "view", "age", "cancer", "biopsy", "invasive", "BIRADS", "implant",
          "density", "machine_id", "difficult_negative_case", "fold", "split"]]
            + allImages.map { plan, exam, image in
                let cancer = exam.malignant(image.side)
                let biopsy = exam.birads(image.side) >= 4
                let invasive = exam.findings.contains { $0.side == image.side && $0.malignant && $0.kind != .calcification }
                return [plan.vendor.index < 2 ? "1" : "2", plan.id, image.imageID, image.side.rawValue, image.view.rawValue, "\(exam.age)",
                        cancer ? "1" : "0", biopsy ? "1" : "0", invasive ? "1" : "0", "\(exam.birads(image.side))", "0",
                        plan.density.rawValue, "\(21 + 17 * plan.vendor.index)", biopsy && !cancer ? "True" : "False", "\(plan.fold)", plan.split]
            }
    }

    func mammoClip() -> [[String]] {
        var rows = [["patient_id", "exam_id", "laterality", "image", "view", "CC", "MLO", "text", "findings", "impressions",
                     "text_augment", "fold", "split"]]
        for record in records {
            for report in record.reports {
                for side in [Side.right, .left] {
                    let images = record.images.filter { $0.examID == report.examID && $0.side == side }
                    let png = { (view: ViewPosition) in images.filter { $0.view == view }.map { "\($0.imageID).png" } }
                    guard let text = report.breast[side], let para = report.breastParaphrase[side] else { continue }
                    let sections = [text.findings.joined(separator: " "), text.impression.joined(separator: " ")]
                    let paraSections = [para.findings.joined(separator: " "), para.impression.joined(separator: " ")]
                    rows.append([record.plan.id, report.examID, side.rawValue, pythonList(png(.cc) + png(.mlo)), pythonList(["CC", "MLO"]),
                                 pythonList(png(.cc)), pythonList(png(.mlo)), pythonList(sections), sections[0], sections[1],
                                 pythonList(paraSections), "\(record.plan.fold)", record.plan.split])
                }
            }
        }
        return rows
    }

    func risk() -> [[String]] {
        var rows = [["exam_id", "patient_id", "years_to_cancer", "censor_years", "cancer_laterality", "split"]]
        for record in records {
            let plan = record.plan
            for exam in plan.exams {
                let toCancer = plan.yearsToCancer(after: exam)
                rows.append([exam.id, plan.id, toCancer.map { String(format: "%.2f", $0) } ?? "",
                             String(format: "%.2f", plan.censorYears(after: exam)), toCancer == nil ? "" : plan.cancerSide?.rawValue ?? "",
                             plan.split])
            }
        }
        return rows
    }

    func images() -> [[String]] {
        [["image_id", "patient_id", "exam_id", "laterality", "view", "path", "rows", "columns", "pixel_spacing_mm", "vendor",
          "transfer_syntax", "photometric", "bits_stored", "age", "density", "glandular_fraction", "birads", "malignant", "findings",
          "split", "fold"]]
            + allImages.map { plan, exam, image in
                let kinds = exam.findings(image.side, image.view).filter { image.boxes[$0.id] != nil }.map(\.kind.rawValue)
                return [image.imageID, plan.id, image.examID, image.side.rawValue, image.view.rawValue, image.path, "\(image.rows)",
                        "\(image.columns)", String(format: "%.4f", image.spacing), plan.vendor.rawValue, plan.vendor.transferSyntax.shortName,
                        plan.vendor.monochrome1 ? "MONOCHROME1" : "MONOCHROME2", "\(plan.vendor.bitsStored)", "\(exam.age)",
                        plan.density.rawValue, String(format: "%.3f", exam.glandularFraction[image.side] ?? 0), "\(exam.birads(image.side))",
                        exam.malignant(image.side) ? "1" : "0", Array(Set(kinds)).sorted().joined(separator: ";"), plan.split, "\(plan.fold)"]
            }
    }

    func findings() -> [[String]] {
        var rows = [["finding_id", "image_id", "exam_id", "patient_id", "laterality", "view", "kind", "morphology", "vindr_category",
                     "clock", "quadrant", "depth", "size_mm", "malignant", "birads", "xmin", "ymin", "xmax", "ymax"]]
        // synth-1 tables stay as that generator wrote them.
        let withDistribution = config.generator != .synth1
        if withDistribution { rows[0].append("distribution") }
        for (plan, exam, image) in allImages {
            for f in exam.findings(image.side, image.view) {
                guard let b = image.boxes[f.id] else { continue }
                var row = [f.id, image.imageID, exam.id, plan.id, f.side.rawValue, image.view.rawValue, f.kind.rawValue, f.morphology,
                           f.vindrCategory ?? "", "\(f.location.clock)", f.location.quadrant(f.side), f.location.depth.rawValue,
                           String(format: "%.1f", f.sizeMM), f.malignant ? "1" : "0", "\(f.birads)", "\(b.xmin)", "\(b.ymin)", "\(b.xmax)", "\(b.ymax)"]
                if withDistribution { row.append(f.distribution?.rawValue ?? "") }
                rows.append(row)
            }
        }
        return rows
    }

    func reports() -> [[String]] {
        [["exam_id", "patient_id", "report", "report_paraphrase", "birads", "density", "split"]]
            + records.flatMap { record in
                record.reports.map { report in
                    let exam = record.plan.exams.first { $0.id == report.examID }!
                    return [report.examID, record.plan.id, report.report.text, report.paraphrase.text,
                            "\(max(exam.birads(.left), exam.birads(.right)))", record.plan.density.rawValue, record.plan.split]
                }
            }
    }

    /// A Python list literal (what the reference reads with ast.literal_eval).
    func pythonList(_ items: [String]) -> String {
        "[" + items.map { item -> String in
            if item.contains("'") && !item.contains("\"") { return "\"" + item.replacingOccurrences(of: "\\", with: "\\\\") + "\"" }
            return "'" + item.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }.joined(separator: ", ") + "]"
    }
}

/// cohort.json: the configuration and what the cohort holds.
struct CohortSummary: Codable {
    var generator: String
    var config: SynthConfig
    var patients: Int
    var exams: Int
    var images: Int
    var patientsPerSplit: [String: Int]
    var densityMix: [String: Double]
    var vendorMix: [String: Int]
    /// Share of breast-exams with each finding kind.
    var findingPrevalence: [String: Double]
    var malignantBreastExams: Int
    var screenDetectedCancers: Int
    var cancersWithinFollowUp: Int
    var description = "Procedural phantom of screening mammography generated by MammoFM: not clinical data."
    /// synth-2 and later: how calcifications are drawn, and calcification findings per "type/distribution" (nil for
    /// synth-1, whose cohort.json stays as it was written).
    var calcificationModel: String?
    var calcifications: [String: Int]?

    init(config: SynthConfig, records: [PatientRecord]) {
        generator = config.generator.rawValue
        self.config = config
        let plans = records.map(\.plan)
        patients = plans.count
        exams = plans.reduce(0) { $0 + $1.exams.count }
        images = records.reduce(0) { $0 + $1.images.count }
        patientsPerSplit = Dictionary(grouping: plans, by: \.split).mapValues(\.count)
        densityMix = Dictionary(grouping: plans, by: \.density.rawValue).mapValues { Double($0.count) / Double(max(1, plans.count)) }
        vendorMix = Dictionary(grouping: plans, by: \.vendor.rawValue).mapValues(\.count)
        let breastExams = Double(max(1, exams * 2))
        var prevalence: [String: Double] = [:]
        for kind in FindingKind.allCases {
            let count = plans.flatMap(\.exams).reduce(0) { total, exam in
                total + Side.allCases.filter { side in exam.findings.contains { $0.side == side && $0.kind == kind } }.count
            }
            prevalence[kind.rawValue] = Double(count) / breastExams
        }
        findingPrevalence = prevalence
        malignantBreastExams = plans.flatMap(\.exams).reduce(0) { $0 + Side.allCases.filter($1.malignant).count }
        screenDetectedCancers = plans.filter { p in p.exams.contains { $0.findings.contains(where: \.malignant) } }.count
        cancersWithinFollowUp = plans.filter { $0.cancerDiagnosisYears != nil }.count
        if config.generator != .synth1 {
            calcificationModel = "BI-RADS 5th edition: typically benign types (vascular, coarse popcorn-like, large rod-like, "
                + "round and punctate, rim) diffuse or regional and often bilateral; suspicious types (amorphous, coarse "
                + "heterogeneous, fine pleomorphic, fine linear branching) grouped, linear or segmental. VinDr's table keeps "
                + "the suspicious ones only."
            let found = plans.flatMap(\.exams).flatMap(\.findings).filter { $0.kind == .calcification }
            calcifications = Dictionary(grouping: found) { "\($0.calcification?.rawValue ?? "")/\($0.distribution?.rawValue ?? "")" }.mapValues(\.count)
        }
    }
}
