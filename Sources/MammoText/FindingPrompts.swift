import Foundation

/// Sentences that state image-level findings, for training on image-label data (VinDr-style
/// annotations) as if it were image-text data, in the way the reference does: per finding and side a
/// template drawn at random in training (the first, plainest one in evaluation), positives for the
/// findings present and negatives for the main findings absent, deduplicated and shuffled.
/// The templates combine a qualifier, the finding, a position in the breast and a depth.
public enum FindingPrompts {
    /// The eleven finding types (VinDr-Mammo categories).
    public static let findings = ["Mass", "Suspicious Calcification", "Architectural Distortion", "Global Asymmetry",
                                  "Focal Asymmetry", "Asymmetry", "Suspicious Lymph Node", "Nipple Retraction",
                                  "Skin Retraction", "Skin Thickening", "No Finding"]
    /// Findings whose absence is stated.
    public static let negated = ["Mass", "Suspicious Calcification", "Architectural Distortion"]

    static let positions = ["", "upper ", "lower ", "inner ", "outer ", "upper outer ", "upper inner ", "lower outer ", "lower inner ", "subareolar "]
    static let depths = ["", " at anterior depth", " at mid depth", " at posterior depth"]

    /// (article phrase, noun phrase, qualifiers) per finding.
    static func parts(_ finding: String) -> (String, String, [String])? {
        switch finding {
        case "Mass": return ("there is a", "mass", ["", "suspicious ", "possible ", "irregular ", "spiculated ", "new "])
        case "Suspicious Calcification":
            return ("there are", "calcifications", ["suspicious ", "pleomorphic ", "fine linear ", "amorphous ", "grouped suspicious ", "new "])
        case "Architectural Distortion": return ("there is", "architectural distortion", ["", "an area of ", "possible "])
        case "Global Asymmetry": return ("there is a", "global asymmetry", ["", "developing "])
        case "Focal Asymmetry": return ("there is a", "focal asymmetry", ["", "developing ", "indeterminate "])
        case "Asymmetry": return ("there is an", "asymmetry", ["", "one-view "])
        case "Suspicious Lymph Node": return ("there is an", "lymph node", ["enlarged ", "suspicious ", "abnormal "])
        case "Nipple Retraction": return ("there is", "nipple retraction", ["", "new "])
        case "Skin Retraction": return ("there is", "skin retraction", ["", "new "])
        case "Skin Thickening": return ("there is", "skin thickening", ["", "new "])
        default: return nil
        }
    }

    /// The templates for a finding on a side ("left" / "right"): positive ones, and negative ones for
    /// the findings in `negated`. The first is the plainest.
    public static func templates(_ finding: String, side: String, positive: Bool) -> [String] {
        if finding == "No Finding" {
            return ["no mammographic evidence of malignancy", "no suspicious findings in the \(side) breast", "the \(side) breast is unremarkable"]
        }
        guard let (article, noun, qualifiers) = parts(finding) else { return [] }
        if !positive {
            guard negated.contains(finding) else { return [] }
            let plain = finding == "Suspicious Calcification" ? "suspicious calcifications" : noun
            return ["there is no \(plain) in the \(side) breast", "no \(plain) is seen in the \(side) breast", "no \(plain)"]
        }
        var out: [String] = []
        for qualifier in qualifiers {
            for position in positions {
                for depth in depths {
                    let a = article == "there is a" && "aeiou".contains((qualifier.isEmpty ? noun : qualifier).first!) ? "there is an" : article
                    out.append("\(a) \(qualifier)\(noun) in the \(position)\(side) breast\(depth)")
                }
            }
        }
        return out
    }

    /// A text for one image of one breast: positives for `present` findings, negatives for the main
    /// findings absent. `pick(n)` chooses among n templates (training: random; evaluation: 0); the
    /// sentences are shuffled by `shuffle` in training.
    public static func text(present: Set<String>, side: String, pick: (Int) -> Int, shuffle: (inout [String]) -> Void) -> String {
        var sentences: [String] = []
        let positives = present.isEmpty ? ["No Finding"] : findings.filter { present.contains($0) }
        for finding in positives {
            let options = templates(finding, side: side, positive: true)
            if !options.isEmpty { sentences.append(options[pick(options.count)]) }
        }
        if !present.contains("No Finding") {
            for finding in negated where !present.contains(finding) && !present.isEmpty {
                let options = templates(finding, side: side, positive: false)
                sentences.append(options[pick(options.count)])
            }
        }
        var unique: [String] = []
        for s in sentences where !unique.contains(s) { unique.append(s) }
        shuffle(&unique)
        return unique.joined(separator: ". ")
    }
}
