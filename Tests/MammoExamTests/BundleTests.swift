import Foundation
@testable import MammoDownstream
import MammoData
import MammoEvaluation
import MammoModels
@testable import MammoExam
import Testing
import TestSupport
import Torch

@Suite(.serialized) struct BundleTests {
    @Test func probeSavesDeployableHeadsThatReloadToTheSameScores() throws {
        try BundleFixture.ready.get()
        let dataset = try BundleFixture.studyData().load()
        let pipeline = try MammoClipPipeline(path: BundleFixture.model)
        let hash = try WeightsHash.of(file: BundleFixture.model.appendingPathComponent("model.safetensors"))
        var extractor = FeatureExtractor(model: pipeline.model, modelHash: hash, imageRoot: BundleFixture.images, cacheDirectory: nil)
        extractor.batchSize = 16
        let features = try extractor.features(for: dataset.images)
        for task in [ClassificationTask.mass, .density] {
            let saved = try ClassifierHead.read(BundleFixture.probe.appendingPathComponent("heads/\(task.name)"))
            #expect(saved.manifest.encoderWeightsHash == hash && saved.manifest.task == task)
            #expect(saved.manifest.trainingCases == EvaluationProtocol.labelled(dataset, .train, task: task).count)
            #expect(saved.manifest.decisions.map(\.level) == task.defaultLevels)
            // The final fit is deterministic (zero start, seeded order): training it again gives the same scores.
            let again = try EvaluationProtocol.deployableProbe(task: task, dataset: dataset, features: features, settings: saved.manifest.settings,
                                                               encoderWeightsHash: hash, inputHeight: 64, inputWidth: 40, operatingPoint: .youden)
            let a = try #require(saved.probe).probabilities(features.features), b = try #require(again.probe).probabilities(features.features)
            #expect(zip(a.joined(), b.joined()).allSatisfy { abs($0 - $1) < 1e-6 })
            for decision in saved.manifest.decisions {
                #expect(decision.validationCases > 0)
                if task.isBinary {
                    let threshold = try #require(decision.threshold), calibrated = try #require(decision.calibratedThreshold)
                    #expect(abs(decision.calibration.apply([1 - threshold, threshold])[1] - calibrated) < 1e-12)
                    // The decision at the raw threshold is the positive class, just below it the negative.
                    #expect(decision.apply([1 - threshold, threshold]).decision == 1)
                    #expect(decision.apply([1 - threshold.nextDown, threshold.nextDown]).decision == 0)
                } else {
                    guard case .temperature(let t) = decision.calibration else { Issue.record("density is calibrated by a temperature"); continue }
                    #expect(t > 0.05 && t < 20)
                }
            }
        }
    }

    @Test func fineTuneSavesTheTunedTowerAsADeployableHead() throws {
        try BundleFixture.ready.get()
        let task = BundleFixture.fineTunedTask
        let dataset = try BundleFixture.studyData().load()
        let head = try ClassifierHead.read(BundleFixture.fineTune.appendingPathComponent("heads/\(task.name)"))
        let classifier = try #require(head.classifier)
        let pipeline = try MammoClipPipeline(path: BundleFixture.model)
        #expect(head.manifest.kind == .fineTuned && head.manifest.imageTower == pipeline.model.config.image)
        #expect(head.manifest.encoderWeightsHash == (try WeightsHash.of(file: BundleFixture.model.appendingPathComponent("model.safetensors"))))
        #expect(head.manifest.trainingCases == EvaluationProtocol.labelled(dataset, .train, task: task).count)
        #expect(head.manifest.decisions.map(\.level) == task.defaultLevels && head.manifest.decisions.allSatisfy { $0.threshold != nil })
        // The tower was tuned: its features differ from the starting encoder's.
        let tuned = classifier.encoder.stateDict(), start = pipeline.model.imageTowerStateDict()
        let changed = try tuned.filter { key, value in try start[key].map { try !(value - $0).abs().max().item().isZero } ?? false }
        #expect(!changed.isEmpty)
        // The saved head predicts the test split exactly as the study scored it.
        let test = EvaluationProtocol.labelled(dataset, .test, task: task)
        let saved = try PredictionsFile.read(BundleFixture.fineTune.appendingPathComponent("predictions/fine-tune-100-seed-0-\(task.name).csv"),
                                             task: task, dataset: dataset, split: .test)
        let rows = try classifier.probabilities(ModelInput.batch(test.map { BundleFixture.images.appendingPathComponent("\($0.imageID).png") },
                                                                 image: pipeline.model.config.image))
        #expect(saved.count == test.count && !saved.isEmpty)
        for (image, row) in zip(test, rows) {
            let prediction = try #require(saved.first { $0.caseID == image.imageID })
            #expect(abs(prediction.positiveProbability - row[1]) < 1e-5, "\(image.imageID)")
        }
    }

    @Test func bundleRecordsEveryFileAndRefusesDamage() throws {
        try BundleFixture.ready.get()
        let manifest = try ModelBundle.manifest(of: BundleFixture.bundle)
        #expect(manifest.model.inputHeight == 64 && manifest.model.inputWidth == 40 && manifest.model.preprocessing == .mammoclip)
        #expect(Set(manifest.heads.map(\.task)).isSuperset(of: ["mass", "density"]))
        #expect(manifest.prompts.name == "ensemble")
        let paths = Set(manifest.files.map(\.path))
        #expect(paths.isSuperset(of: ["model/config.json", "model/model.safetensors", "model/vocab.txt", "heads/mass/head.json", "heads/mass/head.safetensors"]))
        #expect(ModelBundle.verify(BundleFixture.bundle, manifest: manifest).isEmpty)
        _ = try LoadedBundle(BundleFixture.bundle)

        // One changed byte in a copy: named, and the copy refused.
        let copy = try BundleFixture.folder("bundle-damaged")
        try FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: BundleFixture.bundle, to: copy)
        let weights = copy.appendingPathComponent("heads/mass/head.safetensors")
        var bytes = try Data(contentsOf: weights)
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: weights)
        let problems = ModelBundle.verify(copy, manifest: manifest)
        #expect(problems.count == 1 && problems[0].hasPrefix("heads/mass/head.safetensors: hash"))
        #expect(throws: (any Error).self) { try LoadedBundle(copy) }

        // A head of another encoder is refused by name.
        let other = try BundleFixture.folder("other-head")
        let head = try ClassifierHead.read(BundleFixture.probe.appendingPathComponent("heads/mass"))
        var changed = head.manifest
        changed.encoderWeightsHash = "0000000000000000"
        try ClassifierHead(manifest: changed, probe: #require(head.probe)).write(to: other)
        var contents = ModelBundle.Contents(model: BundleFixture.model)
        contents.heads = [other]
        do {
            try ModelBundle.create(contents, out: BundleFixture.root.appendingPathComponent("bundle-refused"))
            Issue.record("expected the head to be refused")
        } catch { #expect("\(error)".contains(other.path) && "\(error)".contains("0000000000000000")) }
        #expect(!FileManager.default.fileExists(atPath: BundleFixture.root.appendingPathComponent("bundle-refused").path))

        // A user's folder is never replaced.
        let user = try BundleFixture.folder("user-folder")
        try Data("notes".utf8).write(to: user.appendingPathComponent("notes.txt"))
        #expect(throws: OutputFolderError.self) { try ModelBundle.create(ModelBundle.Contents(model: BundleFixture.model), out: user) }
        #expect(FileManager.default.fileExists(atPath: user.appendingPathComponent("notes.txt").path))
    }
}
