import Foundation
import Yams

/// YAML read into plain values (String, Int, Double, Bool, NSNull, [Any], [String: Any]) without
/// Yams's own tree builder, which traps on a mapping key that is not a scalar. Anchors and aliases
/// (a few lines can expand into an exponentially large tree) and flow nesting deeper than
/// `maximumNesting` are refused before parsing; every failure is a sentence naming the source.
public enum YAMLTree {
    public static let maximumNesting = 64
    public static let maximumBytes = 1 << 20

    public struct Failure: Error, CustomStringConvertible {
        public let source: String, reason: String
        public var description: String { "\(source): \(reason)" }
    }

    /// The document's value, or nil for an empty document.
    public static func load(_ text: String, source: String) throws -> Any? {
        func fail(_ reason: String) -> Failure { Failure(source: source, reason: reason) }
        guard text.utf8.count <= maximumBytes else { throw fail("\(text.utf8.count) bytes: a configuration is at most \(maximumBytes)") }
        if let line = lineUsingAnchors(text) { throw fail("line \(line): YAML anchors and aliases (&name, *name) are not accepted here") }
        if let line = lineNestingDeeper(text) { throw fail("line \(line): lists and mappings nest more than \(maximumNesting) levels") }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw fail("\(error)") }
        guard let node else { return nil }
        return try value(node, depth: 0, fail: fail)
    }

    static func value(_ node: Node, depth: Int, fail: (String) -> Failure) throws -> Any {
        guard depth <= maximumNesting else { throw fail("values nest more than \(maximumNesting) levels") }
        switch node {
        case .scalar(let scalar):
            let value = Constructor.default.any(from: node)
            // Timestamps and binary stay the text they were written as: no setting takes them.
            if value is Date || value is Data { return scalar.string }
            return value
        case .sequence(let sequence):
            return try sequence.map { try Self.value($0, depth: depth + 1, fail: fail) }
        case .mapping(let mapping):
            var out: [String: Any] = [:]
            for (key, child) in mapping {
                guard case .scalar(let name) = key else { throw fail("a key must be a plain word, not a list or a mapping (line \(key.mark?.line ?? 0))") }
                guard out[name.string] == nil else { throw fail("the key '\(name.string)' appears twice in one mapping") }
                out[name.string] = try Self.value(child, depth: depth + 1, fail: fail)
            }
            return out
        }
    }

    /// The first line (from 1) holding a YAML anchor or alias outside a comment, if any.
    static func lineUsingAnchors(_ text: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var previous: Character = " "
            for c in line {
                if c == "#" && previous.isWhitespace { break }
                if (c == "&" || c == "*") && (previous.isWhitespace || "[{,".contains(previous)) { return index + 1 }
                previous = c
            }
        }
        return nil
    }

    /// The first line where "[" and "{" outside quotes nest beyond `maximumNesting`, if any.
    static func lineNestingDeeper(_ text: String) -> Int? {
        var depth = 0, line = 1, quote: Character? = nil
        for c in text {
            if c == "\n" { line += 1 }
            if let q = quote { if c == q { quote = nil }; continue }
            switch c {
            case "'", "\"": quote = c
            case "[", "{":
                depth += 1
                if depth > maximumNesting { return line }
            case "]", "}": depth = Swift.max(0, depth - 1)
            default: break
            }
        }
        return nil
    }
}
