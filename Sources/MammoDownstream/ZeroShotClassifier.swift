import Foundation
import MammoEvaluation
import MammoModels
import Torch
import MammoData

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
        let embeddings = try Autograd.inferenceMode { try pipeline.model.projectImageFeatures(features.rows(labelled.map(\.imageID)).to(device: pipeline.device)) }
        let probabilities = try self.probabilities(task: task, prompts: prompts, embeddings: embeddings, lateralities: labelled.map(\.laterality),
                                                   useLogitScale: useLogitScale)
        return zip(labelled, probabilities).map { image, p in
            Prediction(caseID: image.imageID, patientID: image.patientID, label: image.labels[task.name]!, probabilities: p)
        }
    }

    /// Class probabilities of image embeddings (N x D, projected) for `task`, each row scored against
    /// its image's side's class embeddings when the prompts name the side ("L"/"R" or words in
    /// `lateralities`), re-normalised in double precision so each row sums to 1 beyond float32's rounding.
    public func probabilities(task: ClassificationTask, prompts: PromptSet, embeddings: Tensor, lateralities: [String],
                              useLogitScale: Bool = false) throws -> [[Double]] {
        let sides = prompts.isSideDependent(task.name) ? lateralities.map(Self.sideWord) : lateralities.map { _ in "" }
        var probabilities = [[Double]](repeating: [], count: sides.count)
        let classes = task.classes.count
        for side in Set(sides) {
            let members = sides.indices.filter { sides[$0] == side }
            let rows = try embeddings.indexSelect(dim: 0, index: Tensor.from(members.map { Int64($0) }, shape: [members.count], device: embeddings.device))
            let scored = try pipeline.zeroShot(imageEmbeddings: rows, promptEmbeddings: classEmbeddings(prompts, task: task, side: side),
                                               useLogitScale: useLogitScale).toArray(Float.self)
            for (k, i) in members.enumerated() {
                let row = (0..<classes).map { Double(scored[k * classes + $0]) }, total = row.reduce(0, +)
                probabilities[i] = row.map { $0 / total }
            }
        }
        return probabilities
    }

    /// "L" / "R" (or words) -> "left" / "right".
    static func sideWord(_ laterality: String) -> String { laterality.uppercased().hasPrefix("L") ? "left" : "right" }
}
