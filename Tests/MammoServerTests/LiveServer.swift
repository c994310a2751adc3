import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Glibc
import TestSupport

/// A free TCP port on loopback (bound to port 0, read back, released).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A process started by a test: its standard error goes to a file, standard output is read line by line.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let errorLog: URL
    private let output = Pipe()
    private var buffer = Data()

    init(_ executable: String, _ arguments: [String], errorLog: URL) throws {
        self.errorLog = errorLog
        guard FileManager.default.createFile(atPath: errorLog.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorLog)
        try process.run()
    }

    /// The first line of standard output containing `text`, waiting at most `seconds`.
    func line(containing text: String, seconds: Double) throws -> String {
        let handle = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let range = buffer.range(of: Data("\n".utf8)) {
                let line = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                buffer.removeSubrange(..<range.upperBound)
                if line.contains(text) { return line }
                continue
            }
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            buffer += chunk
        }
        throw LiveFailure("no line with '\(text)' within \(seconds) s; its log:\n" + ((try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""))
    }

    /// Sends SIGTERM and waits for the exit status; SIGKILL after `seconds`. (A child can inherit
    /// SIGTERM as ignored: ServiceLifecycle, which the in-process router tests run, ignores it in
    /// this process so that it can handle it, and an ignored signal stays ignored across exec.)
    func terminate(seconds: Double = 30) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { usleep(50_000) }
        }
        return process.terminationStatus
    }

    var log: String { (try? String(contentsOf: errorLog, encoding: .utf8)) ?? "" }
}

struct LiveFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A small HTTP client over URLSession.
enum HTTP {
    static func send(_ url: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil) async throws -> (status: Int, body: Data, headers: [String: String]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)".lowercased()] = "\(value)" }
        return (http.statusCode, data, fields)
    }

    static func json(_ data: Data) -> [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }
}

/// `mammofm serve` started as a process on a free port over the fixture bundle.
final class ServerProcess: @unchecked Sendable {
    let child: ChildProcess
    let base: String
    let work: URL

    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mammofm").path
    }

    init(name: String, extraArguments: [String] = []) throws {
        try BundleFixture.ready.get()
        work = try BundleFixture.folder("live-\(name)")
        let tokenFile = work.appendingPathComponent("token")
        try Data((ServerFixture.token + "\n").utf8).write(to: tokenFile)
        child = try ChildProcess(Self.binary, ["serve", "--bundle", BundleFixture.bundle.path, "--port", "0", "--token-file", tokenFile.path,
                                               "--work-dir", work.appendingPathComponent("jobs").path, "--threads", "1"] + extraArguments,
                                 errorLog: work.appendingPathComponent("serve.log"))
        let line = try child.line(containing: "listening on", seconds: 120)
        base = String(line.split(separator: " ").last!)
    }

    var auth: [String: String] { ["Authorization": "Bearer \(ServerFixture.token)"] }

    /// Polls a job until it is done or failed.
    func finished(_ id: String, seconds: Double = 120) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let job = HTTP.json(try await HTTP.send(base + "/v1/exams/\(id)", headers: auth).body)
            if let status = job["status"] as? String, status == "done" || status == "failed" { return job }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LiveFailure("job \(id) did not finish in \(seconds) s")
    }

    /// Posts the fixture exam as STOW-RS; the job id.
    func postExam() async throws -> String {
        let body = ServerFixture.multipart(try ServerFixture.examFiles().map { ("application/dicom", $0) })
        let response = try await HTTP.send(base + "/v1/exams", method: "POST", headers: auth.merging(["Content-Type": ServerFixture.stowContentType]) { $1 }, body: body)
        guard response.status == 202, let id = HTTP.json(response.body)["id"] as? String else {
            throw LiveFailure("POST /v1/exams answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return id
    }
}
