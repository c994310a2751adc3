/// Reads the Python list literals the reference's CSVs store in cells ("['a.png', \"it's\"]").
public enum PythonLiteral {
    /// The strings of a list of string literals, or the cell itself as one element when it is not a list.
    public static func strings(_ cell: String) -> [String] {
        let text = cell.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("["), text.hasSuffix("]") else { return text.isEmpty ? [] : [text] }
        var items: [String] = []
        var iterator = text.dropFirst().dropLast().makeIterator()
        var current: String? = nil
        var quote: Character = "'"
        while let c = iterator.next() {
            if var value = current {
                if c == "\\" {
                    if let escaped = iterator.next() {
                        switch escaped {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        default: value.append(escaped)
                        }
                    }
                    current = value
                } else if c == quote {
                    items.append(value)
                    current = nil
                } else {
                    value.append(c)
                    current = value
                }
            } else if c == "'" || c == "\"" {
                quote = c
                current = ""
            }
        }
        return items
    }
}

import Foundation
