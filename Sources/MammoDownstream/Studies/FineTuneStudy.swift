import Foundation
import MammoData
import MammoEvaluation
import MammoModels
import Torch

/// Fine-tunes the image tower with a classifier head per task, then scores the test split
/// (`mammofm finetune`): the reference's recipe, a checkpoint per task under OUTPUT/checkpoints
/// after every epoch (rerunning the same study resumes), the threshold chosen on validation.
public struct FineTuneStudy: Sendable {
    /// A converted model folder whose image tower is fine-tuned.
    public var model: URL
    /// Training-data fraction in (0, 1].
    public var fraction = 1.0
    /// Patients of the fraction, data order, augmentation, head initialisation.
    public var seed: UInt64 = 0
    public var head = HeadOverrides()
    /// Train with the pretraining augmentation (flips, affine, elastic).
    public var augmentation = true
    /// `data.output` is required: checkpoints and results go there.
    public var data: StudyData

    public init(model: URL, data: StudyData) {
        self.model = model
        self.data = data
    }

    public func run(log: RunLog = .standardError) throws -> StudyOutcome {
        try head.validate()
        guard let out = data.output else { throw InputError.badInput("fine-tuning needs an output folder (checkpoints and results go there)") }
        try data.claimOutput()
        let dataset = try data.load().withTrainingFraction(fraction, seed: seed)
        let tasks = try data.selectedTasks(dataset)
        let loaded = try MammoClipLoader.load(model)
        let hash = try WeightsHash.of(file: model.appendingPathComponent("model.safetensors"))
        var configuration = head.describe(defaultLearningRate: HeadTraining().learningRate)
        configuration["fraction"] = percentLabel(fraction)
        configuration["seed"] = "\(seed)"
        configuration["augmentation"] = augmentation ? "pretraining (flips, affine, elastic)" : "none"
        var document = EvaluationDocument(command: "finetune", model: model.path, modelHash: hash, dataset: dataset, configuration: configuration)
        for task in tasks {
            let outcome = try data.scored(task, log: log) {
                try fineTune(task, model: loaded.model, dataset: dataset, weightsHash: hash, checkpoints: out.appendingPathComponent("checkpoints"), log: log)
            }
            document.entries += outcome.entries
            if let note = outcome.note { document.notes.append(note) }
        }
        return try data.finish(document, unreadableImages: 0, log: log)
    }

    /// One task: trained (resuming its checkpoint), then scored on the test split.
    func fineTune(_ task: ClassificationTask, model: MammoClip, dataset: LabelledDataset, weightsHash: String, checkpoints: URL,
                  log: RunLog) throws -> [EvaluationEntry] {
        let settings = head.settings(for: task, seed: seed, defaultLearningRate: HeadTraining().learningRate)
        let tuner = try FineTuner(model: model, task: task, imageRoot: data.images, settings: settings, augmenter: augmentation ? Augmenter() : nil,
                                  device: data.device)
        let train = EvaluationProtocol.labelled(dataset, .train, task: task)
        let stepsPerEpoch = (train.count + settings.batchSize - 1) / settings.batchSize
        let reporter = log.progress(total: stepsPerEpoch * settings.epochs, unit: "steps")
        var last = 0
        try tuner.train(train, checkpoint: checkpoints.appendingPathComponent(task.name), weightsHash: weightsHash) { p in
            reporter.advance(by: p.step - last, note: String(format: "%@ epoch %d/%d loss %.4f", task.name, p.epoch, p.epochs, p.loss))
            last = p.step
        }
        reporter.finish()
        let validation = try tuner.predict(EvaluationProtocol.labelled(dataset, .validation, task: task))
        let test = try tuner.predict(EvaluationProtocol.labelled(dataset, .test, task: task))
        let evaluations = try EvaluationProtocol.evaluate(task: task, levels: data.levels(for: task), images: dataset.images, validation: validation,
                                                          test: test, operatingPoint: data.operatingPoint, bootstrap: data.bootstrap)
        let name = "fine-tune \(percentLabel(fraction)) seed \(seed)"
        try data.savePredictions(test, name: name, task: task)
        return evaluations.map { EvaluationEntry(name: name, method: "fine-tune", dataFraction: fraction, seed: seed, evaluation: $0) }
    }
}
