import Foundation
import MammoImaging
import MammoData

/// Per-image predictions as CSV: `image_id` and one probability column per class named `p_<class>`
/// (binary tasks may give a single `probability` or `score` column for the positive class). What the
/// downstream commands write and `mammofm evaluate` reads, so any model's outputs can be scored the
/// same way.
public enum PredictionsFile {
    /// Writes predictions of `task` atomically.
    public static func write(_ predictions: [Prediction], task: ClassificationTask, to url: URL) throws {
        let header = ["image_id"] + task.classes.map { "p_" + $0 }
        let rows = predictions.map { p in [p.caseID] + p.probabilities.map { String(format: "%.8g", $0) } }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try CSVFile.write([header] + rows, to: url)
    }

    /// Reads predictions for `task` and joins them to the dataset's labelled images (truth, patient).
    /// Every labelled image of `split` must have a prediction; extra rows are an error too, since they
    /// usually mean the wrong file.
    public static func read(_ url: URL, task: ClassificationTask, dataset: LabelledDataset, split: DataSplit) throws -> [Prediction] {
        let t = try CSVTable(url, error: { InputError.badFile(path: $0, reason: $1) })
        let image = try t.column("image_id")
        let classColumns = task.classes.map { t.header.firstIndex(of: "p_" + $0) }
        let single = t.header.firstIndex(of: "probability") ?? t.header.firstIndex(of: "score")
        guard classColumns.allSatisfy({ $0 != nil }) || (task.isBinary && single != nil) else {
            throw InputError.badFile(path: url.path, reason: "needs columns \(task.classes.map { "p_" + $0 }.joined(separator: ", "))"
                                       + (task.isBinary ? " or one 'probability' column" : ""))
        }
        let wanted = Dictionary(dataset.images(in: split).filter { $0.labels[task.name] != nil }.map { ($0.imageID, $0) }, uniquingKeysWith: { a, _ in a })
        var seen = Set<String>(), out: [Prediction] = []
        for (i, row) in t.rows.enumerated() {
            guard let labelled = wanted[row[image]] else {
                throw InputError.badFile(path: url.path, reason: "row \(i + 2): image \(row[image]) is not a \(split.rawValue) image labelled for \(task.name)")
            }
            guard seen.insert(row[image]).inserted else { throw InputError.badFile(path: url.path, reason: "row \(i + 2): image \(row[image]) appears twice") }
            let values: [Double]
            if classColumns.allSatisfy({ $0 != nil }) {
                values = try classColumns.map { try number(row[$0!], url, i) }
            } else {
                let p = try number(row[single!], url, i)
                values = [1 - p, p]
            }
            out.append(Prediction(caseID: row[image], patientID: labelled.patientID, label: labelled.labels[task.name]!, probabilities: values))
        }
        let missing = wanted.count - out.count
        guard missing == 0 else {
            let example = wanted.keys.sorted().first { !seen.contains($0) } ?? ""
            throw InputError.badFile(path: url.path, reason: "\(missing) \(split.rawValue) images labelled for \(task.name) have no prediction (e.g. \(example))")
        }
        return out
    }

    static func number(_ text: String, _ url: URL, _ row: Int) throws -> Double {
        guard let v = Double(text), v.isFinite, v >= 0, v <= 1 else {
            throw InputError.badFile(path: url.path, reason: "row \(row + 2): '\(text)' is not a probability in [0, 1]")
        }
        return v
    }
}
