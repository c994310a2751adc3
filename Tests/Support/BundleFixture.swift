import Foundation
import MammoData
import MammoDetection
import MammoDownstream
import MammoExam
import MammoModels
import MammoText
import TestSupport
import Torch

/// A small synthetic cohort (128 x 80 DICOM, preprocessed to 64 x 40 with the reference's profile), a
/// tiny random model saved as a converted folder, its probe heads, a fine-tuned mass head and a bundle
/// of the probe heads but mass and the fine-tuned one: made once per process (the exam and server
/// suites share it).
public enum BundleFixture {
    public static let root = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-bundle-fixture-\(getpid())")
    public static var cohort: URL { root.appendingPathComponent("cohort") }
    public static var images: URL { root.appendingPathComponent("prepared/images") }
    public static var model: URL { root.appendingPathComponent("model") }
    public static var probe: URL { root.appendingPathComponent("probe") }
    public static var fineTune: URL { root.appendingPathComponent("finetune") }
    public static var bundle: URL { root.appendingPathComponent("bundle") }
    /// A one-epoch mass detector whose decoder reports its three best boxes per image whatever their
    /// score (so that the exam tests see detections).
    public static var detector: URL { root.appendingPathComponent("detector") }
    /// The bundle's fine-tuned task (the other tasks' heads are linear probes).
    public static let fineTunedTask = ClassificationTask.mass
    public static var features: URL { root.appendingPathComponent("features") }

    public static func studyData() -> StudyData {
        var data = StudyData(dataset: cohort, format: .synth, images: images)
        data.bootstrapReplicates = 0
        data.featureCache = features
        return data
    }

    public static let ready: Result<Void, Error> = Result {
        try PreparedCohort.make(at: root, patients: 24, seed: 5)
        let prompts = PromptSet.reference.prompts.values.flatMap { $0.flatMap { $0 } } + PromptSet.ensemble.prompts.values.flatMap { $0.flatMap { $0 } }
        let vocabulary = VocabularyBuilder.build(from: prompts.map { $0.replacingOccurrences(of: "{side}", with: "left right") }, size: 300)
        try TinyModel.save(to: model, vocabulary: vocabulary, seed: 3)
        var data = studyData()
        data.output = probe
        var study = ProbeStudy(model: model, data: data)
        study.head = HeadOverrides(epochs: 4)
        _ = try study.run(log: .silent)
        var tuneData = studyData()
        tuneData.output = fineTune
        tuneData.tasks = [fineTunedTask.name]
        var tune = FineTuneStudy(model: model, data: tuneData)
        tune.head = HeadOverrides(epochs: 1)
        tune.augmentation = false
        _ = try tune.run(log: .silent)
        var detection = DetectorStudy(model: model, dataset: cohort, format: .synth, images: images, output: root.appendingPathComponent("detector-study"),
                                      findings: [.mass])
        detection.training.epochs = 1
        detection.training.batchSize = 4
        detection.pyramidWidth = 32
        detection.bootstrapReplicates = 0
        _ = try detection.run(log: .silent)
        var detectorManifest = try DetectorManifest.read(detection.output.appendingPathComponent("detector/\(Detector.manifestName)"), missing: "")
        detectorManifest.decoder.scoreThreshold = 0
        detectorManifest.decoder.maximumDetections = 3
        detectorManifest.validation = []
        try FileManager.default.createDirectory(at: detector, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: detection.output.appendingPathComponent("detector/\(Detector.weightsName)"),
                                         to: detector.appendingPathComponent(Detector.weightsName))
        try detectorManifest.write(to: detector.appendingPathComponent(Detector.manifestName))
        var contents = ModelBundle.Contents(model: model)
        contents.detectors = [detector]
        // The probe's heads (a task whose validation split cannot set an operating point has none), but the fine-tuned task's.
        let probeHeads = try FileManager.default.contentsOfDirectory(atPath: probe.appendingPathComponent("heads").path).sorted()
            .filter { $0 != fineTunedTask.name }.map { probe.appendingPathComponent("heads/\($0)") }
        contents.heads = probeHeads + [fineTune.appendingPathComponent("heads/\(fineTunedTask.name)")]
        contents.prompts = "ensemble"
        try ModelBundle.create(contents, out: bundle)
    }

    /// The DICOM files of one patient's newest exam (the synthetic cohort names them PATIENT-EXAM-VIEW.dcm).
    public static func newestExam(of patient: String) throws -> [URL] {
        let folder = cohort.appendingPathComponent("dicom/\(patient)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".dcm") }.sorted()
        let exams = Set(names.map { $0.split(separator: "-").dropLast().joined(separator: "-") }).sorted()
        return names.filter { $0.hasPrefix(exams.last! + "-") }.map { folder.appendingPathComponent($0) }
    }

    /// A fresh folder under the fixture root.
    public static func folder(_ name: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a command-line tool, returning its exit status and output.
    public static func tool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
