import Foundation
import MammoText
import Testing
import Torch
@testable import MammoModels

/// A tiny BreastClip built by the reference code and saved in the official checkpoint layout
/// (fixture: tiny_mammoclip.tar, its vocabulary in tiny_tokenizer/, expected embeddings in
/// tiny_mammoclip.safetensors).
@Suite(.serialized) struct MammoClipTests {
    static let expected = Result { try SafetensorsFile(url: ModelFixtures.url("tiny_mammoclip.safetensors")) }

    static func loadOfficial() throws -> LoadedMammoClip {
        try MammoClipLoader.load(ModelFixtures.url("tiny_mammoclip.tar"), tokenizerDirectory: ModelFixtures.url("tiny_tokenizer"))
    }

    func sentences() throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(try Self.expected.get().metadata["sentences"]!.utf8))
    }

    @Test func officialCheckpointLoadsByPathAndMatchesTheReference() throws {
        let loaded = try Self.loadOfficial()
        let file = try Self.expected.get()
        let config = loaded.model.config
        #expect(config.image.efficientNet.variant == "custom" && config.text.bert.numHiddenLayers == 2 && config.projection.dimension == 32)
        #expect(config.text.pooling == .eos)
        let images = try Autograd.inferenceMode { try loaded.model.encodeImage(file.tensor("images")) }
        #expect(try maxAbsDifference(images, file.tensor("image_embeddings")) <= 1e-4)

        let tokenizer = try #require(loaded.tokenizer)
        let encodings = tokenizer.encode(batch: try sentences(), padding: .longest)
        let ids = try file.tensor("input_ids")
        #expect(try ids.toArray(Int64.self).map(Int.init) == encodings.flatMap(\.ids), "tokenisation differs from Hugging Face's")
        let texts = try Autograd.inferenceMode {
            try loaded.model.encodeText(inputIds: ids, attentionMask: file.tensor("attention_mask"))
        }
        #expect(try maxAbsDifference(texts, file.tensor("text_embeddings")) <= 1e-4)
    }

    @Test func pipelineEmbedsTextsLikeTheReference() throws {
        let loaded = try Self.loadOfficial()
        let pipeline = try MammoClipPipeline(model: loaded.model, tokenizer: loaded.tokenizer)
        let embedded = try pipeline.embed(texts: try sentences())
        #expect(try maxAbsDifference(embedded, try Self.expected.get().tensor("text_embeddings")) <= 1e-4)
        let probabilities = try pipeline.zeroShot(imageEmbeddings: embedded, promptEmbeddings: embedded)
        #expect(try (probabilities.sum(dim: 1) - 1).abs().max().item() < 1e-5)
        #expect(try probabilities.argmax(dim: 1).toArray(Int64.self) == [0, 1, 2])
    }

    /// More images than one forward pass takes: embedded in batches, each the same as alone.
    @Test func pipelineEmbedsManyImagesInBatches() throws {
        let loaded = try Self.loadOfficial()
        let pipeline = try MammoClipPipeline(model: loaded.model, tokenizer: loaded.tokenizer)
        let image = loaded.model.config.image
        Torch.manualSeed(11)
        let count = MammoClipPipeline.imageBatchSize + 3
        let images = try (0..<count).map { _ in try Tensor.rand([1, image.inputHeight, image.inputWidth]) }
        let all = try pipeline.embed(images: images)
        #expect(all.shape[0] == count)
        let last = try pipeline.embed(images: [images[count - 1]])
        #expect(try maxAbsDifference(all.narrow(dim: 0, start: count - 1, length: 1), last) <= 1e-5)
    }

    @Test func conversionRoundTripsExactly() throws {
        let loaded = try Self.loadOfficial()
        let folder = temporaryFolder("converted")
        try MammoClipLoader.save(loaded.model, tokenizer: loaded.tokenizer, to: folder)
        let again = try MammoClipLoader.load(folder)
        #expect(again.model.config == loaded.model.config)
        let before = Dictionary(uniqueKeysWithValues: loaded.model.stateDict())
        for (key, tensor) in again.model.stateDict() {
            #expect(try tensor.bytes() == before[key]!.bytes(), "\(key)")
        }
        #expect(again.tokenizer?.tokens == loaded.tokenizer?.tokens)
        #expect(again.tokenizer?.encode("Spiculated MASS") == loaded.tokenizer?.encode("Spiculated MASS"))
    }

    @Test func missingOrWrongVocabularyIsExplained() throws {
        let empty = temporaryFolder("no-vocab")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect { _ = try MammoClipLoader.load(ModelFixtures.url("tiny_mammoclip.tar"), tokenizerDirectory: empty) } throws: {
            "\($0)".contains("has no vocab.txt")
        }
        let wrong = temporaryFolder("wrong-vocab")
        try FileManager.default.createDirectory(at: wrong, withIntermediateDirectories: true)
        try "[PAD]\n[UNK]\n[CLS]\n[SEP]\nmass\n".write(to: wrong.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        #expect { _ = try MammoClipLoader.load(ModelFixtures.url("tiny_mammoclip.tar"), tokenizerDirectory: wrong) } throws: {
            "\($0)".contains("has 5 tokens but the model's embedding table has")
        }
    }

    @Test func referenceConfigurationsHaveTheReferenceShapes() throws {
        let b5 = try MammoClipConfig.b5()
        #expect(b5.image.efficientNet.featureChannels == 2048 && b5.text.bert.vocabSize == 28996 && b5.projection.dimension == 512)
        #expect(try MammoClipConfig.b2().image.efficientNet.featureChannels == 1408)
        let tiny = try MammoClip(config: .tiny(vocabularySize: 100))
        #expect(tiny.parameterCount < 1_000_000)
        #expect(Swift.abs(try tiny.logitScale.item() - Foundation.log(1 / 0.07)) < 1e-6)
        let images = try Tensor.randn([2, 3, 256, 160])
        tiny.eval()
        let embedded = try tiny.encodeImage(images)
        #expect(embedded.shape == [2, 64])
        #expect(try (embedded.norm(p: 2, [1]) - 1).abs().max().item() < 1e-5)
    }

    @Test func configurationsRoundTripAndOlderOnesStillLoad() throws {
        let config = try MammoClipConfig.b5()
        let data = try config.jsonData()
        #expect(try JSONDecoder().decode(MammoClipConfig.self, from: data) == config)
        // A config.json written before `preprocessing` and `hasPooler` existed.
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var image = try #require(object["image"] as? [String: Any]), text = try #require(object["text"] as? [String: Any])
        image.removeValue(forKey: "preprocessing")
        text.removeValue(forKey: "hasPooler")
        object["image"] = image
        object["text"] = text
        let older = try JSONDecoder().decode(MammoClipConfig.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.image.preprocessing == "mammoclip" && older.text.hasPooler)
    }

    @Test func logitScaleIsClampedAtTheConfiguredMaximum() throws {
        let model = try MammoClip(config: .tiny(vocabularySize: 100))
        try model.logitScale.fill_(10)
        try model.clampLogitScale()
        #expect(Swift.abs(try model.logitScale.item() - Foundation.log(100)) < 1e-5)
    }

    @Test func referenceImageNormalisation() throws {
        let image = try Tensor([0, 1000, 2000, 4000] as [Float], shape: [1, 1, 2, 2])
        let normalised = try ImageNormalization.reference(image)
        #expect(normalised.shape == [1, 3, 2, 2])
        let values = try normalised.toArray(Float.self)
        #expect(Swift.abs(Double(values[0]) - (0 - 0.3089279) / 0.25053555408335154) < 1e-5)
        #expect(Swift.abs(Double(values[3]) - (1 - 0.3089279) / 0.25053555408335154) < 1e-5)
    }
}

func temporaryFolder(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-model-tests-\(getpid())").appendingPathComponent(name)
}
