import Foundation
import MammoImaging

/// Errors reading a dataset's metadata; each names the file and what was wrong.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case badFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .badFile(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// A metadata CSV with named-column access; a missing column is an error naming the file, the
/// column and the columns that are there.
struct DatasetTable {
    let path: String
    let header: [String]
    let rows: [[String]]

    init(_ url: URL) throws {
        let all: [[String]]
        do { all = try CSVFile.read(url) } catch ImagingError.unreadable(_, let reason) {
            throw DatasetError.badFile(path: url.path, reason: reason)
        } catch { throw DatasetError.badFile(path: url.path, reason: "\(error)") }
        guard let header = all.first else { throw DatasetError.badFile(path: url.path, reason: "empty CSV") }
        path = url.path
        self.header = header.map { $0.trimmingCharacters(in: .whitespaces) }
        rows = all.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }
    }

    func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw DatasetError.badFile(path: path, reason: "missing column '\(name)' (columns: \(header.joined(separator: ", ")))")
        }
        return i
    }

    /// The first of `names` present (datasets spell some columns two ways).
    func column(anyOf names: [String]) throws -> Int {
        for name in names { if let i = header.firstIndex(of: name) { return i } }
        throw DatasetError.badFile(path: path, reason: "missing column '\(names.joined(separator: "' or '"))' (columns: \(header.joined(separator: ", ")))")
    }

    func has(_ name: String) -> Bool { header.contains(name) }

    func values(_ column: Int) -> [String] { rows.map { $0[column] } }
}

/// Counting helpers.
extension Array where Element == String {
    var distinctCount: Int { Set(self).count }
    var tally: [String: Int] { reduce(into: [:]) { $0[$1, default: 0] += 1 } }
}
