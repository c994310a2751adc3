import Foundation
import MammoEvaluation
import MammoSynth
import Testing
import MammoData

/// The cohort's EMBED-layout tables, read by the EMBED reader, give the labels the cohort's truth
/// gives: EMBED knows findings per side, so the image labels are the breast's (any view).
@Suite struct EmbedCohortTests {
    @Test func embedReaderAgreesWithTheCohortTruthPerBreast() throws {
        // Frequent findings and cancers, tiny images: only the tables matter here.
        var config = SynthConfig(patients: 16, seed: 23)
        config.rows = 96
        config.columns = 64
        config.prevalence = 3
        config.cancerRate = 4
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-embed-cohort-\(getpid())")
        _ = try CohortGenerator(config: config, directory: root).run(jobs: 2)
        let truth = try LabelledDataset.read(format: .synth, url: root)
        let embed = try LabelledDataset.read(format: .embed, url: root.appendingPathComponent("embed"))
        #expect(Set(embed.images.map(\.imageID)) == Set(truth.images.map(\.imageID)) && embed.images.count == truth.images.count)
        let truthByID = Dictionary(uniqueKeysWithValues: truth.images.map { ($0.imageID, $0) })
        #expect(embed.images.allSatisfy { $0.laterality == truthByID[$0.imageID]!.laterality && $0.view == truthByID[$0.imageID]!.view })
        func perBreast(_ images: [LabelledImage], _ task: String) -> [String: Int] {
            Dictionary(images.compactMap { image in image.labels[task].map { (truthByID[image.imageID]!.breastKey, $0) } }, uniquingKeysWith: max)
        }
        for task in ["mass", "calcification", "malignancy", "density"] {
            let expected = perBreast(truth.images, task), found = perBreast(embed.images, task)
            #expect(found == expected, "\(task)")
            #expect(Set(found.values).count > 1, "\(task) has more than one class")
        }
    }

    @Test func embedImageIDsNameThePreprocessedFiles() throws {
        _ = try DownstreamFixture.ready.get()
        let embed = try LabelledDataset.read(format: .embed, url: DownstreamFixture.root.appendingPathComponent("cohort/embed"))
        #expect(!embed.images.isEmpty)
        for image in embed.images {
            #expect(FileManager.default.fileExists(atPath: DownstreamFixture.images.appendingPathComponent("\(image.imageID).png").path))
        }
    }
}
