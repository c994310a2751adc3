import Foundation
import MammoData
@testable import MammoDetection
import MammoEvaluation
import MammoModels
import MammoText
import Testing
import TestSupport
import Torch

/// A tiny cohort (24 patients, 128 x 80 DICOM preprocessed to 64 x 40) and a tiny model folder,
/// made once per process.
enum DetectionFixture {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-detection-fixture-\(getpid())")
    static var cohort: URL { root.appendingPathComponent("cohort") }
    static var images: URL { root.appendingPathComponent("prepared/images") }
    static var model: URL { root.appendingPathComponent("model") }

    static let ready: Result<Void, Error> = Result {
        try PreparedCohort.make(at: root, patients: 24, seed: 7)
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + (0..<11).map { "w\($0)" }
        try TinyModel.save(to: model, vocabulary: vocabulary, seed: 5)
    }

    static func study(_ name: String, seed: UInt64 = 0) -> DetectorStudy {
        var study = DetectorStudy(model: model, dataset: cohort, format: .synth, images: images, output: root.appendingPathComponent(name),
                                  findings: [.mass])
        study.training.epochs = 1
        study.training.batchSize = 4
        study.training.learningRate = 1e-3
        study.training.seed = seed
        study.pyramidWidth = 32
        study.bootstrapReplicates = 20
        return study
    }
}

@Suite(.serialized) struct DetectorStudyTests {
    @Test func trainsWritesReloadsAndResumesOnlyItsOwnRun() throws {
        try DetectionFixture.ready.get()
        let study = DetectionFixture.study("study")
        let outcome = try study.run(log: .silent)
        #expect(outcome.trainingImages > 0 && outcome.trainingLesions >= outcome.trainingImages && outcome.missingImages.isEmpty)
        let out = study.output
        for file in ["detector/detector.json", "detector/detector.safetensors", "evaluation.json", "test-detections.json", "checkpoint/state.json",
                     "results.html"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        // The saved detector gives the test detections the study wrote, boxes mapped to the DICOM grid.
        let detector = try Detector.read(out.appendingPathComponent("detector"))
        #expect(detector.manifest.findings == [.mass] && detector.manifest.training?.epochs == 1)
        let document = try DetectionsDocument.read(out.appendingPathComponent("test-detections.json"), missing: "")
        let geometries = try PreprocessedGeometries.read(DetectionFixture.images)
        let first = try #require(document.images.first)
        let again = try detector.detect(detector.input([DetectionFixture.images.appendingPathComponent("\(first.image).png")]))[0]
        #expect(again.count == first.detections.count)
        for (a, b) in zip(again, first.detections) {
            #expect(abs(a.score - b.score) < 1e-6 && a.box == b.box)
            let mapping = BoxMapping(geometry: try #require(geometries[first.image]))
            #expect(b.sourceBox == mapping.toSource(b.box).clipped(width: 80, height: 128))
        }
        // Run again: the checkpoint is complete, nothing retrains, the same detector is written.
        let weights = try Data(contentsOf: out.appendingPathComponent("detector/detector.safetensors"))
        _ = try study.run(log: .silent)
        #expect(try Data(contentsOf: out.appendingPathComponent("detector/detector.safetensors")) == weights)
        // Another seed into the same folder: its checkpoint is refused.
        #expect { try DetectionFixture.study("study", seed: 9).run(log: .silent) } throws: { "\($0)".contains("belongs to another run") }
    }

    @Test func detectOnDicomMapsBoxesToThePixelGrid() throws {
        try DetectionFixture.ready.get()
        var study = DetectionFixture.study("for-dicom")
        study.training.learningRate = 1e-2
        _ = try study.run(log: .silent)
        let dicom = try FileManager.default.contentsOfDirectory(atPath: DetectionFixture.cohort.appendingPathComponent("dicom/SYN000001").path)
            .filter { $0.hasSuffix(".dcm") }.sorted().prefix(2).map { DetectionFixture.cohort.appendingPathComponent("dicom/SYN000001/\($0)") }
        var run = DetectionRun(detector: study.output.appendingPathComponent("detector"), inputs: .dicom(Array(dicom)),
                               output: DetectionFixture.root.appendingPathComponent("detect-dicom"))
        let document = try run.run(log: .silent)
        #expect(document.images.count == 2)
        for image in document.images {
            #expect(image.sourceWidth == 80 && image.sourceHeight == 128)
            for detection in image.detections {
                let box = try #require(detection.sourceBox)
                #expect(box.xmin >= -0.5 && box.ymin >= -0.5 && box.xmax <= 80.5 && box.ymax <= 128.5)
            }
            let overlay = run.output.appendingPathComponent("overlays/\(URL(fileURLWithPath: image.image).deletingPathExtension().lastPathComponent).png")
            #expect(FileManager.default.fileExists(atPath: overlay.path))
        }
        // The same images as preprocessed PNGs give the same detections.
        run.inputs = .images(dicom.map { DetectionFixture.images.appendingPathComponent($0.deletingPathExtension().lastPathComponent + ".png") })
        run.output = DetectionFixture.root.appendingPathComponent("detect-png")
        let fromPNG = try run.run(log: .silent)
        for (a, b) in zip(document.images, fromPNG.images) {
            #expect(a.detections.count == b.detections.count)
            for (x, y) in zip(a.detections, b.detections) { #expect(abs(x.score - y.score) < 1e-3) }
        }
    }
}
