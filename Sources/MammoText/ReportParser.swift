import Foundation

/// Structured labels read from an English screening mammography report by rules: breast composition,
/// BI-RADS assessment, and the (finding type, side) pairs stated as present. Sentences with a negation
/// cue ("no", "without", "negative", "unremarkable", ...) state absence and add nothing. Written for
/// reports in the style MammoFM's synthetic cohort produces and common in practice; it is a weak
/// labeller, not a clinical NLP system.
public struct ReportParser: Sendable {
    /// Finding types the parser recognises (names match the synthetic cohort's labels).
    public enum FindingType: String, CaseIterable, Codable, Sendable {
        case mass, calcification, architecturalDistortion = "architectural_distortion", focalAsymmetry = "focal_asymmetry"
        case globalAsymmetry = "global_asymmetry", asymmetry, lymphNode = "lymph_node", skinThickening = "skin_thickening"
    }

    /// One positive mention: a type and a side ("L", "R", or "B" when unstated or when a sentence names
    /// both sides without "bilateral"/"both breasts"; those give one mention per side).
    public struct Mention: Hashable, Codable, Sendable {
        public var type: FindingType
        public var side: String
        public init(type: FindingType, side: String) { self.type = type; self.side = side }
    }

    /// A calcification stated as present, with its BI-RADS descriptors where the sentence names them.
    public struct CalcificationMention: Hashable, Codable, Sendable {
        public var type: CalcificationType?
        public var distribution: CalcificationDistribution?
        public var side: String
        public init(type: CalcificationType?, distribution: CalcificationDistribution?, side: String) {
            self.type = type
            self.distribution = distribution
            self.side = side
        }
    }

    /// BI-RADS 5th-edition calcification types (raw values match the synthetic cohort's labels).
    public enum CalcificationType: String, CaseIterable, Codable, Sendable {
        case punctate, vascular, coarse = "coarse_popcorn", largeRodLike = "large_rod_like", rim
        case amorphous, coarseHeterogeneous = "coarse_heterogeneous", finePleomorphic = "fine_pleomorphic", fineLinear = "fine_linear"
    }

    /// BI-RADS 5th-edition calcification distributions.
    public enum CalcificationDistribution: String, CaseIterable, Codable, Sendable {
        case grouped, regional, diffuse, linear, segmental
    }

    public struct Result: Equatable, Sendable {
        /// "A"..."D", or nil when no composition statement was found.
        public var density: String?
        /// The highest BI-RADS category stated, or nil.
        public var birads: Int?
        public var mentions: Set<Mention>
        /// The calcifications among `mentions` whose sentence names a type or distribution.
        public var calcifications: Set<CalcificationMention> = []
    }

    public init() {}

    static let negationCues = ["no ", "not ", "without ", "negative", "unremarkable", "absent", "free of ", "none "]

    public func parse(_ report: String) -> Result {
        let lowered = report.lowercased()
        // Sentences end at ". ", ";" or a line break; a point inside a number ("1.4 cm") does not end one.
        let marked = (lowered.replacingOccurrences(of: "[findings]", with: ". ").replacingOccurrences(of: "[impression]", with: ". ") + " ")
            .replacingOccurrences(of: ". ", with: "\n").replacingOccurrences(of: ";", with: "\n")
        let sentences = marked.split(separator: "\n").map { " " + $0.trimmingCharacters(in: CharacterSet(charactersIn: " .")) + " " }
        var density: String? = nil
        var mentions = Set<Mention>()
        var calcifications = Set<CalcificationMention>()
        for sentence in sentences {
            if let d = Self.density(in: sentence) {
                density = density ?? d
                continue // composition sentences hedge about masses; they state no finding
            }
            if Self.negationCues.contains(where: { sentence.contains(" " + $0) || sentence.hasPrefix(" " + $0) }) { continue }
            guard let type = Self.findingType(in: sentence) else { continue }
            let left = sentence.contains("left"), right = sentence.contains("right")
            let sides = sentence.contains("bilateral") || sentence.contains("both breasts") ? ["L", "R"] : [left == right ? "B" : left ? "L" : "R"]
            for side in sides {
                mentions.insert(Mention(type: type, side: side))
                // Sentences that name a calcification without a descriptor ("Suspicious calcifications in the
                // left breast.") add to `mentions` only.
                let calcificationType = Self.calcificationType(in: sentence), distribution = Self.calcificationDistribution(in: sentence)
                if type == .calcification, calcificationType != nil || distribution != nil {
                    calcifications.insert(CalcificationMention(type: calcificationType, distribution: distribution, side: side))
                }
            }
        }
        return Result(density: density, birads: Self.birads(in: lowered), mentions: mentions, calcifications: calcifications)
    }

    /// The calcification type a sentence names (the more specific phrase first).
    static func calcificationType(in s: String) -> CalcificationType? {
        let phrases: [(String, CalcificationType)] = [
            ("coarse heterogeneous", .coarseHeterogeneous), ("fine pleomorphic", .finePleomorphic), ("fine linear", .fineLinear),
            ("fine-linear", .fineLinear), ("amorphous", .amorphous), ("vascular", .vascular), ("popcorn", .coarse), ("coarse", .coarse),
            ("rod-like", .largeRodLike), ("eggshell", .rim), (" rim ", .rim), ("punctate", .punctate), (" round ", .punctate),
        ]
        return phrases.first { s.contains($0.0) }?.1
    }

    /// The calcification distribution a sentence names.
    static func calcificationDistribution(in s: String) -> CalcificationDistribution? {
        if s.contains("segmental") { return .segmental }
        if s.contains("regional") { return .regional }
        if s.contains("linear distribution") { return .linear }
        if s.contains("grouped") || s.contains("clustered") || s.contains("group of") || s.contains("cluster of") { return .grouped }
        if s.contains("scattered") || s.contains("diffuse") { return .diffuse }
        return nil
    }

    static func density(in s: String) -> String? {
        if s.contains("extremely dense") { return "D" }
        if s.contains("heterogeneously dense") { return "C" }
        if s.contains("scattered") && s.contains("fibroglandular") { return "B" }
        if s.contains("fatty") && !s.contains("hilum") { return "A" }
        return nil
    }

    static func findingType(in s: String) -> FindingType? {
        if s.contains("architectural distortion") { return .architecturalDistortion }
        if s.contains("global asymmetry") { return .globalAsymmetry }
        if s.contains("focal asymmetry") { return .focalAsymmetry }
        if s.contains("asymmetry") { return .asymmetry }
        if s.contains("calcification") { return .calcification }
        if s.contains("lymph node") { return .lymphNode }
        if s.contains("skin thickening") || s.contains("thickened skin") { return .skinThickening }
        if s.contains(" mass") { return .mass }
        return nil
    }

    /// The highest number after "bi-rads" / "birads" (optionally "category").
    static func birads(in text: String) -> Int? {
        var best: Int? = nil
        let normalized = text.replacingOccurrences(of: "bi-rads", with: "birads")
        var rest = Substring(normalized)
        while let range = rest.range(of: "birads") {
            var tail = rest[range.upperBound...].drop { $0 == " " || $0 == ":" }
            if tail.hasPrefix("category") { tail = tail.dropFirst("category".count).drop { $0 == " " } }
            if let digit = tail.first, let value = digit.wholeNumberValue, value <= 6 { best = max(best ?? value, value) }
            rest = rest[range.upperBound...]
        }
        return best
    }
}
