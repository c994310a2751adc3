import Foundation
import MammoData
@testable import MammoDetection
import MammoEvaluation
import MammoImaging
import MammoModels
import Testing
import TestSupport

@Suite(.serialized) struct DetectionScoringTests {
    /// The study's own test figures, and the same detections scored from the file in DICOM pixels.
    @Test func scoringTheStudysDetectionsFileGivesTheStudysFigures() throws {
        try DetectionFixture.ready.get()
        var study = DetectionFixture.study("scored")
        study.training.learningRate = 1e-2
        let outcome = try study.run(log: .silent)
        let page = try String(contentsOf: study.output.appendingPathComponent("results.html"), encoding: .utf8)
        #expect(page.contains("<svg") && page.contains("false positives per image") && page.contains("centre-in-box"))

        var scoring = DetectionsScoring(detections: study.output.appendingPathComponent("test-detections.json"), dataset: DetectionFixture.cohort,
                                        format: .synth)
        scoring.bootstrapReplicates = 20
        scoring.images = DetectionFixture.images
        scoring.output = DetectionFixture.root.appendingPathComponent("scored-evaluate")
        let result = try scoring.run(log: .silent)
        let expected = try #require(outcome.test.first), got = try #require(result.evaluations.first)
        #expect(got.images == expected.images && got.lesions == expected.lesions && got.patients == expected.patients)
        #expect(abs(got.averagePrecision.value - expected.averagePrecision.value) < 1e-9)
        for (a, b) in zip(got.rules, expected.rules) {
            #expect(a.rule == b.rule && abs(a.cpm.value - b.cpm.value) < 1e-9)
            for (x, y) in zip(a.sensitivities, b.sensitivities) { #expect(abs(x - y) < 1e-9) }
        }
        let html = try String(contentsOf: scoring.output!.appendingPathComponent("results.html"), encoding: .utf8)
        #expect(html.contains("false positives per image"))
        #expect(FileManager.default.fileExists(atPath: scoring.output!.appendingPathComponent("result.json").path))

        // A file missing one image of the split is refused, naming it.
        var document = try DetectionsDocument.load(scoring.detections)
        let dropped = document.images.removeFirst()
        let partial = DetectionFixture.root.appendingPathComponent("partial-detections.json")
        try document.write(to: partial)
        var refused = DetectionsScoring(detections: partial, dataset: DetectionFixture.cohort, format: .synth)
        refused.bootstrapReplicates = 0
        #expect { try refused.run(log: .silent) } throws: { "\($0)".contains(partial.path) && "\($0)".contains(dropped.image) }
    }

    /// Mammo-CLIP's folds table with resized boxes gives the same detector targets as the DICOM boxes
    /// mapped through the sidecars (the fixture's images are of the reference's profile).
    @Test func resizedBoxesOfTheFoldsTableGiveTheSameTargets() throws {
        try DetectionFixture.ready.get()
        let synth = try DetectionDataset.read(DetectionFixture.cohort, format: .synth, validationFraction: 0)
        let geometries = try PreprocessedGeometries.read(DetectionFixture.images)
        var csv = "patient_id,series_id,image_id,finding_categories,xmin,ymin,xmax,ymax,split,resized_xmin,resized_ymin,resized_xmax,resized_ymax\n"
        for image in synth.images {
            let geometry = try #require(geometries[image.imageID])
            let split = image.split == .test ? "test" : "training"
            if image.lesions.isEmpty { csv += "\(image.patientID),S,\(image.imageID).png,['No Finding'],,,,,\(split),,,,\n" }
            for lesion in image.lesions {
                let a = geometry.toModel(x: lesion.box.xmin, y: lesion.box.ymin), b = geometry.toModel(x: lesion.box.xmax, y: lesion.box.ymax)
                let category = lesion.finding == .mass ? "['Mass']" : "['Suspicious Calcification']"
                csv += "\(image.patientID),S,\(image.imageID).png,\"\(category)\",1,1,2,2,\(split),\(min(a.x, b.x)),\(min(a.y, b.y)),\(max(a.x, b.x)),\(max(a.y, b.y))\n"
            }
        }
        let table = DetectionFixture.root.appendingPathComponent("vindr_detection_v1_folds.csv")
        try csv.write(to: table, atomically: true, encoding: .utf8)
        let folds = try DetectionDataset.read(table, format: .vindr, boxes: .resized, validationFraction: 0)
        #expect(folds.images.count == synth.images.count && folds.boxes == .resized)

        let loaded = try MammoClipLoader.load(DetectionFixture.model)
        let trainer = try DetectorTrainer(findings: [.mass], tower: loaded.model.config.image, weights: nil, startingModelHash: nil,
                                          imagesFolder: DetectionFixture.images, inputHeight: 64, inputWidth: 40, pyramidWidth: 16,
                                          settings: DetectorTraining())
        let fromDicom = trainer.samples(synth, split: .test).samples, fromResized = trainer.samples(folds, split: .test).samples
        #expect(fromDicom.count == fromResized.count && !fromDicom.isEmpty)
        for (a, b) in zip(fromDicom, fromResized) {
            #expect(a.image.imageID == b.image.imageID && a.targets.count == b.targets.count)
            for (x, y) in zip(a.targets, b.targets) {
                // Resized boxes are clipped to their image (a lesion may reach past the breast's crop).
                let clipped = x.box.clipped(width: 40, height: 64)
                #expect(abs(clipped.xmin - y.box.xmin) < 1e-6 && abs(clipped.ymax - y.box.ymax) < 1e-6)
            }
        }

        // Without sidecars a PNG is its own grid: the same targets, the mapping an identity scale.
        let bare = DetectionFixture.root.appendingPathComponent("bare-images")
        try? FileManager.default.removeItem(at: bare)
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        for sample in fromResized { try FileManager.default.copyItem(at: sample.url, to: bare.appendingPathComponent(sample.url.lastPathComponent)) }
        let bareTrainer = try DetectorTrainer(findings: [.mass], tower: loaded.model.config.image, weights: nil, startingModelHash: nil,
                                              imagesFolder: bare, inputHeight: 64, inputWidth: 40, pyramidWidth: 16, settings: DetectorTraining())
        let fromBare = bareTrainer.samples(folds, split: .test)
        #expect(fromBare.missing.isEmpty && fromBare.samples.allSatisfy { !$0.knowsSource })
        for (a, b) in zip(fromResized, fromBare.samples) { #expect(a.targets.map(\.box) == b.targets.map(\.box)) }
        // DICOM-pixel boxes need the sidecars: those images are missing.
        #expect(bareTrainer.samples(synth, split: .test).samples.isEmpty)

        // As in the reference's own table, resized boxes may start before the image (kept, clipped) or
        // have no size (left out, listed).
        try """
        patient_id,image_id,finding_categories,split,resized_xmin,resized_ymin,resized_xmax,resized_ymax
        P1,I1.png,['Mass'],training,-4.5,3,12,20
        P1,I1.png,['Mass'],training,7,3,7,20
        P1,I2.png,['No Finding'],training,,,,

        """.write(to: table, atomically: true, encoding: .utf8)
        let odd = try DetectionDataset.read(table, format: .vindr, boxes: .resized, validationFraction: 0)
        #expect(odd.images.map(\.imageID) == ["I1", "I2"] && odd.images[0].lesions.map(\.box.xmin) == [-4.5])
        #expect(odd.droppedBoxes.count == 1 && odd.droppedBoxes[0].hasPrefix("line 3"))

        // The table without its resized columns is refused, naming the column.
        try "patient_id,image_id,finding_categories,xmin,ymin,xmax,ymax,split\n".write(to: table, atomically: true, encoding: .utf8)
        #expect { try DetectionDataset.read(table, format: .vindr, boxes: .resized) } throws: { "\($0)".contains("resized_xmin") }
    }

    @Test func badDetectionsFilesAreRefusedNamingFileImageAndValue() throws {
        func entry(_ box: String, source: String = "null", score: String = "0.9") -> String {
            """
            {"format":"mammofm-detections","version":1,"mammofmVersion":"x","detectorHash":"h","findings":["mass"],"images":[
            {"image":"A.png","inputWidth":40,"inputHeight":64,"sourceWidth":80,"sourceHeight":128,"detections":[
            {"finding":"mass","score":\(score),"box":\(box),"sourceBox":\(source)}]}]}
            """
        }
        let good = #"{"xmin":1,"ymin":2,"xmax":10,"ymax":20}"#
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-detections-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("detections.json")
        try entry(good).write(to: file, atomically: true, encoding: .utf8)
        #expect(try DetectionsDocument.load(file).images[0].detections.count == 1)
        for (text, words) in [(entry(#"{"xmin":1,"ymin":2,"xmax":50,"ymax":20}"#), ["'A.png'", "outside its 40 x 64 image", "50.00"]),
                              (entry(#"{"xmin":10,"ymin":2,"xmax":5,"ymax":20}"#), ["'A.png'", "negative size", "5.00"]),
                              (entry(good, source: #"{"xmin":-9,"ymin":2,"xmax":5,"ymax":20}"#), ["sourceBox", "-9.00", "80 x 128"]),
                              (entry(good, score: "1.5"), ["score 1.5"]),
                              (entry(#"{"xmin":1,"ymin":2,"xmax":10}"#), ["ymax"])] {
            try text.write(to: file, atomically: true, encoding: .utf8)
            #expect { try DetectionsDocument.load(file) } throws: { error in
                let message = "\(error)"
                return message.contains(file.path) && words.allSatisfy(message.contains)
            }
        }
    }
}
