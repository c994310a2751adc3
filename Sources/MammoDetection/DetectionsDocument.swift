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
        /// The preprocessed image's size (the grid of Mammo-CLIP's `resized_*` boxes), when known.
        public var preprocessedWidth: Int?
        public var preprocessedHeight: Int?
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

    /// The entry of one image: detections in input pixels, mapped through `mapping` when given (and
    /// clipped to the original image: a box reaching into the preprocessing's padding ends at its edge).
    public static func image(_ name: String, detections: [ScoredBox], findings: [DetectionFinding], inputWidth: Int, inputHeight: Int,
                             mapping: BoxMapping?) -> Image {
        Image(image: name, inputWidth: inputWidth, inputHeight: inputHeight, sourceWidth: mapping?.geometry.sourceWidth,
              sourceHeight: mapping?.geometry.sourceHeight, preprocessedWidth: mapping?.geometry.outputWidth,
              preprocessedHeight: mapping?.geometry.outputHeight,
              detections: detections.map { d in
                  Detection(finding: findings[d.label], score: d.score, box: d.box,
                            sourceBox: mapping.map { $0.toSource(d.box).clipped(width: Double($0.geometry.sourceWidth), height: Double($0.geometry.sourceHeight)) })
              })
    }

    /// Reads and checks a detections file: every box finite, of no negative size and inside its
    /// image (within half a pixel), every score in [0, 1], every image once. Errors name the file,
    /// the image and the value.
    public static func load(_ url: URL) throws -> DetectionsDocument {
        let document = try read(url, missing: "a detections file (mammofm detect writes detections.json)")
        var seen = Set<String>()
        for (i, image) in document.images.enumerated() {
            func refuse(_ reason: String) -> InputError { InputError.badFile(path: url.path, reason: "images[\(i)] '\(image.image)': \(reason)") }
            guard seen.insert(image.image).inserted else { throw refuse("listed twice") }
            guard image.inputWidth > 0, image.inputHeight > 0 else { throw refuse("input size \(image.inputWidth) x \(image.inputHeight) is not positive") }
            for (j, detection) in image.detections.enumerated() {
                guard detection.score.isFinite, (0...1).contains(detection.score) else { throw refuse("detections[\(j)]: score \(detection.score) is not in [0, 1]") }
                try check(detection.box, width: image.inputWidth, height: image.inputHeight, what: "detections[\(j)].box", refuse)
                if let box = detection.sourceBox {
                    guard let width = image.sourceWidth, let height = image.sourceHeight else {
                        throw refuse("detections[\(j)] has a sourceBox but the image has no sourceWidth and sourceHeight")
                    }
                    try check(box, width: width, height: height, what: "detections[\(j)].sourceBox", refuse)
                }
            }
        }
        return document
    }

    static func check(_ box: BoundingBox, width: Int, height: Int, what: String, _ refuse: (String) -> InputError) throws {
        let values = [box.xmin, box.ymin, box.xmax, box.ymax]
        let text = "(\(values.map { String(format: "%.2f", $0) }.joined(separator: ", ")))"
        guard values.allSatisfy(\.isFinite) else { throw refuse("\(what) \(text) is not finite") }
        guard box.width >= 0, box.height >= 0 else { throw refuse("\(what) \(text) has a negative size") }
        guard box.xmin >= -0.5, box.ymin >= -0.5, box.xmax <= Double(width) + 0.5, box.ymax <= Double(height) + 0.5 else {
            throw refuse("\(what) \(text) lies outside its \(width) x \(height) image")
        }
    }
}

extension BoundingBox {
    /// The box limited to [0, width] x [0, height].
    func clipped(width: Double, height: Double) -> BoundingBox {
        BoundingBox(xmin: min(max(xmin, 0), width), ymin: min(max(ymin, 0), height), xmax: min(max(xmax, 0), width), ymax: min(max(ymax, 0), height))
    }
}
