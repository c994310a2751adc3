import Foundation

/// The text normalisation and pre-tokenisation of BERT's tokenizer, with the semantics of Hugging
/// Face's fast tokenizer (BertNormalizer + BertPreTokenizer): control characters dropped, whitespace
/// unified, CJK characters isolated, accents stripped and text lower-cased for uncased models, then
/// a split on whitespace and on every punctuation character.
public struct BertNormalizer: Sendable {
    public var lowercase: Bool
    /// Strip accents; nil follows `lowercase`, as Hugging Face does.
    public var stripAccents: Bool?
    public var handleChineseCharacters: Bool

    public init(lowercase: Bool = true, stripAccents: Bool? = nil, handleChineseCharacters: Bool = true) {
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.handleChineseCharacters = handleChineseCharacters
    }

    /// Unicode White_Space plus tab, newline, carriage return.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    /// Categories Cc, Cf, Co, Cs, except tab, newline and carriage return. Unassigned code points (Cn)
    /// are kept, as Hugging Face's fast tokenizer keeps them (its Python tokenizer drops them).
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or any Unicode P* category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT isolates (not Hangul, Hiragana or Katakana).
    static func isChineseCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }

    /// The normalised text, as a sequence of Unicode scalars.
    public func normalize(_ text: String) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
            if Self.isWhitespace(s) {
                scalars.append(" ")
            } else if handleChineseCharacters && Self.isChineseCharacter(s) {
                scalars += [" ", s, " "]
            } else {
                scalars.append(s)
            }
        }
        if stripAccents ?? lowercase {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            let decomposed = String(view).decomposedStringWithCanonicalMapping
            scalars = decomposed.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
        }
        if lowercase {
            scalars = scalars.flatMap { Array($0.properties.lowercaseMapping.unicodeScalars) }
        }
        return scalars
    }

    /// Splits normalised text into words: at whitespace (dropped) and around each punctuation mark.
    public func preTokenize(_ scalars: [Unicode.Scalar]) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        }
        for s in scalars {
            if Self.isWhitespace(s) {
                flush()
            } else if Self.isPunctuation(s) {
                flush()
                words.append(String(s))
            } else {
                current.append(s)
            }
        }
        flush()
        return words
    }
}
