import Foundation
import MammoEvaluation
import MammoModels
import Torch

/// Zero-shot classification from cached image features: image embeddings (projected, normalised)
/// against one embedding per class (its prompts' normalised embeddings averaged and re-normalised),
/// softmax over cosine similarities, without the logit scale as the reference scores or with the
/// learned scale.
public struct ZeroShotClassifier {
    public let pipeline: MammoClipPipeline

    public init(pipeline: MammoClipPipeline) { self.pipeline = pipeline }

    /// C x D class embeddings of `task` for images of `side`.
    public func classEmbeddings(_ prompts: PromptSet, task: ClassificationTask, side: String) throws -> Tensor {
        try prompts.validate(for: task)
        let rows = try task.classes.indices.map { c -> Tensor in
            let texts = prompts.prompts(task: task.name, classIndex: c, side: side)
            return try pipeline.embed(texts: texts).mean(dim: 0, keepDim: true)
        }
        return try Functional.normalize(Tensor.cat(rows, dim: 0), dim: 1)
    }

    /// Per-image predictions for the images of `images` that carry a `task` label (empty when none do).
    public func predict(task: ClassificationTask, prompts: PromptSet, images: [LabelledImage], features: FeatureSet,
                        useLogitScale: Bool = false) throws -> [Prediction] {
        let labelled = images.filter { $0.labels[task.name] != nil }
        guard !labelled.isEmpty else { return [] }
        let embeddings = try Autograd.inferenceMode { try pipeline.model.projectImageFeatures(features.rows(labelled.map(\.imageID))) }
        let sides = prompts.isSideDependent(task.name) ? labelled.map { Self.sideWord($0.laterality) } : labelled.map { _ in "" }
        var classRows: [String: Tensor] = [:]
        for side in Set(sides) { classRows[side] = try classEmbeddings(prompts, task: task, side: side) }
        // Similarities of each image with its side's class embeddings.
        var similarities: [[Double]] = []
        let all = try embeddings.toArray(Float.self), width = embeddings.size(1)
        var classValues: [String: [Float]] = [:]
        for (side, rows) in classRows { classValues[side] = try rows.toArray(Float.self) }
        for (i, side) in sides.enumerated() {
            let image = all[(i * width)..<((i + 1) * width)], classes = classValues[side]!
            similarities.append(task.classes.indices.map { c in
                zip(image, classes[(c * width)..<((c + 1) * width)]).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            })
        }
        let scale = useLogitScale ? exp(try pipeline.model.logitScale.item()) : 1
        return zip(labelled, similarities).map { image, row in
            let scaled = row.map { $0 * scale }, top = scaled.max()!
            let exps = scaled.map { exp($0 - top) }, total = exps.reduce(0, +)
            return Prediction(caseID: image.imageID, patientID: image.patientID, label: image.labels[task.name]!, probabilities: exps.map { $0 / total })
        }
    }

    /// "L" / "R" (or words) -> "left" / "right".
    static func sideWord(_ laterality: String) -> String { laterality.uppercased().hasPrefix("L") ? "left" : "right" }
}
