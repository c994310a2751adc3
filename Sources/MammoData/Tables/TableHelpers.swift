import Foundation

extension CSVTable {
    /// A dataset metadata file; errors are `InputError`s naming the file.
    public init(dataset url: URL) throws { try self.init(url, error: { InputError.badFile(path: $0, reason: $1) }) }
}

/// Counting helpers.
extension Array where Element == String {
    var distinctCount: Int { Set(self).count }
    var tally: [String: Int] { reduce(into: [:]) { $0[$1, default: 0] += 1 } }
}
