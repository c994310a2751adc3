import Foundation
import MammoEvaluation
import MammoImaging
import MammoModels
import Torch

/// Zero-shot scoring of image-level findings with prompt pairs (negative, positive), as the reference
/// scores VinDr: the positive prompt's softmax probability over cosine similarities (no logit scale),
/// per image, summarised by AUROC. A minimal check of what pretraining learnt; the downstream module
/// adds prompt ensembles, breast- and exam-level aggregation and confidence intervals.
public enum ZeroShotCheck {
    /// The reference's VinDr prompts.
    public static let referencePrompts: [(finding: String, negative: String, positive: String)] = [
        ("Mass", "no mass", "mass"),
        ("Suspicious Calcification", "no suspicious calcification", "suspicious calcification"),
    ]

    public struct Result: Codable, Sendable {
        public var finding: String
        public var images: Int
        public var positives: Int
        public var auroc: Double
    }

    /// Images of `splits` in a VinDr-layout finding_annotations.csv, labelled per finding category;
    /// PNGs at `imageRoot/<image_id>.png`.
    public static func evaluate(model: MammoClipPipeline, vindrCSV: URL, imageRoot: URL, splits: Set<String>,
                                prompts: [(finding: String, negative: String, positive: String)] = referencePrompts,
                                batchSize: Int = 32) throws -> [Result] {
        let table = try CSVTable(vindrCSV, error: { TrainingError.badData(path: $0, reason: $1) })
        let column = table.column
        let imageColumn = try column("image_id"), categories = try column("finding_categories"), splitColumn = try column("split")
        var order: [String] = []
        var findings: [String: Set<String>] = [:]
        for row in table.rows where splits.contains(row[splitColumn]) {
            let id = row[imageColumn]
            if findings[id] == nil { order.append(id); findings[id] = [] }
            for category in PythonLiteral.strings(row[categories]) { findings[id]!.insert(category) }
        }
        guard !order.isEmpty else { throw TrainingError.badData(path: vindrCSV.path, reason: "no images in split \(splits.sorted())") }
        let config = model.model.config.image
        var embeddings: [Tensor] = []
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let images = try order[start..<min(order.count, start + batchSize)].map { id -> Tensor in
                try PretrainingBatchBuilder.loadImage(imageRoot.appendingPathComponent("\(id).png"), height: config.inputHeight,
                                                      width: config.inputWidth).squeeze(0)
            }
            embeddings.append(try model.embed(images: images))
        }
        let all = try Tensor.cat(embeddings, dim: 0)
        return try prompts.map { prompt in
            let text = try model.embed(texts: [prompt.negative, prompt.positive])
            let probabilities = try model.zeroShot(imageEmbeddings: all, promptEmbeddings: text).select(dim: 1, index: 1).toArray(Float.self)
            let labels = order.map { findings[$0]!.contains(prompt.finding) }
            return Result(finding: prompt.finding, images: order.count, positives: labels.filter { $0 }.count,
                          auroc: (try? ROCAnalysis(scores: probabilities.map(Double.init), labels: labels).auc) ?? .nan)
        }
    }
}
