import Foundation
import MammoEvaluation
import Torch
import MammoData

/// How a classifier head is trained: the reference's defaults (AdamW, weight decay 1e-4, warm-up
/// then cosine-squared decay, BCE with a positive weight for binary tasks, cross entropy otherwise).
public struct HeadTraining: Codable, Equatable, Sendable {
    public var epochs = 30
    public var batchSize = 8
    public var learningRate = 5e-5
    public var weightDecay = 1e-4
    /// Share of the steps spent warming up linearly.
    public var warmupFraction = 0.1
    /// BCE positive weight; nil means negatives / positives of the training cases (which gives the
    /// reference's 15.57 / 37.30 / ~46.5 on VinDr mass / calcification / RSNA).
    public var positiveWeight: Double? = nil
    /// Draw training cases with probability inversely proportional to their class's frequency
    /// (with replacement) instead of shuffling; the positive weight is then 1.
    public var classBalanced = false
    public var seed: UInt64 = 0

    public init() {}

    /// The reference's per-task defaults: VinDr findings and density 30 epochs at batch 8, RSNA
    /// malignancy 20 epochs at batch 6.
    public static func reference(for task: ClassificationTask) -> HeadTraining {
        var settings = HeadTraining()
        if task.name == "malignancy" { settings.epochs = 20; settings.batchSize = 6 }
        return settings
    }
}

/// A linear classifier on frozen features: standardisation (training mean and std) then Linear(C, n),
/// n = 1 for binary tasks (sigmoid) or the class count (softmax).
public final class LinearProbe {
    public let task: ClassificationTask
    let mean: Tensor, std: Tensor
    let head: Linear

    init(task: ClassificationTask, mean: Tensor, std: Tensor, head: Linear) {
        self.task = task
        self.mean = mean
        self.std = std
        self.head = head
    }

    /// Trains a probe on `features` (N x C) with class indices `labels`; `progress(epoch, loss)` after each epoch.
    public static func train(task: ClassificationTask, features: Tensor, labels: [Int], settings: HeadTraining,
                             progress: ((Int, Double) -> Void)? = nil) throws -> LinearProbe {
        guard features.rank == 2, features.size(0) == labels.count, !labels.isEmpty else {
            throw InputError.badInput("a probe needs N x C features and N labels, got \(features.shape) and \(labels.count)")
        }
        guard settings.epochs > 0, settings.batchSize > 0 else { throw InputError.badInput("epochs and batch size must be positive") }
        let counts = task.classes.indices.map { c in labels.filter { $0 == c }.count }
        guard counts.filter({ $0 > 0 }).count >= 2 else {
            throw InputError.badInput("\(task.name): the training cases hold only one class (\(zip(task.classes, counts).map { "\($0) \($1)" }.joined(separator: ", ")))")
        }
        let mean = try features.mean(dim: 0, keepDim: true)
        // Constant features would divide by zero; the floor is relative to the features' scale, so
        // features that are all tiny (but informative) keep their spread.
        let floor = max(1e-30, 1e-5 * (try features.abs().max().item()))
        let std = try features.std([0], keepDim: true).clamp(min: floor)
        let x = try ((features - mean) / std).detach()
        let outputs = task.isBinary ? 1 : task.classes.count
        let head = try Linear(x.size(1), outputs)
        // Zero start: the probe is a convex problem, and the result then depends only on the data order.
        try Autograd.noGrad {
            try head.weight.copy_(Tensor.zeros(head.weight.shape))
            if let bias = head.bias { try bias.copy_(Tensor.zeros(bias.shape)) }
        }
        let probe = LinearProbe(task: task, mean: mean, std: std, head: head)
        try probe.fit(x, labels: labels, counts: counts, settings: settings, progress: progress)
        return probe
    }

    func fit(_ x: Tensor, labels: [Int], counts: [Int], settings: HeadTraining, progress: ((Int, Double) -> Void)?) throws {
        let n = labels.count, stepsPerEpoch = (n + settings.batchSize - 1) / settings.batchSize
        let total = stepsPerEpoch * settings.epochs
        let optimizer = Adam.adamW(head.parameters(), learningRate: settings.learningRate, weightDecay: settings.weightDecay)
        let schedule = WarmupCosineSquaredSchedule(warmupSteps: Int(Double(total) * settings.warmupFraction), totalSteps: total)
        let positiveWeight = settings.classBalanced ? 1 : settings.positiveWeight ?? Double(counts[0]) / Double(max(1, counts[1...].reduce(0, +)))
        let weightTensor = try Tensor([Float(positiveWeight)])
        let target: Tensor = task.isBinary ? try Tensor(labels.map { Float($0) }) : try Tensor(labels.map { Int64($0) })
        var rng = SeededRandom(seed: settings.seed, salt: 77)
        var step = 0
        for epoch in 0..<settings.epochs {
            let order = settings.classBalanced ? Self.balancedDraw(labels, counts: counts, rng: &rng) : Array(0..<n).shuffled(using: &rng)
            // One gather per epoch; batches are then views (narrow) of the shuffled copy.
            let permutation = try Tensor(order.map { Int64($0) })
            let xs = try x.indexSelect(dim: 0, index: permutation), ys = try target.indexSelect(dim: 0, index: permutation)
            var epochLoss = try Tensor.zeros([])
            for start in stride(from: 0, to: n, by: settings.batchSize) {
                let length = min(settings.batchSize, n - start)
                optimizer.apply(schedule, step: step)
                let logits = try head(xs.narrow(dim: 0, start: start, length: length))
                let y = try ys.narrow(dim: 0, start: start, length: length)
                let loss = task.isBinary
                    ? try Functional.binaryCrossEntropyWithLogits(logits.squeeze(1), target: y, positiveWeight: weightTensor)
                    : try Functional.crossEntropy(logits, target: y)
                try optimizer.zeroGrad()
                try loss.backward()
                try optimizer.step()
                epochLoss = try epochLoss + loss.detach()
                step += 1
            }
            progress?(epoch + 1, try epochLoss.item() / Double(stepsPerEpoch))
        }
    }

    /// Indices drawn with probability inversely proportional to class frequency, one epoch's worth.
    static func balancedDraw(_ labels: [Int], counts: [Int], rng: inout SeededRandom) -> [Int] {
        let byClass = counts.indices.map { c in labels.indices.filter { labels[$0] == c } }.filter { !$0.isEmpty }
        return (0..<labels.count).map { _ in
            let members = byClass[Int(rng.unit() * Double(byClass.count)) % byClass.count]
            return members[Int(rng.unit() * Double(members.count)) % members.count]
        }
    }

    /// Class probabilities (N x classes) of `features`.
    public func probabilities(_ features: Tensor) throws -> [[Double]] {
        try task.probabilityRows(logits: Autograd.noGrad { try head((features - mean) / std) })
    }
}
