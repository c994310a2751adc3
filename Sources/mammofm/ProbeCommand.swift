import ArgumentParser
import Foundation
import MammoDownstream
import MammoEvaluation
import MammoModels
import Torch

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Linear probes on frozen image features, per task, data fraction and seed.",
        discussion: """
        The image encoder runs once over the dataset and its pooled features are cached on disk (named by the \
        weights hash), so probes over many seeds and fractions take seconds. Each probe is Linear(C, n) on \
        standardised features with the reference's settings (AdamW, weight decay 1e-4, warm-up + cosine-squared, \
        BCE with pos_weight = negatives/positives, cross entropy for density; 30 epochs at batch 8, RSNA \
        malignancy 20 at batch 6). Fractions sample whole training patients. --baseline random-init trains the \
        same probes on a randomly initialised encoder of the same architecture (its batch-norm statistics first set \
        from 512 of the dataset's images), the floor a pretrained encoder must beat.
        """)

    /// On cached, standardised features the reference's 5e-5 does not converge within its epochs.
    static let defaultLearningRate = 1e-3

    @OptionGroup var global: GlobalOptions
    @OptionGroup var data: DownstreamOptions
    @Option(help: "A converted model folder.") var model: String
    @Option(help: "Training-data fractions, comma-separated, as fractions or percentages (e.g. 10%,50%,100%).") var fractions = "100%"
    @Option(help: "Seeds (each draws the fraction's patients and the data order), comma-separated.") var seeds = "0"
    @OptionGroup var head: HeadOptions
    @Option(help: "Also probe a baseline encoder: random-init.") var baseline: String?

    func parsedFractions() throws -> [Double] { try fractions.split(separator: ",").map { try parseFraction(String($0)) } }

    func validate() throws {
        if let baseline, baseline != "random-init" { throw ValidationError("--baseline takes random-init") }
        _ = try parsedFractions()
        guard seeds.split(separator: ",").allSatisfy({ UInt64($0.trimmingCharacters(in: .whitespaces)) != nil }) else {
            throw ValidationError("--seeds takes comma-separated non-negative integers")
        }
    }

    func run() throws {
        global.apply()
        try data.claimOutput()
        var dataset = try data.loadDataset()
        let tasks = try data.selectedTasks(dataset)
        let modelURL = URL(fileURLWithPath: model)
        let pipeline = try MammoClipPipeline(path: modelURL)
        var encoders: [(name: String, model: MammoClip, hash: String, calibration: Int)] = [
            ("linear probe", pipeline.model, try WeightsHash.of(file: modelURL.appendingPathComponent("model.safetensors")), 0),
        ]
        if baseline != nil {
            Torch.manualSeed(0)
            let random = try MammoClip(config: pipeline.model.config)
            // Its batch-norm statistics are first set from 512 dataset images (see FeatureExtractor).
            encoders.append(("random-init probe", random,
                             "random-init-seed0-bn512-" + WeightsHash.of(text: String(decoding: try pipeline.model.config.jsonData(), as: UTF8.self)), 512))
        }
        let fractionList = try parsedFractions(), seedList = seeds.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces))! }
        var configuration = head.describe(defaultLearningRate: Self.defaultLearningRate)
        configuration["fractions"] = fractionList.map { String(format: "%g%%", $0 * 100) }.joined(separator: ", ")
        configuration["seeds"] = seeds
        var document = EvaluationDocument(command: "probe", model: model, modelHash: encoders[0].hash, dataset: dataset, configuration: configuration)
        var unreadable = 0
        for encoder in encoders {
            let features = try data.extractFeatures(model: encoder.model, modelHash: encoder.hash, dataset: dataset,
                                                    batchNormCalibrationImages: encoder.calibration)
            // Unreadable images are the same for every encoder: reported and left out once.
            if let note = try data.reportUnreadable(features) {
                document.notes.append(note)
                unreadable = features.failures.count
                dataset = dataset.removingImages(features.failedImageIDs)
            }
            for task in tasks {
                let levelList = data.levels(for: task)
                for fraction in fractionList {
                    for seed in seedList {
                        let settings = head.settings(for: task, seed: seed, defaultLearningRate: Self.defaultLearningRate)
                        let started = Date()
                        let name = "\(encoder.name) \(String(format: "%g%%", fraction * 100)) seed \(seed)"
                        let outcome = try data.scored(task) {
                            let result = try EvaluationProtocol.linearProbe(task: task, dataset: dataset, features: features, fraction: fraction,
                                                                            settings: settings, levels: levelList,
                                                                            operatingPoint: data.operatingPointSetting, bootstrap: data.bootstrapSettings)
                            try data.savePredictions(result.test, name: name, task: task)
                            FileHandle.standardError.write(Data(String(format: "%@ %@: %d training images, %.1f s\n", name, task.name,
                                                                       result.trainingCases, Date().timeIntervalSince(started)).utf8))
                            return result.evaluations.map { EvaluationEntry(name: name, method: encoder.name, dataFraction: fraction, seed: seed, evaluation: $0) }
                        }
                        document.entries += outcome.entries
                        if let note = outcome.note { document.notes.append("\(name) \(note)") }
                    }
                }
            }
        }
        try data.emit(document, unreadableImages: unreadable)
    }
}
