import Foundation
import MammoImaging
import Torch

/// Generates a synthetic screening cohort into a directory: DICOM files, labels, reports and the
/// dataset tables (see `CohortTables`). Patients are independent work items spread over `jobs`
/// threads; each patient's record is written last, so an interrupted run resumes where it stopped and
/// the output is byte-identical whatever the job count.
public struct CohortGenerator: Sendable {
    public let config: SynthConfig
    public let directory: URL

    public init(config: SynthConfig, directory: URL) {
        self.config = config
        self.directory = directory
    }

    /// What a finished run did.
    public struct Summary: Sendable {
        public var generated: Int
        public var resumed: Int
        public var images: Int
    }

    var configURL: URL { directory.appendingPathComponent("cohort-config.json") }
    func recordURL(_ id: String) -> URL { directory.appendingPathComponent("records/\(id).json") }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }

    /// Splits and folds by patient from a seeded permutation.
    public func assignments() -> [(split: String, fold: Int)] {
        var rng = SynthRandom(seed: config.seed, purpose: .split)
        var order = Array(0..<config.patients)
        rng.shuffle(&order)
        let testCount = Int((Double(config.patients) * config.testFraction).rounded())
        let validationCount = Int((Double(config.patients) * config.validationFraction).rounded())
        var result = [(split: String, fold: Int)](repeating: ("train", 0), count: config.patients)
        for (position, index) in order.enumerated() {
            let split = position < testCount ? "test" : position < testCount + validationCount ? "validation" : "train"
            result[index] = (split, position % config.folds)
        }
        return result
    }

    /// Creates the directory or checks that it holds a cohort with the same configuration.
    func prepareDirectory() throws {
        let fm = FileManager.default
        let wanted = try Self.encoder().encode(VersionedConfig(generator: config.generator.rawValue, config: config))
        if fm.fileExists(atPath: configURL.path) {
            guard let existing = fm.contents(atPath: configURL.path), existing == wanted else {
                let version = fm.contents(atPath: configURL.path).flatMap { try? JSONDecoder().decode(GeneratorOnly.self, from: $0) }?.generator
                if let version, version != config.generator.rawValue {
                    throw SynthError.existingCohort(path: directory.path, reason: "holds a cohort of another generator version (\(version), not \(config.generator.rawValue)); resume it with --generator \(version), or choose another --out")
                }
                throw SynthError.existingCohort(path: directory.path, reason: "holds a cohort made with other options; choose another --out or delete it")
            }
        } else if let contents = try? fm.contentsOfDirectory(atPath: directory.path), !contents.isEmpty {
            // Names what is there (OutputFolder's sentence), and never writes into it.
            do { try OutputFolder.checkWritable(directory, as: .syntheticCohort) } catch {
                throw SynthError.existingCohort(path: directory.path, reason: "\(error)")
            }
            throw SynthError.existingCohort(path: directory.path, reason: "exists and is not empty; choose an empty or new directory")
        }
        do {
            try OutputFolder.claim(directory, as: .syntheticCohort)
            try fm.createDirectory(at: directory.appendingPathComponent("records"), withIntermediateDirectories: true)
            try fm.createDirectory(at: directory.appendingPathComponent("dicom"), withIntermediateDirectories: true)
            if !fm.fileExists(atPath: configURL.path) { try writeAtomically(wanted, to: configURL) }
            // A killed run leaves the temporary file of each write it was in.
            OutputFolder.removeTemporaryFiles(under: directory)
        } catch let error as OutputFolderError {
            throw SynthError.existingCohort(path: directory.path, reason: error.description)
        } catch {
            throw SynthError.writeFailed(path: directory.path, reason: "\(error)")
        }
    }

    struct VersionedConfig: Codable { var generator: String; var config: SynthConfig }
    struct GeneratorOnly: Decodable { var generator: String }

    /// Generates (or finishes) the cohort. `progress` is called after each patient with the number done.
    public func run(jobs: Int, progress: @escaping @Sendable (Int) -> Void = { _ in }) throws -> Summary {
        try config.validate()
        try prepareDirectory()
        let splits = assignments()
        let planner = CohortPlanner(config: config)
        let lock = NSLock()
        nonisolated(unsafe) var next = 0, done = 0, resumed = 0
        nonisolated(unsafe) var failure: Error? = nil
        let workers = max(1, min(jobs, config.patients))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                lock.lock()
                let index = next
                next += 1
                let stop = failure != nil
                lock.unlock()
                if stop || index >= config.patients { return }
                do {
                    let plan = planner.patient(index, split: splits[index].split, fold: splits[index].fold)
                    let wasDone = try generatePatientIfNeeded(plan)
                    lock.lock()
                    done += 1
                    if wasDone { resumed += 1 }
                    let count = done
                    lock.unlock()
                    progress(count)
                } catch {
                    lock.lock()
                    if failure == nil { failure = error }
                    lock.unlock()
                }
            }
        }
        if let failure { throw failure }
        let records = try (0..<config.patients).map { try PatientRecord.read(recordURL(String(format: "SYN%06d", $0 + 1))) }
        try CohortTables(config: config, directory: directory, records: records).writeAll()
        return Summary(generated: config.patients - resumed, resumed: resumed, images: records.reduce(0) { $0 + $1.images.count })
    }

    /// Returns true when the patient was already complete.
    func generatePatientIfNeeded(_ plan: PatientPlan) throws -> Bool {
        let url = recordURL(plan.id)
        if FileManager.default.fileExists(atPath: url.path), let record = try? PatientRecord.read(url), record.plan == plan {
            return true
        }
        let record = try generate(plan)
        try writeAtomically(try Self.encoder().encode(record), to: url)
        return false
    }

    /// Renders, writes and describes every image of one patient.
    public func generate(_ plan: PatientPlan) throws -> PatientRecord {
        let folder = directory.appendingPathComponent("dicom/\(plan.id)")
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw SynthError.writeFailed(path: folder.path, reason: "\(error)")
        }
        var images: [ImageRecord] = []
        var reports: [ReportRecord] = []
        let writer = ReportWriter(generator: config.generator)
        var textures: [String: [Float]] = [:]
        for (examIndex, exam) in plan.exams.enumerated() {
            let studyUID = DicomComposer.uid(seed: config.seed, "study/\(exam.id)")
            var instance = 0
            for side in [Side.right, .left] {
                for view in [ViewPosition.cc, .mlo] {
                    instance += 1
                    let imageID = "\(exam.id)-\(side.rawValue)\(view.rawValue)"
                    let renderer = ViewRenderer(config: config, patient: plan, exam: exam, side: side, view: view)
                    let key = "\(side.rawValue)\(view.rawValue)"
                    let size = renderer.size
                    if textures[key] == nil {
                        textures[key] = ViewRenderer.texture(config: config, patient: plan, side: side, view: view, rows: size.rows, columns: size.columns)
                    }
                    let rendered = renderer.render(texture: textures[key])
                    let record = ImageRecord(imageID: imageID, examID: exam.id, side: side, view: view,
                                             path: "dicom/\(plan.id)/\(imageID).dcm", rows: rendered.rows, columns: rendered.columns,
                                             spacing: rendered.spacing, studyUID: studyUID,
                                             seriesUID: DicomComposer.uid(seed: config.seed, "series/\(imageID)"),
                                             sopInstanceUID: DicomComposer.uid(seed: config.seed, "image/\(imageID)"),
                                             boxes: rendered.boxes)
                    do {
                        try DicomComposer.write(rendered, record: record, patient: plan, exam: exam, instance: instance,
                                                to: directory.appendingPathComponent(record.path))
                    } catch {
                        throw SynthError.writeFailed(path: record.path, reason: "\(error)")
                    }
                    images.append(record)
                }
            }
            var text = SynthRandom(seed: config.seed, purpose: .text, UInt64(plan.index), UInt64(examIndex))
            var para = SynthRandom(seed: config.seed, purpose: .paraphrase, UInt64(plan.index), UInt64(examIndex))
            var breast: [Side: SynthReport] = [:], breastParaphrase: [Side: SynthReport] = [:]
            for side in Side.allCases {
                breast[side] = writer.breastReport(exam, patient: plan, side: side, rng: &text)
                breastParaphrase[side] = writer.breastReport(exam, patient: plan, side: side, rng: &para)
            }
            reports.append(ReportRecord(examID: exam.id, report: writer.report(exam, patient: plan, rng: &text),
                                        paraphrase: writer.report(exam, patient: plan, rng: &para),
                                        breast: breast, breastParaphrase: breastParaphrase))
        }
        return PatientRecord(generator: config.generator.rawValue, plan: plan, images: images, reports: reports)
    }
}
