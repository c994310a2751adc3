import Foundation
import MammoData
import MammoEvaluation
import MammoModels
import Torch

/// Fine-tunes the image tower with a classifier head per task, then scores the test split
/// (`mammofm finetune`): the reference's recipe, a checkpoint per task under OUTPUT/checkpoints
/// after every epoch (rerunning the same study resumes), the threshold chosen on validation. The
/// deployable head of each task (the tuned tower and its layer, calibrated and thresholded on
/// validation) goes to OUTPUT/heads/<task>/, for `mammofm bundle create`.
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
                try fineTune(task, model: loaded.model, dataset: dataset, weightsHash: hash, output: out, log: log)
            }
            document.entries += outcome.entries
            if let note = outcome.note { document.notes.append(note) }
        }
        return try data.finish(document, unreadableImages: 0, log: log)
    }

    /// One task: trained (resuming its checkpoint), saved as a deployable head, then scored on the test split.
    func fineTune(_ task: ClassificationTask, model: MammoClip, dataset: LabelledDataset, weightsHash: String, output: URL,
                  log: RunLog) throws -> [EvaluationEntry] {
        let settings = head.settings(for: task, seed: seed, defaultLearningRate: HeadTraining().learningRate)
        let tuner = try FineTuner(model: model, task: task, imageRoot: data.images, settings: settings, augmenter: augmentation ? Augmenter() : nil,
                                  device: data.device)
        let train = EvaluationProtocol.labelled(dataset, .train, task: task)
        let stepsPerEpoch = (train.count + settings.batchSize - 1) / settings.batchSize
        let reporter = log.progress(total: stepsPerEpoch * settings.epochs, unit: "steps")
        var last = 0
        try tuner.train(train, checkpoint: output.appendingPathComponent("checkpoints/\(task.name)"), weightsHash: weightsHash) { p in
            reporter.advance(by: p.step - last, note: String(format: "%@ epoch %d/%d loss %.4f", task.name, p.epoch, p.epochs, p.loss))
            last = p.step
        }
        reporter.finish()
        let validation = try tuner.predict(EvaluationProtocol.labelled(dataset, .validation, task: task))
        saveHead(tuner, dataset: dataset, training: train, validation: validation, weightsHash: weightsHash, model: model,
                 to: output.appendingPathComponent("heads/\(task.name)"), log: log)
        let test = try tuner.predict(EvaluationProtocol.labelled(dataset, .test, task: task))
        let evaluations = try EvaluationProtocol.evaluate(task: task, levels: data.levels(for: task), images: dataset.images, validation: validation,
                                                          test: test, operatingPoint: data.operatingPoint, bootstrap: data.bootstrap)
        let name = "fine-tune \(percentLabel(fraction)) seed \(seed)"
        try data.savePredictions(test, name: name, task: task)
        return evaluations.map { EvaluationEntry(name: name, method: "fine-tune", dataFraction: fraction, seed: seed, evaluation: $0) }
    }

    /// Writes the deployable head; a validation split that cannot choose an operating point (one
    /// class, no cases) leaves the task without one, with a note.
    func saveHead(_ tuner: FineTuner, dataset: LabelledDataset, training: [LabelledImage], validation: [Prediction], weightsHash: String,
                  model: MammoClip, to folder: URL, log: RunLog) {
        let task = tuner.classifier.task
        do {
            let head = try EvaluationProtocol.deployableFineTuned(tuner.classifier, tower: model.config.image, dataset: dataset, training: training,
                                                                  validation: validation, settings: tuner.settings, encoderWeightsHash: weightsHash,
                                                                  operatingPoint: data.operatingPoint)
            try head.write(to: folder)
            log.note("saved the deployable \(task.name) head (tuned tower and layer) to \(folder.path)")
        } catch {
            log.note("\(task.name): no deployable head: \(error)")
        }
    }
}
