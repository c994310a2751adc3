import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MammoExam
@testable import MammoServer
import Testing
import TestSupport
import Torch

/// Every endpoint, status code and error body, driven in-process (`app.test(.router)`), with the
/// analysis worker running as it does in `mammofm serve`.
@Suite(.serialized) struct RouterTests {
    static let auth: HTTPFields = [.authorization: "Bearer \(ServerFixture.token)"]

    static func headers(_ contentType: String) -> HTTPFields {
        var fields = auth
        fields[.contentType] = contentType
        return fields
    }

    static func message(_ response: TestResponse) -> String { String(buffer: response.body) }

    /// Polls a job until it is done or failed.
    static func finished(_ client: some TestClientProtocol, _ id: String) async throws -> [String: Any] {
        for _ in 0..<600 {
            let response = try await client.execute(uri: "/v1/exams/\(id)", method: .get, headers: auth)
            let job = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
            if let status = job["status"] as? String, status == "done" || status == "failed" { return job }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CancellationError()
    }

    @Test func healthIsOpenAndEverythingElseNeedsTheToken() async throws {
        let state = try ServerFixture.state()
        let app = buildApplication(state, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/", method: .get).status == .ok)
            let missing = try await client.execute(uri: "/info", method: .get)
            #expect(missing.status == .unauthorized && Self.message(missing).contains("missing bearer token"))
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            let wrong = try await client.execute(uri: "/info", method: .get, headers: [.authorization: "Bearer \(ServerFixture.token)x"])
            #expect(wrong.status == .unauthorized && Self.message(wrong).contains("invalid bearer token"))
            for path in ["/ready", "/metrics", "/v1/exams/x", "/v1/exams/x/sr"] {
                #expect(try await client.execute(uri: path, method: .get).status == .unauthorized, "\(path)")
            }
            #expect(try await client.execute(uri: "/v1/exams", method: .post).status == .unauthorized)
            let info = try await client.execute(uri: "/info", method: .get, headers: Self.auth)
            let fields = try JSONSerialization.jsonObject(with: Data(buffer: info.body)) as? [String: String] ?? [:]
            #expect(info.status == .ok && fields["api"] == serverAPIVersion && fields["mammofm"] == MammoFMRelease.version)
            #expect(fields["bundle"] == state.bundle.manifestHash)
            #expect(try await client.execute(uri: "/ready", method: .get, headers: Self.auth).status == .ok)
            let metrics = Self.message(try await client.execute(uri: "/metrics", method: .get, headers: Self.auth))
            for name in ["mammofm_http_requests_total", "mammofm_http_request_duration_seconds_bucket", "mammofm_queue_depth", "mammofm_jobs_in_flight"] {
                #expect(metrics.contains(name), "\(name) missing from /metrics")
            }
            #expect(metrics.contains("status=\"401\""))
        }
        #expect(BearerTokenMiddleware<BasicRequestContext>.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!BearerTokenMiddleware<BasicRequestContext>.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!BearerTokenMiddleware<BasicRequestContext>.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test func anExamIsAnalysedAndItsResultsServed() async throws {
        let state = try ServerFixture.state()
        let app = buildApplication(state, logger: Logger(label: "test"))
        let exam = try ServerFixture.examFiles()
        // A damaged DICOM among the exam's files: listed in the result with its reason.
        let files = exam + [exam[0].prefix(exam[0].count / 3)]
        let body = ServerFixture.multipart(files.map { ("application/dicom", $0) })
        try await app.test(.router) { client in
            let accepted = try await client.execute(uri: "/v1/exams", method: .post, headers: Self.headers(ServerFixture.stowContentType),
                                                    body: ByteBuffer(bytes: body))
            #expect(accepted.status == .accepted)
            let id = try #require((try JSONSerialization.jsonObject(with: Data(buffer: accepted.body)) as? [String: Any])?["id"] as? String)
            let job = try await Self.finished(client, id)
            #expect(job["status"] as? String == "done", "\(job)")
            let analysis = try #require(job["analysis"] as? [String: Any])
            #expect((analysis["images"] as? [Any])?.count == 4)
            let skipped = analysis["skipped"] as? [[String: Any]] ?? []
            #expect(skipped.count == 1 && skipped[0]["file"] as? String == "0004.dcm" && !(skipped[0]["reason"] as? String ?? "").isEmpty, "\(skipped)")
            let sr = try await client.execute(uri: "/v1/exams/\(id)/sr", method: .get, headers: Self.auth)
            #expect(sr.status == .ok && sr.headers[.contentType] == "application/dicom" && sr.body.readableBytes > 1000)
            let page = try await client.execute(uri: "/v1/exams/\(id)/page", method: .get, headers: Self.auth)
            #expect(page.status == .ok && Self.message(page).contains("data:image/png;base64,"))
            let image = try await client.execute(uri: "/v1/exams/\(id)/images/L-CC.png", method: .get, headers: Self.auth)
            #expect(image.status == .ok && image.headers[.contentType] == "image/png")
            #expect(try await client.execute(uri: "/v1/exams/\(id)/images/..%2Fanalysis.json", method: .get, headers: Self.auth).status == .notFound)
            let unknown = try await client.execute(uri: "/v1/exams/no-such-job", method: .get, headers: Self.auth)
            #expect(unknown.status == .notFound && Self.message(unknown).contains("no-such-job"))
            #expect(try await client.execute(uri: "/v1/exams/no-such-job/sr", method: .get, headers: Self.auth).status == .notFound)

            // The same files as a form upload (what the page sends).
            let form = ServerFixture.multipart(files.dropLast().map { ("application/octet-stream", $0) }, formData: true)
            let formAccepted = try await client.execute(uri: "/v1/exams", method: .post,
                                                        headers: Self.headers("multipart/form-data; boundary=mammofm-test-boundary"), body: ByteBuffer(bytes: form))
            #expect(formAccepted.status == .accepted)

            // STOW-RS answers with the stored instances.
            let stow = try await client.execute(uri: "/dicomweb/studies", method: .post, headers: Self.headers(ServerFixture.stowContentType),
                                                body: ByteBuffer(bytes: ServerFixture.multipart(files.dropLast().map { ("application/dicom", $0) })))
            #expect(stow.status == .ok && stow.headers[.contentType] == "application/dicom+json")
            let stored = try JSONSerialization.jsonObject(with: Data(buffer: stow.body)) as? [String: Any] ?? [:]
            let references = (stored["00081199"] as? [String: Any])?["Value"] as? [[String: Any]] ?? []
            #expect(references.count == 4)
            let uids = Set(references.compactMap { (($0["00081155"] as? [String: Any])?["Value"] as? [String])?.first })
            let expected = Set(((analysis["images"] as? [[String: Any]]) ?? []).compactMap { $0["sopInstanceUID"] as? String })
            #expect(uids == expected)
        }
    }

    @Test func badRequestsGetTheirStatusAndAReason() async throws {
        let files = try ServerFixture.examFiles()
        let exam = ServerFixture.multipart(files.map { ("application/dicom", $0) })
        // Oversize: 413.
        let small = try ServerFixture.state { $0.maxUploadBytes = 1000 }
        try await buildApplication(small, logger: Logger(label: "test")).test(.router) { client in
            let response = try await client.execute(uri: "/v1/exams", method: .post, headers: Self.headers(ServerFixture.stowContentType), body: ByteBuffer(bytes: exam))
            #expect(response.status == .contentTooLarge)
        }
        // A full queue: 503 with Retry-After.
        let full = try ServerFixture.state { $0.maxPendingJobs = 0 }
        try await buildApplication(full, logger: Logger(label: "test")).test(.router) { client in
            let response = try await client.execute(uri: "/v1/exams", method: .post, headers: Self.headers(ServerFixture.stowContentType), body: ByteBuffer(bytes: exam))
            #expect(response.status == .serviceUnavailable && response.headers[.retryAfter] == "10" && Self.message(response).contains("queue is full"))
        }
        let state = try ServerFixture.state { $0.maxImagesPerExam = 4 }
        try await buildApplication(state, logger: Logger(label: "test")).test(.router) { client in
            // A part that is not DICOM: 400 naming the part.
            let mixed = ServerFixture.multipart([("application/dicom", files[0]), ("text/plain", Data("hello".utf8))])
            let notDicom = try await client.execute(uri: "/v1/exams", method: .post, headers: Self.headers(ServerFixture.stowContentType), body: ByteBuffer(bytes: mixed))
            #expect(notDicom.status == .badRequest && Self.message(notDicom).contains("part 2") && Self.message(notDicom).contains("not a DICOM"))
            // Malformed multipart bodies: 400 saying what is wrong.
            var unclosed = ServerFixture.multipart([("application/dicom", files[0]), ("application/dicom", files[1])])
            unclosed.removeLast("--mammofm-test-boundary--\r\n".utf8.count)
            for (contentType, body, reason) in [(ServerFixture.stowContentType, unclosed, "closing delimiter"),
                                                ("multipart/related", exam, "no boundary"),
                                                ("application/dicom", files[0], "not multipart"),
                                                (ServerFixture.stowContentType, Data("no delimiters here".utf8), "delimiters")] {
                let response = try await client.execute(uri: "/v1/exams", method: .post, headers: Self.headers(contentType), body: ByteBuffer(bytes: body))
                #expect(response.status == .badRequest && Self.message(response).contains(reason), "\(reason): \(Self.message(response))")
            }
            // Too many images for one exam: 413 naming the limit.
            let many = ServerFixture.multipart(Array(repeating: ("application/dicom", files[0]), count: 5))
            let tooMany = try await client.execute(uri: "/v1/exams", method: .post, headers: Self.headers(ServerFixture.stowContentType), body: ByteBuffer(bytes: many))
            #expect(tooMany.status == .contentTooLarge && Self.message(tooMany).contains("limit is 4"))
            // STOW-RS takes multipart/related only.
            let form = try await client.execute(uri: "/dicomweb/studies", method: .post, headers: Self.headers("multipart/form-data; boundary=x"),
                                                body: ByteBuffer(bytes: exam))
            #expect(form.status == .unsupportedMediaType)
        }
    }

    @Test func multipartParserReadsWhatClientsSend() throws {
        let body = Data("preamble\r\n--b\r\nContent-Type: application/dicom\r\nContent-Location: x\r\n\r\nONE\r\n--b\r\n\r\nTWO\n--b--\r\nepilogue".utf8)
        let parts = try Multipart.parts(of: body, boundary: Multipart.boundary(contentType: "multipart/related; type=\"application/dicom\"; boundary=\"b\""))
        #expect(parts.count == 2)
        #expect(parts[0].contentType == "application/dicom" && String(decoding: parts[0].body, as: UTF8.self) == "ONE")
        #expect(parts[1].headers.isEmpty && String(decoding: parts[1].body, as: UTF8.self) == "TWO")
        let form = try Multipart.parts(of: Data("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.dcm\"\r\n\r\nZ\r\n--x--".utf8), boundary: "x")
        #expect(form[0].filename == "a b.dcm" && form[0].fieldName == "file")
        #expect(throws: MultipartError.self) { try Multipart.parts(of: Data("--x\r\nno blank line\r\n--x--".utf8), boundary: "x") }
    }
}
