import ArgumentParser
import Foundation
import MammoDownstream
import MammoEvaluation
import MammoModels
import Torch

struct ZeroShotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zeroshot",
        abstract: "Zero-shot classification of a labelled dataset's test split with prompt sets.",
        discussion: """
        Scores every task as the reference does (softmax over cosine similarities without the logit scale) or, \
        with --logit-scale, with the learned scale. Prompt sets: `reference` (the reference's prompts), `ensemble` \
        (several report-style sentences per class, naming the image's side), or a YAML/JSON file mapping each task \
        to one prompt list per class ({side} is replaced by left/right). The operating point is chosen on the \
        validation split (Youden). Image-level findings are scored per image and per breast, breast-level tasks per breast.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var data: DownstreamOptions
    @Option(help: "A converted model folder (e.g. a pretraining run's final or best).") var model: String
    @Option(help: "Prompt sets: reference, ensemble or a file (repeatable; default reference and ensemble).") var prompts: [String] = []
    @Flag(help: "Also score with the learned logit scale.") var logitScale = false

    func run() throws {
        global.apply()
        try data.claimOutput()
        let listed = try data.loadDataset()
        let tasks = try data.selectedTasks(listed)
        let sets = try (prompts.isEmpty ? ["reference", "ensemble"] : prompts).map { name in
            try PromptSet.builtIn(name) ?? PromptSet.read(URL(fileURLWithPath: name))
        }
        let modelURL = URL(fileURLWithPath: model)
        let pipeline = try MammoClipPipeline(path: modelURL)
        let hash = try WeightsHash.of(file: modelURL.appendingPathComponent("model.safetensors"))
        let features = try data.extractFeatures(model: pipeline.model, modelHash: hash, dataset: listed)
        let unreadable = try data.reportUnreadable(features)
        let dataset = listed.removingImages(features.failedImageIDs)
        let classifier = ZeroShotClassifier(pipeline: pipeline)
        var document = EvaluationDocument(command: "zeroshot", model: model, modelHash: hash, dataset: dataset,
                                          configuration: ["prompt sets": sets.map(\.name).joined(separator: ", "),
                                                          "logit scale": logitScale ? "without and with" : "without (reference)"])
        for task in tasks {
            let levelList = data.levels(for: task)
            let outcome = try data.scored(task) {
                var entries: [EvaluationEntry] = []
                for set in sets {
                    for scaled in logitScale ? [false, true] : [false] {
                        let validation = try classifier.predict(task: task, prompts: set, images: EvaluationProtocol.labelled(dataset, .validation, task: task),
                                                                features: features, useLogitScale: scaled)
                        let test = try classifier.predict(task: task, prompts: set, images: EvaluationProtocol.labelled(dataset, .test, task: task),
                                                          features: features, useLogitScale: scaled)
                        let evaluations = try EvaluationProtocol.evaluate(task: task, levels: levelList, images: dataset.images, validation: validation,
                                                                          test: test, operatingPoint: data.operatingPointSetting, bootstrap: data.bootstrapSettings)
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
        try data.emit(document, unreadableImages: features.failures.count)
    }
}
