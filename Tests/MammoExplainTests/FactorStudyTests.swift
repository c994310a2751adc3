import Foundation
import MammoData
import MammoDetection
@testable import MammoExplain
import MammoModels
import MammoText
import Testing
import TestSupport
import Torch

/// A tiny cohort (24 patients, preprocessed to 64 x 40) and a tiny model, made once per process.
enum FactorFixture {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-factor-fixture-\(getpid())")
    static var cohort: URL { root.appendingPathComponent("cohort") }
    static var images: URL { root.appendingPathComponent("prepared/images") }
    static var model: URL { root.appendingPathComponent("model") }

    static let ready: Result<Void, Error> = Result {
        try PreparedCohort.make(at: root, patients: 24, seed: 7)
        let words = ["a", "mass", "is", "seen", "in", "the", "breast", "suspicious", "calcifications", "irregular", "with", "spiculated",
                     "margins", "oval", "circumscribed", "round", "indistinct", "dense", "fine", "pleomorphic", "segmental", "distribution",
                     "grouped", "amorphous", "linear", "branching", "clustered", "microcalcifications", "an", "of"]
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
        try TinyModel.save(to: model, vocabulary: vocabulary, seed: 5)
    }

    static func study(_ name: String) -> FactorStudy {
        var study = FactorStudy(model: model, dataset: cohort, format: .synth, images: images, output: root.appendingPathComponent(name))
        study.training.epochs = 2
        study.training.batchSize = 4
        study.bootstrapReplicates = 20
        study.examples = 1
        return study
    }
}

@Suite(.serialized) struct FactorStudyTests {
    @Test func trainsScoresEveryMethodAndWritesAReadableMapper() throws {
        try FactorFixture.ready.get()
        let study = FactorFixture.study("factor")
        let outcome = try study.run(log: .silent)
        #expect(outcome.trainingImages > 0 && outcome.losses.count == 2 && outcome.losses.allSatisfy(\.isFinite))
        let mass = outcome.test.filter { $0.attribute == .mass }
        #expect(Set(mass.map(\.method)) == Set(HeatmapMethod.allCases))
        for evaluation in outcome.test {
            #expect(evaluation.images > 0 && evaluation.lesions >= evaluation.images)
            for value in [evaluation.pointingGame.value, evaluation.hitRateIoU25.value, evaluation.hitRateIoU50.value, evaluation.energyInside.value] {
                #expect((0...1).contains(value))
            }
        }
        for file in ["factor/factor.json", "factor/factor.safetensors", "evaluation.json", "results.html"] {
            #expect(FileManager.default.fileExists(atPath: study.output.appendingPathComponent(file).path), "\(file)")
        }
        let page = try String(contentsOf: study.output.appendingPathComponent("results.html"), encoding: .utf8)
        #expect(page.contains("gradcam") && page.contains("heatmaps/"))

        // The mapper reads back with the same weights; for another model's features it is refused.
        let hash = try WeightsHash.of(file: FactorFixture.model.appendingPathComponent("model.safetensors"))
        let mapper = try FactorMapper.read(study.output.appendingPathComponent("factor"), modelHash: hash)
        #expect(mapper.manifest.attributes == [.mass, .calcification] && mapper.attributeEmbeddings.shape == [2, mapper.manifest.embeddingDimension])
        #expect { try FactorMapper.read(study.output.appendingPathComponent("factor"), modelHash: "0123456789abcdef") } throws: {
            "\($0)".contains("not of this model")
        }
    }

    @Test func aSentenceWithoutTokensIsRefused() throws {
        try FactorFixture.ready.get()
        var study = FactorFixture.study("factor-empty-sentence")
        study.sentences = [["a mass"], [" \t "]]
        #expect { try study.run(log: .silent) } throws: { "\($0)".contains("no token") }
    }
}
