import Foundation
import MammoData
import MammoDetection
import MammoEvaluation
import MammoModels
import Torch

/// `mammofm train-factor`: trains a Mammo-FActOR mapper on a MammoFM model's frozen image tower and
/// scores its heatmaps against the dataset's lesion boxes beside the two baselines (dense similarity,
/// Grad-CAM) on the same images. Writes into the output folder `factor/` (the mapper),
/// `evaluation.json` (per split, attribute and method: pointing game, hit rates at IoU 0.25 and 0.5,
/// energy inside the boxes, with patient-bootstrap intervals on the test split), `results.html` and
/// example heatmaps under `heatmaps/`.
public struct FactorStudy: Sendable {
    public var model: URL
    public var dataset: URL
    public var format: DatasetFormat
    public var images: URL
    public var output: URL
    public var attributes: [DetectionFinding] = [.mass, .calcification]
    /// Sentences per attribute (nil: `AttributeTexts.defaults`).
    public var sentences: [[String]]?
    public var boxes: BoxColumns = .dicom
    public var training = FactorTraining()
    public var heatmaps = HeatmapSettings()
    public var bootstrapReplicates = 1000
    /// Example heatmaps drawn per attribute.
    public var examples = 4
    public var device: Device = .cpu

    public init(model: URL, dataset: URL, format: DatasetFormat, images: URL, output: URL) {
        self.model = model
        self.dataset = dataset
        self.format = format
        self.images = images
        self.output = output
    }

    public struct Outcome: Codable, Sendable {
        public var trainingImages: Int
        public var losses: [Double]
        public var validation: [LocalisationEvaluation]
        public var test: [LocalisationEvaluation]
        public var seconds: Double
    }

    public func run(log: RunLog = .standardError) throws -> Outcome {
        let started = Date()
        try training.validate()
        guard !attributes.isEmpty, Set(attributes).count == attributes.count else { throw InputError.badInput("give each attribute once") }
        let sentences = self.sentences ?? attributes.map(AttributeTexts.defaults)
        guard sentences.count == attributes.count else { throw InputError.badInput("give one sentence list per attribute") }
        try OutputFolder.claim(output, as: .results)
        let data = try DetectionDataset.read(dataset, format: format, boxes: boxes)
        let loaded = try MammoClipLoader.load(model)
        let clip = loaded.model
        try clip.freeze()
        let pipeline = try MammoClipPipeline(model: clip, tokenizer: loaded.tokenizer, device: device)
        let modelHash = try WeightsHash.of(file: model.appendingPathComponent("model.safetensors"))
        let texts = try AttributeTexts.embed(sentences, with: pipeline)
        let tower = clip.config.image
        let geometries = try PreprocessedGeometries.read(images)
        func split(_ split: DataSplit) -> [DetectorSample] {
            DetectorSample.samples(data, split: split, imagesFolder: images, geometries: geometries, findings: attributes,
                                   inputWidth: tower.inputWidth, inputHeight: tower.inputHeight).samples
        }
        // The reference trains on the images holding one of the attributes.
        let trainSamples = split(.train).filter { !$0.targets.isEmpty }
        guard !trainSamples.isEmpty else { throw InputError.badInput("no training image holds a \(attributes.map(\.rawValue).joined(separator: " or "))") }
        log.note("FActOR: feature maps of \(trainSamples.count) training images (\(tower.efficientNet.variant) tower, \(tower.inputWidth) x \(tower.inputHeight))")
        let reporter = log.progress(total: trainSamples.count, unit: "images")
        var done = 0
        let maps = try FeatureMaps.compute(trainSamples.map(\.url), model: clip, device: device) { reporter.advance(by: $0 - done); done = $0 }
        reporter.finish()
        var labelValues = [Float](repeating: 0, count: trainSamples.count * attributes.count)
        for (i, sample) in trainSamples.enumerated() { for target in sample.targets { labelValues[i * attributes.count + target.label] = 1 } }
        let labels = try Tensor(labelValues, shape: [trainSamples.count, attributes.count])

        let manifest = FactorManifest(mammofmVersion: MammoFMRelease.version, attributes: attributes, sentences: sentences, featureChannels: maps.size(1),
                                      featureHeight: maps.size(2), featureWidth: maps.size(3), embeddingDimension: texts.size(1),
                                      inputHeight: tower.inputHeight, inputWidth: tower.inputWidth, preprocessing: tower.preprocessing,
                                      modelHash: modelHash, training: training)
        let factor = try FactorMapper(manifest: manifest, attributeEmbeddings: texts)
        if device != .cpu { try factor.mapper.to(device: device) }
        let steps = trainSamples.count / training.batchSize * training.epochs
        let trainingProgress = log.progress(total: steps, unit: "steps")
        var last = 0
        let losses = try FactorTrainer.train(factor.mapper, maps: maps, labels: labels, attributes: texts, settings: training, device: device) { p in
            trainingProgress.advance(by: p.step - last, note: String(format: "epoch %d/%d loss %.4f", p.epoch, p.epochs, p.loss))
            last = p.step
        }
        trainingProgress.finish()
        try factor.mapper.to(device: .cpu)
        try factor.write(to: output.appendingPathComponent("factor"))

        var explainer = HeatmapExplainer(model: clip)
        explainer.settings = heatmaps
        let bootstrap = bootstrapReplicates > 0 ? PatientBootstrap(replicates: bootstrapReplicates, seed: training.seed) : nil
        var outcome = Outcome(trainingImages: trainSamples.count, losses: losses, validation: [], test: [], seconds: 0)
        var drawn: [FactorResultsPage.Example] = []
        let heatmapFolder = output.appendingPathComponent("heatmaps")
        for part in [DataSplit.validation, .test] {
            let samples = split(part).filter { !$0.targets.isEmpty }
            guard !samples.isEmpty else { log.note("no \(part.rawValue) images with an attribute"); continue }
            let partMaps = try FeatureMaps.compute(samples.map(\.url), model: clip, device: device)
            var outcomes: [HeatmapMethod: [[LocalisationEvaluation.ImageOutcome]]] = [:]
            for method in HeatmapMethod.allCases { outcomes[method] = Array(repeating: [], count: attributes.count) }
            for (i, sample) in samples.enumerated() {
                for method in HeatmapMethod.allCases {
                    let found = try explainer.heatmaps(method, maps: partMaps, index: i, mapper: factor.mapper, texts: texts.to(device: device))
                    for a in attributes.indices {
                        let lesions = sample.targets.filter { $0.label == a }.map(\.box)
                        guard !lesions.isEmpty else { continue }
                        outcomes[method]![a].append(.init(image: sample.image.imageID, patient: sample.image.patientID, heatmap: found[a], lesions: lesions))
                        if part == .test && outcomes[method]![a].count <= examples {
                            let picture = try HeatmapOverlay.draw(ModelInput.loadImage(sample.url, height: tower.inputHeight, width: tower.inputWidth),
                                                                  heatmap: found[a], lesions: lesions)
                            let file = "\(sample.image.imageID)-\(attributes[a].rawValue)-\(method.rawValue).png"
                            try FileManager.default.createDirectory(at: heatmapFolder, withIntermediateDirectories: true)
                            try picture.writePNG(heatmapFolder.appendingPathComponent(file))
                            drawn.append(.init(image: sample.image.imageID, attribute: attributes[a], method: method, file: "heatmaps/\(file)"))
                        }
                    }
                }
            }
            for a in attributes.indices {
                for method in HeatmapMethod.allCases where !outcomes[method]![a].isEmpty {
                    let evaluation = LocalisationEvaluation.summarise(outcomes[method]![a], attribute: attributes[a], method: method,
                                                                      bootstrap: part == .test ? bootstrap : nil)
                    if part == .test { outcome.test.append(evaluation) } else { outcome.validation.append(evaluation) }
                    log.note(String(format: "%@ %@ %@: pointing game %.3f, hit rate IoU 0.25 %.3f, IoU 0.5 %.3f, energy inside %.3f (%d images, %d lesions)",
                                    part.rawValue, attributes[a].rawValue, method.rawValue, evaluation.pointingGame.value,
                                    evaluation.hitRateIoU25.value, evaluation.hitRateIoU50.value, evaluation.energyInside.value,
                                    evaluation.images, evaluation.lesions))
                }
            }
        }
        outcome.seconds = Date().timeIntervalSince(started)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(encoder.encode(outcome), to: output.appendingPathComponent("evaluation.json"))
        let provenance: [(String, String)] = [
            ("model", "\(model.path) (\(modelHash))"), ("dataset", "\(dataset.path) (\(format.rawValue), \(boxes.rawValue) boxes)"),
            ("attributes", zip(attributes, sentences).map { "\($0.rawValue): \($1.joined(separator: "; "))" }.joined(separator: " | ")),
            ("mapper", "\(training.shared ? "one shared head" : "one head per attribute"), feature map \(maps.size(1)) x \(maps.size(2)) x \(maps.size(3)), "
                + "joint space \(texts.size(1))"),
            ("training", "\(trainSamples.count) images, \(training.epochs) epochs, batch \(training.batchSize), AdamW \(training.learningRate), "
                + "temperature \(training.temperature), final loss \(losses.last.map { String(format: "%.4f", $0) } ?? "n/a")"),
            ("heatmaps", "top \(heatmaps.topChannels) channels, regions at the \(Int(heatmaps.quantile * 100))th percentile"),
            ("bootstrap", "\(bootstrapReplicates) patient resamples (test split)"), ("mammofm", MammoFMRelease.version),
        ]
        let page = FactorResultsPage.render(provenance: provenance, validation: outcome.validation, test: outcome.test, examples: drawn)
        try writeAtomically(Data(page.utf8), to: output.appendingPathComponent("results.html"))
        log.note("wrote \(output.path)/factor, evaluation.json and results.html")
        return outcome
    }
}
