import Foundation
import MammoImaging

/// Errors reading a dataset's metadata; each names the file and what was wrong.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case badFile(path: String, reason: String)
    /// A request the data cannot satisfy (unknown task, empty split, bad fraction).
    case badInput(String)

    public var description: String {
        switch self {
        case .badFile(let path, let reason): return "\(path): \(reason)"
        case .badInput(let reason): return reason
        }
    }
}

extension CSVTable {
    /// A dataset metadata file; errors are `DatasetError`s naming the file.
    init(dataset url: URL) throws { try self.init(url, error: { DatasetError.badFile(path: $0, reason: $1) }) }
}

/// Counting helpers.
extension Array where Element == String {
    var distinctCount: Int { Set(self).count }
    var tally: [String: Int] { reduce(into: [:]) { $0[$1, default: 0] += 1 } }
}
