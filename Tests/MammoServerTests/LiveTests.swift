import Foundation
import Glibc
import MammoImaging
import Testing
import TestSupport

/// The server as a process on a socket: STOW-RS in, results and SR out, SIGTERM; the Orthanc round
/// trip; the web page in headless Chromium. Each starts the real components on loopback.
@Suite(.serialized) struct LiveTests {
    /// Patient names, ids and birth dates of every file of the fixture cohort.
    static func identifiers() throws -> Set<String> {
        var found: Set<String> = []
        for input in try Preprocessor.inputs(BundleFixture.cohort.appendingPathComponent("dicom")) {
            let header = try DicomStudyAttributes.read(input.url)
            for value in [header.metadata.patientID, header.study.patientName, header.study.patientBirthDate] {
                if let value, value.count >= 4 { found.insert(value) }
            }
        }
        return found
    }

    @Test func aServerProcessAnalysesAnExamSentByStowRSAndLogsNoPatientData() async throws {
        let server = try ServerProcess(name: "stow")
        let health = try await HTTP.send(server.base + "/health")
        #expect(health.status == 200)
        #expect(try await HTTP.send(server.base + "/info").status == 401)
        let body = ServerFixture.multipart(try ServerFixture.examFiles().map { ("application/dicom", $0) })
        let stored = try await HTTP.send(server.base + "/dicomweb/studies", method: "POST",
                                         headers: server.auth.merging(["Content-Type": ServerFixture.stowContentType]) { $1 }, body: body)
        #expect(stored.status == 200 && stored.headers["content-type"] == "application/dicom+json")
        let retrieve = ((HTTP.json(stored.body)["00081190"] as? [String: Any])?["Value"] as? [String])?.first ?? ""
        let id = String(retrieve.split(separator: "/").last ?? "")
        let second = try await server.postExam()
        let job = try await server.finished(id)
        #expect(job["status"] as? String == "done", "\(job)")
        #expect(try await server.finished(second)["status"] as? String == "done")
        let sr = try await HTTP.send(server.base + "/v1/exams/\(id)/sr", headers: server.auth)
        #expect(sr.status == 200)
        let file = server.work.appendingPathComponent("report.dcm")
        try sr.body.write(to: file)
        let dump = try BundleFixture.tool("/usr/bin/dsrdump", ["+Pu", file.path])
        let images = (job["analysis"] as? [String: Any])?["images"] as? [[String: Any]] ?? []
        #expect(dump.status == 0 && images.count == 4)
        for image in images { #expect(dump.output.contains(image["sopInstanceUID"] as? String ?? "?")) }

        // SIGTERM: a clean exit once the work is done.
        #expect(server.child.terminate() == 0)
        let log = server.child.log
        #expect(log.contains("\"message\":\"analysis finished\"") && log.contains("every accepted exam finished"))
        for line in log.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "not a JSON line: \(line)")
        }
        let identifiers = try Self.identifiers()
        #expect(identifiers.count >= 24)
        for identifier in identifiers { #expect(!log.contains(identifier), "the log holds the patient identifier '\(identifier)'") }
    }

    @Test func orthancStudiesGetTheirReportStoredBack() async throws {
        try BundleFixture.ready.get()
        let folder = try BundleFixture.folder("orthanc")
        let httpPort = freePort(), dicomPort = freePort()
        let configuration: [String: Any] = [
            "Name": "MammoFMTest", "StorageDirectory": folder.appendingPathComponent("storage").path,
            "IndexDirectory": folder.appendingPathComponent("index").path, "HttpPort": httpPort, "DicomPort": dicomPort,
            "RemoteAccessAllowed": false, "AuthenticationEnabled": true, "RegisteredUsers": ["mammofm": "orthanc-test-password"],
            "Plugins": ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"], "StableAge": 1,
        ]
        let configFile = folder.appendingPathComponent("orthanc.json")
        try JSONSerialization.data(withJSONObject: configuration).write(to: configFile)
        let orthanc = try ChildProcess("/usr/sbin/Orthanc", [configFile.path], errorLog: folder.appendingPathComponent("orthanc.log"))
        defer { _ = orthanc.terminate(seconds: 5) }
        let base = "http://127.0.0.1:\(httpPort)"
        let basic = ["Authorization": "Basic " + Data("mammofm:orthanc-test-password".utf8).base64EncodedString()]
        var up = false
        for _ in 0..<100 where !up {
            up = (try? await HTTP.send(base + "/system", headers: basic).status) == 200
            if !up { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(up, "Orthanc did not start: \(orthanc.log)")
        let files = try ServerFixture.examFiles()
        for file in files { #expect(try await HTTP.send(base + "/instances", method: "POST", headers: basic, body: file).status == 200) }

        let credentials = folder.appendingPathComponent("credentials")
        try Data("mammofm:orthanc-test-password\n".utf8).write(to: credentials)
        let server = try ServerProcess(name: "orthanc-watch", extraArguments: ["--orthanc", base, "--orthanc-credentials", credentials.path, "--orthanc-poll", "0.5"])
        defer { _ = server.child.terminate() }
        let studies = try JSONSerialization.jsonObject(with: try await HTTP.send(base + "/studies", headers: basic).body) as? [String] ?? []
        #expect(studies.count == 1)
        func reportSeries() async throws -> [String] {
            let series = try JSONSerialization.jsonObject(with: try await HTTP.send(base + "/studies/\(studies[0])/series", headers: basic).body) as? [[String: Any]] ?? []
            return series.filter { ($0["MainDicomTags"] as? [String: Any])?["Modality"] as? String == "SR" }.compactMap { $0["ID"] as? String }
        }
        var reports: [String] = []
        for _ in 0..<300 where reports.isEmpty {
            reports = try await reportSeries()
            if reports.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(reports.count == 1, "no SR appeared in Orthanc; server log: \(server.child.log)")
        guard let series = reports.first else { return }
        let instances = try JSONSerialization.jsonObject(with: try await HTTP.send(base + "/series/\(series)/instances", headers: basic).body) as? [[String: Any]] ?? []
        let instance = try #require(instances.first?["ID"] as? String)
        let report = folder.appendingPathComponent("report.dcm")
        try await HTTP.send(base + "/instances/\(instance)/file", headers: basic).body.write(to: report)
        let dump = try BundleFixture.tool("/usr/bin/dsrdump", ["+Pu", report.path])
        #expect(dump.status == 0)
        for file in try BundleFixture.newestExam(of: ServerFixture.patient) {
            let uid = try #require(try DicomStudyAttributes.read(file).metadata.sopInstanceUID)
            #expect(dump.output.contains(uid), "the SR in Orthanc does not reference \(uid)")
        }
        // Storing the SR makes the study change and become stable again: it is not analysed twice.
        try await Task.sleep(for: .seconds(3))
        #expect(try await reportSeries().count == 1)
        #expect(server.child.terminate() == 0)
    }

    @Test func thePageShowsTheFourViewsAndTheScoresInChromium() async throws {
        let server = try ServerProcess(name: "page")
        defer { _ = server.child.terminate() }
        let id = try await server.postExam()
        #expect(try await server.finished(id)["status"] as? String == "done")
        let url = server.base + "/#token=\(ServerFixture.token)&job=\(id)"
        let profile = try BundleFixture.folder("chromium-profile")
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)", "--virtual-time-budget=20000"]
        // Virtual time can run out while the machine is busy: a page that has not finished is loaded again.
        var dom = (status: Int32(0), output: "")
        for budget in [20_000, 60_000, 120_000] where !dom.output.contains("data-state=\"shown\"") {
            dom = try BundleFixture.tool("/usr/bin/chromium", common.filter { !$0.hasPrefix("--virtual-time-budget") }
                                         + ["--virtual-time-budget=\(budget)", "--dump-dom", url])
        }
        #expect(dom.output.contains("data-state=\"shown\""), "the page did not finish: \(dom.output.suffix(2000))")
        let drawn = dom.output.components(separatedBy: "data-drawn=\"image\"").count - 1
        #expect(drawn == 4, "\(drawn) views drawn")
        for key in ["R-CC", "L-CC", "R-MLO", "L-MLO"] { #expect(dom.output.contains("data-view=\"\(key)\"")) }
        #expect(dom.output.contains("<td>mass</td>") && dom.output.contains("<td>density</td>") && dom.output.contains("%</td>"))
        // The screenshot stays as a test artefact.
        let artefacts = URL(fileURLWithPath: ServerProcess.binary).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("test-artefacts")
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let screenshot = artefacts.appendingPathComponent("serve-page.png")
        try? FileManager.default.removeItem(at: screenshot)
        _ = try BundleFixture.tool("/usr/bin/chromium", common + ["--window-size=1100,1300", "--screenshot=\(screenshot.path)", url])
        let size = (try? FileManager.default.attributesOfItem(atPath: screenshot.path)[.size] as? Int) ?? 0
        #expect(size > 10_000, "screenshot of \(size) bytes at \(screenshot.path)")
    }
}
