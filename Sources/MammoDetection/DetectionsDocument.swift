import Foundation
import MammoData
import MammoEvaluation

/// `detections.json`: per image, every detection with its box in detector-input pixels and, when
/// the image's preprocessing geometry is known, in the original DICOM pixel grid (what a PACS
/// viewer draws on).
public struct DetectionsDocument: VersionedManifest, Equatable, Sendable {
    public static let formatName = "mammofm-detections"
    public static let currentVersion = 1
    public static let description = "a detections file"

    public struct Detection: Codable, Equatable, Sendable {
        public var finding: DetectionFinding
        public var score: Double
        /// In detector-input pixels.
        public var box: BoundingBox
        /// In the original image's pixels (nil without its geometry).
        public var sourceBox: BoundingBox?
    }

    public struct Image: Codable, Equatable, Sendable {
        /// The image id (the preprocessed PNG's name) or the input file.
        public var image: String
        public var inputWidth: Int
        public var inputHeight: Int
        public var sourceWidth: Int?
        public var sourceHeight: Int?
        public var detections: [Detection]
    }

    public var format = formatName
    public var version = currentVersion
    public var mammofmVersion: String
    /// FNV-1a 64 of the detector's weights.
    public var detectorHash: String
    public var findings: [DetectionFinding]
    public var images: [Image]

    public init(mammofmVersion: String, detectorHash: String, findings: [DetectionFinding], images: [Image]) {
        self.mammofmVersion = mammofmVersion
        self.detectorHash = detectorHash
        self.findings = findings
        self.images = images
    }

    /// The entry of one image: detections in input pixels, mapped through `mapping` when given.
    public static func image(_ name: String, detections: [ScoredBox], findings: [DetectionFinding], inputWidth: Int, inputHeight: Int,
                             mapping: BoxMapping?) -> Image {
        Image(image: name, inputWidth: inputWidth, inputHeight: inputHeight, sourceWidth: mapping?.geometry.sourceWidth,
              sourceHeight: mapping?.geometry.sourceHeight,
              detections: detections.map { Detection(finding: findings[$0.label], score: $0.score, box: $0.box, sourceBox: mapping?.toSource($0.box)) })
    }
}
