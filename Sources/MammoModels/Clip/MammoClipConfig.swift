import Foundation

/// The whole dual-encoder configuration, stored as `config.json` beside converted weights and
/// mirroring the reference's model YAML (image encoder, text encoder, projection head, temperature).
public struct MammoClipConfig: Codable, Equatable, Sendable {
    public struct ImageTower: Codable, Equatable, Sendable {
        public var efficientNet: EfficientNetConfig
        public var pooling: FeaturePooling
        /// Model input height and width (the reference resizes to 1520 x 912).
        public var inputHeight: Int
        public var inputWidth: Int
        /// Normalisation after the per-image min-max scaling to [0, 1].
        public var mean: Double
        public var std: Double
        /// The preprocessing the model was trained with ("mammoclip" or "standard"); DICOM input runs it.
        public var preprocessing: String = "mammoclip"

        public init(efficientNet: EfficientNetConfig, pooling: FeaturePooling, inputHeight: Int, inputWidth: Int, mean: Double,
                    std: Double, preprocessing: String = "mammoclip") {
            self.efficientNet = efficientNet
            self.pooling = pooling
            self.inputHeight = inputHeight
            self.inputWidth = inputWidth
            self.mean = mean
            self.std = std
            self.preprocessing = preprocessing
        }

        enum CodingKeys: String, CodingKey { case efficientNet, pooling, inputHeight, inputWidth, mean, std, preprocessing }

        /// Fields added later default when absent, so older config.json files keep loading.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            efficientNet = try c.decode(EfficientNetConfig.self, forKey: .efficientNet)
            pooling = try c.decode(FeaturePooling.self, forKey: .pooling)
            inputHeight = try c.decode(Int.self, forKey: .inputHeight)
            inputWidth = try c.decode(Int.self, forKey: .inputWidth)
            mean = try c.decode(Double.self, forKey: .mean)
            std = try c.decode(Double.self, forKey: .std)
            preprocessing = try c.decodeIfPresent(String.self, forKey: .preprocessing) ?? "mammoclip"
        }
    }

    public struct TextTower: Codable, Equatable, Sendable {
        public var bert: BertConfig
        public var pooling: TextPooling
        /// Tokens per text; the reference pads reports to 256.
        public var maxLength: Int
        /// Whether the BERT carries its pooler (`pooler.dense`), as Hugging Face's AutoModel does.
        public var hasPooler: Bool = true

        public init(bert: BertConfig, pooling: TextPooling, maxLength: Int, hasPooler: Bool = true) {
            self.bert = bert
            self.pooling = pooling
            self.maxLength = maxLength
            self.hasPooler = hasPooler
        }

        enum CodingKeys: String, CodingKey { case bert, pooling, maxLength, hasPooler }

        /// Fields added later default when absent, so older config.json files keep loading.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            bert = try c.decode(BertConfig.self, forKey: .bert)
            pooling = try c.decode(TextPooling.self, forKey: .pooling)
            maxLength = try c.decode(Int.self, forKey: .maxLength)
            hasPooler = try c.decodeIfPresent(Bool.self, forKey: .hasPooler) ?? true
        }
    }

    public enum ProjectionKind: String, Codable, Sendable { case linear, mlp }

    public struct Projection: Codable, Equatable, Sendable {
        public var kind: ProjectionKind
        public var dimension: Int
        public var dropout: Double
    }

    public var name: String
    public var image: ImageTower
    public var text: TextTower
    public var projection: Projection
    /// Initial temperature: logit_scale starts at ln(1 / temperature).
    public var temperature: Double
    /// Upper bound of exp(logit_scale) enforced after each step (open_clip: 100; the reference: none).
    public var maximumLogitScale: Double?

    /// The reference normalisation constants of Mammo-CLIP.
    public static let referenceMean = 0.3089279
    public static let referenceStd = 0.25053555408335154

    /// Bio_ClinicalBERT's shape (BERT-base, cased vocabulary of 28,996 tokens).
    public static let clinicalBert = BertConfig(vocabSize: 28996)

    /// Mammo-CLIP with EfficientNet-B5 (`clip_b5_det_clinical`).
    public static func b5() throws -> MammoClipConfig { try reference(variant: "b5") }

    /// Mammo-CLIP with EfficientNet-B2 (`clip_b2_det_clinical`).
    public static func b2() throws -> MammoClipConfig { try reference(variant: "b2") }

    static func reference(variant: String) throws -> MammoClipConfig {
        MammoClipConfig(
            name: "mammoclip-\(variant)",
            image: .init(efficientNet: try .variant(variant), pooling: .average, inputHeight: 1520, inputWidth: 912,
                         mean: referenceMean, std: referenceStd),
            text: .init(bert: clinicalBert, pooling: .eos, maxLength: 256),
            projection: .init(kind: .linear, dimension: 512, dropout: 0.1),
            temperature: 0.07, maximumLogitScale: 100)
    }

    /// A small configuration for tests and the demo: a narrow, shallow EfficientNet and a 2-layer
    /// BERT over `vocabularySize` tokens, 256 x 160 images, batch-norm momentum 0.1.
    public static func tiny(vocabularySize: Int) throws -> MammoClipConfig {
        var efficientNet = try EfficientNetConfig.variant("b0")
        efficientNet.variant = "custom"
        efficientNet.widthCoefficient = 0.25
        efficientNet.depthCoefficient = 0.34
        efficientNet.nominalImageSize = 256
        efficientNet.padding = .staticFor(imageSize: 256)
        // Trained from scratch in minutes: with the reference's 0.01 the running statistics lag the
        // fast-moving weights and the eval-mode model is unusable early on (PyTorch's default 0.1).
        efficientNet.batchNormMomentum = 0.1
        let bert = BertConfig(vocabSize: vocabularySize, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2,
                              intermediateSize: 128, maxPositionEmbeddings: 128)
        return MammoClipConfig(
            name: "mammoclip-tiny",
            image: .init(efficientNet: efficientNet, pooling: .average, inputHeight: 256, inputWidth: 160,
                         mean: referenceMean, std: referenceStd),
            text: .init(bert: bert, pooling: .eos, maxLength: 64),
            projection: .init(kind: .linear, dimension: 64, dropout: 0.1),
            temperature: 0.07, maximumLogitScale: 100)
    }

    public static func load(_ url: URL) throws -> MammoClipConfig {
        do {
            return try JSONDecoder().decode(MammoClipConfig.self, from: Data(contentsOf: url))
        } catch {
            throw ModelError.invalidConfiguration("\(url.path): \(error)")
        }
    }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
