import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MammoExam
import MammoServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model bundle over HTTP and DICOMweb (STOW-RS), optionally watching an Orthanc PACS.",
        discussion: """
        Loads and verifies the bundle, then answers: GET /health, /ready, /info, /metrics (Prometheus); POST \
        /v1/exams (multipart/related with application/dicom parts, as STOW-RS sends, or multipart/form-data) -> \
        202 with a job id; GET /v1/exams/ID (status, then the analysis), /v1/exams/ID/sr, /v1/exams/ID/page, \
        /v1/exams/ID/images/VIEW.png; POST /dicomweb/studies (STOW-RS); GET / (the web page). With --token-file \
        every route but /health and the page shell needs `Authorization: Bearer TOKEN`. Exams run in arrival \
        order, those that waited together in one batch (--batch-exams); a full queue answers 503 with Retry-After. With --orthanc, stable MG studies of that \
        Orthanc are analysed and their SR stored back. SIGTERM stops accepting work, finishes every accepted \
        exam, then exits. Logs are JSON lines on standard error and never hold patient names, ids or dates.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The model bundle to serve.") var bundle: String
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed when listening).") var port = 8080
    @Option(help: "A file whose first line is the bearer token (at least 16 characters); without it no authentication.") var tokenFile: String?
    @Option(help: "Folder for uploaded exams and their analyses (default: a new folder under the system's temporary folder).") var workDir: String?
    @Option(help: "Largest request body in megabytes (413 beyond).") var maxUploadMb = 1024
    @Option(help: "Most DICOM files in one exam.") var maxImages = 64
    @Option(help: "Most exams waiting to run (503 with Retry-After beyond).") var maxPending = 16
    @Option(help: "Seconds an upload may take (408 beyond).") var requestTimeout = 300.0
    @Option(help: "Most waiting exams analysed together, their images batched through the encoder.") var batchExams = 4
    @Option(help: "Orthanc's REST address to watch (e.g. http://127.0.0.1:8042).") var orthanc: String?
    @Option(help: "A file whose first line is Orthanc's user:password.") var orthancCredentials: String?
    @Option(help: "Seconds between two polls of Orthanc's changes.") var orthancPoll = 2.0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard maxUploadMb > 0, maxImages > 0, maxPending > 0, requestTimeout > 0, orthancPoll > 0, batchExams > 0 else {
            throw ValidationError("--max-upload-mb, --max-images, --max-pending, --request-timeout, --batch-exams and --orthanc-poll must be positive")
        }
    }

    func run() async throws {
        try global.apply()
        LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        let logger = Logger(label: "mammofm.serve")
        let work = workDir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-serve-\(ProcessInfo.processInfo.processIdentifier)")
        var configuration = ServerConfiguration(bundle: URL(fileURLWithPath: bundle), workDirectory: work)
        configuration.host = host
        configuration.port = port
        configuration.device = global.device
        configuration.token = try tokenFile.map { try ServerConfiguration.readToken(URL(fileURLWithPath: $0)) }
        configuration.maxUploadBytes = maxUploadMb << 20
        configuration.maxImagesPerExam = maxImages
        configuration.maxPendingJobs = maxPending
        configuration.requestTimeoutSeconds = requestTimeout
        configuration.examsPerBatch = batchExams
        configuration.orthanc = orthanc.map { URL(string: $0) } ?? nil
        configuration.orthancCredentials = try orthancCredentials.map { try ServerConfiguration.readCredentials(URL(fileURLWithPath: $0)) }
        configuration.orthancPollSeconds = orthancPoll
        try await MammoServer.serve(configuration, logger: logger) { port in
            // For scripts and tests: the address, on standard output (logs go to standard error).
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
    }
}
