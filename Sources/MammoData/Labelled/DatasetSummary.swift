import Foundation

/// What `mammofm dataset inspect` reports about a copy of a public dataset: sizes and, per
/// section (split, positives per label, density, ...), counts by value.
public struct DatasetSummary: Codable, Equatable, Sendable {
    public var format: String
    public var file: String
    public var rows: Int
    /// Named sizes: images, patients, studies, breasts, abnormalities, ... as the format has them.
    public var sizes: [String: Int]
    /// Counts by value per section, e.g. "split" -> ["training": 16000, "test": 4000].
    public var sections: [String: [String: Int]]

    /// A plain-text rendering, sections and values sorted.
    public var text: String {
        var lines = ["\(format): \(file)", "  rows: \(rows)"]
        for (name, value) in sizes.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(value)") }
        for (name, counts) in sections.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name):")
            for (value, count) in counts.sorted(by: { $0.key < $1.key }) { lines.append("    \(value.isEmpty ? "(empty)" : value): \(count)") }
        }
        return lines.joined(separator: "\n")
    }
}

/// The dataset layouts MammoFM reads.
public enum DatasetFormat: String, CaseIterable, Sendable {
    case vindr, rsna, cbis, embed, mammoclip, synth

    /// Reads `url` in this layout and counts it.
    public func inspect(_ url: URL) throws -> DatasetSummary {
        switch self {
        case .vindr: return try DatasetInspection.vindr(url)
        case .rsna: return try DatasetInspection.rsna(url)
        case .cbis: return try DatasetInspection.cbis(url)
        case .embed: return try DatasetInspection.embed(url)
        case .mammoclip: return try DatasetInspection.mammoclip(url)
        case .synth: return try DatasetInspection.synth(url)
        }
    }
}
