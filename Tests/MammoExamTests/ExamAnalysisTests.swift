import Foundation
import MammoData
import MammoDetection
@testable import MammoDownstream
import MammoEvaluation
@testable import MammoExam
import MammoImaging
import Testing
import TestSupport
import Torch

@Suite(.serialized) struct ExamAnalysisTests {
    /// The patient whose newest exam the tests analyse.
    static let patient = "SYN000003"

    @Test func analysisEqualsTheSingleImageCommandsScores() throws {
        try BundleFixture.ready.get()
        let bundle = try LoadedBundle(BundleFixture.bundle)
        let exam = try BundleFixture.folder("exam-plain")
        for file in try BundleFixture.newestExam(of: Self.patient) {
            try FileManager.default.copyItem(at: file, to: exam.appendingPathComponent(file.lastPathComponent))
        }
        let outcome = try ExamAnalysis(exam: exam, output: BundleFixture.root.appendingPathComponent("analysis-plain")).run(bundle: bundle, log: .silent)
        let document = outcome.document
        #expect(document.images.count == 4 && document.skipped.isEmpty && document.exam.missingViews.isEmpty)
        #expect(Set(document.images.map { "\($0.laterality)-\($0.view)" }) == ["R-CC", "L-CC", "R-MLO", "L-MLO"])
        #expect(document.images.allSatisfy { !$0.lateralitySource.hasPrefix("inferred") && !$0.viewSource.hasPrefix("inferred") })

        // The same images through the study path: preprocessed PNGs, cached-feature extraction, zero-shot and heads.
        let dataset = try BundleFixture.studyData().load()
        let ids = document.images.map { URL(fileURLWithPath: $0.file).deletingPathExtension().lastPathComponent }
        let images = ids.map { id in dataset.images.first { $0.imageID == id }! }
        let features = try FeatureExtractor(model: bundle.pipeline.model, modelHash: "x", imageRoot: BundleFixture.images, cacheDirectory: nil)
            .features(for: images)
        let classifier = ZeroShotClassifier(pipeline: bundle.pipeline)
        var compared = 0
        for task in [ClassificationTask.mass, .calcification] {
            var unlabelled = images
            for i in unlabelled.indices { unlabelled[i].labels[task.name] = 0 }
            let reference = try classifier.predict(task: task, prompts: bundle.manifest.prompts, images: unlabelled, features: features)
            for (image, prediction) in zip(document.images, reference) {
                let result = try #require(image.results.first { $0.task == task.name && $0.source == .zeroShot })
                #expect(zip(result.scores, prediction.probabilities).allSatisfy { abs($0 - $1) < 1e-5 }, "\(task.name) \(image.file)")
                compared += 1
            }
        }
        for head in bundle.heads {
            // A probe reads the encoder features; the fine-tuned head scores as `mammofm finetune` predicts.
            let reference = try head.probe?.probabilities(features.features)
                ?? #require(head.classifier).probabilities(ModelInput.batch(images.map { BundleFixture.images.appendingPathComponent("\($0.imageID).png") },
                                                                            image: bundle.pipeline.model.config.image))
            for (image, row) in zip(document.images, reference) {
                let result = try #require(image.results.first { $0.task == head.manifest.task.name && $0.source == .head })
                #expect(zip(result.scores, row).allSatisfy { abs($0 - $1) < 1e-5 }, "\(head.manifest.task.name) \(image.file)")
                compared += 1
            }
        }
        #expect(compared >= 12)
        // A breast is the mean of its views, calibrated and decided by the head's breast-level map.
        let mass = try #require(bundle.heads.first { $0.manifest.task.name == "mass" })
        for breast in document.breasts {
            let views = document.images.filter { $0.laterality == breast.laterality }
            let mean = views.map { $0.results.first { $0.task == "mass" && $0.source == .head }!.scores[1] }.reduce(0, +) / Double(views.count)
            let result = try #require(breast.results.first { $0.task == "mass" && $0.source == .head })
            #expect(abs(result.scores[1] - mean) < 1e-12)
            let expected = try #require(mass.manifest.decision(at: .breast)).apply(result.scores)
            #expect(result.probabilities == expected.probabilities && result.decision == mass.manifest.task.classes[expected.decision])
        }
        #expect(document.examResults.contains { $0.task == "density" && $0.decision != nil })
    }

    @Test func analysisToleratesWhatArchivesHoldAndSaysWhy() throws {
        try BundleFixture.ready.get()
        let bundle = try LoadedBundle(BundleFixture.bundle)
        let exam = try BundleFixture.folder("exam-messy")
        let files = try BundleFixture.newestExam(of: Self.patient)
        for file in files { try FileManager.default.copyItem(at: file, to: exam.appendingPathComponent(file.lastPathComponent)) }
        // An older exam of the same patient: listed as a prior.
        let older = try FileManager.default.contentsOfDirectory(atPath: BundleFixture.cohort.appendingPathComponent("dicom/\(Self.patient)").path)
            .filter { $0.hasSuffix(".dcm") && !files.map(\.lastPathComponent).contains($0) }.sorted()
        let priors = try BundleFixture.folder("exam-messy/prior")
        for name in older { try FileManager.default.copyItem(at: BundleFixture.cohort.appendingPathComponent("dicom/\(Self.patient)/\(name)"), to: priors.appendingPathComponent(name)) }
        // Laterality and view removed from one header (and its descriptions, which also hint at them).
        let lmlo = try #require(files.first { $0.lastPathComponent.hasSuffix("LMLO.dcm") })
        let stripped = exam.appendingPathComponent(lmlo.lastPathComponent)
        var result = try BundleFixture.tool("/usr/bin/dcmodify", ["-nb", "-imt", "-ea", "(0020,0062)", "-ea", "(0020,0060)", "-ea", "(0018,5101)", "-ea", "(0054,0220)",
                                                                "-ea", "(0008,103E)", "-ea", "(0018,1030)", "-ea", "(0008,1032)", stripped.path])
        #expect(result.status == 0, "\(result.output)")
        let rcc = try #require(files.first { $0.lastPathComponent.hasSuffix("RCC.dcm") })
        let strippedCC = exam.appendingPathComponent(rcc.lastPathComponent)
        result = try BundleFixture.tool("/usr/bin/dcmodify", ["-nb", "-imt", "-ea", "(0020,0062)", "-ea", "(0020,0060)", "-ea", "(0018,5101)", "-ea", "(0054,0220)",
                                                            "-ea", "(0008,103E)", "-ea", "(0018,1030)", "-ea", "(0008,1032)", strippedCC.path])
        #expect(result.status == 0, "\(result.output)")
        // A spot view, another modality, a damaged file and a note.
        let spot = exam.appendingPathComponent("spot.dcm"), ct = exam.appendingPathComponent("ct.dcm"), broken = exam.appendingPathComponent("broken.dcm")
        for (copy, modification) in [(spot, ["-m", "(0008,0018)=2.25.1", "-i", "(0008,103E)=L CC SPOT"]), (ct, ["-m", "(0008,0018)=2.25.2", "-m", "(0008,0060)=CT"])] {
            try FileManager.default.copyItem(at: lmlo, to: copy)
            result = try BundleFixture.tool("/usr/bin/dcmodify", ["-nb"] + modification + [copy.path])
            #expect(result.status == 0, "\(result.output)")
        }
        let whole = try Data(contentsOf: lmlo)
        try whole.prefix(whole.count / 2).write(to: broken)
        try Data("read me".utf8).write(to: exam.appendingPathComponent("notes.txt"))

        let document = try ExamAnalysis(exam: exam, output: nil).run(bundle: bundle, log: .silent).document
        #expect(Set(document.images.map { "\($0.laterality)-\($0.view)" }) == ["R-CC", "L-CC", "R-MLO", "L-MLO"])
        let inferredMLO = try #require(document.images.first { $0.file == stripped.lastPathComponent })
        #expect(inferredMLO.laterality == "L" && inferredMLO.view == "MLO")
        #expect(inferredMLO.lateralitySource.hasPrefix("inferred from the image") && inferredMLO.viewSource.hasPrefix("inferred from the image"))
        let inferredCC = try #require(document.images.first { $0.file == strippedCC.lastPathComponent })
        #expect(inferredCC.laterality == "R" && inferredCC.view == "CC")
        func reason(_ name: String) -> String { document.skipped.first { $0.file == name }?.reason ?? "(not skipped)" }
        #expect(reason("spot.dcm").contains("spot compression"))
        #expect(reason("ct.dcm").contains("modality CT"))
        #expect(reason("broken.dcm").contains("broken.dcm") || reason("broken.dcm").contains("truncat") || !reason("broken.dcm").isEmpty)
        #expect(reason("broken.dcm") != "(not skipped)")
        #expect(reason("notes.txt") == "not a DICOM file")
        #expect(document.exam.priors.count == 1 && document.exam.priors[0].images == older.count)
    }

    @Test func reportReadsBackWithDCMTKDicom3toolsAndPydicom() throws {
        try BundleFixture.ready.get()
        let bundle = try LoadedBundle(BundleFixture.bundle)
        let exam = try BundleFixture.folder("exam-report")
        let files = try BundleFixture.newestExam(of: Self.patient)
        for file in files { try FileManager.default.copyItem(at: file, to: exam.appendingPathComponent(file.lastPathComponent)) }
        let out = BundleFixture.root.appendingPathComponent("analysis-report")
        let outcome = try ExamAnalysis(exam: exam, output: out).run(bundle: bundle, log: .silent)
        let report = out.appendingPathComponent("report.dcm")
        let uids = outcome.document.images.compactMap(\.sopInstanceUID)
        #expect(uids.count == 4)

        let dump = try BundleFixture.tool("/usr/bin/dsrdump", ["+Pu", report.path])
        #expect(dump.status == 0 && dump.output.contains("Enhanced SR Document"), "\(dump.output)")
        for uid in uids { #expect(dump.output.contains(uid), "the SR does not reference \(uid)") }
        #expect(dump.output.contains("mass probability") && dump.output.contains("Laterality"))
        // Each detection: a coded finding with its score and its outline, selected from its image.
        #expect(outcome.document.images.allSatisfy { $0.detections?.count == 3 })
        #expect(dump.output.components(separatedBy: "detected lesion").count - 1 == 12, "\(dump.output)")
        #expect(dump.output.contains("SCOORD") && dump.output.contains("POLYLINE") && dump.output.contains("selected from IMAGE"))
        #expect(!dump.output.lowercased().contains("error"))

        let check = try BundleFixture.tool("/usr/bin/dciodvfy", [report.path])
        let errors = check.output.split(separator: "\n").filter { $0.hasPrefix("Error") }
        #expect(errors.isEmpty, "\(errors)")
        #expect(check.output.contains("EnhancedSR"))

        // pydicom (the cached wheel) reads it: same study, evidence for every analysed image.
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["MAMMOFM_CACHE"] ?? ((environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/mammofm")
        let pydicom = cache + "/data/pydicom-3.0.2"
        let script = """
        import sys, pydicom
        d = pydicom.dcmread(sys.argv[1])
        refs = [s.ReferencedSOPInstanceUID for e in d.CurrentRequestedProcedureEvidenceSequence for r in e.ReferencedSeriesSequence for s in r.ReferencedSOPSequence]
        print(d.SOPClassUID, d.Modality, d.StudyInstanceUID, ' '.join(sorted(refs)))
        """
        let read = try BundleFixture.tool("/usr/bin/env", ["PYTHONPATH=\(pydicom)", "python3", "-c", script, report.path])
        #expect(read.status == 0, "\(read.output)")
        #expect(read.output.hasPrefix("1.2.840.10008.5.1.4.1.1.88.22 SR \(outcome.document.exam.studyInstanceUID ?? "?") \(uids.sorted().joined(separator: " "))"), "\(read.output)")

        // The page is self-contained: every image inline, nothing fetched.
        let page = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(page.components(separatedBy: "data:image/png;base64,").count == 5)
        #expect(page.components(separatedBy: "<rect class=\"detection\"").count == 13 && page.contains("id=\"detections\""))
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("src=\"images/"))
    }

    @Test func detectionsEqualTheDetectCommandsOnTheSameFiles() throws {
        try BundleFixture.ready.get()
        let bundle = try LoadedBundle(BundleFixture.bundle)
        let exam = try BundleFixture.folder("exam-detections")
        let files = try BundleFixture.newestExam(of: Self.patient)
        for file in files { try FileManager.default.copyItem(at: file, to: exam.appendingPathComponent(file.lastPathComponent)) }
        let document = try ExamAnalysis(exam: exam, output: BundleFixture.root.appendingPathComponent("analysis-detections")).run(bundle: bundle, log: .silent).document
        #expect(document.bundle.detectors?.keys.sorted() == ["mass"])
        var run = DetectionRun(detector: BundleFixture.detector, inputs: .dicom(files), output: try BundleFixture.folder("detect-exam"))
        run.device = .cpu
        let reference = try run.run(log: .silent)
        var compared = 0
        for image in document.images {
            let detections = try #require(image.detections)
            let expected = try #require(reference.images.first { $0.image == image.file })
            #expect(detections.count == expected.detections.count)
            for (found, wanted) in zip(detections, expected.detections) {
                let box = try #require(wanted.sourceBox)
                #expect(abs(found.score - wanted.score) < 1e-5 && found.finding == wanted.finding.rawValue)
                #expect(abs(found.box.xmin - box.xmin) < 1e-3 && abs(found.box.ymax - box.ymax) < 1e-3, "\(found.box) against \(box)")
                // On the page's model input the box is the same box, mapped by the view's geometry.
                let back = BoxMapping(geometry: image.geometry).toSource(found.modelInputBox)
                #expect(abs(back.xmin - found.box.xmin) < 1e-6 && abs(back.ymax - found.box.ymax) < 1e-6)
                compared += 1
            }
        }
        #expect(compared == 12)
    }

    @Test func examsAnalysedTogetherGetTheScoresOfSeparateRuns() throws {
        try BundleFixture.ready.get()
        let bundle = try LoadedBundle(BundleFixture.bundle)
        var analyses: [ExamAnalysis] = []
        for patient in ["SYN000003", "SYN000004"] {
            let exam = try BundleFixture.folder("batch-\(patient)")
            for file in try BundleFixture.newestExam(of: patient) { try FileManager.default.copyItem(at: file, to: exam.appendingPathComponent(file.lastPathComponent)) }
            analyses.append(ExamAnalysis(exam: exam, output: nil))
        }
        // An exam that cannot be analysed in the middle of the batch fails alone.
        analyses.insert(ExamAnalysis(exam: try BundleFixture.folder("batch-empty"), output: nil), at: 1)
        let together = ExamAnalysis.run(analyses, bundle: bundle, log: .silent)
        #expect(throws: (any Error).self) { try together[1].get() }
        for index in [0, 2] {
            let batched = try together[index].get().document, alone = try analyses[index].run(bundle: bundle, log: .silent).document
            #expect(batched.images.map(\.file) == alone.images.map(\.file) && batched.images.count == 4)
            for (a, b) in zip(batched.images, alone.images) {
                for (x, y) in zip(a.results, b.results) {
                    #expect(x.task == y.task && zip(x.scores, y.scores).allSatisfy { abs($0 - $1) < 1e-5 }, "\(a.file) \(x.task)")
                }
            }
        }
    }

    @Test func orientationIsInferredFromThePixels() throws {
        try BundleFixture.ready.get()
        let files = try Preprocessor.inputs(BundleFixture.cohort.appendingPathComponent("dicom")).map(\.url)
        var lateralityRight = 0, viewRight = 0
        for file in files {
            let image = try DicomImage(contentsOf: file)
            let inferred = try InferredOrientation.infer(image)
            if inferred.laterality == image.metadata.laterality { lateralityRight += 1 }
            if inferred.view == image.metadata.view { viewRight += 1 }
        }
        #expect(files.count >= 100)
        #expect(Double(lateralityRight) / Double(files.count) >= 0.99, "laterality \(lateralityRight) of \(files.count)")
        #expect(Double(viewRight) / Double(files.count) >= 0.95, "view \(viewRight) of \(files.count)")
    }
}
