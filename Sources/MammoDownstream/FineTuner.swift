import Foundation
import MammoEvaluation
import MammoModels
import Torch
import MammoData

/// An image classifier: the EfficientNet image tower, pooled, then Linear(C, n) (n = 1 for binary
/// tasks), as the reference's fine-tuning head.
public final class ImageClassifier: Module {
    public let task: ClassificationTask
    public let encoder: EfficientNet
    public let head: Linear
    let pooling: FeaturePooling

    public init(encoder: EfficientNet, pooling: FeaturePooling, featureChannels: Int, task: ClassificationTask) throws {
        self.task = task
        self.encoder = encoder
        self.pooling = pooling
        head = try Linear(featureChannels, task.isBinary ? 1 : task.classes.count)
        super.init()
        register("encoder", encoder)
        register("head", head)
    }

    /// A randomly initialised classifier of `tower`'s architecture and pooling (weights are loaded after).
    public convenience init(tower: MammoClipConfig.ImageTower, task: ClassificationTask) throws {
        var config = tower.efficientNet
        config.numClasses = nil
        try self.init(encoder: EfficientNet(config: config), pooling: tower.pooling, featureChannels: config.featureChannels, task: task)
    }

    /// Logits of normalised N x C x H x W images.
    public func forward(_ images: Tensor) throws -> Tensor { try head(encoder.forward(images, pooling: pooling)) }

    /// Class probabilities per image (binary tasks as [1 - p, p]), without gradients.
    public func probabilities(_ images: Tensor) throws -> [[Double]] {
        try task.probabilityRows(logits: Autograd.inferenceMode { try forward(images) })
    }
}

extension ClassificationTask {
    /// Probabilities of N x n logits, one row per case: the sigmoid as [1 - p, p] for binary tasks
    /// (one logit), the softmax otherwise.
    func probabilityRows(logits: Tensor) throws -> [[Double]] {
        let p = isBinary ? try logits.sigmoid() : try Functional.softmax(logits, dim: 1)
        let values = try p.to(.float32, device: .cpu).toArray(Float.self).map(Double.init), width = p.size(1)
        return (0..<p.size(0)).map { i in
            let row = Array(values[(i * width)..<((i + 1) * width)])
            return isBinary ? [1 - row[0], row[0]] : row
        }
    }
}

/// Full fine-tuning of the image tower with a classifier head: the reference's recipe (AdamW, weight
/// decay 1e-4, warm-up + cosine-squared, BCE with pos_weight or cross entropy, the pretraining
/// augmentation). A checkpoint is written atomically after every epoch; a run pointed at the same
/// folder resumes from it.
public final class FineTuner {
    public struct Progress {
        public var epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double
    }

    public let classifier: ImageClassifier
    public let settings: HeadTraining
    public let augmenter: Augmenter?
    let imageRoot: URL, imageConfig: MammoClipConfig.ImageTower

    /// `model`'s image tower is copied into the classifier (the CLIP model itself is not changed).
    /// Where the classifier trains and predicts.
    public let device: Device

    public init(model: MammoClip, task: ClassificationTask, imageRoot: URL, settings: HeadTraining, augmenter: Augmenter? = Augmenter(),
                device: Device = .cpu) throws {
        let config = model.config.image
        var encoderConfig = config.efficientNet
        encoderConfig.numClasses = nil
        let encoder = try EfficientNet(config: encoderConfig)
        _ = try encoder.load(stateDict: model.imageTowerStateDict())
        // Seeded after the tower, so the head's initialisation depends on the seed alone.
        Torch.manualSeed(settings.seed)
        classifier = try ImageClassifier(encoder: encoder, pooling: config.pooling, featureChannels: encoderConfig.featureChannels, task: task)
        if device != .cpu { try classifier.to(device: device) }
        self.device = device
        self.settings = settings
        self.augmenter = augmenter
        self.imageRoot = imageRoot
        imageConfig = config
    }

    /// Normalised model input of images, augmented with draws from `rng` when given.
    func batch(_ images: ArraySlice<LabelledImage>, augmentingWith rng: SeededRandom?) throws -> Tensor {
        let urls = images.map { imageRoot.appendingPathComponent("\($0.imageID).png") }
        guard let augmenter, var draws = rng else { return try ModelInput.batch(urls, image: imageConfig).to(device: device) }
        return try ModelInput.batch(urls, image: imageConfig) { x in
            try augmenter.apply(augmenter.draw(&draws, width: self.imageConfig.inputWidth, height: self.imageConfig.inputHeight), to: x)
        }.to(device: device)
    }

    /// What a fine-tuning result depends on, hashed: the starting weights, the task, every setting,
    /// the augmentation, the input size and the training images (ids, labels, and each PNG's size and
    /// modification time). A checkpoint of another fingerprint is refused.
    public func fingerprint(_ train: [LabelledImage], weightsHash: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let settingsText = String(decoding: try encoder.encode(settings), as: UTF8.self)
        let augmentationText = try augmenter.map { String(decoding: try encoder.encode($0), as: UTF8.self) } ?? "none"
        let images = train.map { "\($0.imageID)=\($0.labels[classifier.task.name].map(String.init) ?? "-")" }.joined(separator: ",")
        let stamps = WeightsHash.ofStamps(train.map { imageRoot.appendingPathComponent("\($0.imageID).png") })
        return WeightsHash.of(text: [weightsHash, classifier.task.name, settingsText, augmentationText,
                                     "\(imageConfig.inputHeight)x\(imageConfig.inputWidth)", images, stamps].joined(separator: "\n"))
    }

    /// Trains on `train` (images labelled for the task), resuming from `checkpoint` when it holds one
    /// of the same fingerprint (`weightsHash` names the starting weights; see `fingerprint`).
    public func train(_ train: [LabelledImage], checkpoint: URL?, weightsHash: String = "", progress: ((Progress) -> Void)? = nil) throws {
        let task = classifier.task
        let labels = try train.map { image -> Int in
            guard let label = image.labels[task.name] else { throw InputError.badInput("image \(image.imageID) has no '\(task.name)' label") }
            return label
        }
        let counts = task.classes.indices.map { c in labels.filter { $0 == c }.count }
        guard counts.filter({ $0 > 0 }).count >= 2 else { throw InputError.badInput("\(task.name): the training images hold only one class") }
        let stepsPerEpoch = (train.count + settings.batchSize - 1) / settings.batchSize, total = stepsPerEpoch * settings.epochs
        let optimizer = Adam.adamW(groups: ParameterGroup.decaySplit(classifier.parameters(), learningRate: settings.learningRate,
                                                                     weightDecay: settings.weightDecay))
        let schedule = WarmupCosineSquaredSchedule(warmupSteps: Int(Double(total) * settings.warmupFraction), totalSteps: total)
        let positiveWeight = try Tensor.from([Float(settings.classBalanced ? 1 : settings.positiveWeight
                                                     ?? Double(counts[0]) / Double(max(1, counts[1...].reduce(0, +))))], shape: [1], device: device)
        var firstEpoch = 0
        let fingerprint = try self.fingerprint(train, weightsHash: weightsHash)
        if let checkpoint, let state = try FineTuneCheckpoint.read(checkpoint) {
            guard state.fingerprint == fingerprint else {
                let why = state.fingerprint == nil ? "it was written without a fingerprint by an earlier MammoFM"
                    : "its model, data, images, fraction, seed, hyper-parameters, augmentation or input size differ from this run's"
                throw InputError.badFile(path: checkpoint.path, reason: "this checkpoint belongs to another run (\(why)); give a new --out or remove the checkpoint")
            }
            _ = try classifier.load(stateDict: SafetensorsFile(url: checkpoint.appendingPathComponent("model.safetensors")).tensors())
            try optimizer.load(from: checkpoint.appendingPathComponent("optimizer.bin"))
            firstEpoch = state.completedEpochs
        }
        for epoch in firstEpoch..<settings.epochs {
            classifier.train()
            var orderRNG = SeededRandom(seed: settings.seed, salt: 91, UInt64(epoch))
            let order = settings.classBalanced ? LinearProbe.balancedDraw(labels, counts: counts, rng: &orderRNG)
                : Array(train.indices).shuffled(using: &orderRNG)
            Torch.manualSeed(settings.seed &+ UInt64(epoch) &* 0x9E37_79B9)
            for (b, start) in stride(from: 0, to: order.count, by: settings.batchSize).enumerated() {
                let members = Array(order[start..<min(order.count, start + settings.batchSize)])
                let x = try batch(ArraySlice(members.map { train[$0] }),
                                  augmentingWith: SeededRandom(seed: settings.seed, salt: 93, UInt64(epoch), UInt64(b)))
                let step = epoch * stepsPerEpoch + b
                optimizer.apply(schedule, step: step)
                let logits = try classifier.forward(x)
                let loss = task.isBinary
                    ? try Functional.binaryCrossEntropyWithLogits(logits.squeeze(1), target: Tensor.from(members.map { Float(labels[$0]) }, shape: [members.count], device: device),
                                                                  positiveWeight: positiveWeight)
                    : try Functional.crossEntropy(logits, target: Tensor.from(members.map { Int64(labels[$0]) }, shape: [members.count], device: device))
                try optimizer.zeroGrad()
                try loss.backward()
                try optimizer.step()
                progress?(Progress(epoch: epoch + 1, epochs: settings.epochs, step: step + 1, steps: total, loss: try loss.item()))
            }
            if let checkpoint {
                try FineTuneCheckpoint.write(to: checkpoint, classifier: classifier, optimizer: optimizer,
                                             state: .init(completedEpochs: epoch + 1, epochs: settings.epochs, trainingImages: train.count,
                                                          fingerprint: fingerprint))
            }
        }
    }

    /// Per-image predictions (eval mode, no augmentation) for images labelled for the task.
    public func predict(_ images: [LabelledImage], batchSize: Int = 16) throws -> [Prediction] {
        let task = classifier.task
        let labelled = images.filter { $0.labels[task.name] != nil }
        classifier.eval()
        var out: [Prediction] = []
        for start in stride(from: 0, to: labelled.count, by: batchSize) {
            let slice = labelled[start..<min(labelled.count, start + batchSize)]
            let rows = try classifier.probabilities(batch(slice, augmentingWith: nil))
            for (image, row) in zip(slice, rows) {
                out.append(Prediction(caseID: image.imageID, patientID: image.patientID, label: image.labels[task.name]!, probabilities: row))
            }
        }
        return out
    }
}

/// A fine-tuning checkpoint folder: model.safetensors, optimizer.bin and state.json, written beside,
/// flushed to disk and swapped in whole (see `OutputFolder.replace`).
enum FineTuneCheckpoint {
    struct State: Codable {
        var completedEpochs: Int
        var epochs: Int
        var trainingImages: Int
        /// See `FineTuner.fingerprint` (nil in checkpoints of earlier versions, which are refused).
        var fingerprint: String?
    }

    static func read(_ folder: URL) throws -> State? {
        try OutputFolder.recoverInterruptedSwap(folder)
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("state.json").path) else { return nil }
        do { return try JSONDecoder().decode(State.self, from: data) } catch {
            throw InputError.badFile(path: folder.appendingPathComponent("state.json").path, reason: "unreadable checkpoint state: \(error)")
        }
    }

    static func write(to folder: URL, classifier: ImageClassifier, optimizer: Optimizer, state: State) throws {
        try OutputFolder.replace(folder, as: .fineTuneCheckpoint, durable: true) { staging in
            try Safetensors.write(classifier.stateDict(), metadata: ["task": classifier.task.name], to: staging.appendingPathComponent("model.safetensors"))
            try optimizer.save(to: staging.appendingPathComponent("optimizer.bin"))
            try JSONEncoder().encode(state).write(to: staging.appendingPathComponent("state.json"))
        }
    }
}
