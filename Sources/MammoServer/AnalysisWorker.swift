import Foundation
import Logging
import MammoExam
import ServiceLifecycle
import Torch

/// Runs queued exams through the bundle on a thread of its own (the encoder is compute-bound and
/// must not block the server's event loops): exams that queued together are analysed together, their
/// images batched through the encoder. On graceful shutdown (SIGTERM) the
/// queue stops accepting exams and the worker finishes every accepted one before it returns.
struct AnalysisWorker: Service {
    let jobs: ExamJobs
    let bundle: LoadedBundle
    let metrics: ServerMetrics
    let logger: Logger
    /// The most exams analysed together.
    let examsPerBatch: Int
    private let compute = DispatchQueue(label: "mammofm.analysis")

    init(jobs: ExamJobs, bundle: LoadedBundle, metrics: ServerMetrics, logger: Logger, examsPerBatch: Int) {
        self.jobs = jobs
        self.bundle = bundle
        self.metrics = metrics
        self.logger = logger
        self.examsPerBatch = examsPerBatch
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            while true {
                let batch = await jobs.nextBatch(limit: examsPerBatch)
                if batch.isEmpty { break }
                metrics.queue(pending: await jobs.pending, running: await jobs.inFlight)
                await analyse(batch)
                metrics.queue(pending: await jobs.pending, running: await jobs.inFlight)
            }
            logger.info("analysis worker stopped: every accepted exam finished")
        } onGracefulShutdown: {
            Task { await jobs.close() }
        }
    }

    /// Analyses exams together: their images share encoder passes; each keeps its own result.
    func analyse(_ ids: [String]) async {
        var prepared: [ExamAnalysis] = []
        for id in ids { prepared.append(ExamAnalysis(exam: await jobs.examFolder(id), output: await jobs.analysisFolder(id))) }
        let analyses = prepared
        let started = Date()
        // Only job ids, counts and times are logged: never a DICOM attribute (patient data).
        logger.info("analysis started", metadata: ["jobs": "\(ids.joined(separator: ","))", "exams": "\(ids.count)"])
        let outcomes: [String?] = await withCheckedContinuation { continuation in
            compute.async { [bundle] in
                Torch.initializeThread()
                let results = ExamAnalysis.run(analyses, bundle: bundle, log: .silent)
                continuation.resume(returning: results.map { result in
                    switch result {
                    case .success(let outcome): return outcome.document.images.isEmpty ? "no image analysed" : nil
                    case .failure(let error): return "\(error)"
                    }
                })
            }
        }
        let seconds = Date().timeIntervalSince(started)
        for (id, failure) in zip(ids, outcomes) {
            await jobs.finish(id, error: failure)
            metrics.exam(status: failure == nil ? "done" : "failed", seconds: seconds)
            // The error names files by the server's own names (0000.dcm, ...), not by anything the client sent.
            if failure == nil {
                logger.info("analysis finished", metadata: ["job": "\(id)", "seconds": "\(String(format: "%.3f", seconds))", "exams": "\(ids.count)"])
            } else {
                logger.warning("analysis failed", metadata: ["job": "\(id)", "seconds": "\(String(format: "%.3f", seconds))"])
            }
        }
    }
}
