import Foundation

/// Trains a tiny convolutional network on generated images (a bright disc present or not) to show
/// that the engine, autograd, optimiser and schedule work end to end on this machine (`mammofm smoke-train`).
public struct SmokeTraining: Sendable {
    public var steps = 60
    public var batchSize = 32
    /// Image side in pixels.
    public var size = 32
    public var seed: UInt64 = 0
    public var device: Device = .cpu

    public init(steps: Int = 60, batchSize: Int = 32, size: Int = 32, seed: UInt64 = 0, device: Device = .cpu) {
        self.steps = steps
        self.batchSize = batchSize
        self.size = size
        self.seed = seed
        self.device = device
    }

    /// What a run showed.
    public struct Outcome: Sendable {
        public var parameters: Int
        /// Mean loss of the first and of the last five steps.
        public var firstLoss: Double, lastLoss: Double
        public var heldOutAccuracy: Double
        /// Whether the loss fell.
        public var learned: Bool { lastLoss < firstLoss }
        public var summary: String {
            String(format: "loss %.4f -> %.4f (mean of first and last 5 steps), held-out accuracy %.1f%%", firstLoss, lastLoss, heldOutAccuracy * 100)
        }
    }

    final class TinyNet: Module, UnaryLayer {
        let features: Sequential
        let head: Linear
        init(width: Int) throws {
            features = Sequential([
                try Conv2d(1, width, kernelSize: 3, padding: 1), try BatchNorm2d(width), Activation(.silu),
                try Conv2d(width, 2 * width, kernelSize: 3, stride: 2, padding: 1), try BatchNorm2d(2 * width), Activation(.silu),
            ])
            head = try Linear(2 * width, 2)
            super.init()
            register("features", features)
            register("head", head)
        }
        func forward(_ x: Tensor) throws -> Tensor {
            let f = try Functional.adaptiveAvgPool2d(features(x), outputSize: (1, 1)).flatten(start: 1)
            return try head(f)
        }
    }

    public func validate() throws {
        guard steps >= 2 else { throw TorchError.invalidArgument("smoke training needs at least 2 steps") }
        guard batchSize >= 2 else { throw TorchError.invalidArgument("smoke training needs batches of at least 2 images") }
        guard size >= 16 else { throw TorchError.invalidArgument("smoke training needs images of at least 16 pixels") }
    }

    /// A batch of noisy images, half of them with a bright disc at a random place.
    func batch() throws -> (Tensor, Tensor) {
        let labels = try Tensor.randint(low: 0, high: 2, shape: [batchSize], device: device)
        let coordinates = try Tensor.arange(0, Double(size), dtype: .float32, device: device)
        let ys = try coordinates.view([1, size, 1]), xs = try coordinates.view([1, 1, size])
        let centres = try Tensor.rand([batchSize, 2], device: device) * Double(size - 12) + 6
        let cy = try centres.narrow(dim: 1, start: 0, length: 1).view([batchSize, 1, 1])
        let cx = try centres.narrow(dim: 1, start: 1, length: 1).view([batchSize, 1, 1])
        let distance = try ((ys - cy).square() + (xs - cx).square()).sqrt()
        let disc = try (distance .< 4).to(.float32) * labels.to(.float32).view([batchSize, 1, 1])
        let images = try (disc * 0.8 + Tensor.randn([batchSize, size, size], device: device) * 0.5).unsqueeze(1)
        return (images, labels)
    }

    public func run(log: RunLog = .standardError) throws -> Outcome {
        try validate()
        Torch.manualSeed(seed)
        let model = try TinyNet(width: 8)
        if device != .cpu { try model.to(device: device) }
        let optimizer = Adam.adamW(groups: ParameterGroup.decaySplit(model.parameters(), learningRate: 3e-3, weightDecay: 1e-4))
        let schedule = WarmupCosineSquaredSchedule(warmupSteps: steps / 10, totalSteps: steps)
        log.note("smoke-train: \(model.parameterCount) parameters, \(steps) steps of \(batchSize) images \(size)x\(size) on \(device), \(Torch.threadCount) threads")
        let progress = log.progress(total: steps, unit: "steps")
        var losses: [Double] = []
        for step in 0..<steps {
            optimizer.apply(schedule, step: step)
            let (images, labels) = try batch()
            let loss = try Functional.crossEntropy(model(images), target: labels)
            try optimizer.zeroGrad()
            try loss.backward()
            try clipGradientNorm(model.parameters(), maxNorm: 1.0)
            try optimizer.step()
            losses.append(try loss.item())
            progress.advance(note: String(format: "loss %.4f", losses.last!))
        }
        progress.finish()
        model.eval()
        let (images, labels) = try batch()
        let predictions = try Autograd.inferenceMode { try model(images).argmax(dim: 1) }
        let accuracy = try (predictions .== labels).to(.float32).mean().item()
        return Outcome(parameters: model.parameterCount, firstLoss: losses.prefix(5).reduce(0, +) / 5, lastLoss: losses.suffix(5).reduce(0, +) / 5,
                       heldOutAccuracy: accuracy)
    }
}
