import Foundation
import MammoData
import MammoDetection
import Torch

/// How a FActOR mapper is trained: the reference's recipe (AdamW at 1e-4, batch 8, 20 epochs,
/// temperature 0.07, one head per attribute, trained on the images holding one of the attributes).
public struct FactorTraining: Codable, Equatable, Sendable {
    public var epochs = 20
    public var batchSize = 8
    public var learningRate = 1e-4
    public var weightDecay = 1e-2
    public var temperature = 0.07
    /// One head for every attribute (any sentence can then be mapped) instead of one per attribute.
    public var shared = false
    public var seed: UInt64 = 0

    public init() {}

    public func validate() throws {
        guard epochs >= 1, batchSize >= 2 else { throw InputError.badInput("a FActOR mapper needs at least one epoch and batches of two images") }
        guard learningRate > 0, learningRate.isFinite, weightDecay >= 0, temperature > 0 else {
            throw InputError.badInput("the learning rate and temperature must be positive and the weight decay not negative")
        }
    }
}

/// factor.json: what a mapper was trained on and for.
public struct FactorManifest: VersionedManifest, Equatable, Sendable {
    public static let formatName = "mammofm-factor-mapper"
    public static let currentVersion = 1
    public static let description = "a FActOR mapper manifest"

    public var format = formatName
    public var version = currentVersion
    public var mammofmVersion: String
    public var attributes: [DetectionFinding]
    /// The sentences of each attribute's text embedding.
    public var sentences: [[String]]
    public var featureChannels: Int
    public var featureHeight: Int
    public var featureWidth: Int
    public var embeddingDimension: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var preprocessing: String
    /// FNV-1a 64 of the model's weights: the mapper reads that image tower's features only.
    public var modelHash: String
    public var training: FactorTraining
}

/// A trained mapper with its attribute embeddings (`factor.safetensors`: `pool.*` and `attributes`).
public final class FactorMapper {
    public static let manifestName = "factor.json"
    public static let weightsName = "factor.safetensors"

    public var manifest: FactorManifest
    public let mapper: RegionMapper
    /// A x D, normalised.
    public let attributeEmbeddings: Tensor

    public init(manifest: FactorManifest, attributeEmbeddings: Tensor) throws {
        self.manifest = manifest
        self.attributeEmbeddings = attributeEmbeddings
        mapper = try RegionMapper(spatialSize: manifest.featureHeight * manifest.featureWidth, embeddingDimension: manifest.embeddingDimension,
                                  heads: manifest.training.shared ? 1 : manifest.attributes.count)
    }

    public func write(to folder: URL) throws {
        var tensors = try mapper.stateDict().map { ($0.0, try $0.1.detach().to(device: .cpu).contiguous()) }
        tensors.append(("attributes", try attributeEmbeddings.to(.float32, device: .cpu).contiguous()))
        try OutputFolder.replace(folder, as: .factorMapper, durable: true) { staging in
            try Safetensors.write(tensors, metadata: ["attributes": manifest.attributes.map(\.rawValue).joined(separator: ",")],
                                  to: staging.appendingPathComponent(Self.weightsName))
            try manifest.write(to: staging.appendingPathComponent(Self.manifestName))
        }
    }

    /// Reads a mapper folder; `modelHash`, when given, must be the one it was trained on.
    public static func read(_ folder: URL, modelHash: String? = nil) throws -> FactorMapper {
        let manifestURL = folder.appendingPathComponent(manifestName)
        let manifest = try FactorManifest.read(manifestURL, missing: "a FActOR mapper folder holds factor.json and factor.safetensors (`mammofm train-factor` writes one)")
        if let modelHash, modelHash != manifest.modelHash {
            throw InputError.badFile(path: manifestURL.path, reason: "this mapper was trained on the features of model \(manifest.modelHash), "
                                     + "not of this model (\(modelHash)); train one on this model's image tower")
        }
        let weightsURL = folder.appendingPathComponent(weightsName)
        var tensors = try SafetensorsFile(url: weightsURL).tensors()
        guard let attributes = tensors.removeValue(forKey: "attributes"), attributes.shape == [manifest.attributes.count, manifest.embeddingDimension] else {
            throw InputError.badFile(path: weightsURL.path, reason: "no attribute embeddings of \(manifest.attributes.count) x \(manifest.embeddingDimension)")
        }
        let mapper = try FactorMapper(manifest: manifest, attributeEmbeddings: attributes)
        do { try mapper.mapper.load(stateDict: tensors) } catch {
            throw InputError.badFile(path: weightsURL.path, reason: "the weights do not fit factor.json: \(error)")
        }
        mapper.mapper.eval()
        return mapper
    }
}
