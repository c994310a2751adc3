import Foundation
@testable import MammoDownstream
import MammoEvaluation
import MammoImaging
import MammoModels
import MammoSynth
import MammoText
import MammoTraining
import Testing
import TestSupport
import Torch
import MammoData

/// A small synthetic cohort preprocessed to 64 x 40 PNGs, and a tiny random model (made once per process).
enum DownstreamFixture {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-downstream-\(getpid())")
    static var images: URL { root.appendingPathComponent("prepared/images") }

    static let ready: Result<LabelledDataset, Error> = Result {
        try PreparedCohort.make(at: root, patients: 14, seed: 5)
        return try LabelledDataset.read(format: .synth, url: root.appendingPathComponent("cohort"))
    }

    static func pipeline(seed: UInt64 = 1) throws -> MammoClipPipeline {
        let prompts = PromptSet.reference.prompts.values.flatMap { $0.flatMap { $0 } } + PromptSet.ensemble.prompts.values.flatMap { $0.flatMap { $0 } }
        let vocabulary = VocabularyBuilder.build(from: prompts.map { $0.replacingOccurrences(of: "{side}", with: "left right") }, size: 300)
        var config = try MammoClipConfig.tiny(vocabularySize: vocabulary.count)
        config.image.inputHeight = 64
        config.image.inputWidth = 40
        Torch.manualSeed(seed)
        return try MammoClipPipeline(model: MammoClip(config: config), tokenizer: WordPieceTokenizer(vocabulary: vocabulary))
    }
}

@Suite(.serialized) struct DownstreamTests {
    @Test func featuresAreCachedByWeightsAndImageList() throws {
        let dataset = try DownstreamFixture.ready.get()
        let model = try DownstreamFixture.pipeline().model
        let cache = DownstreamFixture.root.appendingPathComponent("features")
        let extractor = FeatureExtractor(model: model, modelHash: "abc", imageRoot: DownstreamFixture.images, cacheDirectory: cache)
        var calls = 0
        let first = try extractor.features(for: dataset.images) { _, _ in calls += 1 }
        #expect(first.features.shape == [dataset.images.count, model.config.image.efficientNet.featureChannels] && calls > 0)
        let file = try #require(extractor.cacheFile(for: dataset.images.map(\.imageID)))
        #expect(FileManager.default.fileExists(atPath: file.path))
        calls = 0
        let second = try extractor.features(for: dataset.images) { _, _ in calls += 1 }
        #expect(calls == 0)
        #expect(try second.features.toArray(Float.self) == first.features.toArray(Float.self))
        // Another image list or other weights get their own file.
        #expect(extractor.cacheFile(for: Array(dataset.images.map(\.imageID).prefix(3))) != file)
        let other = FeatureExtractor(model: model, modelHash: "abd", imageRoot: DownstreamFixture.images, cacheDirectory: cache)
        #expect(other.cacheFile(for: dataset.images.map(\.imageID)) != file)
        // A row of the set is the encoder's output for that image alone.
        let image = try ImageNormalization.reference(
            ModelInput.loadImage(DownstreamFixture.images.appendingPathComponent("\(dataset.images[3].imageID).png"), height: 64, width: 40))
        let alone = try Autograd.inferenceMode { try model.imageEncoder.forward(image, pooling: model.config.image.pooling) }
        let row = try first.rows([dataset.images[3].imageID])
        #expect(try (row - alone).abs().max().item() < 1e-4)
        // A missing PNG is named.
        var broken = dataset.images[0]
        broken.imageID = "no-such-image"
        do {
            _ = try FeatureExtractor(model: model, modelHash: "x", imageRoot: DownstreamFixture.images, cacheDirectory: nil).features(for: [broken])
            Issue.record("expected an error")
        } catch { #expect("\(error)".contains("no-such-image.png") && "\(error)".contains("preprocess")) }
    }

    @Test func batchNormCalibrationGivesARandomEncoderUsableFeatures() throws {
        let dataset = try DownstreamFixture.ready.get()
        let model = try DownstreamFixture.pipeline(seed: 9).model
        let raw = try FeatureExtractor(model: model, modelHash: "r", imageRoot: DownstreamFixture.images, cacheDirectory: nil)
            .features(for: dataset.images)
        var calibrating = FeatureExtractor(model: model, modelHash: "c", imageRoot: DownstreamFixture.images, cacheDirectory: nil)
        calibrating.batchNormCalibrationImages = 32
        let calibrated = try calibrating.features(for: dataset.images)
        let before = try raw.features.std([0]).mean().item(), after = try calibrated.features.std([0]).mean().item()
        #expect(after > 100 * before, "feature spread \(before) -> \(after)")
        #expect(!model.isTraining)
    }

    @Test func zeroShotScoresEveryLabelledImageWithPromptSets() throws {
        let dataset = try DownstreamFixture.ready.get()
        let pipeline = try DownstreamFixture.pipeline()
        let features = try FeatureExtractor(model: pipeline.model, modelHash: "zs", imageRoot: DownstreamFixture.images, cacheDirectory: nil)
            .features(for: dataset.images)
        let classifier = ZeroShotClassifier(pipeline: pipeline)
        let test = EvaluationProtocol.labelled(dataset, .test, task: .mass)
        for set in [PromptSet.reference, .ensemble] {
            let plain = try classifier.predict(task: .mass, prompts: set, images: test, features: features)
            let scaled = try classifier.predict(task: .mass, prompts: set, images: test, features: features, useLogitScale: true)
            #expect(plain.count == test.count && plain.allSatisfy { abs($0.probabilities.reduce(0, +) - 1) < 1e-9 })
            #expect(plain.map(\.label) == test.map { $0.labels["mass"]! })
            // The scale sharpens the probabilities but keeps their order.
            #expect(zip(plain, scaled).allSatisfy { abs($1.positiveProbability - 0.5) >= abs($0.positiveProbability - 0.5) - 1e-12 })
        }
        // The reference scores match a direct computation.
        let embeddings = try pipeline.embed(images: test.prefix(2).map {
            try ModelInput.loadImage(DownstreamFixture.images.appendingPathComponent("\($0.imageID).png"), height: 64, width: 40).squeeze(0)
        })
        let direct = try pipeline.zeroShot(imageEmbeddings: embeddings, promptEmbeddings: pipeline.embed(texts: ["no mass", "mass"])).toArray(Float.self)
        let ours = try classifier.predict(task: .mass, prompts: .reference, images: Array(test.prefix(2)), features: features)
        #expect(abs(ours[0].positiveProbability - Double(direct[1])) < 1e-4 && abs(ours[1].positiveProbability - Double(direct[3])) < 1e-4)
        // Side-dependent ensembles differ by side; density has four classes.
        #expect(PromptSet.ensemble.isSideDependent("mass") && !PromptSet.reference.isSideDependent("mass"))
        let left = try classifier.classEmbeddings(.ensemble, task: .mass, side: "left")
        let right = try classifier.classEmbeddings(.ensemble, task: .mass, side: "right")
        #expect(try (left - right).abs().max().item() > 0)
        let density = try classifier.predict(task: .density, prompts: .reference, images: EvaluationProtocol.labelled(dataset, .test, task: .density),
                                             features: features)
        #expect(density.allSatisfy { $0.probabilities.count == 4 })
        #expect(throws: InputError.self) {
            try classifier.predict(task: .mass, prompts: PromptSet(name: "x", prompts: ["mass": [["a"], ["b"], ["c"]]]), images: test, features: features)
        }
    }

    @Test func promptFilesAreReadAndChecked() throws {
        let folder = DownstreamFixture.root
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let good = folder.appendingPathComponent("prompts.yaml")
        try "mass:\n  - [\"no mass\", \"no mass in the {side} breast\"]\n  - [\"mass\"]\n".write(to: good, atomically: true, encoding: .utf8)
        let set = try PromptSet.read(good)
        #expect(set.prompts(task: "mass", classIndex: 0, side: "left") == ["no mass", "no mass in the left breast"])
        let bad = folder.appendingPathComponent("prompts-bad.yaml")
        try "mass:\n  - [\"only one class\"]\n".write(to: bad, atomically: true, encoding: .utf8)
        do {
            _ = try PromptSet.read(bad)
            Issue.record("expected an error")
        } catch { #expect("\(error)".contains("prompts-bad.yaml") && "\(error)".contains("mass")) }
    }

    @Test func linearProbeLearnsSeparableFeatures() throws {
        // Two informative dimensions among 16: class = sign of x0 (binary), quadrant (4 classes).
        Torch.manualSeed(3)
        let x = try Tensor.randn([400, 16])
        let values = try x.toArray(Float.self)
        let binary = (0..<400).map { values[$0 * 16] > 0 ? 1 : 0 }
        let quadrant = (0..<400).map { (values[$0 * 16] > 0 ? 1 : 0) + (values[$0 * 16 + 1] > 0 ? 2 : 0) }
        var settings = HeadTraining()
        settings.learningRate = 1e-2
        settings.epochs = 30
        settings.batchSize = 16
        var losses: [Double] = []
        let probe = try LinearProbe.train(task: .mass, features: x, labels: binary, settings: settings) { losses.append($1) }
        #expect(losses.count == 30 && losses.last! < losses.first!)
        let p = try probe.probabilities(x)
        #expect(try ROCAnalysis(scores: p.map { $0[1] }, labels: binary.map { $0 == 1 }).auc > 0.98)
        let multi = try LinearProbe.train(task: .density, features: x, labels: quadrant, settings: settings)
        let q = try multi.probabilities(x)
        #expect(zip(q, quadrant).filter { row, truth in row.indices.max { row[$0] < row[$1] } == truth }.count > 360)
        // Features that are all tiny (a random encoder's scale) keep their spread through standardisation.
        let tiny = try LinearProbe.train(task: .mass, features: x * 1e-11, labels: binary, settings: settings)
        #expect(try ROCAnalysis(scores: tiny.probabilities(x * 1e-11).map { $0[1] }, labels: binary.map { $0 == 1 }).auc > 0.98)
        // Same seed, same probe; class-balanced sampling also learns.
        let again = try LinearProbe.train(task: .mass, features: x, labels: binary, settings: settings)
        #expect(try again.probabilities(x) == p)
        settings.classBalanced = true
        let balanced = try LinearProbe.train(task: .mass, features: x, labels: binary, settings: settings)
        #expect(try ROCAnalysis(scores: balanced.probabilities(x).map { $0[1] }, labels: binary.map { $0 == 1 }).auc > 0.98)
        #expect(throws: InputError.self) { try LinearProbe.train(task: .mass, features: x, labels: [Int](repeating: 0, count: 400), settings: settings) }
    }

    @Test func probeProtocolScoresTheTestSplit() throws {
        let dataset = try DownstreamFixture.ready.get()
        let pipeline = try DownstreamFixture.pipeline()
        let features = try FeatureExtractor(model: pipeline.model, modelHash: "pp", imageRoot: DownstreamFixture.images, cacheDirectory: nil)
            .features(for: dataset.images)
        var settings = HeadTraining()
        settings.epochs = 2
        let result = try EvaluationProtocol.linearProbe(task: .density, dataset: dataset, features: features, fraction: 1, settings: settings,
                                                        levels: [.breast], bootstrap: nil)
        #expect(result.trainingCases == EvaluationProtocol.labelled(dataset, .train, task: .density).count)
        #expect(result.test.count == EvaluationProtocol.labelled(dataset, .test, task: .density).count)
        let m = try #require(result.evaluations.first?.multiclass)
        #expect(m.cases == Set(dataset.images(in: .test).map(\.breastKey)).count)
    }

    @Test func fineTuningResumesFromItsCheckpoint() throws {
        let dataset = try DownstreamFixture.ready.get()
        let model = try DownstreamFixture.pipeline().model
        var settings = HeadTraining()
        settings.epochs = 2
        settings.batchSize = 8
        let train = EvaluationProtocol.labelled(dataset, .train, task: .density)
        let checkpoint = DownstreamFixture.root.appendingPathComponent("finetune/checkpoints/density")
        let tuner = try FineTuner(model: model, task: .density, imageRoot: DownstreamFixture.images, settings: settings)
        // The classifier starts from the CLIP model's image tower.
        let start = try tuner.classifier.encoder.stateDict().first!.1.toArray(Float.self)
        #expect(try start == model.imageEncoder.stateDict().first!.1.toArray(Float.self))
        var steps: [Int] = []
        try tuner.train(train, checkpoint: checkpoint) { steps.append($0.step) }
        let perEpoch = (train.count + 7) / 8
        #expect(steps == Array(1...(2 * perEpoch)))
        #expect(try FineTuneCheckpoint.read(checkpoint)?.completedEpochs == 2)
        // A rerun against the same checkpoint has nothing left to do and predicts the same.
        let resumed = try FineTuner(model: model, task: .density, imageRoot: DownstreamFixture.images, settings: settings)
        var more: [Int] = []
        try resumed.train(train, checkpoint: checkpoint) { more.append($0.step) }
        #expect(more.isEmpty)
        let test = EvaluationProtocol.labelled(dataset, .test, task: .density)
        let a = try tuner.predict(test), b = try resumed.predict(test)
        #expect(a.count == test.count && zip(a, b).allSatisfy { zip($0.probabilities, $1.probabilities).allSatisfy { abs($0 - $1) < 1e-5 } })
        // A run killed between the swap's two renames: the previous checkpoint is put back.
        let interrupted = checkpoint.deletingLastPathComponent().appendingPathComponent(".density.old-999999999")
        try FileManager.default.moveItem(at: checkpoint, to: interrupted)
        #expect(try FineTuneCheckpoint.read(checkpoint)?.completedEpochs == 2)
        #expect(!FileManager.default.fileExists(atPath: interrupted.path))
        // A checkpoint of another run is refused: other epochs, another learning rate, other starting
        // weights, a training image rewritten since (re-preprocessed into the same folder).
        func refused(_ change: (inout HeadTraining) -> Void, weightsHash: String = "") throws {
            var changed = settings
            change(&changed)
            let other = try FineTuner(model: model, task: .density, imageRoot: DownstreamFixture.images, settings: changed)
            #expect { try other.train(train, checkpoint: checkpoint, weightsHash: weightsHash) } throws: { "\($0)".contains("belongs to another run") }
        }
        try refused { $0.epochs = 3 }
        try refused { $0.learningRate *= 2 }
        try refused({ _ in }, weightsHash: "0123456789abcdef")
        let image = DownstreamFixture.images.appendingPathComponent("\(train[0].imageID).png")
        try Data(contentsOf: image).write(to: image)
        try refused { _ in }
    }
}
