import ArgumentParser
import Foundation
import MammoDownstream
import MammoEvaluation
import MammoModels
import MammoTraining
import Torch
import MammoData

struct FineTuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune the image tower with a classifier head per task, then score the test split.",
        discussion: """
        The reference's recipe: AdamW (lr 5e-5, weight decay 1e-4), warm-up + cosine-squared, BCE with \
        pos_weight = negatives/positives (cross entropy for density), the pretraining augmentation; 30 epochs at \
        batch 8 (RSNA malignancy 20 at batch 6) unless --epochs / --batch-size say otherwise. A checkpoint is kept \
        per task under OUT/checkpoints after every epoch: rerunning the same command resumes. The threshold is \
        chosen on the validation split.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var data: DownstreamOptions
    @Option(help: "A converted model folder whose image tower is fine-tuned.") var model: String
    @Option(help: "Training-data fraction (e.g. 10% or 0.1).") var fraction = "100%"
    @Option(help: "Seed (patients of the fraction, data order, augmentation, head initialisation).") var seed: UInt64 = 0
    @OptionGroup var head: HeadOptions
    @Flag(help: "Train without augmentation.") var noAugmentation = false

    func validate() throws {
        guard data.out != nil else { throw ValidationError("finetune needs --out (checkpoints and results go there)") }
    }

    func run() throws {
        global.apply()
        try data.claimOutput()
        let share = try parseFraction(fraction)
        let dataset = try data.loadDataset().withTrainingFraction(share, seed: seed)
        let tasks = try data.selectedTasks(dataset)
        let modelURL = URL(fileURLWithPath: model)
        let loaded = try MammoClipLoader.load(modelURL)
        let hash = try WeightsHash.of(file: modelURL.appendingPathComponent("model.safetensors"))
        let out = URL(fileURLWithPath: data.out!)
        var configuration = head.describe(defaultLearningRate: HeadTraining().learningRate)
        configuration["fraction"] = String(format: "%g%%", share * 100)
        configuration["seed"] = "\(seed)"
        configuration["augmentation"] = noAugmentation ? "none" : "pretraining (flips, affine, elastic)"
        var document = EvaluationDocument(command: "finetune", model: model, modelHash: hash, dataset: dataset, configuration: configuration)
        for task in tasks {
            let settings = head.settings(for: task, seed: seed, defaultLearningRate: HeadTraining().learningRate)
            let outcome = try data.scored(task) {
                let tuner = try FineTuner(model: loaded.model, task: task, imageRoot: URL(fileURLWithPath: data.images), settings: settings,
                                          augmenter: noAugmentation ? nil : Augmenter())
                let train = EvaluationProtocol.labelled(dataset, .train, task: task)
                let stepsPerEpoch = (train.count + settings.batchSize - 1) / settings.batchSize
                let reporter = ProgressReporter(total: stepsPerEpoch * settings.epochs, unit: "steps")
                var last = 0
                try tuner.train(train, checkpoint: out.appendingPathComponent("checkpoints/\(task.name)"), weightsHash: hash) { p in
                    reporter.advance(by: p.step - last, note: String(format: "%@ epoch %d/%d loss %.4f", task.name, p.epoch, p.epochs, p.loss))
                    last = p.step
                }
                reporter.finish()
                let validation = try tuner.predict(EvaluationProtocol.labelled(dataset, .validation, task: task))
                let test = try tuner.predict(EvaluationProtocol.labelled(dataset, .test, task: task))
                let levelList = data.levels(for: task)
                let evaluations = try EvaluationProtocol.evaluate(task: task, levels: levelList, images: dataset.images, validation: validation, test: test,
                                                                  operatingPoint: data.operatingPointSetting, bootstrap: data.bootstrapSettings)
                let name = "fine-tune \(String(format: "%g%%", share * 100)) seed \(seed)"
                try data.savePredictions(test, name: name, task: task)
                return evaluations.map { EvaluationEntry(name: name, method: "fine-tune", dataFraction: share, seed: seed, evaluation: $0) }
            }
            document.entries += outcome.entries
            if let note = outcome.note { document.notes.append(note) }
        }
        try data.emit(document)
    }
}
