import Foundation
import Torch

/// How `mammofm serve` runs: where it listens, what it loads, its limits and its PACS link.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The model bundle to serve.
    public var bundle: URL
    public var device: Device = .cpu
    /// Uploaded exams and their analyses (`jobs/<id>/`).
    public var workDirectory: URL
    /// The bearer token every endpoint but /health and the page shell requires; nil disables authentication.
    public var token: String?
    /// The largest request body (bytes); larger uploads get 413.
    public var maxUploadBytes = 1 << 30
    /// The most DICOM files one exam may hold.
    public var maxImagesPerExam = 64
    /// The most exams waiting to run; more get 503 with Retry-After.
    public var maxPendingJobs = 16
    /// The most waiting exams analysed together (their images share encoder passes).
    public var examsPerBatch = 4
    /// Seconds a request may take before it is answered 408 (an upload is read within it).
    public var requestTimeoutSeconds = 300.0
    /// Orthanc to watch for stable MG studies, with its credentials ("user:password"), when set.
    public var orthanc: URL?
    public var orthancCredentials: String?
    /// Seconds between two polls of Orthanc's /changes.
    public var orthancPollSeconds = 2.0

    public init(bundle: URL, workDirectory: URL) {
        self.bundle = bundle
        self.workDirectory = workDirectory
    }

    /// Reads a token file: its first line, without surrounding whitespace; an empty one is refused.
    public static func readToken(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ServerError.configuration("\(url.path): cannot read the token file")
        }
        let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard token.count >= 16 else { throw ServerError.configuration("\(url.path): the token must be at least 16 characters") }
        return token
    }
}

/// Why the server cannot start or a request cannot be served.
public enum ServerError: Error, CustomStringConvertible {
    case configuration(String)
    case orthanc(String)

    public var description: String {
        switch self {
        case .configuration(let reason): return reason
        case .orthanc(let reason): return "Orthanc: \(reason)"
        }
    }
}

extension ServerConfiguration {
    /// Reads Orthanc credentials: the first line, "user:password".
    public static func readCredentials(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ServerError.configuration("\(url.path): cannot read the credentials file")
        }
        let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard line.contains(":") else { throw ServerError.configuration("\(url.path): the first line must be user:password") }
        return line
    }
}
