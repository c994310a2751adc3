import Foundation
import MammoEvaluation
import MammoImaging
import Torch

/// A heatmap drawn over its image: the image in grey, the heatmap as a red tint, the predicted
/// regions outlined in yellow and, when given, the lesions' boxes in green.
public enum HeatmapOverlay {
    /// `image` 1 x 1 x H x W (any range) at the heatmap's size.
    public static func draw(_ image: Tensor, heatmap: Heatmap, lesions: [BoundingBox] = []) throws -> ColorImage {
        let height = heatmap.height, width = heatmap.width
        guard image.size(2) == height, image.size(3) == width else {
            throw TorchError.invalidArgument("an image of \(image.size(3)) x \(image.size(2)) for a heatmap of \(width) x \(height)")
        }
        let values = try image.to(.float32, device: .cpu).contiguous().toArray(Float.self)
        let low = values.min() ?? 0, span = max((values.max() ?? 1) - low, 1e-6)
        var picture = ColorImage(width: width, height: height)
        for i in 0..<(width * height) {
            let grey = Double((values[i] - low) / span) * 255, heat = Double(heatmap.values[i])
            let tint = 0.6 * heat
            picture.set(i % width, i / width, (UInt8(min(255, grey * (1 - tint) + 255 * tint)), UInt8(grey * (1 - tint)), UInt8(grey * (1 - tint))))
        }
        func outline(_ b: BoundingBox, _ colour: (UInt8, UInt8, UInt8)) {
            let x0 = max(0, Int(b.xmin.rounded())), x1 = min(width, Int(b.xmax.rounded())) - 1
            let y0 = max(0, Int(b.ymin.rounded())), y1 = min(height, Int(b.ymax.rounded())) - 1
            guard x1 >= x0, y1 >= y0 else { return }
            for x in x0...x1 { picture.set(x, y0, colour); picture.set(x, y1, colour) }
            for y in y0...y1 { picture.set(x0, y, colour); picture.set(x1, y, colour) }
        }
        for region in heatmap.regions { outline(region.box, (255, 230, 0)) }
        for lesion in lesions { outline(lesion, (40, 220, 40)) }
        return picture
    }
}
