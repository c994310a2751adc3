import Foundation
import MammoImaging

/// A CSV read for training: its header, rows, and column lookups whose errors name the file.
struct CSVTable {
    let path: String
    let header: [String]
    let rows: [[String]]

    init(_ url: URL) throws {
        let all: [[String]]
        do { all = try CSVFile.read(url) } catch { throw TrainingError.badData(path: url.path, reason: "\(error)") }
        guard let header = all.first else { throw TrainingError.badData(path: url.path, reason: "empty CSV") }
        path = url.path
        self.header = header
        rows = Array(all.dropFirst())
    }

    /// The index of a required column.
    func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw TrainingError.badData(path: path, reason: "missing column '\(name)' (columns: \(header.joined(separator: ", ")))")
        }
        return i
    }

    func optionalColumn(_ name: String) -> Int? { header.firstIndex(of: name) }
}
