import Foundation

/// One part of a multipart body (RFC 2046): its headers (names lower-cased) and its bytes.
public struct MultipartPart: Sendable {
    public var headers: [String: String]
    public var body: Data

    /// The part's media type without parameters, lower-cased ("application/dicom").
    public var contentType: String? { headers["content-type"].map { MediaTypeText.essence($0) } }
    /// The `filename` of its Content-Disposition (form uploads), when given.
    public var filename: String? { headers["content-disposition"].flatMap { MediaTypeText.parameter("filename", in: $0) } }
    /// The `name` of its Content-Disposition (the form field).
    public var fieldName: String? { headers["content-disposition"].flatMap { MediaTypeText.parameter("name", in: $0) } }
}

/// Why a multipart body was refused.
public enum MultipartError: Error, CustomStringConvertible, Equatable {
    case malformed(String)

    public var description: String {
        switch self {
        case .malformed(let reason): return "malformed multipart body: \(reason)"
        }
    }
}

/// Media-type text: the essence ("type/subtype") and parameters, quoted or not.
enum MediaTypeText {
    static func essence(_ value: String) -> String {
        String(value.split(separator: ";", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }

    static func parameter(_ name: String, in value: String) -> String? {
        for item in value.split(separator: ";").dropFirst() {
            let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            var text = pair[1]
            if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
            return text
        }
        return nil
    }
}

/// A parser of `multipart/related` (STOW-RS) and `multipart/form-data` bodies held in memory (the
/// upload limit bounds them). Everything is checked: a missing boundary, a part without a header
/// block, a body that never closes are errors that say so.
public enum Multipart {
    /// The boundary of a multipart Content-Type, or an error naming what is wrong.
    public static func boundary(contentType: String?) throws -> String {
        guard let contentType else { throw MultipartError.malformed("no Content-Type header") }
        guard MediaTypeText.essence(contentType).hasPrefix("multipart/") else {
            throw MultipartError.malformed("Content-Type is \(MediaTypeText.essence(contentType)), not multipart/related or multipart/form-data")
        }
        guard let boundary = MediaTypeText.parameter("boundary", in: contentType), !boundary.isEmpty, boundary.count <= 70 else {
            throw MultipartError.malformed("the Content-Type has no boundary parameter (1 to 70 characters)")
        }
        return boundary
    }

    public static func parts(of body: Data, boundary: String) throws -> [MultipartPart] {
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var searchFrom = 0
        while let found = find(delimiter, in: bytes, from: searchFrom) {
            // A delimiter starts the body or follows a line break.
            if found == 0 || (found >= 2 && bytes[found - 2] == 13 && bytes[found - 1] == 10) || (found >= 1 && bytes[found - 1] == 10) {
                positions.append(found)
            }
            searchFrom = found + delimiter.count
        }
        guard positions.count >= 2 else { throw MultipartError.malformed("fewer than two '--\(boundary)' delimiters") }
        var parts: [MultipartPart] = []
        for (index, start) in positions.enumerated().dropLast() {
            var cursor = start + delimiter.count
            // The closing delimiter ("--boundary--") ends the body.
            if cursor + 1 < bytes.count, bytes[cursor] == 45, bytes[cursor + 1] == 45 { break }
            cursor = skipLineEnd(bytes, skipSpaces(bytes, cursor))
            var end = positions[index + 1]
            if end >= 2, bytes[end - 2] == 13, bytes[end - 1] == 10 { end -= 2 } else if end >= 1, bytes[end - 1] == 10 { end -= 1 }
            guard cursor <= end else { throw MultipartError.malformed("part \(index + 1) is cut short") }
            let content = Array(bytes[cursor..<end])
            let headerEnd = find([13, 10, 13, 10], in: content, from: 0).map { ($0, 4) } ?? find([10, 10], in: content, from: 0).map { ($0, 2) }
            var headers: [String: String] = [:]
            let bodyStart: Int
            if content.starts(with: [13, 10]) || content.starts(with: [10]) {
                bodyStart = content.starts(with: [13, 10]) ? 2 : 1   // no headers at all
            } else {
                guard let (at, length) = headerEnd else { throw MultipartError.malformed("part \(index + 1) has no blank line after its headers") }
                for line in String(decoding: content[..<at], as: UTF8.self).split(whereSeparator: \.isNewline) {
                    guard let colon = line.firstIndex(of: ":") else { throw MultipartError.malformed("part \(index + 1): header line '\(line.prefix(60))' has no colon") }
                    headers[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                bodyStart = at + length
            }
            parts.append(MultipartPart(headers: headers, body: Data(content[bodyStart...])))
        }
        let last = positions.last! + delimiter.count
        guard last + 1 < bytes.count, bytes[last] == 45, bytes[last + 1] == 45 else {
            throw MultipartError.malformed("the body does not end with the closing delimiter '--\(boundary)--'")
        }
        guard !parts.isEmpty else { throw MultipartError.malformed("no parts") }
        return parts
    }

    static func skipSpaces(_ bytes: [UInt8], _ i: Int) -> Int {
        var i = i
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 { i += 1 }
        return i
    }

    static func skipLineEnd(_ bytes: [UInt8], _ i: Int) -> Int {
        if i + 1 < bytes.count, bytes[i] == 13, bytes[i + 1] == 10 { return i + 2 }
        if i < bytes.count, bytes[i] == 10 { return i + 1 }
        return i
    }

    /// The first index of `needle` in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = from
        let last = haystack.count - needle.count
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                while i <= last {
                    if h[i] == first, memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 { return i }
                    i += 1
                }
                return nil
            }
        }
    }
}
