import ArgumentParser
import Foundation
import MammoDownstream

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed preprocessed images, DICOM files and texts with a Mammo-CLIP model.",
        discussion: """
        --model is an official checkpoint or a converted directory. Each --image is an 8- or 16-bit grayscale \
        PNG already at the model's input size, or a DICOM file; each --dicom is a DICOM file. DICOM files go \
        through the preprocessing the model was trained with first (its profile, at its input size); pixels are \
        normalised as the reference does (3 channels, per-image min-max, mean 0.3089279, std 0.25053555408335154). \
        Embeddings are projected and L2-normalised, in input order. An image that cannot be read is listed \
        with its reason (under "errors" with --json) and the others are embedded; the exit status is then the \
        number of failed images (at most 100).
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Checkpoint file or converted model directory.") var model: String
    @Option(name: .customLong("image"), help: "A preprocessed grayscale PNG, or a DICOM file (repeatable).") var images: [String] = []
    @Option(name: .customLong("dicom"), help: "A DICOM file, preprocessed with the model's own profile and size (repeatable).") var dicoms: [String] = []
    @Option(name: .customLong("text"), help: "A text to embed (repeatable).") var texts: [String] = []
    @Option(help: "Tokenizer folder (vocab.txt) for official checkpoints.") var tokenizer: String?
    @Flag(help: #"Print {"image": [[floats]...], "text": [[floats]...]}."#) var json = false

    func validate() throws {
        if images.isEmpty && dicoms.isEmpty && texts.isEmpty { throw ValidationError("give at least one --image, --dicom or --text") }
    }

    func run() throws {
        try global.apply()
        var request = Embedding(model: URL(fileURLWithPath: model))
        request.tokenizer = tokenizer.map { URL(fileURLWithPath: $0) }
        request.images = images.map { URL(fileURLWithPath: $0) }
        request.dicoms = dicoms.map { URL(fileURLWithPath: $0) }
        request.texts = texts
        request.device = global.device
        let result = try request.run()
        if json { try printJSON(EmbeddingOutput(result), formatting: [.sortedKeys]) } else { printLines(result) }
        if !result.errors.isEmpty { throw ExitCode(Int32(min(result.errors.count, 100))) }
    }

    func printLines(_ result: Embedding.Result) {
        func preview(_ row: [Float]) -> String {
            row.prefix(4).map { String(format: "%.4f", $0) }.joined(separator: ", ") + (row.count > 4 ? ", ..." : "")
        }
        for (path, row) in zip(result.imagePaths, result.imageRows) { print("image \(path): \(row.count) dims [\(preview(row))]") }
        for (text, row) in zip(texts, result.textRows) { print("text \"\(text)\": \(row.count) dims [\(preview(row))]") }
        guard !result.similarity.isEmpty else { return }
        print("cosine similarity (rows: images, columns: texts)")
        for (path, row) in zip(result.imagePaths, result.similarity) { print(row.map { String(format: "%7.4f", $0) }.joined(separator: " ") + "  " + path) }
    }
}

/// The --json form; with failures, "image_paths" says which input each row is and "errors" why the others are missing.
struct EmbeddingOutput: Encodable {
    var image: [[Float]], text: [[Float]], imagePaths: [String]?, errors: [[String: String]]?
    enum CodingKeys: String, CodingKey { case image, text, imagePaths = "image_paths", errors }

    init(_ result: Embedding.Result) {
        image = result.imageRows
        text = result.textRows
        imagePaths = result.errors.isEmpty ? nil : result.imagePaths
        errors = result.errors.isEmpty ? nil : result.errors.map { ["path": $0.path, "reason": $0.reason] }
    }
}
