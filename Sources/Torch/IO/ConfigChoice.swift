import Foundation

/// A setting with a fixed set of spellings (precision, loss, pooling, ...): decoded from its string,
/// and a spelling outside the set fails while the file or command line is read, with the allowed
/// values in the message.
public protocol ConfigChoice: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension ConfigChoice {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not one of \(Self.spellings)")
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The allowed spellings, comma-separated.
    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The value spelled `text`, or an error naming `setting` and the allowed spellings.
    public static func parse(_ text: String, setting: String) throws -> Self {
        guard let value = Self(rawValue: text) else { throw TorchError.invalidArgument("\(setting): '\(text)' is not one of \(spellings)") }
        return value
    }
}
