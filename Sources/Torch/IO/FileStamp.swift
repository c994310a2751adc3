import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file's size and modification time in nanoseconds ("SIZE SECONDS.NANOSECONDS"): cheap to take,
/// and it changes whenever the file is rewritten, so caches, checkpoints and resumed runs keyed on
/// it never reuse results of stale inputs. nil when the file cannot be read.
public func fileStamp(_ url: URL) -> String? {
    var info = stat()
    guard stat(url.path, &info) == 0 else { return nil }
    return "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
}

/// One line per file, "PATH STAMP" or "PATH missing": the text fingerprints hash.
public func fileStampLines(_ urls: [URL]) -> String {
    urls.map { "\($0.path) \(fileStamp($0) ?? "missing")\n" }.joined()
}
