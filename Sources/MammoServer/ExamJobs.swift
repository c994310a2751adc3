import Foundation
import MammoExam

/// The state of one submitted exam.
public struct ExamJob: Codable, Sendable {
    public enum Status: String, Codable, Sendable { case queued, running, done, failed }

    public var id: String
    public var status: Status
    /// Files received (DICOM parts).
    public var files: Int
    public var submitted: Date
    public var finished: Date?
    /// Why the analysis failed (status `failed`).
    public var error: String?
    /// Where the job came from: "upload", "stow-rs" or "orthanc".
    public var origin: String
}

/// Why a submission was refused.
public enum SubmissionError: Error, CustomStringConvertible, Equatable {
    /// The queue holds its maximum of pending jobs.
    case queueFull(pending: Int)
    /// The server is shutting down and accepts no new work.
    case draining
    case tooManyImages(count: Int, limit: Int)
    case noImages

    public var description: String {
        switch self {
        case .queueFull(let pending): return "the queue is full (\(pending) exams waiting); retry later"
        case .draining: return "the server is shutting down and accepts no new exams"
        case .tooManyImages(let count, let limit): return "\(count) images in one exam; the limit is \(limit)"
        case .noImages: return "the request holds no DICOM file"
        }
    }
}

/// The exam jobs of a server: a bounded queue of pending jobs, their files and results under a work
/// folder (`jobs/<id>/exam/` and `jobs/<id>/analysis/`), and the waiting worker. Every accepted job
/// ends `done` or `failed`; closing stops new submissions while queued jobs still run.
public actor ExamJobs {
    public let workDirectory: URL
    public let maxPending: Int
    public let maxImagesPerExam: Int
    private var jobs: [String: ExamJob] = [:]
    private var queue: [String] = []
    private var waiting: CheckedContinuation<String?, Never>?
    private var closed = false
    private var running = 0

    public init(workDirectory: URL, maxPending: Int, maxImagesPerExam: Int) throws {
        self.workDirectory = workDirectory
        self.maxPending = maxPending
        self.maxImagesPerExam = maxImagesPerExam
        try FileManager.default.createDirectory(at: workDirectory.appendingPathComponent("jobs"), withIntermediateDirectories: true)
    }

    /// Jobs waiting to run.
    public var pending: Int { queue.count }
    /// Why a submission would be refused now (a full queue, shutting down); nil when it would be taken.
    public var refusal: SubmissionError? {
        closed ? .draining : queue.count >= maxPending ? .queueFull(pending: queue.count) : nil
    }
    /// Jobs running now.
    public var inFlight: Int { running }

    /// Stores the files of one exam and queues it; the job's id.
    public func submit(_ files: [(name: String, data: Data)], origin: String) throws -> String {
        if let refusal { throw refusal }
        guard !files.isEmpty else { throw SubmissionError.noImages }
        guard files.count <= maxImagesPerExam else { throw SubmissionError.tooManyImages(count: files.count, limit: maxImagesPerExam) }
        let id = UUID().uuidString.lowercased()
        let folder = examFolder(id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (index, file) in files.enumerated() {
            // Names are the server's own: a client's file name never becomes a path.
            try file.data.write(to: folder.appendingPathComponent(String(format: "%04d.dcm", index)))
        }
        jobs[id] = ExamJob(id: id, status: .queued, files: files.count, submitted: Date(), origin: origin)
        queue.append(id)
        if let waiting {
            self.waiting = nil
            waiting.resume(returning: queue.removeFirst())
            markRunning(id)
        }
        return id
    }

    public func job(_ id: String) -> ExamJob? { jobs[id] }

    public func examFolder(_ id: String) -> URL { workDirectory.appendingPathComponent("jobs/\(id)/exam") }
    public func analysisFolder(_ id: String) -> URL { workDirectory.appendingPathComponent("jobs/\(id)/analysis") }

    /// The next jobs to run together (at most `limit`, in arrival order), waiting for one; empty once
    /// closed and drained. Exams that queued while the worker was busy come out together, so their
    /// images share encoder passes.
    public func nextBatch(limit: Int) async -> [String] {
        var batch: [String] = []
        if queue.isEmpty {
            if closed { return [] }
            guard let first = await withCheckedContinuation({ waiting = $0 }) else { return [] }
            batch.append(first)
        }
        while batch.count < max(1, limit), !queue.isEmpty {
            let id = queue.removeFirst()
            markRunning(id)
            batch.append(id)
        }
        return batch
    }

    private func markRunning(_ id: String) {
        jobs[id]?.status = .running
        running += 1
    }

    public func finish(_ id: String, error: String?) {
        jobs[id]?.status = error == nil ? .done : .failed
        jobs[id]?.error = error
        jobs[id]?.finished = Date()
        running -= 1
    }

    /// Stops accepting jobs; the worker runs what is queued, then `next()` returns nil.
    public func close() {
        closed = true
        if queue.isEmpty, let waiting {
            self.waiting = nil
            waiting.resume(returning: nil)
        }
    }
}
