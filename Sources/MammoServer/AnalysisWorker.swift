import Foundation
import Logging
import MammoExam
import ServiceLifecycle
import Torch

/// Runs queued exams one at a time through the bundle, on a thread of its own (the encoder is
/// compute-bound and must not block the server's event loops). On graceful shutdown (SIGTERM) the
/// queue stops accepting exams and the worker finishes every accepted one before it returns.
struct AnalysisWorker: Service {
    let jobs: ExamJobs
    let bundle: LoadedBundle
    let metrics: ServerMetrics
    let logger: Logger
    private let compute = DispatchQueue(label: "mammofm.analysis")

    init(jobs: ExamJobs, bundle: LoadedBundle, metrics: ServerMetrics, logger: Logger) {
        self.jobs = jobs
        self.bundle = bundle
        self.metrics = metrics
        self.logger = logger
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            while let id = await jobs.next() {
                await metrics.queue(pending: jobs.pending, running: jobs.inFlight)
                await analyse(id)
                await metrics.queue(pending: jobs.pending, running: jobs.inFlight)
            }
            logger.info("analysis worker stopped: every accepted exam finished")
        } onGracefulShutdown: {
            Task { await jobs.close() }
        }
    }

    func analyse(_ id: String) async {
        let analysis = ExamAnalysis(exam: await jobs.examFolder(id), output: await jobs.analysisFolder(id))
        let started = Date()
        // Only the job id, counts and times are logged: never a DICOM attribute (patient data).
        logger.info("analysis started", metadata: ["job": "\(id)"])
        let failure: String? = await withCheckedContinuation { continuation in
            compute.async { [bundle] in
                Torch.initializeThread()
                do {
                    let outcome = try analysis.run(bundle: bundle, log: .silent)
                    continuation.resume(returning: outcome.document.images.isEmpty ? "no image analysed" : nil)
                } catch {
                    continuation.resume(returning: "\(error)")
                }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        await jobs.finish(id, error: failure)
        metrics.exam(status: failure == nil ? "done" : "failed", seconds: seconds)
        if failure == nil {
            logger.info("analysis finished", metadata: ["job": "\(id)", "seconds": "\(String(format: "%.3f", seconds))"])
        } else {
            // The error names files by the server's own names (0000.dcm, ...), not by anything the client sent.
            logger.warning("analysis failed", metadata: ["job": "\(id)", "seconds": "\(String(format: "%.3f", seconds))"])
        }
    }
}
