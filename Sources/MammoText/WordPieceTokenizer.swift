import Foundation

/// Token ids of one text (or text pair), with its attention mask and token type ids.
public struct Encoding: Equatable, Sendable {
    public var ids: [Int]
    public var typeIds: [Int]
    public var attentionMask: [Int]
    public var tokens: [String]
}

/// How a batch is padded.
public enum Padding: Equatable, Sendable {
    case none
    /// To the longest sequence in the batch.
    case longest
    /// Every sequence to exactly this length (the reference pads reports to 256).
    case maxLength(Int)
}

/// BERT's WordPiece tokenizer, written in Swift with no dependency: Hugging Face's normalisation
/// and pre-tokenisation, greedy longest-match-first word pieces with `##` continuations, [UNK] for
/// words over 100 characters or with no match, special tokens never split, single and pair
/// encoding, truncation and padding.
public final class WordPieceTokenizer: @unchecked Sendable {
    public let vocabulary: [String: Int]
    public let tokens: [String]
    public let normalizer: BertNormalizer
    public let unknownToken: String, separatorToken: String, classToken: String, paddingToken: String, maskToken: String
    public let maxInputCharactersPerWord = 100
    /// Ids by exact UTF-8 bytes: Swift's String equality treats canonically equivalent text as equal
    /// (U+037E GREEK QUESTION MARK == ";"), Hugging Face does not.
    let idsByBytes: [[UInt8]: Int]
    /// The longest sequence the model accepts (tokenizer_config's model_max_length, capped at 512).
    public let modelMaxLength: Int
    let specialTokens: [String]

    /// A tokenizer over `vocabulary` tokens in id order.
    public init(vocabulary tokens: [String], normalizer: BertNormalizer = BertNormalizer(), unknownToken: String = "[UNK]",
                separatorToken: String = "[SEP]", classToken: String = "[CLS]", paddingToken: String = "[PAD]",
                maskToken: String = "[MASK]", modelMaxLength: Int = 512) throws {
        var vocabulary: [String: Int] = [:]
        for (i, t) in tokens.enumerated() where vocabulary[t] == nil { vocabulary[t] = i }
        var idsByBytes: [[UInt8]: Int] = [:]
        for (i, t) in tokens.enumerated() where idsByBytes[Array(t.utf8)] == nil { idsByBytes[Array(t.utf8)] = i }
        // Byte-exact: ids are looked up by bytes (String equality would also match other Unicode spellings).
        for special in [unknownToken, separatorToken, classToken, paddingToken] where idsByBytes[Array(special.utf8)] == nil {
            throw TokenizerError.missingSpecialToken(special)
        }
        self.vocabulary = vocabulary
        self.idsByBytes = idsByBytes
        self.tokens = tokens
        self.normalizer = normalizer
        self.unknownToken = unknownToken
        self.separatorToken = separatorToken
        self.classToken = classToken
        self.paddingToken = paddingToken
        self.maskToken = maskToken
        self.modelMaxLength = modelMaxLength
        specialTokens = [unknownToken, separatorToken, classToken, paddingToken, maskToken].filter { idsByBytes[Array($0.utf8)] != nil }
            .sorted { $0.count > $1.count }
    }

    /// Reads a Hugging Face tokenizer folder: `vocab.txt`, and when present `tokenizer_config.json`
    /// (do_lower_case, strip_accents, tokenize_chinese_chars, model_max_length) and
    /// `special_tokens_map.json`. Without a tokenizer_config the model is treated as uncased, as
    /// Hugging Face's BertTokenizer does.
    public convenience init(directory: URL) throws {
        let vocabURL = directory.appendingPathComponent("vocab.txt")
        guard let text = try? String(contentsOf: vocabURL, encoding: .utf8) else {
            throw TokenizerError.unreadable(vocabURL.path, "no readable vocab.txt")
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        lines = lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        guard !lines.isEmpty else { throw TokenizerError.unreadable(vocabURL.path, "vocabulary is empty") }
        func json(_ name: String) throws -> [String: Any] {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
            guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
                throw TokenizerError.unreadable(url.path, "not a JSON object")
            }
            return object
        }
        let config = try json("tokenizer_config.json")
        let special = try json("special_tokens_map.json")
        func token(_ key: String, _ fallback: String) -> String {
            for source in [special, config] {
                if let s = source[key] as? String { return s }
                if let d = source[key] as? [String: Any], let s = d["content"] as? String { return s }
            }
            return fallback
        }
        let lowercase = config["do_lower_case"] as? Bool ?? true
        let normalizer = BertNormalizer(lowercase: lowercase, stripAccents: config["strip_accents"] as? Bool,
                                        handleChineseCharacters: config["tokenize_chinese_chars"] as? Bool ?? true)
        let maxLength = (config["model_max_length"] as? Int).map { Swift.min($0, 512) } ?? 512
        try self.init(vocabulary: lines, normalizer: normalizer, unknownToken: token("unk_token", "[UNK]"),
                      separatorToken: token("sep_token", "[SEP]"), classToken: token("cls_token", "[CLS]"),
                      paddingToken: token("pad_token", "[PAD]"), maskToken: token("mask_token", "[MASK]"), modelMaxLength: maxLength)
    }

    public var vocabularySize: Int { tokens.count }
    public var paddingId: Int { idsByBytes[Array(paddingToken.utf8)]! }
    public var classId: Int { idsByBytes[Array(classToken.utf8)]! }
    public var separatorId: Int { idsByBytes[Array(separatorToken.utf8)]! }
    public var unknownId: Int { idsByBytes[Array(unknownToken.utf8)]! }

    /// Word pieces of one pre-tokenised word, as (token, id).
    func wordPieces(_ word: String) -> [(String, Int)] {
        let chars = Array(word.unicodeScalars)
        if chars.count > maxInputCharactersPerWord { return [(unknownToken, unknownId)] }
        // UTF-8 offsets of each scalar boundary, so candidates are byte slices of the word.
        let bytes = Array(word.utf8)
        var offsets = [0]
        for c in chars { offsets.append(offsets.last! + UTF8.width(c)) }
        let continuation: [UInt8] = Array("##".utf8)
        var pieces: [(String, Int)] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: (String, Int)?
            while start < end {
                let slice = Array(bytes[offsets[start]..<offsets[end]])
                let key = start > 0 ? continuation + slice : slice
                if let id = idsByBytes[key] { found = (tokens[id], id); break }
                end -= 1
            }
            guard let piece = found else { return [(unknownToken, unknownId)] }
            pieces.append(piece)
            start = end
        }
        return pieces
    }

    /// The word pieces of `text` without [CLS]/[SEP]; special tokens written in the text stay whole.
    public func tokenize(_ text: String) -> [String] { pieces(text).map(\.0) }

    /// Word pieces with their ids.
    func pieces(_ text: String) -> [(String, Int)] {
        var result: [(String, Int)] = []
        for (segment, isSpecial) in splitOnSpecialTokens(text) {
            if isSpecial { result.append((segment, idsByBytes[Array(segment.utf8)]!)); continue }
            for word in normalizer.preTokenize(normalizer.normalize(segment)) { result += wordPieces(word) }
        }
        return result
    }

    /// Splits text around byte-exact occurrences of the special tokens.
    func splitOnSpecialTokens(_ text: String) -> [(String, Bool)] {
        let bytes = Array(text.utf8)
        let specials = specialTokens.map { Array($0.utf8) }
        guard specials.contains(where: { s in bytes.count >= s.count && bytes.indices.contains(where: { i in
            i + s.count <= bytes.count && bytes[i] == s[0] && bytes[i..<(i + s.count)].elementsEqual(s) }) }) else {
            return [(text, false)]
        }
        var parts: [(String, Bool)] = []
        var plainStart = 0
        var i = 0
        while i < bytes.count {
            if let special = specials.first(where: { i + $0.count <= bytes.count && bytes[i..<(i + $0.count)].elementsEqual($0) }) {
                if i > plainStart { parts.append((String(decoding: bytes[plainStart..<i], as: UTF8.self), false)) }
                parts.append((String(decoding: special, as: UTF8.self), true))
                i += special.count
                plainStart = i
            } else {
                i += 1
            }
        }
        if plainStart < bytes.count { parts.append((String(decoding: bytes[plainStart...], as: UTF8.self), false)) }
        return parts
    }

    /// [CLS] text [SEP] (and text pair [SEP]), truncated to `maxLength` tokens when given (the
    /// longer of a pair loses tokens first, as Hugging Face's "longest_first").
    public func encode(_ text: String, pair: String? = nil, maxLength: Int? = nil) -> Encoding {
        var first = pieces(text)
        var second = pair.map(pieces)
        if let maxLength {
            let budget = Swift.max(0, maxLength - (second == nil ? 2 : 3))
            while first.count + (second?.count ?? 0) > budget {
                if let s = second, s.count > first.count { second!.removeLast() } else { first.removeLast() }
            }
        }
        let cls = (classToken, classId), sep = (separatorToken, separatorId)
        var pieces = [cls] + first + [sep]
        var types = Array(repeating: 0, count: pieces.count)
        if let second {
            pieces += second + [sep]
            types += Array(repeating: 1, count: second.count + 1)
        }
        return Encoding(ids: pieces.map(\.1), typeIds: types, attentionMask: Array(repeating: 1, count: pieces.count),
                        tokens: pieces.map(\.0))
    }

    /// Encodes texts in parallel over all cores and pads them.
    public func encode(batch texts: [String], maxLength: Int? = nil, padding: Padding = .longest) -> [Encoding] {
        // Each chunk writes its own disjoint slots, so no lock is needed.
        let results = UnsafeMutableBufferPointer<Encoding>.allocate(capacity: texts.count)
        defer { results.deallocate() }
        nonisolated(unsafe) let slots = results
        let chunk = Swift.max(1, texts.count / (ProcessInfo.processInfo.activeProcessorCount * 4))
        DispatchQueue.concurrentPerform(iterations: (texts.count + chunk - 1) / chunk) { c in
            for i in (c * chunk)..<Swift.min(texts.count, (c + 1) * chunk) {
                (slots.baseAddress! + i).initialize(to: encode(texts[i], maxLength: maxLength))
            }
        }
        let encoded = Array(results)
        _ = results.baseAddress.map { $0.deinitialize(count: texts.count) }
        return pad(encoded, padding)
    }

    /// Pads encodings with [PAD], mask 0 and type 0.
    public func pad(_ encodings: [Encoding], _ padding: Padding) -> [Encoding] {
        let target: Int
        switch padding {
        case .none: return encodings
        case .longest: target = encodings.map(\.ids.count).max() ?? 0
        case .maxLength(let n): target = n
        }
        return encodings.map { e in
            let extra = Swift.max(0, target - e.ids.count)
            return Encoding(ids: e.ids + Array(repeating: paddingId, count: extra), typeIds: e.typeIds + Array(repeating: 0, count: extra),
                            attentionMask: e.attentionMask + Array(repeating: 0, count: extra),
                            tokens: e.tokens + Array(repeating: paddingToken, count: extra))
        }
    }
}

/// Errors reading or configuring a tokenizer.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case missingSpecialToken(String)
    case unreadable(String, String)

    public var description: String {
        switch self {
        case .missingSpecialToken(let t): return "the vocabulary has no special token \(t)"
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        }
    }
}

extension WordPieceTokenizer {
    /// Writes vocab.txt, tokenizer_config.json and special_tokens_map.json so that this tokenizer
    /// (and Hugging Face's) reads back with the same behaviour.
    public func save(to directory: URL) throws {
        try (tokens.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        var config: [String: Any] = [
            "do_lower_case": normalizer.lowercase, "tokenize_chinese_chars": normalizer.handleChineseCharacters,
            "model_max_length": modelMaxLength, "tokenizer_class": "BertTokenizer",
        ]
        if let strip = normalizer.stripAccents { config["strip_accents"] = strip }
        let special = ["unk_token": unknownToken, "sep_token": separatorToken, "cls_token": classToken,
                       "pad_token": paddingToken, "mask_token": maskToken]
        for (name, object) in [("tokenizer_config.json", config.merging(special) { a, _ in a }), ("special_tokens_map.json", special as [String: Any])] {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            try data.write(to: directory.appendingPathComponent(name))
        }
    }
}
