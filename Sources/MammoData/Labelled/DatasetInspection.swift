import Foundation
import MammoImaging

/// Readers that count a dataset's metadata file in its published column layout.
enum DatasetInspection {
    /// VinDr-Mammo: finding_annotations.csv (one row per finding, or one "No Finding" row per image)
    /// or breast-level_annotations.csv (one row per image); told apart by their columns.
    static func vindr(_ url: URL) throws -> DatasetSummary {
        let t = try CSVTable(dataset: url)
        let image = try t.column("image_id"), study = try t.column("study_id"), split = try t.column("split")
        let density = try t.column("breast_density"), birads = try t.column("breast_birads")
        var perImage: [String: [String]] = [:]
        for row in t.rows where perImage[row[image]] == nil { perImage[row[image]] = row }
        let images = Array(perImage.values)
        var sections: [String: [String: Int]] = [
            "split (images)": images.map { $0[split] }.tally,
            "breast density (images)": images.map { $0[density] }.tally,
            "breast BI-RADS (images)": images.map { $0[birads] }.tally,
        ]
        var sizes = ["images": perImage.count, "studies": t.values(study).distinctCount]
        if t.has("finding_categories") {
            let categories = try t.column("finding_categories"), xmin = try t.column("xmin")
            var imagesWith: [String: Set<String>] = [:]
            for row in t.rows {
                for category in PythonLiteral.strings(row[categories]) { imagesWith[category, default: []].insert(row[image]) }
            }
            sections["images with finding"] = imagesWith.mapValues(\.count)
            sizes["boxes"] = t.values(xmin).filter { !$0.isEmpty }.count
        }
        return DatasetSummary(format: "vindr", file: url.path, rows: t.rows.count, sizes: sizes, sections: sections)
    }

    /// RSNA Screening Mammography: train.csv (one row per image; `fold` when a split was added).
    static func rsna(_ url: URL) throws -> DatasetSummary {
        let t = try CSVTable(dataset: url)
        let patient = try t.column("patient_id"), image = try t.column("image_id"), laterality = try t.column("laterality")
        let cancer = try t.column("cancer"), view = try t.column("view")
        let breasts = t.rows.map { $0[patient] + "/" + $0[laterality] }
        let cancerBreasts = Set(t.rows.filter { $0[cancer] == "1" }.map { $0[patient] + "/" + $0[laterality] })
        var sections = ["cancer (images)": t.values(cancer).tally, "view": t.values(view).tally]
        if t.has("fold") { sections["fold (images)"] = t.values(try t.column("fold")).tally }
        if t.has("site_id") { sections["site (images)"] = t.values(try t.column("site_id")).tally }
        if t.has("density") { sections["density (images)"] = t.values(try t.column("density")).tally }
        return DatasetSummary(format: "rsna", file: url.path, rows: t.rows.count,
                              sizes: ["images": t.values(image).distinctCount, "patients": t.values(patient).distinctCount,
                                      "breasts": breasts.distinctCount, "breasts with cancer": cancerBreasts.count,
                                      "patients with cancer": Set(t.rows.filter { $0[cancer] == "1" }.map { $0[patient] }).count],
                              sections: sections)
    }

    /// CBIS-DDSM: a mass or calcification case-description CSV (one row per abnormality).
    static func cbis(_ url: URL) throws -> DatasetSummary {
        let t = try CSVTable(dataset: url)
        let patient = try t.column("patient_id"), side = try t.column("left or right breast"), view = try t.column("image view")
        let pathology = try t.column("pathology"), type = try t.column("abnormality type")
        let density = try t.firstColumn(of: ["breast_density", "breast density"]), assessment = try t.column("assessment")
        let images = t.rows.map { [$0[patient], $0[side], $0[view]].joined(separator: "/") }
        return DatasetSummary(format: "cbis", file: url.path, rows: t.rows.count,
                              sizes: ["abnormalities": t.rows.count, "patients": t.values(patient).distinctCount, "images": images.distinctCount],
                              sections: ["pathology": t.values(pathology).tally, "abnormality type": t.values(type).tally,
                                         "breast density": t.values(density).tally, "BI-RADS assessment": t.values(assessment).tally])
    }

    /// EMBED: the dataset folder (both tables joined into labelled images), the clinical CSV (one row
    /// per finding of an exam, `asses`) or the metadata CSV (one row per image, `anon_dicom_path`).
    static func embed(_ url: URL) throws -> DatasetSummary {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue { return try embedJoin(url) }
        let t = try CSVTable(dataset: url)
        let patient = try t.column("empi_anon"), exam = try t.column("acc_anon")
        var sizes = ["patients": t.values(patient).distinctCount, "exams": t.values(exam).distinctCount]
        var sections: [String: [String: Int]] = [:]
        if t.has("anon_dicom_path") {
            sizes["images"] = t.values(try t.column("anon_dicom_path")).distinctCount
            for name in ["ViewPosition", "ImageLateralityFinal", "FinalImageType"] where t.has(name) {
                sections[name] = t.values(try t.column(name)).tally
            }
        } else {
            sections["assessment (asses)"] = t.values(try t.column("asses")).tally
            for name in ["tissueden", "path_severity", "side"] where t.has(name) { sections[name] = t.values(try t.column(name)).tally }
        }
        return DatasetSummary(format: "embed", file: url.path, rows: t.rows.count, sizes: sizes, sections: sections)
    }

    /// EMBED's two tables joined as the downstream commands read them: labelled images per split and
    /// label, and the metadata rows the join left out, by reason.
    static func embedJoin(_ url: URL) throws -> DatasetSummary {
        let join = try EmbedJoin.read(url)
        let images = join.dataset.images
        var sections = ["split (images)": images.map(\.split.rawValue).tally, "view (images)": images.map(\.view).tally]
        if !join.excluded.isEmpty { sections["excluded metadata rows"] = join.excluded }
        for task in ["mass", "calcification", "density"] {
            sections["\(task) (images)"] = images.compactMap { $0.labels[task].map { task == "density" ? ["A", "B", "C", "D"][$0] : String($0) } }.tally
        }
        let breasts = Dictionary(images.map { ($0.breastKey, $0.labels["malignancy"] ?? 0) }, uniquingKeysWith: max)
        sections["malignancy (breasts)"] = breasts.values.map(String.init).tally
        return DatasetSummary(format: "embed", file: join.dataset.source, rows: join.clinicalRows + join.metadataRows,
                              sizes: ["images": images.count, "patients": images.map(\.patientID).distinctCount,
                                      "exams": images.map(\.examID).distinctCount, "breasts": breasts.count,
                                      "clinical rows": join.clinicalRows, "metadata rows": join.metadataRows],
                              sections: sections)
    }

    /// The Mammo-CLIP pretraining CSV (one row per breast and exam).
    static func mammoclip(_ url: URL) throws -> DatasetSummary {
        let t = try CSVTable(dataset: url)
        let patient = try t.column("patient_id")
        _ = try t.column("text")
        let imageColumns = ["image", "CC", "MLO"].compactMap { t.header.firstIndex(of: $0) }
        guard !imageColumns.isEmpty else { throw InputError.badFile(path: url.path, reason: "needs an 'image' column or 'CC' and 'MLO' columns") }
        var names = Set<String>()
        for row in t.rows { for c in imageColumns { names.formUnion(PythonLiteral.strings(row[c]).map { row[patient] + "/" + $0 }) } }
        var sections: [String: [String: Int]] = [:]
        if t.has("split") { sections["split (breasts)"] = t.values(try t.column("split")).tally }
        if t.has("fold") { sections["fold (breasts)"] = t.values(try t.column("fold")).tally }
        return DatasetSummary(format: "mammoclip", file: url.path, rows: t.rows.count,
                              sizes: ["breasts": t.rows.count, "patients": t.values(patient).distinctCount, "images": names.count],
                              sections: sections)
    }

    /// A `mammofm synth` cohort: its folder or its labels/images.csv.
    static func synth(_ url: URL) throws -> DatasetSummary {
        var isFolder: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
            ? url.appendingPathComponent("labels/images.csv") : url
        let t = try CSVTable(dataset: file)
        let patient = try t.column("patient_id"), exam = try t.column("exam_id"), split = try t.column("split")
        let findings = try t.column("findings"), density = try t.column("density"), malignant = try t.column("malignant")
        var withFinding: [String: Int] = [:]
        for row in t.rows { for f in row[findings].split(separator: ";") { withFinding[String(f), default: 0] += 1 } }
        return DatasetSummary(format: "synth", file: file.path, rows: t.rows.count,
                              sizes: ["images": t.rows.count, "patients": t.values(patient).distinctCount, "exams": t.values(exam).distinctCount,
                                      "malignant images": t.values(malignant).filter { $0 == "1" }.count],
                              sections: ["split (images)": t.values(split).tally, "density (images)": t.values(density).tally,
                                         "images with finding": withFinding])
    }
}
