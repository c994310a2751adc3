import Foundation
import Torch

extension CohortGenerator {
    /// `mammofm synth` as one call: generates (or finishes) the cohort on `jobs` workers with
    /// progress, and returns the closing line.
    public func generate(jobs: Int, log: RunLog = .standardError) throws -> String {
        let workers = max(1, jobs)
        let started = Date()
        let resolution = config.fullResolution ? "full resolution" : "\(config.rows)x\(config.columns)"
        log.note("synth: \(config.patients) patients, seed \(config.seed), \(resolution), \(workers) jobs -> \(directory.path)")
        let progress = log.progress(total: config.patients, unit: "patients")
        let lock = NSLock()
        let summary = try run(jobs: workers) { _ in
            lock.lock()
            progress.advance()
            lock.unlock()
        }
        progress.finish()
        return String(format: "%d patients (%d generated, %d already done), %d images in %.1f s -> %@/cohort.json",
                      config.patients, summary.generated, summary.resumed, summary.images, Date().timeIntervalSince(started), directory.path)
    }
}
