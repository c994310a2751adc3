import Foundation

/// synth-2's calcification sentences: benign types by type and distribution with benign wording,
/// suspicious ones by morphology, distribution, extent and location.
extension ReportWriter {
    func calcificationSentence(_ f: Finding, bilateral: Bool = false, _ rng: inout SynthRandom) -> String {
        let type = f.calcification ?? .punctate
        let distribution = f.distribution ?? .grouped
        let words = Self.typeWords(type, &rng)
        if type.isTypicallyBenign {
            let adjective = distribution == .diffuse ? rng.pick(["scattered", "diffuse"]) : "regional"
            let whereWords: String
            if bilateral { whereWords = rng.pick(["bilaterally", "in both breasts"]) }
            else if distribution == .diffuse { whereWords = rng.pick(["throughout the \(f.side.word) breast", "in the \(f.side.word) breast"]) }
            else { whereWords = "in the \(f.location.quadrant(f.side)) of the \(f.side.word) breast" }
            let reason = rng.chance(0.5) ? Self.benignReason(type) : nil
            let sentence: String
            switch rng.integer(0...2) {
            case 0: sentence = "\(adjective.capitalized) benign-appearing \(words) calcifications \(whereWords)"
            case 1: sentence = "Benign \(words) calcifications in a \(distribution == .diffuse ? rng.pick(["diffuse", "scattered"]) : "regional") distribution \(whereWords)"
            default: sentence = "There are \(adjective) \(words) calcifications \(whereWords), typically benign"
            }
            return sentence + (reason.map { ", \($0)." } ?? ".")
        }
        let s = size(f.sizeMM, &rng)
        let place = place(f, &rng)
        switch distribution {
        case .grouped:
            let grouped = rng.pick(["grouped", "clustered"])
            switch rng.integer(0...2) {
            case 0: return "There are \(grouped) \(words) calcifications spanning \(s) \(place)."
            case 1: return "A group of \(words) calcifications over \(s) is seen \(place)."
            default: return "\(words.capitalized) calcifications in a \(grouped) distribution \(place), extent \(s)."
            }
        case .linear, .segmental:
            let name = distribution.rawValue
            return rng.pick(["\(words.capitalized) calcifications in a \(name) distribution \(place), extent \(s).",
                             "There are \(words) calcifications in a \(name) distribution spanning \(s) \(place)."])
        default:
            // Suspicious types are drawn grouped, linear or segmental only.
            return "\(words.capitalized) calcifications in a \(distribution.rawValue) distribution \(place), extent \(s)."
        }
    }

    static func typeWords(_ type: CalcificationMorphology, _ rng: inout SynthRandom) -> String {
        switch type {
        case .punctate: return rng.pick(["punctate", "round and punctate", "round"])
        case .vascular: return "vascular"
        case .coarse: return rng.pick(["coarse popcorn-like", "popcorn-like", "coarse"])
        case .largeRodLike: return rng.pick(["large rod-like", "rod-like"])
        case .rim: return rng.pick(["rim", "eggshell", "rim (eggshell)"])
        case .amorphous: return "amorphous"
        case .coarseHeterogeneous: return "coarse heterogeneous"
        case .finePleomorphic: return "fine pleomorphic"
        case .fineLinear: return rng.pick(["fine linear", "fine linear branching", "fine-linear branching"])
        }
    }

    static func benignReason(_ type: CalcificationMorphology) -> String? {
        switch type {
        case .coarse: return "consistent with involuting fibroadenomas"
        case .largeRodLike: return "consistent with secretory disease"
        case .rim: return "consistent with fat necrosis"
        case .vascular: return "in the arterial walls"
        default: return nil
        }
    }

    /// Pairs of the same benign calcification type and distribution in both breasts: the exam report
    /// names them once, "bilaterally". Returns the right breast's finding id of each pair and both ids.
    static func bilateralCalcifications(_ exam: ExamPlan) -> (sentenceAt: [String: Finding], merged: Set<String>) {
        var sentenceAt: [String: Finding] = [:]
        var merged = Set<String>()
        let benign = exam.findings.filter { $0.kind == .calcification && !$0.isSuspiciousCalcification && $0.distribution != nil }
        for right in benign where right.side == .right {
            guard let left = benign.first(where: { $0.side == .left && !merged.contains($0.id) && $0.calcification == right.calcification
                && $0.distribution == right.distribution }) else { continue }
            sentenceAt[right.id] = right
            merged.formUnion([right.id, left.id])
        }
        return (sentenceAt, merged)
    }
}
