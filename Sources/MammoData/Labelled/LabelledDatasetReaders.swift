import Foundation
import MammoImaging

extension LabelledDataset {
    /// Reads a dataset's published metadata into labelled images. `format` is vindr (finding_annotations.csv
    /// or breast-level_annotations.csv), rsna (train.csv with a `fold` column), cbis (a case-description
    /// CSV), embed (the EMBED Open Data folder, or its clinical or metadata CSV with the other beside it)
    /// or synth (a `mammofm synth` cohort folder). Splits follow each dataset's protocol: VinDr's
    /// official split, RSNA folds 1+2 for training and fold 0 for testing, CBIS-DDSM's Training/Test
    /// files, the cohort's own train/validation/test; EMBED has none, so 20% of its patients (seeded
    /// hash) are the test split.
    public static func read(format: DatasetFormat, url: URL) throws -> LabelledDataset {
        switch format {
        case .vindr: return try vindr(url)
        case .rsna: return try rsna(url)
        case .cbis: return try cbis(url)
        case .synth: return try synth(url)
        case .embed: return try EmbedJoin.read(url).dataset
        case .mammoclip:
            throw InputError.badInput("mammoclip files hold reports, not classification labels: use vindr, rsna, cbis, embed or synth")
        }
    }

    /// "DENSITY C" / "C" / "3" -> 2; nil when empty or unknown.
    static func densityIndex(_ text: String) -> Int? {
        let letter = text.uppercased().replacingOccurrences(of: "DENSITY", with: "").trimmingCharacters(in: .whitespaces)
        if let index = ["A", "B", "C", "D"].firstIndex(of: letter) { return index }
        if let number = Int(letter), (1...4).contains(number) { return number - 1 }
        return nil
    }

    static func split(_ text: String, file: URL, row: Int) throws -> DataSplit {
        guard let split = DataSplit(spelling: text) else {
            throw InputError.badFile(path: file.path, reason: "row \(row + 2): unknown split '\(text)' (expected training, validation or test)")
        }
        return split
    }

    /// VinDr-Mammo: one image per image_id; mass and suspicious calcification from finding_categories
    /// (finding file only) or from the 0/1 `Mass` and `Suspicious_Calcification` columns of the
    /// Mammo-CLIP VinDr CSV (vindr_detection_v1_folds.csv: `patient_id`, `view`), density from breast_density.
    static func vindr(_ url: URL) throws -> LabelledDataset {
        let table = try VinDrTable(url)
        guard table.hasDensity else { throw InputError.badFile(path: url.path, reason: "missing column 'breast_density'") }
        var order: [String] = [], byID: [String: LabelledImage] = [:]
        for row in table.rows {
            let id = row.imageID
            if byID[id] == nil {
                var labels: [String: Int] = [:]
                if let d = densityIndex(row.density) { labels["density"] = d }
                if table.hasFindings { labels["mass"] = 0; labels["calcification"] = 0 }
                byID[id] = LabelledImage(imageID: id, patientID: row.studyID, examID: row.studyID, laterality: row.laterality, view: row.view,
                                         split: try split(row.split, file: url, row: row.line - 2), labels: labels)
                order.append(id)
            }
            if let found = row.findings {
                if found.contains("Mass") { byID[id]!.labels["mass"] = 1 }
                if found.contains("Suspicious Calcification") { byID[id]!.labels["calcification"] = 1 }
            }
        }
        return LabelledDataset(format: "vindr", source: url.path, images: order.map { byID[$0]! },
                               tasks: table.hasFindings ? [.mass, .calcification, .density] : [.density])
    }

    /// RSNA Screening Mammography train.csv: cancer per image (scored per breast), density when given;
    /// folds 1 and 2 train, fold 0 tests (the reference's protocol), other folds are left out.
    static func rsna(_ url: URL) throws -> LabelledDataset {
        let t = try CSVTable(dataset: url)
        let patient = try t.column("patient_id"), image = try t.column("image_id"), side = try t.column("laterality")
        let view = try t.column("view"), cancer = try t.column("cancer")
        guard t.has("fold") else {
            throw InputError.badFile(path: url.path, reason: "no 'fold' column: the protocol trains on folds 1 and 2 and tests on fold 0 (add the Mammo-CLIP fold split)")
        }
        let fold = try t.column("fold"), density = t.has("density") ? try t.column("density") : nil
        var images: [LabelledImage] = []
        for (i, row) in t.rows.enumerated() {
            guard let f = Int(row[fold]) else { throw InputError.badFile(path: url.path, reason: "row \(i + 2): fold '\(row[fold])' is not a number") }
            guard f <= 2 else { continue }
            guard let c = Int(row[cancer]), c == 0 || c == 1 else {
                throw InputError.badFile(path: url.path, reason: "row \(i + 2): cancer '\(row[cancer])' is not 0 or 1")
            }
            var labels = ["malignancy": c]
            if let density, let d = densityIndex(row[density]) { labels["density"] = d }
            // RSNA has one exam per patient in train.csv: the breast is patient + side.
            images.append(LabelledImage(imageID: row[image], patientID: row[patient], examID: row[patient], laterality: row[side],
                                        view: row[view], split: f == 0 ? .test : .train, labels: labels))
        }
        return LabelledDataset(format: "rsna", source: url.path, images: images,
                               tasks: density == nil ? [.malignancy] : [.malignancy, .density])
    }

    /// CBIS-DDSM case descriptions: one image per "image file path" folder; malignancy from pathology
    /// (MALIGNANT vs BENIGN*), density 1-4; split from the file's Training/Test naming.
    static func cbis(_ url: URL) throws -> LabelledDataset {
        let t = try CSVTable(dataset: url)
        let patient = try t.column("patient_id"), side = try t.column("left or right breast"), view = try t.column("image view")
        let pathology = try t.column("pathology"), path = try t.column("image file path")
        let density = try t.firstColumn(of: ["breast_density", "breast density"])
        var order: [String] = [], byID: [String: LabelledImage] = [:]
        for (i, row) in t.rows.enumerated() {
            let id = String(row[path].split(separator: "/").first ?? "")
            guard !id.isEmpty else { throw InputError.badFile(path: url.path, reason: "row \(i + 2): empty image file path") }
            let split: DataSplit = id.contains("Test") ? .test : id.contains("Training") ? .train : .train
            let malignant = row[pathology].uppercased() == "MALIGNANT" ? 1 : 0
            if var existing = byID[id] {
                existing.labels["malignancy"] = max(existing.labels["malignancy"] ?? 0, malignant)
                byID[id] = existing
                continue
            }
            var labels = ["malignancy": malignant]
            if let d = densityIndex(row[density]) { labels["density"] = d }
            byID[id] = LabelledImage(imageID: id, patientID: row[patient], examID: row[patient], laterality: row[side].prefix(1).uppercased(),
                                     view: row[view], split: split, labels: labels)
            order.append(id)
        }
        return LabelledDataset(format: "cbis", source: url.path, images: order.map { byID[$0]! }, tasks: [.malignancy, .density])
    }

    /// A `mammofm synth` cohort folder: identifiers, split, density and malignancy from labels/images.csv,
    /// mass and suspicious calcification from vindr/finding_annotations.csv (the categories a reader reports).
    static func synth(_ url: URL) throws -> LabelledDataset {
        let imagesFile = url.appendingPathComponent("labels/images.csv"), findingsFile = url.appendingPathComponent("vindr/finding_annotations.csv")
        let t = try CSVTable(dataset: imagesFile)
        let image = try t.column("image_id"), patient = try t.column("patient_id"), exam = try t.column("exam_id")
        let side = try t.column("laterality"), view = try t.column("view"), splitColumn = try t.column("split")
        let density = try t.column("density"), malignant = try t.column("malignant")
        let findings = try vindr(findingsFile)
        let categories = Dictionary(findings.images.map { ($0.imageID, $0.labels) }, uniquingKeysWith: { a, _ in a })
        let images = try t.rows.enumerated().map { i, row -> LabelledImage in
            guard let found = categories[row[image]] else {
                throw InputError.badFile(path: findingsFile.path, reason: "image \(row[image]) of labels/images.csv is missing")
            }
            var labels = ["malignancy": row[malignant] == "1" ? 1 : 0, "mass": found["mass"] ?? 0, "calcification": found["calcification"] ?? 0]
            if let d = densityIndex(row[density]) { labels["density"] = d }
            return LabelledImage(imageID: row[image], patientID: row[patient], examID: row[exam], laterality: row[side], view: row[view],
                                 split: try split(row[splitColumn], file: imagesFile, row: i), labels: labels)
        }
        return LabelledDataset(format: "synth", source: url.path, images: images, tasks: ClassificationTask.builtIn)
    }
}
