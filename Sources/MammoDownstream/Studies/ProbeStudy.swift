import Foundation
import MammoData
import MammoEvaluation
import MammoModels
import Torch

/// The encoder a probe study also scores for comparison.
public enum ProbeBaseline: String, CaseIterable, Sendable {
    /// A randomly initialised encoder of the same architecture, its batch-norm statistics first set
    /// from 512 of the dataset's images: the floor a pretrained encoder must beat.
    case randomInit = "random-init"
}

/// Linear probes on frozen image features per task, data fraction and seed (`mammofm probe`). The
/// image encoder runs once over the dataset and its pooled features are cached on disk, named by the
/// weights hash, so probes over many seeds and fractions take seconds.
public struct ProbeStudy: Sendable {
    /// On cached, standardised features the reference's 5e-5 does not converge within its epochs.
    public static let defaultLearningRate = 1e-3

    /// A converted model folder.
    public var model: URL
    /// Training-data fractions in (0, 1]; whole training patients are sampled.
    public var fractions: [Double] = [1]
    /// Each seed draws the fraction's patients and the data order.
    public var seeds: [UInt64] = [0]
    public var head = HeadOverrides()
    public var baseline: ProbeBaseline?
    public var data: StudyData

    public init(model: URL, data: StudyData) {
        self.model = model
        self.data = data
    }

    struct Encoder { var name: String, model: MammoClip, hash: String, calibration: Int }

    /// The model's encoder, then the baseline's.
    func encoders() throws -> [Encoder] {
        let pipeline = try MammoClipPipeline(path: model, device: data.device)
        var encoders = [Encoder(name: "linear probe", model: pipeline.model,
                                hash: try WeightsHash.of(file: model.appendingPathComponent("model.safetensors")), calibration: 0)]
        if baseline == .randomInit {
            Torch.manualSeed(0)
            let random = try MammoClip(config: pipeline.model.config)
            if data.device != .cpu { try random.to(device: data.device) }
            // Its batch-norm statistics are first set from 512 dataset images (see FeatureExtractor).
            let architecture = WeightsHash.of(text: String(decoding: try pipeline.model.config.jsonData(), as: UTF8.self))
            encoders.append(Encoder(name: "random-init probe", model: random, hash: "random-init-seed0-bn512-" + architecture, calibration: 512))
        }
        return encoders
    }

    public func run(log: RunLog = .standardError) throws -> StudyOutcome {
        try head.validate()
        try data.claimOutput()
        var dataset = try data.load()
        let tasks = try data.selectedTasks(dataset)
        let encoders = try encoders()
        var configuration = head.describe(defaultLearningRate: Self.defaultLearningRate)
        configuration["fractions"] = fractions.map(percentLabel).joined(separator: ", ")
        configuration["seeds"] = seeds.map(String.init).joined(separator: ",")
        var document = EvaluationDocument(command: "probe", model: model.path, modelHash: encoders[0].hash, dataset: dataset, configuration: configuration)
        var unreadable = 0
        var pretrainedFeatures: FeatureSet?
        for encoder in encoders {
            let features = try data.extractFeatures(model: encoder.model, modelHash: encoder.hash, dataset: dataset,
                                                    batchNormCalibrationImages: encoder.calibration, log: log)
            // Unreadable images are the same for every encoder: reported and left out once.
            if let note = try data.noteUnreadable(features, log: log) {
                document.notes.append(note)
                unreadable = features.failures.count
                dataset = dataset.removingImages(features.failedImageIDs)
            }
            if pretrainedFeatures == nil { pretrainedFeatures = features }
            for task in tasks {
                for fraction in fractions {
                    for seed in seeds {
                        let name = "\(encoder.name) \(percentLabel(fraction)) seed \(seed)"
                        let outcome = try data.scored(task, log: log) {
                            try probe(task: task, fraction: fraction, seed: seed, name: name, method: encoder.name, dataset: dataset,
                                      features: features, log: log)
                        }
                        document.entries += outcome.entries
                        if let note = outcome.note { document.notes.append("\(name) \(note)") }
                    }
                }
            }
        }
        if let output = data.output, let pretrainedFeatures {
            try saveHeads(tasks: tasks, encoder: encoders[0], features: pretrainedFeatures, dataset: dataset,
                          to: output.appendingPathComponent("heads"), log: log)
        }
        return try data.finish(document, unreadableImages: unreadable, log: log)
    }

    /// The deployable head of each task (OUTPUT/heads/<task>/): a final fit on all training data with
    /// the first seed's settings, calibrated and thresholded on validation; `mammofm bundle create`
    /// packs them with the encoder.
    func saveHeads(tasks: [ClassificationTask], encoder: Encoder, features: FeatureSet, dataset: LabelledDataset, to folder: URL,
                   log: RunLog) throws {
        let config = encoder.model.config.image
        for task in tasks {
            let settings = head.settings(for: task, seed: seeds.first ?? 0, defaultLearningRate: Self.defaultLearningRate)
            do {
                let deployed = try EvaluationProtocol.deployableProbe(task: task, dataset: dataset, features: features, settings: settings,
                                                                      encoderWeightsHash: encoder.hash, inputHeight: config.inputHeight,
                                                                      inputWidth: config.inputWidth, operatingPoint: data.operatingPoint)
                try deployed.write(to: folder.appendingPathComponent(task.name))
                log.note("saved the deployable \(task.name) head to \(folder.path)/\(task.name)")
            } catch let error as MetricError {
                log.note("\(task.name): no deployable head: \(error)")
            } catch InputError.badInput(let reason) {
                log.note("\(task.name): no deployable head: \(reason)")
            }
        }
    }

    /// One probe: trained, scored and its test predictions saved.
    func probe(task: ClassificationTask, fraction: Double, seed: UInt64, name: String, method: String, dataset: LabelledDataset,
               features: FeatureSet, log: RunLog) throws -> [EvaluationEntry] {
        let started = Date()
        let settings = head.settings(for: task, seed: seed, defaultLearningRate: Self.defaultLearningRate)
        let result = try EvaluationProtocol.linearProbe(task: task, dataset: dataset, features: features, fraction: fraction, settings: settings,
                                                        levels: data.levels(for: task), operatingPoint: data.operatingPoint,
                                                        bootstrap: data.bootstrap)
        try data.savePredictions(result.test, name: name, task: task)
        log.note(String(format: "%@ %@: %d training images, %.1f s", name, task.name, result.trainingCases, Date().timeIntervalSince(started)))
        return result.evaluations.map { EvaluationEntry(name: name, method: method, dataFraction: fraction, seed: seed, evaluation: $0) }
    }
}
