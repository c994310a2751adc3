import ArgumentParser
import Foundation
import MammoImaging
import MammoModels
import Torch

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed preprocessed images and texts with a Mammo-CLIP model.",
        discussion: """
        --model is an official checkpoint or a converted directory. Each --image is an 8- or 16-bit grayscale \
        PNG already at the model's input size, or a DICOM file, which goes through the preprocessing the model \
        was trained with first; pixels are normalised as the reference does (3 channels, per-image \
        min-max, mean 0.3089279, std 0.25053555408335154). Embeddings are projected and L2-normalised, in \
        input order. An image that cannot be read is reported with its reason (under "errors" with --json) \
        and the others are embedded; the exit status is then the number of failed images (at most 100).
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Checkpoint file or converted model directory.") var model: String
    @Option(name: .customLong("image"), help: "A preprocessed grayscale PNG, or a DICOM file (repeatable).") var images: [String] = []
    @Option(name: .customLong("text"), help: "A text to embed (repeatable).") var texts: [String] = []
    @Option(help: "Tokenizer folder (vocab.txt) for official checkpoints.") var tokenizer: String?
    @Flag(help: #"Print {"image": [[floats]...], "text": [[floats]...]}."#) var json = false

    func validate() throws {
        if images.isEmpty && texts.isEmpty { throw ValidationError("give at least one --image or --text") }
    }

    func run() throws {
        global.apply()
        let pipeline = try MammoClipPipeline(path: URL(fileURLWithPath: model), tokenizerDirectory: tokenizer.map { URL(fileURLWithPath: $0) })
        let config = pipeline.model.config.image
        func load(_ path: String) throws -> Tensor {
            let url = URL(fileURLWithPath: path)
            if Preprocessor.isDicom(url) {
                // DICOM: the preprocessing the model was trained with, at its input size.
                guard let profile = PreprocessingProfile(rawValue: pipeline.model.config.image.preprocessing) else {
                    throw ValidationError("the model names an unknown preprocessing '\(pipeline.model.config.image.preprocessing)'")
                }
                return try profile.apply(DicomImage(contentsOf: url), width: config.inputWidth, height: config.inputHeight).pixels.to(.float32)
            }
            let image = try GrayscaleImage.readPNG(url)
            guard image.height == config.inputHeight && image.width == config.inputWidth else {
                throw ValidationError("\(path) is \(image.width) x \(image.height) pixels; the model takes \(config.inputWidth) x \(config.inputHeight) (width x height): preprocess it first")
            }
            return try image.tensor()
        }
        // One bad file is reported, not the end of the batch.
        var pixels: [Tensor] = [], embedded: [String] = [], errors: [[String: String]] = []
        for path in images {
            do {
                pixels.append(try load(path))
                embedded.append(path)
            } catch {
                errors.append(["path": path, "reason": "\(error)"])
                FileHandle.standardError.write(Data("skipped \(error)\n".utf8))
            }
        }
        let failed = errors.isEmpty ? nil : ExitCode(Int32(min(errors.count, 100)))
        let imageEmbeddings = pixels.isEmpty ? nil : try pipeline.embed(images: pixels)
        let textEmbeddings = texts.isEmpty ? nil : try pipeline.embed(texts: texts)
        func rows(_ t: Tensor?) throws -> [[Float]] {
            guard let t else { return [] }
            let values = try t.toArray(Float.self)
            let width = t.size(1)
            return stride(from: 0, to: values.count, by: width).map { Array(values[$0..<($0 + width)]) }
        }
        if json {
            // With failures, "image_paths" says which input each row is and "errors" why the others are missing.
            struct Output: Encodable {
                var image: [[Float]], text: [[Float]], imagePaths: [String]?, errors: [[String: String]]?
                enum CodingKeys: String, CodingKey { case image, text, imagePaths = "image_paths", errors }
            }
            try printJSON(Output(image: try rows(imageEmbeddings), text: try rows(textEmbeddings),
                                 imagePaths: errors.isEmpty ? nil : embedded, errors: errors.isEmpty ? nil : errors), formatting: [.sortedKeys])
            if let failed { throw failed }
            return
        }
        for (path, row) in zip(embedded, try rows(imageEmbeddings)) { print("image \(path): \(row.count) dims [\(preview(row))]") }
        for (text, row) in zip(texts, try rows(textEmbeddings)) { print("text \"\(text)\": \(row.count) dims [\(preview(row))]") }
        if let imageEmbeddings, let textEmbeddings {
            let similarity = try rows(imageEmbeddings.matmul(textEmbeddings.t))
            print("cosine similarity (rows: images, columns: texts)")
            for (path, row) in zip(embedded, similarity) {
                print(row.map { String(format: "%7.4f", $0) }.joined(separator: " ") + "  " + path)
            }
        }
        if let failed { throw failed }
    }

    func preview(_ row: [Float]) -> String {
        row.prefix(4).map { String(format: "%.4f", $0) }.joined(separator: ", ") + (row.count > 4 ? ", ..." : "")
    }
}
