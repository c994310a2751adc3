import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MammoExam
import MammoImaging
import ServiceLifecycle
import Torch

/// What the routes share: the configuration, the loaded bundle, the jobs and the metrics.
public struct ServerState: Sendable {
    public let configuration: ServerConfiguration
    public let bundle: LoadedBundle
    public let jobs: ExamJobs
    public let metrics: ServerMetrics

    public init(configuration: ServerConfiguration, bundle: LoadedBundle) throws {
        self.configuration = configuration
        self.bundle = bundle
        jobs = try ExamJobs(workDirectory: configuration.workDirectory, maxPending: configuration.maxPendingJobs,
                            maxImagesPerExam: configuration.maxImagesPerExam)
        metrics = ServerMetrics()
    }
}

/// The API version `GET /info` reports; it changes when a route or a response's shape does.
public let serverAPIVersion = "1"

/// The router of `mammofm serve` (tests drive it in-process with `app.test(.router)`).
public func buildRouter(_ state: ServerState) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: MetricsMiddleware(metrics: state.metrics))
    router.add(middleware: BearerTokenMiddleware(token: state.configuration.token))

    router.get("health") { _, _ in JSONBody(["status": "alive"]) }
    router.get("ready") { _, _ in JSONBody(["status": "ready", "bundle": state.bundle.manifestHash]) }
    router.get("info") { _, _ in
        JSONBody(["api": serverAPIVersion, "mammofm": MammoFMRelease.version, "bundleFormat": String(state.bundle.manifest.version),
                  "bundle": state.bundle.manifestHash, "imageTower": state.bundle.manifest.model.imageTower,
                  "input": "\(state.bundle.manifest.model.inputWidth)x\(state.bundle.manifest.model.inputHeight)",
                  "heads": state.bundle.manifest.heads.map(\.task).joined(separator: ","), "prompts": state.bundle.manifest.prompts.name])
    }
    router.get("metrics") { _, _ in
        let pending = await state.jobs.pending, running = await state.jobs.inFlight
        state.metrics.queue(pending: pending, running: running)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: state.metrics.text())))
    }
    router.get("/") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
    }
    router.post("v1/exams") { request, context in
        let id = try await submit(request, context: context, state: state, origin: "upload")
        return try JSONBody.response(.accepted, ["id": id, "status": "queued", "href": "/v1/exams/\(id)"])
    }
    router.post("dicomweb/studies") { request, context in
        try await storeInstances(request, context: context, state: state)
    }
    router.get("v1/exams/:id") { _, context in
        let job = try await existingJob(context, state)
        var fields: [String: Any] = ["id": job.id, "status": job.status.rawValue, "files": job.files, "origin": job.origin,
                                     "submitted": ISO8601DateFormatter().string(from: job.submitted)]
        if let finished = job.finished { fields["finished"] = ISO8601DateFormatter().string(from: finished) }
        if let error = job.error { fields["error"] = error }
        if job.status == .done, let data = FileManager.default.contents(atPath: await state.jobs.analysisFolder(job.id).appendingPathComponent("analysis.json").path),
           let analysis = try? JSONSerialization.jsonObject(with: data) {
            fields["analysis"] = analysis
        }
        return try JSONBody.response(.ok, fields)
    }
    router.get("v1/exams/:id/sr") { _, context in
        try await resultFile(context, state, name: "report.dcm", contentType: "application/dicom")
    }
    router.get("v1/exams/:id/page") { _, context in
        try await resultFile(context, state, name: "index.html", contentType: "text/html; charset=utf-8")
    }
    router.get("v1/exams/:id/images/:name") { _, context in
        let name = try context.parameters.require("name")
        guard ["R-CC.png", "L-CC.png", "R-MLO.png", "L-MLO.png"].contains(name) else {
            throw HTTPError(.notFound, message: "no image '\(name)': the views are R-CC.png, L-CC.png, R-MLO.png and L-MLO.png")
        }
        return try await resultFile(context, state, name: "images/" + name, contentType: "image/png")
    }
    return router
}

/// The application: the router on the configured address, with the analysis worker (and the
/// Orthanc watcher, when configured) as services that drain on SIGTERM.
public func buildApplication(_ state: ServerState, logger: Logger) -> some ApplicationProtocol {
    Application(router: buildRouter(state),
                configuration: .init(address: .hostname(state.configuration.host, port: state.configuration.port), serverName: "MammoFM"),
                services: services(state, logger: logger), logger: logger)
}

/// Reads a multipart upload, keeps its DICOM parts and queues them as one exam.
func submit(_ request: Request, context: BasicRequestContext, state: ServerState, origin: String) async throws -> String {
    do {
        // A full queue is answered before the upload is read: a refused client costs no body.
        if let refusal = await state.jobs.refusal { throw refusal }
        let body = try await collectBody(request, limit: state.configuration.maxUploadBytes, timeoutSeconds: state.configuration.requestTimeoutSeconds)
        let files = try dicomParts(Data(body.readableBytesView), contentType: request.headers[.contentType])
        let id = try await state.jobs.submit(files, origin: origin)
        context.logger.info("exam queued", metadata: ["job": "\(id)", "files": "\(files.count)"])
        return id
    } catch let error as SubmissionError {
        switch error {
        case .queueFull, .draining:
            throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "10"], message: error.description)
        case .tooManyImages:
            throw HTTPError(.contentTooLarge, message: error.description)
        case .noImages:
            throw HTTPError(.badRequest, message: error.description)
        }
    }
}

/// The DICOM files of a multipart body: every part must be DICOM (the "DICM" marker of Part 10, or
/// the application/dicom type with that marker); a part that is not is named in the 400 answer.
func dicomParts(_ body: Data, contentType: String?) throws -> [(name: String, data: Data)] {
    let parts: [MultipartPart]
    do { parts = try Multipart.parts(of: body, boundary: Multipart.boundary(contentType: contentType)) } catch let error as MultipartError {
        throw HTTPError(.badRequest, message: error.description)
    }
    var files: [(name: String, data: Data)] = []
    for (index, part) in parts.enumerated() {
        let label = "part \(index + 1)" + (part.filename.map { " ('\($0)')" } ?? "")
        let isDicom = part.body.count >= 132 && part.body[part.body.startIndex + 128..<part.body.startIndex + 132] == Data("DICM".utf8)
        if !isDicom {
            // Form fields that are not files (a token, a note) are not images and are left out.
            if part.filename == nil && part.contentType != "application/dicom" && MediaTypeText.essence(contentType ?? "") == "multipart/form-data" { continue }
            throw HTTPError(.badRequest, message: "\(label) is not a DICOM Part 10 file (type \(part.contentType ?? "none"), \(part.body.count) bytes, no 'DICM' marker at byte 128)")
        }
        files.append((label, part.body))
    }
    return files
}

/// STOW-RS (`POST /dicomweb/studies`): stores the instances as one exam and answers, as a DICOMweb
/// store does, with the Referenced SOP Sequence (DICOM JSON) and where the exam's results will be.
func storeInstances(_ request: Request, context: BasicRequestContext, state: ServerState) async throws -> Response {
    guard MediaTypeText.essence(request.headers[.contentType] ?? "") == "multipart/related" else {
        throw HTTPError(.unsupportedMediaType, message: "STOW-RS takes multipart/related; type=\"application/dicom\"")
    }
    let id = try await submit(request, context: context, state: state, origin: "stow-rs")
    var references: [[String: Any]] = []
    for file in try FileManager.default.contentsOfDirectory(atPath: await state.jobs.examFolder(id).path).sorted() {
        guard let header = try? DicomStudyAttributes.read(await state.jobs.examFolder(id).appendingPathComponent(file)) else { continue }
        references.append(["00081150": ["vr": "UI", "Value": [header.study.sopClassUID ?? ""]],
                           "00081155": ["vr": "UI", "Value": [header.metadata.sopInstanceUID ?? ""]]])
    }
    let answer: [String: Any] = ["00081190": ["vr": "UR", "Value": ["/v1/exams/\(id)"]], "00081199": ["vr": "SQ", "Value": references]]
    var response = try JSONBody.response(.ok, answer)
    response.headers[.contentType] = "application/dicom+json"
    return response
}

func existingJob(_ context: BasicRequestContext, _ state: ServerState) async throws -> ExamJob {
    let id = try context.parameters.require("id")
    guard let job = await state.jobs.job(id) else { throw HTTPError(.notFound, message: "no exam job '\(id)'") }
    return job
}

/// A file of a finished job's analysis; 404 before it is done (or when the job failed).
func resultFile(_ context: BasicRequestContext, _ state: ServerState, name: String, contentType: String) async throws -> Response {
    let job = try await existingJob(context, state)
    guard job.status == .done else {
        throw HTTPError(.notFound, message: "exam job \(job.id) is \(job.status.rawValue)" + (job.error.map { ": \($0)" } ?? "") + "; its results are not there")
    }
    let url = await state.jobs.analysisFolder(job.id).appendingPathComponent(name)
    guard let data = FileManager.default.contents(atPath: url.path) else { throw HTTPError(.notFound, message: "exam job \(job.id) has no \(name)") }
    return Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// A JSON object as a response body.
struct JSONBody: ResponseGenerator {
    let fields: [String: Any]
    init(_ fields: [String: Any]) { self.fields = fields }

    func response(from request: Request, context: some RequestContext) throws -> Response { try Self.response(.ok, fields) }

    static func response(_ status: HTTPResponse.Status, _ fields: [String: Any]) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension JSONBody: @unchecked Sendable {}

/// The request body, at most `limit` bytes (413 beyond), read within `timeoutSeconds` (408 beyond):
/// a client that stalls mid-upload does not hold a connection and its memory for ever.
func collectBody(_ request: Request, limit: Int, timeoutSeconds: Double) async throws -> ByteBuffer {
    let body = request.body
    return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
        group.addTask { try await body.collect(upTo: limit) }
        group.addTask {
            try await Task.sleep(for: .seconds(timeoutSeconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let buffer = first else {
            throw HTTPError(.requestTimeout, message: "the upload took longer than \(Int(timeoutSeconds)) s")
        }
        return buffer
    }
}

/// `mammofm serve`: loads and verifies the bundle, then runs the server until SIGTERM or SIGINT,
/// draining accepted exams before it returns. `onListening` gets the port actually bound (with port
/// 0, the system's choice).
public func serve(_ configuration: ServerConfiguration, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
    let bundle = try LoadedBundle(configuration.bundle, device: configuration.device)
    let state = try ServerState(configuration: configuration, bundle: bundle)
    logger.info("bundle loaded", metadata: ["bundle": "\(bundle.manifestHash)", "work": "\(configuration.workDirectory.path)"])
    let app = Application(router: buildRouter(state),
                          configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "MammoFM"),
                          services: services(state, logger: logger),
                          onServerRunning: { channel in
                              let port = channel.localAddress?.port ?? configuration.port
                              logger.info("listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
                              onListening(port)
                          },
                          logger: logger)
    try await app.runService()
}

/// The worker, and the Orthanc watcher when configured.
func services(_ state: ServerState, logger: Logger) -> [any Service] {
    var services: [any Service] = [AnalysisWorker(jobs: state.jobs, bundle: state.bundle, metrics: state.metrics, logger: logger,
                                                    examsPerBatch: state.configuration.examsPerBatch)]
    if let orthanc = state.configuration.orthanc {
        services.append(OrthancWatcher(orthanc: orthanc, credentials: state.configuration.orthancCredentials,
                                       pollSeconds: state.configuration.orthancPollSeconds, jobs: state.jobs, logger: logger))
    }
    return services
}
