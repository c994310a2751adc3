import Foundation
import MammoData

/// How probe and fine-tune studies train their classifier heads: unset values take the reference's
/// per-task ones (`HeadTraining.reference(for:)`).
public struct HeadOverrides: Sendable, Equatable {
    public var epochs: Int?
    public var batchSize: Int?
    public var learningRate: Double?
    public var weightDecay = 1e-4
    /// BCE positive weight; nil: negatives / positives of the training cases.
    public var positiveWeight: Double?
    public var classBalanced = false

    public init(epochs: Int? = nil, batchSize: Int? = nil, learningRate: Double? = nil, weightDecay: Double = 1e-4,
                positiveWeight: Double? = nil, classBalanced: Bool = false) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.positiveWeight = positiveWeight
        self.classBalanced = classBalanced
    }

    /// Refuses values no training can use.
    public func validate() throws {
        if let epochs, epochs < 1 { throw InputError.badInput("epochs must be at least 1, got \(epochs)") }
        if let batchSize, batchSize < 1 { throw InputError.badInput("the batch size must be at least 1, got \(batchSize)") }
        if let learningRate, !(learningRate > 0) { throw InputError.badInput("the learning rate must be positive, got \(learningRate)") }
        if !(weightDecay >= 0) { throw InputError.badInput("the weight decay must be at least 0, got \(weightDecay)") }
    }

    /// The settings for one task and seed.
    public func settings(for task: ClassificationTask, seed: UInt64, defaultLearningRate: Double) -> HeadTraining {
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
    public func describe(defaultLearningRate: Double) -> [String: String] {
        ["learning rate": "\(learningRate ?? defaultLearningRate)", "weight decay": "\(weightDecay)", "class balanced": "\(classBalanced)",
         "epochs / batch": "\(epochs.map(String.init) ?? "reference per task") / \(batchSize.map(String.init) ?? "reference per task")",
         "positive weight": positiveWeight.map { "\($0)" } ?? "negatives / positives"]
    }
}

/// "10%", "0.1" or "10" (read as percent when above 1) as a fraction in (0, 1].
public func parseFraction(_ item: String) throws -> Double {
    let text = item.trimmingCharacters(in: .whitespaces)
    let percent = text.hasSuffix("%")
    guard let value = Double(percent ? String(text.dropLast()) : text), value > 0 else { throw InputError.badInput("bad fraction '\(text)'") }
    let fraction = percent || value > 1 ? value / 100 : value
    guard fraction <= 1 else { throw InputError.badInput("fraction '\(text)' is above 100%") }
    return fraction
}

/// A fraction as a percentage label ("10%").
func percentLabel(_ fraction: Double) -> String { String(format: "%g%%", fraction * 100) }
