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
            let a = try saved.probe.probabilities(features.features), b = try again.probe.probabilities(features.features)
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
        try ClassifierHead(manifest: changed, probe: head.probe).write(to: other)
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
