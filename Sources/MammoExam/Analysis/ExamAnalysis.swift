import Foundation
import MammoData
import MammoDetection
import MammoDownstream
import MammoEvaluation
import MammoImaging
import MammoModels
import Torch

/// One exam through a bundle (`mammofm analyze`): the newest exam of a folder of DICOM files is
/// preprocessed with the bundle's profile, embedded, scored by the zero-shot prompts and every head,
/// and written as `analysis.json`, a DICOM Enhanced SR (`report.dcm`) and a self-contained page
/// (`index.html`), with the model inputs under `images/`. Files it cannot use are listed with the
/// reason; laterality or view missing from a header is inferred from the pixels and marked so.
public struct ExamAnalysis: Sendable {
    /// The folder of the exam's DICOM files (one patient; several exams: the newest is analysed).
    public var exam: URL
    /// The analysis folder (new, or an earlier analysis, replaced whole); nil writes nothing.
    public var output: URL?

    public init(exam: URL, output: URL?) {
        self.exam = exam
        self.output = output
    }

    /// What a run produced: the document and, when written, the report's SOP Instance UID.
    public struct Outcome: Sendable {
        public var document: AnalysisDocument
        public var reportUID: String?
    }

    /// A decoded screening view ready for the model.
    struct PreparedView {
        var file: ExamFile
        var laterality: Laterality
        var view: String
        var lateralitySource: String
        var viewSource: String
        var pixels: Tensor
        var geometry: PreprocessingGeometry
        var key: String { "\(laterality.rawValue)-\(view)" }
    }

    /// Loads the bundle at `bundle` on `device` (after checking that the output folder may be
    /// written, so a refused folder costs no loading) and runs the analysis.
    public func run(bundleAt bundle: URL, device: Device = .cpu, log: RunLog = .standardError) throws -> Outcome {
        if let output { try OutputFolder.checkWritable(output, as: .examAnalysis) }
        return try run(bundle: LoadedBundle(bundle, device: device), log: log)
    }

    public func run(bundle: LoadedBundle, log: RunLog = .standardError) throws -> Outcome {
        try Self.run([self], bundle: bundle, log: log)[0].get()
    }

    /// An exam read and preprocessed, its model inputs written to a scratch folder, ready to encode.
    struct PreparedExam {
        var analysis: ExamAnalysis
        var selection: ExamSelection
        var views: [PreparedView]
        var scratch: URL
        var inputs: [URL]
        var started: Date
        var timings = AnalysisDocument.Timings()
    }

    /// Several exams with one encoder pass over all their views (in chunks of
    /// `ExamScoring.encoderBatch(for:device:)` images): what the server does with exams that wait together. Each
    /// exam's answer is its own; one exam's error never stops the others.
    public static func run(_ analyses: [ExamAnalysis], bundle: LoadedBundle, log: RunLog = .standardError) -> [Result<Outcome, Error>] {
        var results = [Result<Outcome, Error>?](repeating: nil, count: analyses.count)
        var prepared: [(index: Int, exam: PreparedExam)] = []
        defer { for entry in prepared { try? FileManager.default.removeItem(at: entry.exam.scratch) } }
        for (index, analysis) in analyses.enumerated() {
            do { prepared.append((index, try analysis.prepareExam(bundle: bundle, log: log))) } catch { results[index] = .failure(error) }
        }
        let scoring = ExamScoring(bundle: bundle)
        let inferenceStarted = Date()
        do {
            let encoded = try scoring.encode(prepared.flatMap(\.exam.inputs))
            let inferenceSeconds = Date().timeIntervalSince(inferenceStarted)
            var row = 0
            for (index, exam) in prepared {
                var exam = exam
                exam.timings.inferenceSeconds = inferenceSeconds
                let rows = row..<(row + exam.views.count)
                row += exam.views.count
                results[index] = Result {
                    let scored = try scoring.score(views: exam.views, encoded: encoded.rows(rows))
                    return try exam.analysis.write(exam, scored: scored, bundle: bundle, log: log)
                }
            }
        } catch {
            for (index, _) in prepared { results[index] = .failure(error) }
        }
        return results.map { $0! }
    }

    /// Reads the exam, preprocesses its views and writes their model inputs to a scratch folder.
    func prepareExam(bundle: LoadedBundle, log: RunLog) throws -> PreparedExam {
        let started = Date()
        if let output { try OutputFolder.checkWritable(output, as: .examAnalysis) }
        var selection = try ExamSelection.read(exam)
        let readSeconds = Date().timeIntervalSince(started)
        let views = try prepare(&selection, bundle: bundle, log: log)
        guard !views.isEmpty else {
            throw ImagingError.unreadable(path: exam.path, reason: "none of the exam's images could be analysed: "
                                          + selection.skipped.prefix(3).map { "\($0.file): \($0.reason)" }.joined(separator: "; "))
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-analysis-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        var inputs: [URL] = []
        do {
            for view in views {
                let url = scratch.appendingPathComponent(view.key + ".png")
                let values = try view.pixels.to(.int32).toArray(Int32.self).map { UInt16(clamping: $0) }
                try GrayscaleImage(width: view.geometry.outputWidth, height: view.geometry.outputHeight,
                                   bitDepth: bundle.manifest.model.preprocessing.bitDepth, pixels: values).writePNG(url)
                inputs.append(url)
            }
        } catch {
            try? FileManager.default.removeItem(at: scratch)
            throw error
        }
        var prepared = PreparedExam(analysis: self, selection: selection, views: views, scratch: scratch, inputs: inputs, started: started)
        prepared.timings.readSeconds = readSeconds
        prepared.timings.preprocessSeconds = Date().timeIntervalSince(started) - readSeconds
        return prepared
    }

    /// The document of a scored exam and, with an output folder, its files (replacing an earlier analysis whole).
    func write(_ exam: PreparedExam, scored: ExamScoring.Scores, bundle: LoadedBundle, log: RunLog) throws -> Outcome {
        let writeStarted = Date()
        var document = makeDocument(bundle: bundle, selection: exam.selection, views: exam.views, scored: scored)
        document.timings = exam.timings
        guard let output else {
            document.timings.totalSeconds = Date().timeIntervalSince(exam.started)
            return Outcome(document: document, reportUID: nil)
        }
        var reportUID: String?
        try OutputFolder.replace(output, as: .examAnalysis, durable: false) { folder in
            let images = folder.appendingPathComponent("images")
            try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
            for input in exam.inputs { try FileManager.default.copyItem(at: input, to: images.appendingPathComponent(input.lastPathComponent)) }
            let first = exam.selection.current[0]
            reportUID = try AnalysisReport.structuredReport(document, header: first.study, metadata: first.metadata)
                .write(to: folder.appendingPathComponent("report.dcm"))
            try AnalysisPage.render(document, images: images).write(to: folder.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
            document.timings.writeSeconds = Date().timeIntervalSince(writeStarted)
            document.timings.totalSeconds = Date().timeIntervalSince(exam.started)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writeAtomically(encoder.encode(document), to: folder.appendingPathComponent("analysis.json"))
        }
        log.note("wrote \(output.path)/analysis.json, report.dcm and index.html")
        return Outcome(document: document, reportUID: reportUID)
    }

    /// Decodes the selected files, preprocesses them with the bundle's profile, infers what their
    /// headers lack, and keeps one image per side and view.
    func prepare(_ selection: inout ExamSelection, bundle: LoadedBundle, log: RunLog) throws -> [PreparedView] {
        let model = bundle.manifest.model
        var prepared: [PreparedView] = []
        for file in selection.current {
            do {
                let image = try DicomImage(contentsOf: file.url)
                let (pixels, geometry) = try model.preprocessing.apply(image, width: model.inputWidth, height: model.inputHeight)
                var laterality = file.metadata.laterality, view = file.metadata.view ?? ""
                var lateralitySource = file.metadata.lateralitySource ?? "", viewSource = file.metadata.view == nil ? "" : "ViewPosition or ViewCodeSequence"
                if laterality == .unknown || view.isEmpty {
                    let inferred = try InferredOrientation.infer(image)
                    if laterality == .unknown {
                        laterality = inferred.laterality
                        lateralitySource = String(format: "inferred from the image (chest wall on the %@, %.0f%% of the breast on that half)",
                                                  inferred.laterality == .left ? "left" : "right", inferred.chestWallShare * 100)
                    }
                    if view.isEmpty {
                        view = inferred.view
                        viewSource = String(format: "inferred from the image (%.0f%% of the height above the breast, %.0f%% below; an MLO reaches the top edge)",
                                            inferred.topGap * 100, inferred.bottomGap * 100)
                    }
                }
                prepared.append(PreparedView(file: file, laterality: laterality, view: view, lateralitySource: lateralitySource,
                                             viewSource: viewSource, pixels: pixels, geometry: geometry))
            } catch {
                selection.skipped.append(SkippedFile(file: file.name, sopInstanceUID: file.metadata.sopInstanceUID, reason: "\(error)"))
                log.note("skipped \(file.name): \(error)")
            }
        }
        // One image per side and view: one FOR PRESENTATION before one FOR PROCESSING, then the
        // highest Instance Number (a retake).
        func rank(_ view: PreparedView) -> (Int, Int) {
            ((view.file.metadata.presentationIntentType ?? "").uppercased().contains("PROCESSING") ? 0 : 1, view.file.study.instanceNumber ?? 0)
        }
        var kept: [String: PreparedView] = [:]
        for view in prepared {
            if let other = kept[view.key] {
                let (chosen, dropped) = rank(view) >= rank(other) ? (view, other) : (other, view)
                kept[view.key] = chosen
                selection.skipped.append(SkippedFile(file: dropped.file.name, sopInstanceUID: dropped.file.metadata.sopInstanceUID,
                                                     reason: "a second \(view.key) image; \(chosen.file.name) was analysed (for presentation before for processing, then the higher Instance Number)"))
            } else {
                kept[view.key] = view
            }
        }
        let order = ["R-CC", "L-CC", "R-MLO", "L-MLO"]
        return kept.values.sorted { (order.firstIndex(of: $0.key) ?? 9, $0.key) < (order.firstIndex(of: $1.key) ?? 9, $1.key) }
    }

    func makeDocument(bundle: LoadedBundle, selection: ExamSelection, views: [PreparedView], scored: ExamScoring.Scores) -> AnalysisDocument {
        let first = selection.current[0]
        let present = Set(views.map(\.key))
        let missing = ["R CC", "L CC", "R MLO", "L MLO"].filter { !present.contains($0.replacingOccurrences(of: " ", with: "-")) }
        let images = views.enumerated().map { index, view in
            AnalysisDocument.Image(
                file: view.file.name, sopInstanceUID: view.file.metadata.sopInstanceUID, seriesInstanceUID: view.file.metadata.seriesInstanceUID,
                sopClassUID: view.file.study.sopClassUID, laterality: view.laterality.rawValue, view: view.view,
                lateralitySource: view.lateralitySource, viewSource: view.viewSource, manufacturer: view.file.metadata.manufacturer,
                modelInput: "images/\(view.key).png", geometry: view.geometry, results: scored.images[index],
                detections: scored.detections?[index])
        }
        var heads: [String: String] = [:]
        for head in bundle.manifest.heads {
            heads[head.task] = bundle.manifest.files.first { $0.path == head.folder + "/" + ClassifierHead.weightsName }?.fnv1a64 ?? ""
        }
        var detectors: [String: String]?
        for detector in bundle.manifest.detectors ?? [] {
            detectors = detectors ?? [:]
            detectors?[detector.name] = bundle.manifest.files.first { $0.path == detector.folder + "/" + Detector.weightsName }?.fnv1a64 ?? ""
        }
        let findings = Self.findings(breasts: scored.breasts, images: images)
        return AnalysisDocument(
            mammofmVersion: MammoFMRelease.version, created: ISO8601DateFormatter().string(from: Date()),
            bundle: .init(manifestHash: bundle.manifestHash, modelWeightsHash: bundle.manifest.model.weightsHash,
                          imageTower: bundle.manifest.model.imageTower, inputWidth: bundle.manifest.model.inputWidth,
                          inputHeight: bundle.manifest.model.inputHeight, preprocessing: bundle.manifest.model.preprocessing,
                          prompts: bundle.manifest.prompts.name, heads: heads, detectors: detectors),
            exam: .init(studyInstanceUID: first.metadata.studyInstanceUID, studyDate: first.study.studyDate, studyTime: first.study.studyTime,
                        accessionNumber: first.study.accessionNumber, manufacturer: first.metadata.manufacturer, priors: selection.priors,
                        missingViews: missing),
            images: images, skipped: selection.skipped, breasts: scored.breasts, examResults: scored.exam, findings: findings,
            timings: .init())
    }

    /// Positive head decisions per breast (and per image for findings only one view shows), in words.
    static func findings(breasts: [AnalysisDocument.Breast], images: [AnalysisDocument.Image]) -> [AnalysisDocument.Finding] {
        var findings: [AnalysisDocument.Finding] = []
        for breast in breasts {
            let side = breast.laterality == "L" ? "left" : "right"
            for result in breast.results where result.source == .head && result.classes.count == 2 {
                guard let decision = result.decision, decision == result.classes[1], let p = result.probabilities?[1] else { continue }
                let sentence = decision.prefix(1).uppercased() + decision.dropFirst()
                let threshold = result.calibratedThreshold.map { String(format: " %.2f", $0) } ?? ""
                findings.append(.init(laterality: breast.laterality, task: result.task, decision: decision, probability: p,
                                      text: String(format: "%@ in the %@ breast: calibrated probability %.2f, at or above the operating point (%@ on validation:%@)",
                                                   sentence, side, p, result.operatingPoint ?? "chosen", threshold)))
            }
        }
        return findings
    }
}
