import Foundation
import MammoModels
import MammoText
import Torch
import MammoData

/// What the trainer reports after each optimiser step.
public struct PretrainProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Int
    public var loss: Double
    public var learningRate: Double
    public var logitScale: Double
    public var imagesPerSecond: Double
    public var secondsLeft: Double
}

/// Multi-view contrastive pretraining of a `MammoClip` on image-text data: AdamW without decay on
/// parameters of at most one dimension, linear warm-up then cos^2 decay stepped per optimiser step,
/// gradient accumulation and clipping, logit-scale clamp, tower locking, validation loss every epoch
/// with best-model selection, atomic checkpoints, exact resumption, and a stop on a non-finite loss.
///
/// Data parallel when given a process group: `training.batch_size` is each rank's share of a global
/// batch of `batch_size x ranks` samples, the contrastive loss sees every rank's embeddings (with
/// gradient, through `EmbeddingExchange`), gradients are averaged over the ranks before each
/// optimiser step, and only rank 0 writes files. The output folder must be shared by all ranks.
public final class Pretrainer {
    public let config: PretrainConfig
    public let output: URL
    public let model: MammoClip
    public let tokenizer: WordPieceTokenizer
    public let train: PretrainingBatchBuilder
    public let validation: PretrainingBatchBuilder?
    let optimizer: Optimizer
    let checkpointer: Checkpointer
    var state = RunState()
    /// The optimiser step the run starts from (0 for a fresh run, the checkpoint's step when resumed).
    public var resumedStep: Int { resumedFrom == nil ? 0 : startStep }
    private var startStep = 0
    /// Where the model and its batches live.
    public let device: Device
    /// The ranks training together; nil trains alone.
    public let group: ProcessGroup?
    let exchange: EmbeddingExchange?
    public var rank: Int { group?.rank ?? 0 }
    public var worldSize: Int { group?.size ?? 1 }
    /// Whether this process writes the run's files (rank 0).
    var writes: Bool { rank == 0 }
    public var log: (String) -> Void = { _ in }
    /// What setting up the data decided that the user should know (rows left out and why).
    public let setupNotes: [String]

    /// Global batches (every rank's share together) per epoch.
    public var batchesPerEpoch: Int { train.dataset.samples.count / (config.training.batchSize * worldSize) }
    public var stepsPerEpoch: Int { batchesPerEpoch / config.training.accumulationSteps }
    public var totalSteps: Int {
        let all = stepsPerEpoch * config.training.epochs
        return config.training.maxSteps.map { min($0, all) } ?? all
    }

    /// The checkpoint this run continued from, or nil for a fresh start.
    public private(set) var resumedFrom: URL?

    /// Size and modification time of the tables, the initial weights and every image the run reads.
    static func dataFingerprint(_ config: PretrainConfig, _ datasets: ImageTextDataset...) -> String {
        var files = [config.data.csv, config.data.labels, config.model.initialWeights ?? ""].filter { !$0.isEmpty }.map { URL(fileURLWithPath: $0) }
        for dataset in datasets { for sample in dataset.samples { files += sample.cc + sample.mlo + sample.other } }
        let text = fileStampLines(files)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// Sets up data, tokenizer, model and optimiser; resumes from the output folder's latest checkpoint
    /// when there is one (the configuration and the number of ranks must be the same). With `group`,
    /// every rank of it must construct its trainer with the same configuration. The model and every
    /// batch live on `device`.
    public init(config: PretrainConfig, group: ProcessGroup? = nil, device: Device = .cpu) throws {
        self.config = config
        self.group = group
        self.device = device
        exchange = group.flatMap { $0.size > 1 ? EmbeddingExchange(group: $0) : nil }
        let ranks = group?.size ?? 1, rank = group?.rank ?? 0
        try Self.validate(config.training)
        output = URL(fileURLWithPath: config.output)
        // Rank 0 alone writes (the others read the tokenizer it saves there).
        if rank == 0 { try OutputFolder.claim(output, as: .pretrainingRun) }
        let data = try Self.readData(config.data, ranks: ranks, batchSize: config.training.batchSize * config.training.accumulationSteps)
        tokenizer = try Self.tokenizer(config.data, texts: data.train.allTexts, output: output, rank: rank, group: group)
        let modelConfig: MammoClipConfig
        (model, modelConfig) = try Self.makeModel(config, vocabularySize: tokenizer.tokens.count, device: device)
        let image = modelConfig.image, t = config.training
        train = PretrainingBatchBuilder(dataset: data.train, tokenizer: tokenizer, inputHeight: image.inputHeight, inputWidth: image.inputWidth,
                                        channels: image.efficientNet.inputChannels, maxTextLength: modelConfig.text.maxLength,
                                        augmenter: config.augmentation, seed: t.seed)
        validation = data.validation.samples.count >= 2
            ? PretrainingBatchBuilder(dataset: data.validation, tokenizer: tokenizer, inputHeight: image.inputHeight, inputWidth: image.inputWidth,
                                      channels: image.efficientNet.inputChannels, maxTextLength: modelConfig.text.maxLength,
                                      augmenter: nil, seed: t.seed)
            : nil
        setupNotes = data.notes
        optimizer = Adam.adamW(groups: ParameterGroup.decaySplit(model.parameters(), learningRate: t.learningRate, weightDecay: t.weightDecay))
        checkpointer = Checkpointer(directory: output.appendingPathComponent("checkpoints"), keep: max(1, t.keepCheckpoints))
        try restoreOrStart(dataFingerprint: Self.dataFingerprint(config, data.train, data.validation), ranks: ranks)
        // Every rank starts from rank 0's weights, as PyTorch's DistributedDataParallel does.
        try broadcastFromRankZero(model.stateDict().map(\.1))
    }

    /// Refuses training settings no run can use.
    static func validate(_ t: PretrainConfig.Training) throws {
        guard t.batchSize >= 2 else { throw TrainingError.badConfiguration("training.batch_size must be at least 2 (contrastive), got \(t.batchSize)") }
        guard t.accumulationSteps >= 1, t.epochs >= 1, t.workers >= 1 else {
            throw TrainingError.badConfiguration("training.accumulation_steps, epochs and workers must be at least 1")
        }
    }

    /// The training and validation image-text data (label data mixed in), and what the user should
    /// know about it. Enough training samples for one optimiser step of `batchSize` x `ranks`.
    static func readData(_ d: PretrainConfig.Data, ranks: Int, batchSize: Int) throws
        -> (train: ImageTextDataset, validation: ImageTextDataset, notes: [String]) {
        let csv = URL(fileURLWithPath: d.csv), images = URL(fileURLWithPath: d.images)
        var notes: [String] = []
        var train = try ImageTextDataset.mammoClipCSV(csv, imageRoot: images, splits: Set(d.trainSplits), folds: { $0 != d.validationFold })
        let validation = try ImageTextDataset.mammoClipCSV(csv, imageRoot: images, splits: Set(d.validationSplits), folds: { $0 == d.validationFold })
        if !d.labels.isEmpty {
            let labels = try ImageTextDataset.vindr(URL(fileURLWithPath: d.labels), imageRoot: images, splits: Set(d.labelsSplits))
            // The label table's split need not match the report table's: drop breasts whose images are validation images.
            let (kept, dropped) = labels.excludingImages(of: validation)
            if dropped > 0 { notes.append("\(d.labels): \(dropped) of \(labels.samples.count) labelled breasts share images with the validation split and are left out of training") }
            train = .mixed([(train, 1), (kept, d.labelsWeight)])
        }
        guard train.samples.count >= batchSize * ranks else {
            throw TrainingError.badData(path: csv.path, reason: "\(train.samples.count) training samples, fewer than one optimiser step (\(batchSize) x \(ranks) ranks)")
        }
        return (train, validation, notes)
    }

    /// The tokenizer: a folder, or a vocabulary built from the training texts by rank 0 and saved
    /// with the run (the other ranks read it once it is there).
    static func tokenizer(_ d: PretrainConfig.Data, texts: [String], output: URL, rank: Int, group: ProcessGroup?) throws -> WordPieceTokenizer {
        guard d.tokenizer == "build" else { return try WordPieceTokenizer(directory: URL(fileURLWithPath: d.tokenizer)) }
        let folder = output.appendingPathComponent("tokenizer")
        if rank == 0 && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("vocab.txt").path) {
            let vocabulary = VocabularyBuilder.build(from: texts, size: d.vocabularySize)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try WordPieceTokenizer(vocabulary: vocabulary).save(to: folder)
        }
        try group?.barrier()
        return try WordPieceTokenizer(directory: folder)
    }

    /// The dual encoder, seeded, from its initial weights when given, towers locked as configured, on `device`.
    static func makeModel(_ config: PretrainConfig, vocabularySize: Int, device: Device) throws -> (MammoClip, MammoClipConfig) {
        let t = config.training
        var modelConfig = try modelConfig(config.model, vocabularySize: vocabularySize)
        modelConfig.maximumLogitScale = t.maxLogitScale
        Torch.manualSeed(t.seed)
        let model = try MammoClip(config: modelConfig)
        if let initial = config.model.initialWeights {
            let loaded = try MammoClipLoader.load(URL(fileURLWithPath: initial))
            try model.load(stateDict: Dictionary(uniqueKeysWithValues: loaded.model.stateDict()))
        }
        if t.lockImage { try model.lockImageTower(unlockedLastBlocks: t.unlockedLastLayers) }
        if t.lockText { try model.lockTextTower(unlockedLastLayers: t.unlockedLastLayers) }
        if device != .cpu { try model.to(device: device) }
        return (model, modelConfig)
    }

    /// Continues from the latest checkpoint when there is one (of this configuration, data and
    /// number of ranks), else records them for the new run.
    func restoreOrStart(dataFingerprint: String, ranks: Int) throws {
        // Sorted keys: JSONEncoder's key order can differ between processes.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let fingerprint = String(decoding: try encoder.encode(config), as: UTF8.self)
        guard let latest = checkpointer.latest() else {
            state.configFingerprint = fingerprint
            state.dataFingerprint = dataFingerprint
            state.worldSize = ranks > 1 ? ranks : nil
            if config.training.precision == .fp16 { state.gradScaler = GradScaler() }
            return
        }
        state = try checkpointer.restore(latest, model: model, optimizer: optimizer)
        guard state.configFingerprint == fingerprint else {
            throw TrainingError.badConfiguration("\(output.path) holds a run with another configuration; choose another output or delete it")
        }
        if let recorded = state.dataFingerprint, recorded != dataFingerprint {
            throw TrainingError.badConfiguration("\(output.path) holds a run over other data (its tables, initial weights or images were rewritten since); choose another output or delete it")
        }
        resumedFrom = latest
        startStep = state.step
        guard (state.worldSize ?? 1) == ranks else {
            throw TrainingError.badConfiguration("\(output.path) holds a run trained on \(state.worldSize ?? 1) process(es); resume it with as many (its global batch and data order depend on it), or choose another output")
        }
    }

    /// The model configuration for a preset name or a config.json path.
    static func modelConfig(_ m: PretrainConfig.Model, vocabularySize: Int) throws -> MammoClipConfig {
        var config: MammoClipConfig
        switch m.preset {
        case .tiny: config = try .tiny(vocabularySize: vocabularySize)
        case .b2: config = try .b2()
        case .b5: config = try .b5()
        case .file(let path): config = try MammoClipConfig.load(URL(fileURLWithPath: path))
        }
        config.text.bert.vocabSize = vocabularySize
        if let h = m.inputHeight { config.image.inputHeight = h }
        if let w = m.inputWidth { config.image.inputWidth = w }
        if let momentum = m.batchNormMomentum {
            guard momentum > 0, momentum <= 1 else {
                throw TrainingError.badConfiguration("model.batch_norm_momentum must be in (0, 1], got \(momentum)")
            }
            config.image.efficientNet.batchNormMomentum = momentum
        }
        if let layers = m.textLayers {
            guard layers >= 0 else { throw TrainingError.badConfiguration("model.text_layers must be >= 0, got \(layers)") }
            config.text.bert.numHiddenLayers = layers
        }
        if let pooling = m.textPooling { config.text.pooling = pooling }
        for (key, value) in [("image_width_coefficient", m.imageWidthCoefficient), ("image_depth_coefficient", m.imageDepthCoefficient)] {
            guard let value else { continue }
            guard value > 0, value <= 8 else { throw TrainingError.badConfiguration("model.\(key) must be in (0, 8], got \(value)") }
            config.image.efficientNet.variant = "custom"
            if key == "image_width_coefficient" { config.image.efficientNet.widthCoefficient = value } else { config.image.efficientNet.depthCoefficient = value }
        }
        if let length = m.maxTextLength {
            config.text.maxLength = length
            config.text.bert.maxPositionEmbeddings = max(config.text.bert.maxPositionEmbeddings, length)
        }
        return config
    }

    /// Runs a forward pass at the configured precision.
    func atPrecision<R>(_ body: () throws -> R) throws -> R {
        // Autocast follows the device type the model computes on.
        switch config.training.precision {
        case .bf16: return try Autograd.autocast(device, dtype: .bfloat16, body)
        case .fp16: return try Autograd.autocast(device, dtype: .float16, body)
        case .fp32: return try body()
        }
    }

    /// The loss of this rank's share of a batch. With several ranks, the embeddings go through the
    /// exchange (call `exchange.backward()` after the loss's backward pass) and `batch.keys1/keys2`
    /// must name the texts of the whole global batch.
    func loss(_ hostBatch: PretrainingBatch, training: Bool) throws -> ContrastiveLossTerms {
        let batch = try hostBatch.to(device: device)
        exchange?.reset()
        let rows: (Tensor) throws -> Tensor = exchange.map { exchange in { try exchange.local($0) } } ?? { $0 }
        let gather: (Tensor) throws -> Tensor = exchange.map { exchange in { try exchange.gather($0) } } ?? { $0 }
        let i1 = try rows(model.encodeImage(batch.images1))
        let t1 = try rows(model.encodeText(inputIds: batch.texts1.ids, attentionMask: batch.texts1.attentionMask))
        if config.training.loss == .clip {
            let total = try ClipLoss(rank: rank, gather: gather)(image: i1, text: t1, logitScale: model.logitScale)
            return ContrastiveLossTerms(total: total, imageToText: total, textToImage: total, imageToImage: try Tensor.zeros([], device: total.device), textToText: try Tensor.zeros([], device: total.device))
        }
        let i2 = try rows(model.encodeImage(batch.images2))
        let t2 = try rows(model.encodeText(inputIds: batch.texts2.ids, attentionMask: batch.texts2.attentionMask))
        let t = config.training
        return try MammoClipLoss(imageImageWeight: t.imageImageWeight, textTextWeight: t.textTextWeight, labelSmoothing: t.labelSmoothing,
                                 rank: rank, gather: gather)(
            image1: i1, image2: i2, text1: t1, text2: t2, logitScale: model.logitScale, training: training,
            textKeys: t.labelAwareTargets ? (batch.keys1, batch.keys2) : nil)
    }

    /// This rank's share of the global batch `indices` (the whole of it alone), with the keys of the
    /// whole global batch when the loss needs them.
    func share(of indices: ArraySlice<Int>, builder: PretrainingBatchBuilder, epoch: Int) throws -> PretrainingBatch {
        try Self.share(of: indices, rank: rank, worldSize: worldSize, globalKeys: config.training.labelAwareTargets, builder: builder, epoch: epoch)
    }

    static func share(of indices: ArraySlice<Int>, rank: Int, worldSize: Int, globalKeys: Bool,
                      builder: PretrainingBatchBuilder, epoch: Int) throws -> PretrainingBatch {
        let size = indices.count / worldSize, start = indices.startIndex + rank * size
        var batch = try builder.batch(Array(indices[start..<(start + size)]), epoch: epoch)
        if worldSize > 1 && globalKeys {
            (batch.keys1, batch.keys2) = builder.keys(Array(indices), epoch: epoch)
        }
        return batch
    }

    /// Each value's mean over the ranks (the values themselves alone).
    func meanOverRanks(_ values: [Double]) throws -> [Double] {
        guard let group, group.size > 1 else { return values }
        let tensor = try Tensor(values, shape: [values.count])
        try group.allReduceSum(tensor)
        return try tensor.toArray(Double.self).map { $0 / Double(group.size) }
    }

    /// Overwrites `tensors` on every rank with rank 0's values.
    func broadcastFromRankZero(_ tensors: [Tensor]) throws {
        guard let group, group.size > 1 else { return }
        try Autograd.noGrad { for tensor in tensors { try group.broadcast(tensor, from: 0) } }
    }

    /// Throws unless every rank holds the same weights (they all apply the same averaged gradients,
    /// so a difference means the ranks compute differently).
    func verifyRanksAgree(epoch: Int) throws {
        guard let group, group.size > 1 else { return }
        var sum = 0.0, squares = 0.0
        try Autograd.noGrad {
            for p in model.parameters() {
                let values = try p.to(.float64)
                sum += try values.sum().item()
                squares += try (values * values).sum().item()
            }
        }
        let all = try group.allGather(Tensor([sum, squares], shape: [1, 2])).toArray(Double.self)
        for other in 1..<group.size where all[2 * other] != all[0] || all[2 * other + 1] != all[1] {
            throw TrainingError.ranksDiverged(rank: other, epoch: epoch)
        }
    }

    /// The samples of an epoch in training order, batches composed as configured.
    func epochOrder(_ epoch: Int) -> [Int] {
        let order = train.order(epoch: epoch)
        let attributes = config.training.groupBatchesBy
        guard !attributes.isEmpty else { return order }
        var rng = SeededRandom(seed: config.training.seed, salt: 13, UInt64(epoch))
        let samples = train.dataset.samples
        return BatchComposition.grouped(order, batchSize: config.training.batchSize * worldSize, key: { BatchComposition.key(samples[$0], by: attributes) }, rng: &rng)
    }

    /// Mean contrastive loss over the validation set (fixed draws, eval mode); every rank gets the
    /// same value, that of rank 0's weights and batch-norm statistics.
    public func validationLoss() throws -> Double? {
        guard let validation else { return nil }
        let share = min(config.training.batchSize, validation.dataset.samples.count / worldSize)
        guard share >= 1 else { return nil }
        try broadcastFromRankZero(model.namedBuffers().map(\.1))
        model.eval()
        defer { model.train() }
        let size = share * worldSize
        let order = validation.order(epoch: 0)
        var total = 0.0, batches = 0
        try Autograd.noGrad {
            for start in stride(from: 0, to: order.count - size + 1, by: size) {
                let batch = try self.share(of: order[start..<(start + size)], builder: validation, epoch: 0)
                total += try atPrecision { try loss(batch, training: false) }.total.item()
                batches += 1
            }
        }
        return batches > 0 ? try meanOverRanks([total])[0] / Double(batches) : nil
    }

    /// Trains to the end (or to `training.max_steps`); returns the final state.
    @discardableResult
    public func run(progress: (PretrainProgress) -> Void = { _ in }) throws -> RunState {
        let t = config.training
        let schedule = WarmupCosineSquaredSchedule(warmupSteps: Int((t.warmupEpochs * Double(stepsPerEpoch)).rounded()), totalSteps: totalSteps)
        let metrics = writes ? try MetricsLog(url: output.appendingPathComponent("metrics.jsonl"), keepThroughStep: state.step) : nil
        model.train()
        let started = Date()
        var imagesSeen = 0
        var accumulated = 0
        epochs: while state.epoch < t.epochs {
            let epoch = state.epoch
            let size = t.batchSize * worldSize
            let order = epochOrder(epoch)
            let builder = train
            let (rank, worldSize) = (rank, worldSize)
            let loader = BatchLoader<PretrainingBatch>(start: state.batchInEpoch, end: batchesPerEpoch, workers: t.workers, prefetch: t.prefetch) { number in
                try Self.share(of: order[(number * size)..<((number + 1) * size)], rank: rank, worldSize: worldSize,
                               globalKeys: t.labelAwareTargets, builder: builder, epoch: epoch)
            }
            defer { loader.stop() }
            while let batch = try loader.next() {
                if state.step >= totalSteps { break epochs }
                // Dropout draws depend only on the position in the run (and the rank), so a resumed run draws the same.
                Torch.manualSeed(t.seed &+ UInt64(epoch * batchesPerEpoch + state.batchInEpoch) &* 0x9E37_79B9 &+ UInt64(rank) &* 0xD1B5_4A32_D192_ED03)
                let terms = try atPrecision { try loss(batch, training: true) }
                // The loss averaged over the ranks: what is reported, and what every rank checks, so all stop together.
                let value = try meanOverRanks([terms.total.item()])[0]
                guard value.isFinite else { throw TrainingError.diverged(step: state.step, loss: value) }
                let perStep = try terms.total / Double(t.accumulationSteps)
                try (state.gradScaler.map { try $0.scaled(perStep) } ?? perStep).backward()
                try exchange?.backward()
                accumulated += 1
                state.batchInEpoch += 1
                imagesSeen += 2 * batch.count * worldSize
                guard accumulated == t.accumulationSteps else { continue }
                accumulated = 0
                try group?.averageGradients(of: optimizer.allParameters)
                // Float16: unscale before clipping; an overflowed step is skipped and the scale backs off.
                var gradientsFinite = true
                if var scaler = state.gradScaler {
                    gradientsFinite = try scaler.unscale(optimizer.allParameters)
                    scaler.update(foundNonFinite: !gradientsFinite)
                    state.gradScaler = scaler
                    if !gradientsFinite { state.skippedSteps += 1 }
                }
                if gradientsFinite {
                    if let clip = t.clipNorm { _ = try clipGradientNorm(optimizer.allParameters, maxNorm: clip) }
                    optimizer.apply(schedule, step: state.step)
                    try optimizer.step()
                }
                try optimizer.zeroGrad()
                try model.clampLogitScale()
                state.step += 1
                let elapsed = Date().timeIntervalSince(started)
                let rate = Double(imagesSeen) / max(elapsed, 1e-9)
                let stepProgress = PretrainProgress(step: state.step, totalSteps: totalSteps, epoch: epoch, loss: value,
                                              learningRate: optimizer.groups.first?.learningRate ?? 0, logitScale: try model.logitScale.exp().item(),
                                              imagesPerSecond: rate, secondsLeft: elapsed / Double(max(1, imagesSeen)) * Double(2 * size * t.accumulationSteps * (totalSteps - state.step)))
                progress(stepProgress)
                if state.step % max(1, t.logEvery) == 0 || state.step == totalSteps {
                    let parts = try meanOverRanks([terms.imageToText, terms.textToImage, terms.imageToImage, terms.textToText].map { try $0.item() })
                    try metrics?.append(["step": state.step, "epoch": epoch, "loss": value, "image_text": parts[0],
                                         "text_image": parts[1], "image_image": parts[2],
                                         "text_text": parts[3], "lr": stepProgress.learningRate, "logit_scale": stepProgress.logitScale,
                                         "images_per_second": rate])
                }
                if state.step % max(1, t.checkpointEvery) == 0 { try saveCheckpoint() }
            }
            if state.batchInEpoch < batchesPerEpoch { break } // stopped early by max_steps
            // End of epoch: validation, best model, checkpoint at the epoch boundary.
            try verifyRanksAgree(epoch: epoch)
            let validation = try validationLoss()
            if let validation {
                state.validationLosses.append(validation)
                try metrics?.append(["step": state.step, "epoch": epoch, "validation_loss": validation])
                if writes { log(String(format: "epoch %d: validation loss %.4f", epoch + 1, validation)) }
                if state.bestValidationLoss.map({ validation < $0 }) ?? true {
                    state.bestValidationLoss = validation
                    state.bestEpoch = epoch
                    if writes { try MammoClipLoader.save(model, tokenizer: tokenizer, to: output.appendingPathComponent("best")) }
                }
            }
            state.epoch += 1
            state.batchInEpoch = 0
            try saveCheckpoint()
            if let metrics { try TrainingPage.write(metrics: metrics.url, config: config, to: output.appendingPathComponent("training.html")) }
        }
        try saveCheckpoint()
        if let metrics {
            try TrainingPage.write(metrics: metrics.url, config: config, to: output.appendingPathComponent("training.html"))
            try MammoClipLoader.save(model, tokenizer: tokenizer, to: output.appendingPathComponent("final"))
        }
        // Returns on every rank once rank 0 has written the final weights.
        try group?.barrier()
        return state
    }

    /// Writes a checkpoint (rank 0; the other ranks hold the same weights and state).
    func saveCheckpoint() throws {
        if writes { try checkpointer.save(model: model, optimizer: optimizer, state: state) }
    }
}

/// metrics.jsonl: one JSON object per line. On resumption, lines past the checkpoint's step (written by
/// the interrupted run after its last checkpoint) are dropped so the log matches the weights.
final class MetricsLog {
    let url: URL
    init(url: URL, keepThroughStep step: Int) throws {
        self.url = url
        if let data = FileManager.default.contents(atPath: url.path) {
            let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let s = object["step"] as? Int else { return false }
                return s <= step
            }
            try writeAtomically(Data((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: url)
        } else {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw TrainingError.checkpoint(path: url.path, reason: "cannot create the metrics file")
            }
        }
    }

    func append(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) + Data("\n".utf8)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }
}
