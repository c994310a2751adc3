import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle

/// Watches an Orthanc PACS (its REST API): every study that becomes stable and holds MG images is
/// fetched, analysed like an upload, and its SR stored back into Orthanc, where it appears beside the
/// images. A study already holding MammoFM's SR series is left alone, so restarting the server or
/// storing the SR (which makes the study change again) never analyses a study twice.
struct OrthancWatcher: Service {
    let orthanc: URL
    let credentials: String?
    let pollSeconds: Double
    let jobs: ExamJobs
    let logger: Logger

    static let reportSeriesDescription = "MammoFM exam analysis"

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            var since = 0
            while !Task.isCancelled {
                do {
                    let page = try await json("/changes?since=\(since)&limit=100") as? [String: Any] ?? [:]
                    for change in page["Changes"] as? [[String: Any]] ?? [] where change["ChangeType"] as? String == "StableStudy" {
                        if let study = change["ID"] as? String { try await handle(study) }
                    }
                    since = page["Last"] as? Int ?? since
                    if page["Done"] as? Bool ?? true { try await Task.sleep(for: .seconds(pollSeconds)) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("Orthanc poll failed; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(pollSeconds))
                }
            }
        }
    }

    /// One stable study: analysed unless it has no MG series or already holds MammoFM's report.
    func handle(_ study: String) async throws {
        let series = try await json("/studies/\(study)/series") as? [[String: Any]] ?? []
        func tags(_ s: [String: Any]) -> [String: Any] { s["MainDicomTags"] as? [String: Any] ?? [:] }
        if series.contains(where: { tags($0)["Modality"] as? String == "SR" && tags($0)["SeriesDescription"] as? String == Self.reportSeriesDescription }) {
            return
        }
        let mammography = series.filter { tags($0)["Modality"] as? String == "MG" }.compactMap { $0["ID"] as? String }
        guard !mammography.isEmpty else { return }
        var files: [(name: String, data: Data)] = []
        for seriesID in mammography {
            for instance in try await json("/series/\(seriesID)/instances") as? [[String: Any]] ?? [] {
                guard let id = instance["ID"] as? String else { continue }
                files.append((id, try await data("/instances/\(id)/file")))
            }
        }
        // A full queue is waited out: a PACS study is never dropped.
        var job: String?
        while job == nil {
            do { job = try await jobs.submit(files, origin: "orthanc") } catch SubmissionError.queueFull {
                try await Task.sleep(for: .seconds(pollSeconds))
            }
        }
        guard let job else { return }
        logger.info("Orthanc study queued", metadata: ["job": "\(job)", "files": "\(files.count)"])
        while true {
            guard let state = await jobs.job(job) else { return }
            if state.status == .failed {
                logger.warning("Orthanc study not analysed", metadata: ["job": "\(job)"])
                return
            }
            if state.status == .done { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let report = try Data(contentsOf: await jobs.analysisFolder(job).appendingPathComponent("report.dcm"))
        _ = try await data("/instances", method: "POST", body: report)
        logger.info("SR stored in Orthanc", metadata: ["job": "\(job)"])
    }

    func request(_ path: String, method: String, body: Data?) -> URLRequest {
        var request = URLRequest(url: URL(string: orthanc.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 60
        if let credentials { request.setValue("Basic " + Data(credentials.utf8).base64EncodedString(), forHTTPHeaderField: "Authorization") }
        if body != nil { request.setValue("application/dicom", forHTTPHeaderField: "Content-Type") }
        return request
    }

    func data(_ path: String, method: String = "GET", body: Data? = nil) async throws -> Data {
        let (data, response) = try await URLSession.shared.data(for: request(path, method: method, body: body))
        guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
            throw ServerError.orthanc("\(method) \(path): status \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
        return data
    }

    func json(_ path: String) async throws -> Any { try JSONSerialization.jsonObject(with: try await data(path)) }
}
