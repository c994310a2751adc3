import Foundation

/// Report text as the reference prepares it for pretraining: sections, then per sentence lower-case,
/// "bi-rads" -> "birads", word/punctuation tokens, non-ASCII dropped, sentences of two tokens or fewer
/// dropped. Sentences end at ". " (a point inside a number does not end one).
public enum ReportText {
    /// The text of each `[Section]` in order (`[Findings] a. [Impression] b.` -> ["a.", "b."]); a text
    /// without markers is one section. Empty sections are dropped.
    public static func sections(_ report: String) -> [String] {
        var sections: [String] = []
        var current = ""
        var rest = Substring(report)
        while let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]"),
              rest[rest.index(after: open)..<close].allSatisfy({ $0.isLetter || $0 == " " }) {
            current += rest[..<open]
            if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { sections.append(current.trimmingCharacters(in: .whitespacesAndNewlines)) }
            current = ""
            rest = rest[rest.index(after: close)...]
        }
        current += rest
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { sections.append(current.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return sections
    }

    /// Raw sentences of a text: split at ". ", "; ", "? ", "! " and line breaks.
    public static func rawSentences(_ text: String) -> [String] {
        var marked = text
        for end in [". ", "? ", "! ", "; "] { marked = marked.replacingOccurrences(of: end, with: end.prefix(1) + "\n") }
        return marked.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Word and punctuation tokens (runs of letters/digits/underscore, or runs of other non-space
    /// characters), ASCII only.
    public static func wordPunctTokens(_ text: String) -> [String] {
        var tokens: [String] = [], current = "", currentIsWord = false
        for scalar in text.unicodeScalars where scalar.isASCII {
            let isSpace = scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
            let isWord = CharacterSet.alphanumerics.contains(scalar) || scalar == "_"
            if isSpace || (!current.isEmpty && isWord != currentIsWord) {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            }
            if !isSpace { current.unicodeScalars.append(scalar); currentIsWord = isWord }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// The cleaned sentences of one section.
    public static func sentences(_ section: String) -> [String] {
        rawSentences(section).compactMap { sentence in
            let lowered = sentence.lowercased().replacingOccurrences(of: "bi-rads", with: "birads")
            var tokens = wordPunctTokens(lowered)
            if tokens.last == "." { tokens.removeLast() }
            return tokens.count > 2 ? tokens.joined(separator: " ") : nil
        }
    }

    /// One section cleaned: its sentences joined by ". ".
    public static func clean(_ section: String) -> String { sentences(section).joined(separator: ". ") }

    /// The sentences of a cleaned text in a random order (the reference intends this augmentation; its
    /// own version never changes the text).
    public static func shuffled<G: RandomNumberGenerator>(_ text: String, using rng: inout G) -> String {
        var parts = text.components(separatedBy: ". ").filter { !$0.isEmpty }
        // Fisher-Yates written out: the standard library's shuffle may change between versions.
        for i in stride(from: parts.count - 1, to: 0, by: -1) { parts.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return parts.joined(separator: ". ")
    }
}
