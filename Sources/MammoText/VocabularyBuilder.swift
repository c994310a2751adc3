import Foundation

/// Builds a WordPiece vocabulary from a corpus, for training a text tower from scratch where no
/// pretrained vocabulary is available: the special tokens, every character seen (alone and as a
/// "##" continuation), then whole words by decreasing frequency (ties alphabetical) up to `size`.
/// Words left out are still encoded, piece by piece from the characters.
///
/// Regular plurals enter as their singular plus a `##s` or `##es` piece ("calcifications" ->
/// "calcification ##s", "masses" -> "mass ##es"), as pretrained clinical vocabularies split them, so
/// a singular prompt word ("suspicious calcification") reaches the embedding the reports trained
/// rather than falling apart into untrained characters.
public enum VocabularyBuilder {
    public static let specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    public static func build(from texts: [String], size: Int, normalizer: BertNormalizer = BertNormalizer(lowercase: true)) -> [String] {
        var counts: [String: Int] = [:]
        var characters = Set<String>()
        for text in texts {
            for word in String(String.UnicodeScalarView(normalizer.normalize(text))).split(whereSeparator: { $0.isWhitespace }) {
                // Punctuation splits words as the BERT pre-tokenizer does.
                var current = ""
                for ch in word {
                    characters.insert(String(ch))
                    if ch.isPunctuation || ch.isSymbol {
                        if !current.isEmpty { counts[current, default: 0] += 1; current = "" }
                        counts[String(ch), default: 0] += 1
                    } else {
                        current.append(ch)
                    }
                }
                if !current.isEmpty { counts[current, default: 0] += 1 }
            }
        }
        var suffixes = Set<String>()
        for (word, count) in counts {
            guard let (stem, suffix) = pluralSplit(word) else { continue }
            counts[word] = nil
            counts[stem, default: 0] += count
            suffixes.insert(suffix)
        }
        var tokens = specialTokens
        var seen = Set(tokens)
        for ch in characters.sorted() where seen.insert(ch).inserted { tokens.append(ch) }
        for ch in characters.sorted() where !(ch.first!.isPunctuation || ch.first!.isSymbol) {
            if seen.insert("##" + ch).inserted { tokens.append("##" + ch) }
        }
        for suffix in suffixes.sorted() where seen.insert(suffix).inserted { tokens.append(suffix) }
        let words = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        for (word, _) in words where tokens.count < size {
            if seen.insert(word).inserted { tokens.append(word) }
        }
        return tokens
    }

    /// A regular English plural as (singular, continuation piece), or nil. Words of four letters or
    /// fewer and endings that are rarely plurals (-ss, -us and so -ous, -is, -ies) stay whole.
    static func pluralSplit(_ word: String) -> (String, String)? {
        guard word.count > 4, word.hasSuffix("s"), word.allSatisfy(\.isLetter) else { return nil }
        for ending in ["ss", "us", "is", "ies"] where word.hasSuffix(ending) { return nil }
        for ending in ["sses", "xes", "ches", "shes"] where word.hasSuffix(ending) { return (String(word.dropLast(2)), "##es") }
        return (String(word.dropLast()), "##s")
    }
}
