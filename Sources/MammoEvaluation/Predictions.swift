import Foundation
import MammoData

/// A model's class probabilities for one case (an image, or a breast after aggregation) with its
/// truth and the patient it belongs to (for patient-level resampling).
public struct Prediction: Codable, Hashable, Sendable {
    /// The image id, or the breast key (exam/side) after aggregation.
    public var caseID: String
    public var patientID: String
    /// The true class index.
    public var label: Int
    /// One probability per class (binary: [negative, positive]).
    public var probabilities: [Double]

    public init(caseID: String, patientID: String, label: Int, probabilities: [Double]) {
        self.caseID = caseID
        self.patientID = patientID
        self.label = label
        self.probabilities = probabilities
    }

    /// The positive-class probability of a binary prediction.
    public var positiveProbability: Double { probabilities.last ?? .nan }

    /// The most probable class.
    public var predictedClass: Int { probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0 }
}

public enum PredictionAggregation {
    /// Per-image predictions at `level`: "image" (as they are), "breast" or "exam" (binary tasks).
    public static func at(_ level: ScoringLevel, _ predictions: [Prediction], images: [LabelledImage]) throws -> [Prediction] {
        switch level {
        case .image: return predictions
        case .breast: return perBreast(predictions, images: images)
        case .exam:
            guard predictions.allSatisfy({ $0.probabilities.count == 2 }) else { throw MetricError.invalidInput("exam-level scoring is for binary tasks") }
            return perExam(perBreast(predictions, images: images))
        }
    }

    /// Per-image predictions turned into one per breast (exam + side): probabilities averaged over
    /// the breast's views (the reference's RSNA protocol), the label the highest of its images'.
    /// `images` gives each image's breast; images without a prediction are skipped.
    public static func perBreast(_ predictions: [Prediction], images: [LabelledImage]) -> [Prediction] {
        let breastOf = Dictionary(images.map { ($0.imageID, $0.breastKey) }, uniquingKeysWith: { a, _ in a })
        var order: [String] = [], members: [String: [Prediction]] = [:]
        for p in predictions {
            let key = breastOf[p.caseID] ?? p.caseID
            if members[key] == nil { order.append(key) }
            members[key, default: []].append(p)
        }
        return order.map { key in
            let group = members[key]!
            let width = group[0].probabilities.count
            let mean = (0..<width).map { c in group.map { $0.probabilities[c] }.reduce(0, +) / Double(group.count) }
            return Prediction(caseID: key, patientID: group[0].patientID, label: group.map(\.label).max()!, probabilities: mean)
        }
    }

    /// Per-breast predictions turned into one per exam: the highest positive probability of its
    /// breasts (an exam is positive when either breast is), label the highest. Binary only.
    public static func perExam(_ breasts: [Prediction]) -> [Prediction] {
        var order: [String] = [], members: [String: [Prediction]] = [:]
        for p in breasts {
            let exam = String(p.caseID.split(separator: "/").first ?? Substring(p.caseID))
            if members[exam] == nil { order.append(exam) }
            members[exam, default: []].append(p)
        }
        return order.map { exam in
            let group = members[exam]!
            let best = group.max { $0.positiveProbability < $1.positiveProbability }!
            return Prediction(caseID: exam, patientID: group[0].patientID, label: group.map(\.label).max()!, probabilities: best.probabilities)
        }
    }
}
