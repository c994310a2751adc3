import Foundation
import MammoData
import MammoEvaluation
import MammoImaging
import Torch

/// Overlay pictures: an image in grey with detections in their finding's colour (brighter for higher
/// scores) and, when given, the ground-truth boxes in green; and the results pages' gallery of them.
public enum DetectionOverlay {
    /// Colours of the findings' boxes (mass, calcification).
    static let colours: [DetectionFinding: (UInt8, UInt8, UInt8)] = [.mass: (255, 64, 64), .calcification: (64, 200, 255)]
    static let truthColour: (UInt8, UInt8, UInt8) = (40, 220, 40)

    /// `image` is 1 x 1 x H x W in any range; boxes in its pixels.
    public static func draw(_ image: Tensor, detections: [ScoredBox], findings: [DetectionFinding], truth: [BoundingBox] = []) throws -> ColorImage {
        let height = image.size(2), width = image.size(3)
        let values = try image.to(.float32, device: .cpu).contiguous().toArray(Float.self)
        let low = values.min() ?? 0, high = values.max() ?? 1, span = max(high - low, 1e-6)
        var picture = ColorImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let v = UInt8(max(0, min(255, ((values[y * width + x] - low) / span * 255).rounded())))
                picture.set(x, y, (v, v, v))
            }
        }
        for box in truth { rectangle(&picture, box, truthColour) }
        for detection in detections.reversed() {
            let base = colours[findings[detection.label]] ?? (255, 255, 0), strength = 0.4 + 0.6 * min(1, max(0, detection.score))
            rectangle(&picture, detection.box, (UInt8(Double(base.0) * strength), UInt8(Double(base.1) * strength), UInt8(Double(base.2) * strength)))
        }
        return picture
    }

    static func rectangle(_ picture: inout ColorImage, _ b: BoundingBox, _ colour: (UInt8, UInt8, UInt8)) {
        guard [b.xmin, b.ymin, b.xmax, b.ymax].allSatisfy(\.isFinite) else { return }
        func pixel(_ v: Double, _ limit: Int) -> Int { Int(min(Double(limit), max(0, v)).rounded()) }
        let x0 = pixel(b.xmin, picture.width), x1 = pixel(b.xmax, picture.width) - 1, y0 = pixel(b.ymin, picture.height), y1 = pixel(b.ymax, picture.height) - 1
        guard x1 >= x0, y1 >= y0 else { return }
        for x in x0...x1 { picture.set(x, y0, colour); picture.set(x, y1, colour) }
        for y in y0...y1 { picture.set(x0, y, colour); picture.set(x1, y, colour) }
    }

    /// One scored image for the gallery: its PNG, detections and lesions in detector-input pixels.
    public struct Case {
        public var name: String
        public var png: URL
        public var detections: [ScoredBox]
        public var lesions: [(box: BoundingBox, label: Int)]

        public init(name: String, png: URL, detections: [ScoredBox], lesions: [(box: BoundingBox, label: Int)]) {
            self.name = name
            self.png = png
            self.detections = detections
            self.lesions = lesions
        }
    }

    /// Writes overlays of up to `perKind` images of each kind into `folder` (named `<image>.png`) and
    /// returns them for the page, paths relative to the folder's parent: images whose lesions were all
    /// found at their finding's 1-FP/image threshold (best score first), images with a missed lesion,
    /// and normal images with the highest-scoring false positives. `thresholds[label]` nil: nothing kept.
    public static func gallery(_ cases: [Case], findings: [DetectionFinding], thresholds: [Double?], inputWidth: Int, inputHeight: Int,
                               folder: URL, perKind: Int = 4) throws -> [DetectionResultsPage.Example] {
        func kept(_ c: Case) -> [ScoredBox] { c.detections.filter { d in thresholds[d.label].map { d.score >= $0 } ?? false } }
        func found(_ c: Case) -> [Bool] {
            c.lesions.map { lesion in kept(c).contains { $0.label == lesion.label && HitRule.centreInBox.hits($0.box, lesion.box) } }
        }
        let withLesions = cases.filter { !$0.lesions.isEmpty }
        let hits = withLesions.filter { found($0).allSatisfy { $0 } }.sorted { (kept($0).first?.score ?? 0) > (kept($1).first?.score ?? 0) }
        let misses = withLesions.filter { found($0).contains(false) }
        let normals = cases.filter { $0.lesions.isEmpty && !kept($0).isEmpty }.sorted { kept($0)[0].score > kept($1)[0].score }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var examples: [DetectionResultsPage.Example] = []
        for (kind, chosen) in [("all lesions found", hits), ("a lesion missed", misses), ("normal image, false positive", normals)] {
            for c in chosen.prefix(perKind) {
                let image = try ModelInput.loadImage(c.png, height: inputHeight, width: inputWidth)
                let file = URL(fileURLWithPath: c.name).deletingPathExtension().lastPathComponent + ".png"
                try draw(image, detections: kept(c), findings: findings, truth: c.lesions.map(\.box)).writePNG(folder.appendingPathComponent(file))
                let best = kept(c).first.map { String(format: ", best score %.2f", $0.score) } ?? ""
                examples.append(.init(file: "\(folder.lastPathComponent)/\(file)", caption: "\(c.name): \(kind) (\(c.lesions.count) lesions, \(kept(c).count) marks\(best))"))
            }
        }
        return examples
    }
}
