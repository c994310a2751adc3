import Foundation
import MammoImaging
import MammoModels
import Torch

/// Embeddings of images and texts with a Mammo-CLIP model (`mammofm embed`). Each image is a
/// grayscale PNG already at the model's input size or a DICOM file, which goes through the
/// preprocessing the model was trained with (its profile, at its input size) first; pixels are
/// normalised as the reference does. Embeddings are projected and L2-normalised, in input order. An
/// image that cannot be read is recorded with its reason and the others are embedded.
public struct Embedding: Sendable {
    /// Checkpoint file or converted model folder.
    public var model: URL
    /// Tokenizer folder (vocab.txt) for official checkpoints.
    public var tokenizer: URL?
    /// PNGs at the model's input size, or DICOM files (recognised by their content).
    public var images: [URL] = []
    /// DICOM files, always preprocessed with the model's profile.
    public var dicoms: [URL] = []
    public var texts: [String] = []
    public var device: Device = .cpu

    public init(model: URL) { self.model = model }

    public struct Result: Sendable {
        /// One row per image that was read, in input order, with its path.
        public var imageRows: [[Float]]
        public var imagePaths: [String]
        public var textRows: [[Float]]
        /// Images that could not be read.
        public var errors: [(path: String, reason: String)]
        /// Cosine similarity, rows images, columns texts (empty unless both were given).
        public var similarity: [[Float]]
    }

    public func run(log: RunLog = .standardError) throws -> Result {
        guard !(images.isEmpty && dicoms.isEmpty && texts.isEmpty) else { throw InputErrorText.nothingToEmbed }
        let pipeline = try MammoClipPipeline(path: model, tokenizerDirectory: tokenizer, device: device)
        var pixels: [Tensor] = [], embedded: [String] = [], errors: [(path: String, reason: String)] = []
        for (url, isDicom) in images.map({ ($0, Preprocessor.isDicom($0)) }) + dicoms.map({ ($0, true) }) {
            do {
                pixels.append(try isDicom ? preprocessDicom(url, pipeline: pipeline) : readPNG(url, pipeline: pipeline))
                embedded.append(url.path)
            } catch {
                errors.append((url.path, "\(error)"))
                log.note("skipped \(error)")
            }
        }
        let imageEmbeddings = pixels.isEmpty ? nil : try pipeline.embed(images: pixels)
        let textEmbeddings = texts.isEmpty ? nil : try pipeline.embed(texts: texts)
        var similarity: [[Float]] = []
        if let imageEmbeddings, let textEmbeddings { similarity = try Self.rows(imageEmbeddings.matmul(textEmbeddings.t)) }
        return Result(imageRows: try imageEmbeddings.map(Self.rows) ?? [], imagePaths: embedded, textRows: try textEmbeddings.map(Self.rows) ?? [],
                      errors: errors, similarity: similarity)
    }

    /// A DICOM file through the model's own preprocessing, at its input size.
    func preprocessDicom(_ url: URL, pipeline: MammoClipPipeline) throws -> Tensor {
        let config = pipeline.model.config.image
        guard let profile = PreprocessingProfile(rawValue: config.preprocessing) else {
            throw InputErrorText.unknownProfile(config.preprocessing)
        }
        return try profile.apply(DicomImage(contentsOf: url), width: config.inputWidth, height: config.inputHeight).pixels.to(.float32)
    }

    /// A preprocessed PNG, which must be at the model's input size.
    func readPNG(_ url: URL, pipeline: MammoClipPipeline) throws -> Tensor {
        let config = pipeline.model.config.image
        let image = try GrayscaleImage.readPNG(url)
        guard image.height == config.inputHeight && image.width == config.inputWidth else {
            throw InputErrorText.wrongSize(path: url.path, width: image.width, height: image.height, modelWidth: config.inputWidth, modelHeight: config.inputHeight)
        }
        return try image.tensor()
    }

    static func rows(_ t: Tensor) throws -> [[Float]] {
        let values = try t.toArray(Float.self)
        let width = t.size(1)
        return stride(from: 0, to: values.count, by: width).map { Array(values[$0..<($0 + width)]) }
    }
}

/// What `Embedding` refuses, in words.
enum InputErrorText: Error, CustomStringConvertible {
    case nothingToEmbed
    case unknownProfile(String)
    case wrongSize(path: String, width: Int, height: Int, modelWidth: Int, modelHeight: Int)

    var description: String {
        switch self {
        case .nothingToEmbed: return "give at least one image, DICOM file or text to embed"
        case .unknownProfile(let name): return "the model names an unknown preprocessing '\(name)'"
        case .wrongSize(let path, let width, let height, let modelWidth, let modelHeight):
            return "\(path) is \(width) x \(height) pixels; the model takes \(modelWidth) x \(modelHeight) (width x height): preprocess it first, or give the DICOM file with --dicom"
        }
    }
}
