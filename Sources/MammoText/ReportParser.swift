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

    /// One positive mention: a type and a side ("L", "R", or "B" when both or unstated).
    public struct Mention: Hashable, Codable, Sendable {
        public var type: FindingType
        public var side: String
        public init(type: FindingType, side: String) { self.type = type; self.side = side }
    }

    public struct Result: Equatable, Sendable {
        /// "A"..."D", or nil when no composition statement was found.
        public var density: String?
        /// The highest BI-RADS category stated, or nil.
        public var birads: Int?
        public var mentions: Set<Mention>
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
        for sentence in sentences {
            if let d = Self.density(in: sentence) {
                density = density ?? d
                continue // composition sentences hedge about masses; they state no finding
            }
            if Self.negationCues.contains(where: { sentence.contains(" " + $0) || sentence.hasPrefix(" " + $0) }) { continue }
            guard let type = Self.findingType(in: sentence) else { continue }
            let left = sentence.contains("left"), right = sentence.contains("right")
            mentions.insert(Mention(type: type, side: left == right ? "B" : left ? "L" : "R"))
        }
        return Result(density: density, birads: Self.birads(in: lowered), mentions: mentions)
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
