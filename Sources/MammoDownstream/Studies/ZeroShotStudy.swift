import Foundation
import MammoData
import MammoEvaluation
import MammoModels
import Torch

/// Zero-shot classification of a labelled dataset's test split with prompt sets (`mammofm zeroshot`):
/// every task scored as the reference does (softmax over cosine similarities without the logit
/// scale) and optionally with the learned scale; the operating point chosen on validation.
public struct ZeroShotStudy: Sendable {
    /// A converted model folder.
    public var model: URL
    /// Prompt sets: `reference`, `ensemble` or a YAML/JSON file (see `PromptSet.named`).
    public var prompts = ["reference", "ensemble"]
    /// Also score with the learned logit scale.
    public var logitScale = false
    public var data: StudyData

    public init(model: URL, data: StudyData) {
        self.model = model
        self.data = data
    }

    public func run(log: RunLog = .standardError) throws -> StudyOutcome {
        try data.claimOutput()
        let listed = try data.load()
        let tasks = try data.selectedTasks(listed)
        let sets = try prompts.map(PromptSet.named)
        let pipeline = try MammoClipPipeline(path: model, device: data.device)
        let hash = try WeightsHash.of(file: model.appendingPathComponent("model.safetensors"))
        let features = try data.extractFeatures(model: pipeline.model, modelHash: hash, dataset: listed, log: log)
        let unreadable = try data.noteUnreadable(features, log: log)
        let dataset = listed.removingImages(features.failedImageIDs)
        let classifier = ZeroShotClassifier(pipeline: pipeline)
        var document = EvaluationDocument(command: "zeroshot", model: model.path, modelHash: hash, dataset: dataset,
                                          configuration: ["prompt sets": sets.map(\.name).joined(separator: ", "),
                                                          "logit scale": logitScale ? "without and with" : "without (reference)"])
        for task in tasks {
            let outcome = try data.scored(task, log: log) {
                var entries: [EvaluationEntry] = []
                for set in sets {
                    for scaled in logitScale ? [false, true] : [false] {
                        func predict(_ split: DataSplit) throws -> [Prediction] {
                            try classifier.predict(task: task, prompts: set, images: EvaluationProtocol.labelled(dataset, split, task: task),
                                                   features: features, useLogitScale: scaled)
                        }
                        let test = try predict(.test)
                        let evaluations = try EvaluationProtocol.evaluate(task: task, levels: data.levels(for: task), images: dataset.images,
                                                                          validation: predict(.validation), test: test,
                                                                          operatingPoint: data.operatingPoint, bootstrap: data.bootstrap)
                        let name = "zero-shot \(set.name)" + (scaled ? " (logit scale)" : "")
                        try data.savePredictions(test, name: name, task: task)
                        entries += evaluations.map { EvaluationEntry(name: name, method: "zero-shot", evaluation: $0) }
                    }
                }
                return entries
            }
            document.entries += outcome.entries
            if let note = outcome.note { document.notes.append(note) }
        }
        if let unreadable { document.notes.append(unreadable) }
        return try data.finish(document, unreadableImages: features.failures.count, log: log)
    }
}
