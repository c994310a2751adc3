import Foundation
import MammoExam
@testable import MammoServer
import TestSupport

/// What the server tests share: the bundle fixture's exam files and multipart bodies made of them.
enum ServerFixture {
    static let token = "test-token-0123456789abcdef"
    static let patient = "SYN000003"

    /// A server state over the fixture bundle with `configure` applied.
    static func state(_ configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> ServerState {
        try BundleFixture.ready.get()
        var configuration = ServerConfiguration(bundle: BundleFixture.bundle, workDirectory: try BundleFixture.folder("server-\(UUID().uuidString.prefix(8))"))
        configuration.token = token
        configure(&configuration)
        return try ServerState(configuration: configuration, bundle: LoadedBundle(BundleFixture.bundle))
    }

    /// The newest exam's files of the fixture patient.
    static func examFiles() throws -> [Data] {
        try BundleFixture.ready.get()
        return try BundleFixture.newestExam(of: patient).map { try Data(contentsOf: $0) }
    }

    /// A multipart body of `parts` (content type and bytes) with `boundary`.
    static func multipart(_ parts: [(type: String, data: Data)], boundary: String = "mammofm-test-boundary", formData: Bool = false) -> Data {
        var body = Data()
        for (index, part) in parts.enumerated() {
            body += Data("--\(boundary)\r\n".utf8)
            if formData { body += Data("Content-Disposition: form-data; name=\"file\"; filename=\"image\(index).dcm\"\r\n".utf8) }
            body += Data("Content-Type: \(part.type)\r\n\r\n".utf8) + part.data + Data("\r\n".utf8)
        }
        return body + Data("--\(boundary)--\r\n".utf8)
    }

    static let stowContentType = "multipart/related; type=\"application/dicom\"; boundary=mammofm-test-boundary"
}
