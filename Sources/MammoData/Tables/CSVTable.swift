import Foundation
import MammoImaging

/// A CSV file as a header and rows, with named-column lookups. Errors (unreadable file, ragged
/// line, missing column) name the file and are built by `makeError`, so each caller throws its own
/// error type.
public struct CSVTable {
    public let path: String
    public let header: [String]
    public let rows: [[String]]
    let makeError: (_ path: String, _ reason: String) -> Error

    public init(_ url: URL, error makeError: @escaping (_ path: String, _ reason: String) -> Error) throws {
        self.makeError = makeError
        let all: [[String]]
        do { all = try CSVFile.read(url) } catch ImagingError.unreadable(_, let reason) {
            throw makeError(url.path, reason)
        } catch { throw makeError(url.path, "\(error)") }
        guard let header = all.first else { throw makeError(url.path, "empty CSV") }
        path = url.path
        self.header = header.map { $0.trimmingCharacters(in: .whitespaces) }
        rows = Array(all.dropFirst())
    }

    /// The index of a required column.
    public func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw makeError(path, "missing column '\(name)' (columns: \(header.joined(separator: ", ")))")
        }
        return i
    }

    /// The first of `names` present (datasets spell some columns two ways).
    public func firstColumn(of names: [String]) throws -> Int {
        for name in names { if let i = header.firstIndex(of: name) { return i } }
        throw makeError(path, "missing column '\(names.joined(separator: "' or '"))' (columns: \(header.joined(separator: ", ")))")
    }

    public func has(_ name: String) -> Bool { header.contains(name) }
    public func values(_ column: Int) -> [String] { rows.map { $0[column] } }
}
