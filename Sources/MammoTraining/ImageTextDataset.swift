import Foundation
import MammoImaging
import MammoText
import Torch

/// Errors reading training data or configuration; each names the file and what was wrong.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case badData(path: String, reason: String)
    case badConfiguration(String)
    case diverged(step: Int, loss: Double)
    case checkpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case .badData(let path, let reason): return "\(path): \(reason)"
        case .badConfiguration(let reason): return "invalid training configuration: \(reason)"
        case .diverged(let step, let loss): return "the loss became \(loss) at step \(step); training stopped, the last good checkpoint is kept"
        case .checkpoint(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// One breast at one exam: its images by view and its report sections (cleaned) with paraphrases.
public struct BreastImageText: Sendable, Equatable {
    public var patientID: String
    public var laterality: String
    public var cc: [URL]
    public var mlo: [URL]
    /// Images of any other view, or of an unnamed one.
    public var other: [URL]
    public var texts: [String]
    public var paraphrases: [String]
}

/// Image-text pretraining data in the Mammo-CLIP CSV layout (`patient_id`, `laterality`, `image`,
/// `view`, `CC`, `MLO`, `text`, `text_augment`, `fold`; lists as Python literals). Images are found at
/// `imageRoot/<patient_id>/<name>` or `imageRoot/<name>`.
public struct ImageTextDataset: Sendable {
    public var samples: [BreastImageText]

    public init(samples: [BreastImageText]) { self.samples = samples }

    /// Rows whose `split` column (when the CSV has one) is in `splits`, else whose `fold` is in `folds`.
    public static func mammoClipCSV(_ csv: URL, imageRoot: URL, splits: Set<String>, folds: Set<Int>? = nil) throws -> ImageTextDataset {
        let rows: [[String]]
        do { rows = try CSVFile.read(csv) } catch { throw TrainingError.badData(path: csv.path, reason: "\(error)") }
        guard let header = rows.first else { throw TrainingError.badData(path: csv.path, reason: "empty CSV") }
        func column(_ name: String) throws -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw TrainingError.badData(path: csv.path, reason: "missing column '\(name)' (columns: \(header.joined(separator: ", ")))")
            }
            return i
        }
        let patient = try column("patient_id"), text = try column("text")
        let laterality = header.firstIndex(of: "laterality"), image = header.firstIndex(of: "image")
        let cc = header.firstIndex(of: "CC"), mlo = header.firstIndex(of: "MLO")
        let augment = header.firstIndex(of: "text_augment"), split = header.firstIndex(of: "split"), fold = header.firstIndex(of: "fold")
        guard image != nil || (cc != nil && mlo != nil) else {
            throw TrainingError.badData(path: csv.path, reason: "needs an 'image' column or 'CC' and 'MLO' columns")
        }
        var fileCache: [String: Bool] = [:]
        func locate(_ name: String, patient: String, line: Int) throws -> URL {
            for candidate in [imageRoot.appendingPathComponent(patient).appendingPathComponent(name), imageRoot.appendingPathComponent(name)] {
                let exists = fileCache[candidate.path] ?? FileManager.default.fileExists(atPath: candidate.path)
                fileCache[candidate.path] = exists
                if exists { return candidate }
            }
            throw TrainingError.badData(path: csv.path, reason: "line \(line + 1): image '\(name)' not found under \(imageRoot.path) (as <patient_id>/\(name) or \(name))")
        }
        var samples: [BreastImageText] = []
        for (n, row) in rows.enumerated().dropFirst() {
            if let split {
                guard splits.contains(row[split]) else { continue }
            } else if let folds, let fold {
                guard let value = Int(row[fold]) else { throw TrainingError.badData(path: csv.path, reason: "line \(n + 1): fold '\(row[fold])' is not a number") }
                guard folds.contains(value) else { continue }
            }
            let id = row[patient]
            let ccNames = cc.map { PythonLiteral.strings(row[$0]) } ?? []
            let mloNames = mlo.map { PythonLiteral.strings(row[$0]) } ?? []
            let allNames = image.map { PythonLiteral.strings(row[$0]) } ?? []
            let otherNames = allNames.filter { !ccNames.contains($0) && !mloNames.contains($0) }
            let sections = PythonLiteral.strings(row[text]).map(ReportText.clean).filter { !$0.isEmpty }
            guard !sections.isEmpty else { throw TrainingError.badData(path: csv.path, reason: "line \(n + 1): no usable text") }
            var paraphrases = augment.map { PythonLiteral.strings(row[$0]).map(ReportText.clean) } ?? []
            if paraphrases.count != sections.count { paraphrases = sections }
            let sample = BreastImageText(patientID: id, laterality: laterality.map { row[$0] } ?? "",
                                         cc: try ccNames.map { try locate($0, patient: id, line: n) },
                                         mlo: try mloNames.map { try locate($0, patient: id, line: n) },
                                         other: try otherNames.map { try locate($0, patient: id, line: n) },
                                         texts: sections, paraphrases: paraphrases)
            guard !(sample.cc.isEmpty && sample.mlo.isEmpty && sample.other.isEmpty) else {
                throw TrainingError.badData(path: csv.path, reason: "line \(n + 1): no images")
            }
            samples.append(sample)
        }
        return ImageTextDataset(samples: samples)
    }

    /// Every text, for building a vocabulary.
    public var allTexts: [String] { samples.flatMap { $0.texts + $0.paraphrases } }
}

extension BreastImageText {
    /// Two images and two texts as the reference draws them: CC and MLO in random order when both
    /// exist, else two different images of the one view, else the same image twice; two sections drawn
    /// with replacement, each replaced by its paraphrase with probability 0.5. Without `training` the
    /// choice is fixed (first CC, first MLO, first two sections, no paraphrase).
    public func draw(_ rng: inout SeededRandom, training: Bool) -> (URL, URL, String, String) {
        let images: (URL, URL)
        if !cc.isEmpty && !mlo.isEmpty {
            let a = training ? rng.pick(cc) : cc[0], b = training ? rng.pick(mlo) : mlo[0]
            images = training && rng.chance(0.5) ? (b, a) : (a, b)
        } else {
            let pool = cc + mlo + other
            if pool.count >= 2 && training {
                let i = rng.integer(0...(pool.count - 1))
                var j = rng.integer(0...(pool.count - 2))
                if j >= i { j += 1 }
                images = (pool[i], pool[j])
            } else {
                images = (pool[0], pool.count >= 2 ? pool[1] : pool[0])
            }
        }
        func text(_ index: Int) -> String {
            training && rng.chance(0.5) ? paraphrases[index] : texts[index]
        }
        let i = training ? rng.integer(0...(texts.count - 1)) : 0
        let j = training ? rng.integer(0...(texts.count - 1)) : min(1, texts.count - 1)
        let first = text(i), second = text(j)
        return (images.0, images.1, training ? ReportText.shuffled(first, using: &rng) : first,
                training ? ReportText.shuffled(second, using: &rng) : second)
    }
}
