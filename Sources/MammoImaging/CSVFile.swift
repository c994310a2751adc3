import Foundation
import Torch

/// Minimal RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes.
public enum CSVFile {
    public static func read(_ url: URL) throws -> [[String]] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ImagingError.unreadable(path: url.path, reason: "cannot read the CSV file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ImagingError.unreadable(path: url.path, reason: "the CSV is not UTF-8 text")
        }
        var rows: [[String]] = [], row: [String] = [], field = "", inQuotes = false, line = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if inQuotes {
                if c == "\"" {
                    if let after = next() {
                        if after == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = after }
                    } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                guard field.isEmpty else { throw ImagingError.unreadable(path: url.path, reason: "line \(line): a quote inside an unquoted field") }
                inQuotes = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r", let after = next(), after != "\n" { pending = after }
                row.append(field); field = ""
                if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
                row = []
                line += 1
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw ImagingError.unreadable(path: url.path, reason: "line \(line): unterminated quoted field") }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        if let width = rows.first?.count, let bad = rows.firstIndex(where: { $0.count != width }) {
            throw ImagingError.unreadable(path: url.path, reason: "line \(bad + 1): \(rows[bad].count) fields, the header has \(width)")
        }
        return rows
    }

    static func quote(_ field: String) -> String {
        field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
    }

    /// Writes rows atomically (temporary file, then rename).
    public static func write(_ rows: [[String]], to url: URL) throws {
        let text = rows.map { $0.map(quote).joined(separator: ",") }.joined(separator: "\n") + "\n"
        try writeAtomically(Data(text.utf8), to: url)
    }
}
