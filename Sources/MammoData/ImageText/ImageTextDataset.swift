import Foundation
import MammoImaging
import MammoText
import Torch

/// Two images and two texts drawn for a breast, with keys naming what each text states.
public struct DrawnPair: Sendable, Equatable {
    public var image1: URL, image2: URL
    public var text1: String, text2: String
    public var key1: String, key2: String
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
    /// Image-label samples: the finding categories of the CC and MLO image; the texts are then
    /// synthesised from them (`FindingPrompts`) instead of read.
    public var ccFindings: Set<String>? = nil
    public var mloFindings: Set<String>? = nil
    /// Breast density "A"..."D" when the data states it (the report's composition sentence, or a
    /// density column), for composing batches.
    public var density: String? = nil
}

/// Image-text pretraining data in the Mammo-CLIP CSV layout (`patient_id`, `laterality`, `image`,
/// `view`, `CC`, `MLO`, `text`, `text_augment`, `fold`; lists as Python literals). Images are found at
/// `imageRoot/<patient_id>/<name>` or `imageRoot/<name>`.
public struct ImageTextDataset: Sendable {
    public var samples: [BreastImageText]
    /// Consecutive sources and their sampling weights (one source: every sample once per epoch).
    public var sources: [(count: Int, weight: Double)]

    public init(samples: [BreastImageText]) {
        self.samples = samples
        sources = [(samples.count, 1)]
    }

    /// Several data sets drawn with the given weights: an epoch has as many samples as all together,
    /// each from source i with probability weight_i / sum of weights.
    public static func mixed(_ parts: [(ImageTextDataset, Double)]) -> ImageTextDataset {
        var mixed = ImageTextDataset(samples: parts.flatMap(\.0.samples))
        mixed.sources = parts.map { ($0.0.samples.count, $0.1) }.filter { $0.count > 0 }
        return mixed
    }

    /// The samples that share no image file with `heldOut` (compared by standardised path), and how
    /// many were dropped. Keeps image-label data from training on the image-text validation patients
    /// when the two tables split patients differently.
    public func excludingImages(of heldOut: ImageTextDataset) -> (dataset: ImageTextDataset, dropped: Int) {
        let held = Set(heldOut.samples.flatMap { $0.cc + $0.mlo + $0.other }.map { $0.standardizedFileURL.path })
        let kept = samples.filter { sample in
            !(sample.cc + sample.mlo + sample.other).contains { held.contains($0.standardizedFileURL.path) }
        }
        return (ImageTextDataset(samples: kept), samples.count - kept.count)
    }

    /// Image-label data in the VinDr-Mammo layout (finding_annotations.csv): one sample per breast of a
    /// study with its CC and MLO images and their finding categories; PNGs at `imageRoot/<image_id>.png`.
    public static func vindr(_ csv: URL, imageRoot: URL, splits: Set<String>) throws -> ImageTextDataset {
        let table = try VinDrTable(csv)
        guard table.hasFindings else { throw InputError.badFile(path: csv.path, reason: "missing column 'finding_categories'") }
        struct Breast { var cc: [String: Set<String>] = [:]; var mlo: [String: Set<String>] = [:]; var density: String? = nil }
        var breasts: [String: Breast] = [:], keys: [String] = []
        for row in table.rows where splits.contains(row.split) {
            let key = row.studyID + "/" + row.laterality
            if breasts[key] == nil { breasts[key] = Breast(); keys.append(key) }
            if let letter = row.density.split(separator: " ").last, ["A", "B", "C", "D"].contains(letter) {
                breasts[key]!.density = String(letter) // "DENSITY C"
            }
            let found = row.findings ?? []
            switch row.view.uppercased() {
            case "CC": breasts[key]!.cc[row.imageID, default: []].formUnion(found)
            case "MLO": breasts[key]!.mlo[row.imageID, default: []].formUnion(found)
            default: throw InputError.badFile(path: csv.path, reason: "line \(row.line): view '\(row.view)' is neither CC nor MLO")
            }
        }
        var samples: [BreastImageText] = []
        for key in keys {
            let b = breasts[key]!
            guard let cc = b.cc.keys.sorted().first ?? b.mlo.keys.sorted().first,
                  let mlo = b.mlo.keys.sorted().first ?? b.cc.keys.sorted().first else { continue }
            let url = { (id: String) -> URL in imageRoot.appendingPathComponent("\(id).png") }
            for id in [cc, mlo] where !FileManager.default.fileExists(atPath: url(id).path) {
                throw InputError.badFile(path: csv.path, reason: "image '\(id)' not found as \(url(id).path)")
            }
            let side = key.hasSuffix("/L") ? "L" : "R"
            samples.append(BreastImageText(patientID: String(key.split(separator: "/").first ?? ""), laterality: side, cc: [url(cc)], mlo: [url(mlo)],
                                           other: [], texts: [], paraphrases: [], ccFindings: b.cc[cc] ?? b.mlo[cc] ?? [],
                                           mloFindings: b.mlo[mlo] ?? b.cc[mlo] ?? [], density: b.density))
        }
        return ImageTextDataset(samples: samples)
    }

    /// Rows whose `split` column (when the CSV has one) is in `splits`, else whose `fold` passes `folds`.
    public static func mammoClipCSV(_ csv: URL, imageRoot: URL, splits: Set<String>, folds: ((Int) -> Bool)? = nil) throws -> ImageTextDataset {
        let table = try CSVTable(csv, error: { InputError.badFile(path: $0, reason: $1) })
        let column = table.column, header = table.header
        let patient = try column("patient_id"), text = try column("text")
        let laterality = header.firstIndex(of: "laterality"), image = header.firstIndex(of: "image")
        let cc = header.firstIndex(of: "CC"), mlo = header.firstIndex(of: "MLO")
        let augment = header.firstIndex(of: "text_augment"), split = header.firstIndex(of: "split"), fold = header.firstIndex(of: "fold")
        guard image != nil || (cc != nil && mlo != nil) else {
            throw InputError.badFile(path: csv.path, reason: "needs an 'image' column or 'CC' and 'MLO' columns")
        }
        var fileCache: [String: Bool] = [:]
        func locate(_ name: String, patient: String, line: Int) throws -> URL {
            for candidate in [imageRoot.appendingPathComponent(patient).appendingPathComponent(name), imageRoot.appendingPathComponent(name)] {
                let exists = fileCache[candidate.path] ?? FileManager.default.fileExists(atPath: candidate.path)
                fileCache[candidate.path] = exists
                if exists { return candidate }
            }
            throw InputError.badFile(path: csv.path, reason: "line \(line + 1): image '\(name)' not found under \(imageRoot.path) (as <patient_id>/\(name) or \(name))")
        }
        var samples: [BreastImageText] = []
        for (n, row) in table.rows.enumerated() {
            if let split {
                guard splits.contains(row[split]) else { continue }
            } else if let folds, let fold {
                guard let value = Int(row[fold]) else { throw InputError.badFile(path: csv.path, reason: "line \(n + 2): fold '\(row[fold])' is not a number") }
                guard folds(value) else { continue }
            }
            let id = row[patient]
            let ccNames = cc.map { PythonLiteral.strings(row[$0]) } ?? []
            let mloNames = mlo.map { PythonLiteral.strings(row[$0]) } ?? []
            let allNames = image.map { PythonLiteral.strings(row[$0]) } ?? []
            let otherNames = allNames.filter { !ccNames.contains($0) && !mloNames.contains($0) }
            let sections = PythonLiteral.strings(row[text]).map(ReportText.clean).filter { !$0.isEmpty }
            guard !sections.isEmpty else { throw InputError.badFile(path: csv.path, reason: "line \(n + 2): no usable text") }
            var paraphrases = augment.map { PythonLiteral.strings(row[$0]).map(ReportText.clean) } ?? []
            if paraphrases.count != sections.count { paraphrases = sections }
            let sample = BreastImageText(patientID: id, laterality: laterality.map { row[$0] } ?? "",
                                         cc: try ccNames.map { try locate($0, patient: id, line: n + 1) },
                                         mlo: try mloNames.map { try locate($0, patient: id, line: n + 1) },
                                         other: try otherNames.map { try locate($0, patient: id, line: n + 1) },
                                         texts: sections, paraphrases: paraphrases,
                                         density: ReportParser().parse(sections.joined(separator: ". ")).density)
            guard !(sample.cc.isEmpty && sample.mlo.isEmpty && sample.other.isEmpty) else {
                throw InputError.badFile(path: csv.path, reason: "line \(n + 2): no images")
            }
            samples.append(sample)
        }
        return ImageTextDataset(samples: samples)
    }

    /// Every text, for building a vocabulary (for image-label samples, every template they can produce).
    public var allTexts: [String] {
        var texts = samples.flatMap { $0.texts + $0.paraphrases }
        if samples.contains(where: { $0.ccFindings != nil }) {
            for finding in FindingPrompts.findings {
                for side in ["left", "right"] {
                    texts += FindingPrompts.templates(finding, side: side, positive: true) + FindingPrompts.templates(finding, side: side, positive: false)
                }
            }
        }
        return texts
    }
}

extension BreastImageText {
    /// Two images and two texts as the reference draws them: CC and MLO in random order when both
    /// exist, else two different images of the one view, else the same image twice; two sections drawn
    /// with replacement, each replaced by its paraphrase with probability 0.5. Without `training` the
    /// choice is fixed (first CC, first MLO, first two sections, no paraphrase).
    public func draw(_ rng: inout SeededRandom, training: Bool) -> (URL, URL, String, String) {
        let pair = drawWithKeys(&rng, training: training)
        return (pair.image1, pair.image2, pair.text1, pair.text2)
    }

    /// `draw`, with a key per text naming what it states: the report section it came from (before
    /// paraphrase and shuffling), or the side and findings an image-label text was made from.
    public func drawWithKeys(_ rng: inout SeededRandom, training: Bool) -> DrawnPair {
        if let ccFindings, let mloFindings {
            // Image-label sample: a text per view from its findings.
            let side = laterality.uppercased().hasPrefix("L") ? "left" : "right"
            func text(_ findings: Set<String>) -> (String, String) {
                (FindingPrompts.text(present: findings, side: side, pick: { training ? rng.integer(0...($0 - 1)) : 0 },
                                     shuffle: { if training { rng.shuffle(&$0) } }),
                 "labels:\(side):" + findings.sorted().joined(separator: "|"))
            }
            let first = (cc[0], text(ccFindings)), second = (mlo[0], text(mloFindings))
            let (a, b) = training && rng.chance(0.5) ? (second, first) : (first, second)
            return DrawnPair(image1: a.0, image2: b.0, text1: a.1.0, text2: b.1.0, key1: a.1.1, key2: b.1.1)
        }
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
        return DrawnPair(image1: images.0, image2: images.1, text1: training ? ReportText.shuffled(first, using: &rng) : first,
                         text2: training ? ReportText.shuffled(second, using: &rng) : second,
                         key1: "report:" + texts[i], key2: "report:" + texts[j])
    }
}
