import ArgumentParser
import Foundation
import MammoDownstream
import MammoEvaluation
import MammoData

/// How probe and finetune train their classifier heads; unset options take the reference's per-task values.
struct HeadOptions: ParsableArguments {
    @Option(help: "Epochs (default: the reference's per task: 30, RSNA malignancy 20).") var epochs: Int?
    @Option(help: "Batch size (default: the reference's per task: 8, RSNA malignancy 6).") var batchSize: Int?
    @Option(help: "Learning rate (default: 1e-3 for probes on cached standardised features, the reference's 5e-5 for fine-tuning).")
    var learningRate: Double?
    @Option(help: "Weight decay.") var weightDecay = 1e-4
    @Option(help: "BCE positive weight (default: negatives/positives of the training cases).") var positiveWeight: Double?
    @Flag(help: "Sample training cases class-balanced instead of weighting positives.") var classBalanced = false

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive") }
    }

    func settings(for task: ClassificationTask, seed: UInt64, defaultLearningRate: Double) -> HeadTraining {
        var settings = HeadTraining.reference(for: task)
        if let epochs { settings.epochs = epochs }
        if let batchSize { settings.batchSize = batchSize }
        settings.learningRate = learningRate ?? defaultLearningRate
        settings.weightDecay = weightDecay
        settings.positiveWeight = positiveWeight
        settings.classBalanced = classBalanced
        settings.seed = seed
        return settings
    }

    /// The configuration lines of a result document.
    func describe(defaultLearningRate: Double) -> [String: String] {
        ["learning rate": "\(learningRate ?? defaultLearningRate)", "weight decay": "\(weightDecay)", "class balanced": "\(classBalanced)",
         "epochs / batch": "\(epochs.map(String.init) ?? "reference per task") / \(batchSize.map(String.init) ?? "reference per task")",
         "positive weight": positiveWeight.map { "\($0)" } ?? "negatives / positives"]
    }
}

/// "10%", "0.1" or "10" (read as percent when above 1) as a fraction in (0, 1].
func parseFraction(_ item: String) throws -> Double {
    let text = item.trimmingCharacters(in: .whitespaces)
    let percent = text.hasSuffix("%")
    guard let value = Double(percent ? String(text.dropLast()) : text), value > 0 else { throw ValidationError("bad fraction '\(text)'") }
    let fraction = percent || value > 1 ? value / 100 : value
    guard fraction <= 1 else { throw ValidationError("fraction '\(text)' is above 100%") }
    return fraction
}
