import Foundation
import MammoData
import MammoEvaluation

/// The findings a detector localises, by their VinDr-Mammo category.
public enum DetectionFinding: String, Codable, CaseIterable, Sendable {
    case mass
    case calcification

    /// The category as VinDr-Mammo's finding_annotations.csv writes it.
    public var vindrCategory: String { self == .mass ? "Mass" : "Suspicious Calcification" }

    public init?(vindrCategory: String) {
        switch vindrCategory.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: " ") {
        case "Mass": self = .mass
        case "Suspicious Calcification": self = .calcification
        default: return nil
        }
    }
}

/// Which boxes of a table a dataset reads.
public enum BoxColumns: String, Codable, CaseIterable, Sendable {
    /// `xmin`, `ymin`, `xmax`, `ymax`: the original DICOM pixel grid.
    case dicom
    /// `resized_xmin` ... `resized_ymax` of Mammo-CLIP's vindr_detection_v1_folds.csv: the grid of the
    /// preprocessed PNGs (its own, or `mammofm preprocess --profile mammoclip` output, which equals it).
    case resized
}

/// Images with their lesion boxes in original (DICOM) pixels: the synthetic cohort
/// (labels/images.csv and labels/findings.csv) or VinDr-Mammo's finding_annotations.csv. Every
/// image of the tables is listed, with or without lesions (normal images count in FROC). Mammo-CLIP's
/// vindr_detection_v1_folds.csv reads as VinDr's table, and with `BoxColumns.resized` its boxes in
/// the preprocessed images' pixels.
public struct DetectionDataset: Sendable {
    public struct Lesion: Codable, Equatable, Sendable {
        public var finding: DetectionFinding
        public var box: BoundingBox
        /// Largest diameter in millimetres when the table gives it (the synthetic cohort).
        public var sizeMM: Double?

        public init(finding: DetectionFinding, box: BoundingBox, sizeMM: Double? = nil) {
            self.finding = finding
            self.box = box
            self.sizeMM = sizeMM
        }
    }

    public struct Image: Sendable {
        public var imageID: String
        public var patientID: String
        public var split: DataSplit
        /// Breast density (A-D) when known.
        public var density: String?
        public var lesions: [Lesion]
    }

    public var images: [Image]
    public let source: URL
    /// The pixel grid of every lesion box.
    public var boxes: BoxColumns = .dicom
    /// Resized boxes of no positive size, left out as the table lists them ("line N: box ..."). The
    /// reference's own folds table holds a few; its other resized boxes may reach past the image and
    /// are clipped to it when the image is read.
    public var droppedBoxes: [String] = []

    public func images(in split: DataSplit) -> [Image] { images.filter { $0.split == split } }

    /// Reads `url` in `format` (synth or vindr). VinDr's official split has no validation part: 10%
    /// of the training patients (seeded by `validationSeed`) become it, as for classification.
    public static func read(_ url: URL, format: DatasetFormat, boxes: BoxColumns = .dicom, validationFraction: Double = 0.1,
                            validationSeed: UInt64 = 0) throws -> DetectionDataset {
        var dataset: DetectionDataset
        switch format {
        case .synth:
            guard boxes == .dicom else { throw InputError.badInput("the synthetic cohort's boxes are in DICOM pixels; it has no resized boxes") }
            dataset = try synth(url)
        case .vindr: dataset = try vindr(url.hasDirectoryPath || !url.pathExtension.lowercased().hasSuffix("csv")
                                         ? url.appendingPathComponent("finding_annotations.csv") : url, boxes: boxes)
        default: throw InputError.badInput("detection reads the synth and vindr formats (boxes in DICOM pixels); \(format.rawValue) has no boxes")
        }
        if !dataset.images.contains(where: { $0.split == .validation }) && validationFraction > 0 {
            for i in dataset.images.indices where dataset.images[i].split == .train
                && PatientSampling.unitHash(dataset.images[i].patientID, seed: validationSeed) < validationFraction {
                dataset.images[i].split = .validation
            }
        }
        return dataset
    }

    /// A box's four columns, checked: finite, not negative, positive size, inside the image when its size is known.
    static func box(_ row: [String], _ columns: [Int], width: Double?, height: Double?, path: String, line: Int) throws -> BoundingBox {
        let box = try coordinates(row, columns, path: path, line: line)
        let values = [box.xmin, box.ymin, box.xmax, box.ymax]
        guard box.xmin >= 0, box.ymin >= 0 else {
            throw InputError.badFile(path: path, reason: "line \(line): box (\(values.map { String($0) }.joined(separator: ", "))) starts at a negative coordinate")
        }
        guard box.width > 0, box.height > 0 else {
            throw InputError.badFile(path: path, reason: "line \(line): box (\(values.map { String($0) }.joined(separator: ", "))) has no positive width and height")
        }
        if let width, let height, box.xmax > width || box.ymax > height {
            throw InputError.badFile(path: path, reason: "line \(line): box (\(values.map { String($0) }.joined(separator: ", "))) lies outside its \(Int(width)) x \(Int(height)) image")
        }
        return box
    }

    /// A box's four columns as finite numbers, unchecked otherwise.
    static func coordinates(_ row: [String], _ columns: [Int], path: String, line: Int) throws -> BoundingBox {
        let values = try columns.map { column -> Double in
            guard let value = Double(row[column].trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw InputError.badFile(path: path, reason: "line \(line): box coordinate '\(row[column])' is not a number")
            }
            return value
        }
        return BoundingBox(xmin: values[0], ymin: values[1], xmax: values[2], ymax: values[3])
    }

    static func synth(_ url: URL) throws -> DetectionDataset {
        let imagesURL = url.appendingPathComponent("labels/images.csv"), findingsURL = url.appendingPathComponent("labels/findings.csv")
        let table = try CSVTable(dataset: imagesURL)
        let id = try table.column("image_id"), patient = try table.column("patient_id"), split = try table.column("split")
        let rows = try table.column("rows"), columns = try table.column("columns"), density = try table.column("density")
        var images: [Image] = [], index: [String: Int] = [:], sizes: [String: (Double, Double)] = [:]
        for (i, row) in table.rows.enumerated() {
            guard let s = DataSplit(spelling: row[split]) else {
                throw InputError.badFile(path: imagesURL.path, reason: "line \(i + 2): unknown split '\(row[split])'")
            }
            index[row[id]] = images.count
            sizes[row[id]] = (Double(row[columns]) ?? 0, Double(row[rows]) ?? 0)
            images.append(Image(imageID: row[id], patientID: row[patient], split: s, density: row[density].isEmpty ? nil : row[density], lesions: []))
        }
        let findings = try CSVTable(dataset: findingsURL)
        let image = try findings.column("image_id"), category = try findings.column("vindr_category"), size = try findings.column("size_mm")
        let boxColumns = try ["xmin", "ymin", "xmax", "ymax"].map { try findings.column($0) }
        for (i, row) in findings.rows.enumerated() {
            guard let finding = DetectionFinding(vindrCategory: row[category]) else { continue }
            guard let at = index[row[image]] else {
                throw InputError.badFile(path: findingsURL.path, reason: "line \(i + 2): image '\(row[image])' is not in labels/images.csv")
            }
            let (width, height) = sizes[row[image]]!
            let box = try box(row, boxColumns, width: width > 0 ? width : nil, height: height > 0 ? height : nil, path: findingsURL.path, line: i + 2)
            images[at].lesions.append(Lesion(finding: finding, box: box, sizeMM: Double(row[size])))
        }
        return DetectionDataset(images: images, source: url)
    }

    /// finding_annotations.csv: one row per finding (No Finding rows have empty boxes); an image's
    /// rows are merged. `height`/`width` columns, when present, bound DICOM-pixel boxes. Patients are
    /// the `study_id` column, or `patient_id` where there is none (the folds table); an image id's
    /// `.png` ending is dropped.
    static func vindr(_ url: URL, boxes: BoxColumns = .dicom) throws -> DetectionDataset {
        let table = try CSVTable(dataset: url)
        let id = try table.column("image_id"), split = try table.column("split")
        let study = try table.header.firstIndex(of: "study_id") ?? table.column("patient_id")
        let categories = try table.column("finding_categories"), density = table.header.firstIndex(of: "breast_density")
        let width = boxes == .dicom ? table.header.firstIndex(of: "width") : nil, height = boxes == .dicom ? table.header.firstIndex(of: "height") : nil
        let prefix = boxes == .dicom ? "" : "resized_"
        let boxColumns = try ["xmin", "ymin", "xmax", "ymax"].map { try table.column(prefix + $0) }
        var images: [Image] = [], index: [String: Int] = [:], dropped: [String] = []
        for (i, var row) in table.rows.enumerated() {
            if row[id].lowercased().hasSuffix(".png") { row[id] = String(row[id].dropLast(4)) }
            guard let s = DataSplit(spelling: row[split]) else {
                throw InputError.badFile(path: url.path, reason: "line \(i + 2): unknown split '\(row[split])'")
            }
            if index[row[id]] == nil {
                index[row[id]] = images.count
                let letter = density.map { row[$0].replacingOccurrences(of: "DENSITY", with: "").trimmingCharacters(in: .whitespaces) }
                images.append(Image(imageID: row[id], patientID: row[study], split: s, density: letter?.isEmpty == false ? letter : nil, lesions: []))
            }
            let findings = PythonLiteral.strings(row[categories]).compactMap(DetectionFinding.init(vindrCategory:))
            guard !findings.isEmpty else { continue }
            let box: BoundingBox
            if boxes == .dicom {
                box = try Self.box(row, boxColumns, width: width.flatMap { Double(row[$0]) }, height: height.flatMap { Double(row[$0]) },
                                   path: url.path, line: i + 2)
            } else {
                box = try coordinates(row, boxColumns, path: url.path, line: i + 2)
                guard box.width > 0, box.height > 0 else {
                    dropped.append("line \(i + 2): box (\([box.xmin, box.ymin, box.xmax, box.ymax].map { String($0) }.joined(separator: ", ")))")
                    continue
                }
            }
            for finding in findings { images[index[row[id]]!].lesions.append(Lesion(finding: finding, box: box, sizeMM: nil)) }
        }
        return DetectionDataset(images: images, source: url, boxes: boxes, droppedBoxes: dropped)
    }
}
