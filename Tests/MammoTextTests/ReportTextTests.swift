import Foundation
@testable import MammoText
import Testing
import Torch

@Suite struct ReportTextTests {
    @Test func sectionsAndSentencesAreCleanedLikeTheReference() {
        let report = "[Findings] The breasts are heterogeneously dense. A 1.4 cm mass, right breast. OK. [Impression] BI-RADS 4: Suspicious. Biopsy."
        let sections = ReportText.sections(report)
        #expect(sections == ["The breasts are heterogeneously dense. A 1.4 cm mass, right breast. OK.", "BI-RADS 4: Suspicious. Biopsy."])
        // Lower case, word/punctuation tokens, the point inside 1.4 kept, sentences of <= 2 tokens dropped.
        #expect(ReportText.sentences(sections[0]) == ["the breasts are heterogeneously dense", "a 1 . 4 cm mass , right breast"])
        #expect(ReportText.sentences(sections[1]) == ["birads 4 : suspicious"])
        #expect(ReportText.clean(sections[0]) == "the breasts are heterogeneously dense. a 1 . 4 cm mass , right breast")
        #expect(ReportText.sections("no markers here") == ["no markers here"])
        #expect(ReportText.wordPunctTokens("café o'clock 12:00") == ["caf", "o", "'", "clock", "12", ":", "00"])
    }

    @Test func shuffleReordersSentencesReproducibly() {
        let text = (1...8).map { "sentence number \($0)" }.joined(separator: ". ")
        var a = SeededRandom(seed: 3, salt: 1), b = SeededRandom(seed: 3, salt: 1)
        let first = ReportText.shuffled(text, using: &a)
        #expect(first == ReportText.shuffled(text, using: &b))
        #expect(first != text)
        #expect(Set(first.components(separatedBy: ". ")) == Set(text.components(separatedBy: ". ")))
    }

    @Test func builtVocabularyCoversTheCorpus() throws {
        let corpus = ["There is a 12 mm spiculated mass in the left breast.", "No suspicious calcifications; BI-RADS 1."]
        let vocabulary = VocabularyBuilder.build(from: corpus, size: 500)
        #expect(Array(vocabulary.prefix(5)) == VocabularyBuilder.specialTokens)
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary)
        for text in corpus {
            let encoding = tokenizer.encode(text)
            #expect(!encoding.ids.contains(tokenizer.vocabulary["[UNK]"]!), "\(text)")
        }
        // A word outside the vocabulary still encodes, piece by piece.
        let small = try WordPieceTokenizer(vocabulary: VocabularyBuilder.build(from: corpus, size: 60))
        #expect(!small.encode("spiculated").ids.contains(small.vocabulary["[UNK]"]!))
    }

    @Test func builtVocabularySplitsRegularPluralsSoSingularsShareTheStem() throws {
        let corpus = ["Grouped calcifications and two masses in both breasts.", "Suspicious calcifications; lymph nodes are normal."]
        let tokenizer = try WordPieceTokenizer(vocabulary: VocabularyBuilder.build(from: corpus, size: 500))
        #expect(tokenizer.tokenize("calcifications masses breasts nodes") == ["calcification", "##s", "mass", "##es", "breast", "##s", "node", "##s"])
        // A singular the corpus never states is one trained token, not characters.
        #expect(tokenizer.tokenize("suspicious calcification") == ["suspicious", "calcification"])
        // Short words and endings that are seldom plurals stay whole.
        #expect(tokenizer.tokenize("two suspicious") == ["two", "suspicious"])
        #expect(VocabularyBuilder.pluralSplit("focus") == nil && VocabularyBuilder.pluralSplit("was") == nil)
        #expect(VocabularyBuilder.pluralSplit("abnormalities") == nil)
    }
}

@Suite struct FindingPromptTests {
    @Test func templatesAndTexts() {
        let mass = FindingPrompts.templates("Mass", side: "left", positive: true)
        #expect(mass.first == "there is a mass in the left breast")
        #expect(mass.count == 6 * 10 * 4 && Set(mass).count == mass.count)
        #expect(mass.allSatisfy { $0.contains("mass") && $0.contains("left breast") })
        #expect(FindingPrompts.templates("Asymmetry", side: "right", positive: false).isEmpty)
        #expect(FindingPrompts.templates("Suspicious Calcification", side: "right", positive: false).first == "there is no suspicious calcifications in the right breast")
        // Evaluation: the first template of each, positives then negatives of the main findings absent.
        let text = FindingPrompts.text(present: ["Mass"], side: "left", pick: { _ in 0 }, shuffle: { _ in })
        #expect(text == "there is a mass in the left breast. there is no suspicious calcifications in the left breast. there is no architectural distortion in the left breast")
        #expect(FindingPrompts.text(present: [], side: "right", pick: { _ in 0 }, shuffle: { _ in }) == "no mammographic evidence of malignancy")
        var rng = SeededRandom(seed: 1, salt: 1)
        let drawn = FindingPrompts.text(present: ["Suspicious Calcification", "Skin Thickening"], side: "right",
                                        pick: { rng.integer(0...($0 - 1)) }, shuffle: { rng.shuffle(&$0) })
        #expect(drawn.contains("calcifications") && drawn.contains("skin thickening") && drawn.contains("no mass"))
    }
}
