import Foundation
import Torch

/// A JSON manifest that names its format and version (head.json, a bundle's manifest.json): read
/// only when both are ones this MammoFM knows, and written with sorted keys so that equal manifests
/// are equal files.
public protocol VersionedManifest: Codable {
    static var formatName: String { get }
    static var currentVersion: Int { get }
    /// What the file is, in words, for errors ("a classifier head manifest").
    static var description: String { get }
    var format: String { get }
    var version: Int { get }
}

extension VersionedManifest {
    /// Reads `url`; `missing` says what the folder should hold when the file is absent.
    public static func read(_ url: URL, missing: String) throws -> Self {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw InputError.badFile(path: url.path, reason: "missing: \(missing)") }
        let manifest: Self
        do { manifest = try JSONDecoder().decode(Self.self, from: data) } catch {
            throw InputError.badFile(path: url.path, reason: "not \(description): \(error)")
        }
        guard manifest.format == formatName, manifest.version <= currentVersion else {
            throw InputError.badFile(path: url.path, reason: "format \(manifest.format) version \(manifest.version); this MammoFM reads \(formatName) up to version \(currentVersion)")
        }
        return manifest
    }

    /// Writes the manifest to `url` through a temporary file.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(encoder.encode(self), to: url)
    }
}
