import Foundation
import MammoData
import MammoDownstream
import MammoImaging

/// `manifest.json` of a model bundle: what a deployment needs to know before it loads anything, and
/// the hash of every file so that a damaged or altered bundle is refused.
public struct BundleManifest: VersionedManifest, Equatable, Sendable {
    public static let formatName = "mammofm-bundle"
    public static let currentVersion = 1
    public static let description = "a bundle manifest"

    /// The encoder: a converted model folder inside the bundle.
    public struct Model: Codable, Equatable, Sendable {
        public var folder: String
        public var weightsHash: String
        /// The image tower ("efficientnet-b5", ...) and the text tower's layer count.
        public var imageTower: String
        public var textLayers: Int
        public var inputHeight: Int
        public var inputWidth: Int
        /// The preprocessing profile images must go through (the one the model was trained with).
        public var preprocessing: PreprocessingProfile
        public var embeddingDimension: Int
    }

    /// One trained head and how it decides.
    public struct Head: Codable, Equatable, Sendable {
        public var task: String
        public var classes: [String]
        public var kind: String
        public var folder: String
        public var decisions: [HeadDecision]
    }

    /// One lesion detector and where its reported detections start.
    public struct DetectorEntry: Codable, Equatable, Sendable {
        public var name: String
        public var findings: [String]
        public var folder: String
        public var inputHeight: Int
        public var inputWidth: Int
        /// Finding -> score threshold (1 false positive per image on validation, or 0.05).
        public var operatingThresholds: [String: Double]
    }

    /// A file of the bundle with its size and FNV-1a 64 hash.
    public struct File: Codable, Equatable, Sendable {
        public var path: String
        public var bytes: Int
        public var fnv1a64: String
    }

    public var format = formatName
    public var version = currentVersion
    public var mammofmVersion: String
    /// ISO 8601, UTC.
    public var created: String
    public var model: Model
    public var heads: [Head]
    /// The zero-shot prompts the bundle scores with (per task, one list per class).
    public var prompts: PromptSet
    /// Lesion detectors (nil in bundles without any).
    public var detectors: [DetectorEntry]?
    public var files: [File]
}
