import Foundation

/// The tensors of a weights file, as `mammofm inspect-weights` lists them.
public struct WeightsListing: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public let key: String
        public let shape: [Int]
        public let dtype: String
    }

    public let entries: [Entry]

    /// The entries of a `.safetensors` file, a `torch.save` file (`.pt`, `.pth`, `.bin`, `.tar`) or a
    /// converted model folder (its `model.safetensors`).
    public init(_ location: URL) throws {
        var url = location
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw TorchError.io(path: url.path, reason: "no such file or directory")
        }
        if isDirectory.boolValue { url.appendPathComponent("model.safetensors") }
        if url.pathExtension == "safetensors" {
            let weights = try SafetensorsFile(url: url)
            entries = weights.keys.map { Entry(key: $0, shape: weights.entries[$0]!.shape, dtype: weights.entries[$0]!.dtype.description) }
        } else {
            entries = try TorchCheckpoint(url: url).allTensors().map { Entry(key: $0.0, shape: $0.1.shape, dtype: $0.1.dtype.description) }
        }
    }

    /// Elements over all tensors.
    public var elementCount: Int { entries.reduce(0) { $0 + $1.shape.reduce(1, *) } }
}
