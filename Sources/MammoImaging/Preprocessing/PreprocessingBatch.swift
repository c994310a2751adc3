import Foundation
import Torch

extension Preprocessor {
    /// `mammofm preprocess` as one call: the DICOM files of `input` (a folder or a CSV list), `jobs`
    /// decoded at once (the cores split between files and the threads of each, unless `threads`
    /// says otherwise), with progress. A file that fails is recorded in the summary (and errors.csv)
    /// and the others go on.
    public func process(_ input: URL, jobs: Int? = nil, threads: Int? = nil, log: RunLog = .standardError) throws -> Summary {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let workers = Swift.max(1, jobs ?? cores)
        Torch.threadCount = threads ?? Swift.max(1, cores / workers)
        DicomImage.setJPEG2000Threads(Swift.max(1, cores / workers))
        let inputs = try Preprocessor.inputs(input)
        guard !inputs.isEmpty else { throw ImagingError.unreadable(path: input.path, reason: "no DICOM files found") }
        log.note("preprocess: \(inputs.count) files, profile \(profile.rawValue), \(height)x\(width), \(workers) jobs")
        let progress = log.progress(total: inputs.count, unit: "files")
        let lock = NSLock()
        let summary = try run(inputs, jobs: workers) { _, failed in
            lock.lock()
            progress.advance(note: "\(failed) failed")
            lock.unlock()
        }
        progress.finish()
        return summary
    }
}

extension DicomImage {
    /// The GDCM library this machine has, found by loading it; nil when there is none.
    public static var gdcmLibrary: String? {
        for name in ["libgdcmMSFF.so", "libgdcmMSFF.so.3.0"] {
            if let handle = dlopen(name, RTLD_LAZY) {
                dlclose(handle)
                return name
            }
        }
        return nil
    }
}
