import Foundation

/// A learning-rate multiplier as a function of the optimiser step (0-based).
public protocol LearningRateSchedule: Sendable {
    func factor(step: Int) -> Double
}

/// The base rate throughout, optionally after a linear warm-up from 0.
public struct ConstantSchedule: LearningRateSchedule {
    public let warmupSteps: Int
    public init(warmupSteps: Int = 0) { self.warmupSteps = warmupSteps }
    public func factor(step: Int) -> Double { warmup(step, warmupSteps) ?? 1 }
}

/// Linear warm-up from 0, then half a cosine from 1 down to `minimumFactor` (open_clip's schedule).
public struct WarmupCosineSchedule: LearningRateSchedule {
    public let warmupSteps: Int
    public let totalSteps: Int
    public let minimumFactor: Double
    public init(warmupSteps: Int, totalSteps: Int, minimumFactor: Double = 0) {
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.minimumFactor = minimumFactor
    }
    public func factor(step: Int) -> Double {
        if let w = warmup(step, warmupSteps) { return w }
        let p = progress(step, warmupSteps, totalSteps)
        return minimumFactor + (1 - minimumFactor) * 0.5 * (1 + cos(Double.pi * p))
    }
}

/// Linear warm-up from 0, then cos^2(pi/2 * progress): Mammo-CLIP's schedule.
public struct WarmupCosineSquaredSchedule: LearningRateSchedule {
    public let warmupSteps: Int
    public let totalSteps: Int
    public init(warmupSteps: Int, totalSteps: Int) {
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }
    public func factor(step: Int) -> Double {
        if let w = warmup(step, warmupSteps) { return w }
        let c = cos(Double.pi / 2 * progress(step, warmupSteps, totalSteps))
        return c * c
    }
}

/// Multiplies the rate by `gamma` every `stepSize` steps (torch's StepLR).
public struct StepSchedule: LearningRateSchedule {
    public let stepSize: Int
    public let gamma: Double
    public init(stepSize: Int, gamma: Double = 0.1) {
        self.stepSize = stepSize
        self.gamma = gamma
    }
    public func factor(step: Int) -> Double { pow(gamma, Double(step / max(stepSize, 1))) }
}

/// The warm-up factor step/warmupSteps while warming up, nil after.
private func warmup(_ step: Int, _ warmupSteps: Int) -> Double? {
    step < warmupSteps ? Double(step) / Double(warmupSteps) : nil
}

/// Fraction of the post-warm-up steps done, in [0, 1].
private func progress(_ step: Int, _ warmupSteps: Int, _ totalSteps: Int) -> Double {
    let span = max(totalSteps - warmupSteps, 1)
    return min(max(Double(step - warmupSteps) / Double(span), 0), 1)
}
