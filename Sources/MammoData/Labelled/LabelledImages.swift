import Foundation

/// Where predictions are scored: per image, per breast (the mean over its views) or per exam (the
/// highest of its breasts; binary tasks only).
public enum ScoringLevel: String, Codable, CaseIterable, Sendable {
    case image, breast, exam
}

/// A classification target of the downstream protocol: binary (two classes, the second positive) or
/// multi-class (density A-D).
public struct ClassificationTask: Codable, Hashable, Sendable {
    /// Where a label belongs: to one image (a finding visible in that view) or to the breast (every
    /// view of one side in one exam shares it; scores are averaged over views, as the reference does
    /// for RSNA).
    public enum Level: String, Codable, Sendable { case image, breast }

    public var name: String
    public var classes: [String]
    public var level: Level

    public init(name: String, classes: [String], level: Level) {
        self.name = name
        self.classes = classes
        self.level = level
    }

    public var isBinary: Bool { classes.count == 2 }

    /// Levels scored by default: image-level findings per image and per breast (mean over views),
    /// breast-level tasks per breast (the reference's RSNA protocol).
    public var defaultLevels: [ScoringLevel] { level == .image ? [.image, .breast] : [.breast] }

    /// A VinDr "Mass" finding in the image.
    public static let mass = ClassificationTask(name: "mass", classes: ["no mass", "mass"], level: .image)
    /// A VinDr "Suspicious Calcification" finding in the image.
    public static let calcification = ClassificationTask(name: "calcification", classes: ["no suspicious calcification", "suspicious calcification"],
                                                         level: .image)
    /// BI-RADS breast density A-D.
    public static let density = ClassificationTask(name: "density", classes: ["A", "B", "C", "D"], level: .breast)
    /// Cancer in the breast (RSNA `cancer`).
    public static let malignancy = ClassificationTask(name: "malignancy", classes: ["no malignancy", "malignancy"], level: .breast)

    public static let builtIn: [ClassificationTask] = [.mass, .calcification, .density, .malignancy]

    /// A built-in task by name.
    public static func named(_ name: String) throws -> ClassificationTask {
        guard let task = builtIn.first(where: { $0.name == name.lowercased() }) else {
            throw InputError.badInput("unknown task '\(name)'; known: \(builtIn.map(\.name).joined(separator: ", "))")
        }
        return task
    }
}

/// Which part of the protocol an image belongs to.
public enum DataSplit: String, Codable, Sendable, CaseIterable {
    case train, validation, test

    /// Reads the split spellings of the public datasets ("training", "train", "val", "validation", "test").
    public init?(spelling: String) {
        switch spelling.lowercased() {
        case "train", "training": self = .train
        case "val", "valid", "validation": self = .validation
        case "test": self = .test
        default: return nil
        }
    }
}

/// One image with its identifiers, split and labels: the internal schema every dataset adapter
/// produces. `labels[task]` is the class index; a task without a label for this image is absent.
public struct LabelledImage: Codable, Hashable, Sendable {
    public var imageID: String
    public var patientID: String
    public var examID: String
    public var laterality: String
    public var view: String
    public var split: DataSplit
    public var labels: [String: Int]

    public init(imageID: String, patientID: String, examID: String, laterality: String, view: String, split: DataSplit,
                labels: [String: Int]) {
        self.imageID = imageID
        self.patientID = patientID
        self.examID = examID
        self.laterality = laterality
        self.view = view
        self.split = split
        self.labels = labels
    }

    /// The breast this image shows (exam and side).
    public var breastKey: String { examID + "/" + laterality }
}

/// Labelled images of one dataset with the tasks they carry.
public struct LabelledDataset: Sendable {
    public var format: String
    public var source: String
    public var images: [LabelledImage]
    public var tasks: [ClassificationTask]

    public init(format: String, source: String, images: [LabelledImage], tasks: [ClassificationTask]) {
        self.format = format
        self.source = source
        self.images = images
        self.tasks = tasks
    }

    /// The images of one split.
    public func images(in split: DataSplit) -> [LabelledImage] { images.filter { $0.split == split } }

    /// The dataset without the images `ids` (e.g. images whose files could not be read).
    public func removingImages(_ ids: Set<String>) -> LabelledDataset {
        var copy = self
        copy.images.removeAll { ids.contains($0.imageID) }
        return copy
    }

    /// A copy in which `fraction` of the training patients (chosen by a seeded hash, so the choice is
    /// stable across runs and machines) become the validation split. Used for datasets whose official
    /// split has no validation part (VinDr-Mammo, RSNA folds); a no-op when validation images exist.
    public func withValidation(fraction: Double = 0.1, seed: UInt64 = 0) -> LabelledDataset {
        guard !images.contains(where: { $0.split == .validation }), fraction > 0 else { return self }
        var copy = self
        copy.images = images.map { image in
            var image = image
            if image.split == .train && PatientSampling.unitHash(image.patientID, seed: seed) < fraction { image.split = .validation }
            return image
        }
        return copy
    }

    /// A copy whose training split keeps `fraction` of its patients (seeded, patient-disjoint); the
    /// other splits are untouched. The reference samples rows; whole patients keep views together.
    public func withTrainingFraction(_ fraction: Double, seed: UInt64) throws -> LabelledDataset {
        guard fraction > 0 && fraction <= 1 else { throw InputError.badInput("a data fraction must be in (0, 1], got \(fraction)") }
        guard fraction < 1 else { return self }
        let patients = Array(Set(images(in: .train).map(\.patientID))).sorted()
        let keep = Set(PatientSampling.sample(patients, count: max(1, Int((Double(patients.count) * fraction).rounded())), seed: seed))
        var copy = self
        copy.images = images.filter { $0.split != .train || keep.contains($0.patientID) }
        return copy
    }
}

/// Seeded, platform-independent choices of patients.
public enum PatientSampling {
    /// A number in [0, 1) from a patient id and a seed (FNV-1a, then a 64-bit mix).
    public static func unitHash(_ id: String, seed: UInt64) -> Double {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed &* 0x9E37_79B9_7F4A_7C15
        for byte in id.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        h ^= h >> 33; h = h &* 0xff51_afd7_ed55_8ccd; h ^= h >> 33
        return Double(h >> 11) / Double(1 << 53)
    }

    /// `count` of `ids` (sorted by their seeded hash, so the choice does not depend on input order).
    public static func sample(_ ids: [String], count: Int, seed: UInt64) -> [String] {
        Array(ids.sorted { (unitHash($0, seed: seed), $0) < (unitHash($1, seed: seed), $1) }.prefix(count))
    }
}
