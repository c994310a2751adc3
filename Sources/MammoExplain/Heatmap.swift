import Foundation
import MammoEvaluation
import Torch

/// How a FActOR heatmap is made from one image's channel maps and their similarity to a sentence.
public struct HeatmapSettings: Codable, Equatable, Sendable {
    /// Channels combined: the best-scoring ones.
    public var topChannels = 5
    /// Pixels at or above this quantile of the heatmap form the predicted regions (the paper's 95th).
    public var quantile = 0.95

    public init() {}
}

/// A heatmap over the model input (values in [0, 1], row-major) with its predicted regions: the
/// connected components (8-neighbourhood) of the pixels at or above the threshold.
public struct Heatmap: Sendable {
    public struct Region: Codable, Equatable, Sendable {
        /// In input pixels, corners at pixel edges.
        public var box: BoundingBox
        public var pixels: Int
        /// The region's highest and mean heatmap values.
        public var peak: Double
        public var mean: Double
    }

    public var width: Int
    public var height: Int
    public var values: [Float]
    public var threshold: Float
    /// Best peak first.
    public var regions: [Region]
    /// The pixel of the highest value (the first in row order on ties).
    public var peak: (x: Int, y: Int)

    /// The channels of one image (`maps` C x h x w) combined by their similarities (`similarities`
    /// C, over the temperature): the `topChannels` best, each map rectified and scaled to a maximum of
    /// one, weighted by the softmax of their similarities; upsampled (bilinear) to `height` x `width`,
    /// scaled to [0, 1], thresholded at the settings' quantile.
    public static func combine(maps: Tensor, similarities: Tensor, height: Int, width: Int, settings: HeatmapSettings = HeatmapSettings()) throws -> Heatmap {
        guard maps.rank == 3, similarities.rank == 1, similarities.size(0) == maps.size(0) else {
            throw TorchError.invalidArgument("channel maps \(maps.shape) and similarities \(similarities.shape) do not match")
        }
        guard height > 0, width > 0, settings.topChannels > 0, (0..<1).contains(settings.quantile) else {
            throw TorchError.invalidArgument("a heatmap needs a positive size, at least one channel and a quantile in [0, 1)")
        }
        let k = min(settings.topChannels, maps.size(0))
        let (best, index) = try similarities.to(.float32).topk(k)
        let chosen = try maps.to(.float32).indexSelect(dim: 0, index: index).relu()
        let scaled = try chosen / chosen.reshape([k, -1]).max(dim: 1).values.clamp(min: 1e-12).reshape([k, 1, 1])
        let weights = try Functional.softmax(best, dim: 0).reshape([k, 1, 1])
        let combined = try (scaled * weights).sum(dim: 0).reshape([1, 1, maps.size(1), maps.size(2)])
        let upsampled = try Functional.interpolate(combined, size: (height, width), mode: .bilinear, alignCorners: false)
        return try Heatmap(values: upsampled.to(.float32, device: .cpu).contiguous().toArray(Float.self), width: width, height: height,
                           quantile: settings.quantile)
    }

    /// A heatmap of `values` (height x width, any range), scaled to [0, 1] and thresholded.
    public init(values raw: [Float], width: Int, height: Int, quantile: Double) throws {
        guard width > 0, height > 0, raw.count == width * height else {
            throw TorchError.invalidArgument("\(raw.count) heatmap values for \(width) x \(height)")
        }
        let low = raw.min()!, high = raw.max()!
        let span = high - low
        let scaled = span > 0 ? raw.map { ($0 - low) / span } : [Float](repeating: 0, count: raw.count)
        let sorted = scaled.sorted()
        let threshold = sorted[min(sorted.count - 1, Int((quantile * Double(sorted.count - 1)).rounded(.down)))]
        let top = scaled.indices.max { scaled[$0] < scaled[$1] || (scaled[$0] == scaled[$1] && $0 > $1) }!
        values = scaled
        self.width = width
        self.height = height
        self.threshold = threshold
        peak = (top % width, top / width)
        regions = Self.components(scaled, width: width, height: height, threshold: threshold)
    }

    /// Connected components of the pixels at or above `threshold` (above zero: a flat map has none).
    static func components(_ values: [Float], width: Int, height: Int, threshold: Float) -> [Region] {
        var seen = [Bool](repeating: false, count: values.count)
        var regions: [Region] = []
        for start in values.indices where !seen[start] && values[start] >= threshold && values[start] > 0 {
            var stack = [start], xmin = width, ymin = height, xmax = 0, ymax = 0, count = 0
            var peakValue: Float = 0, total = 0.0
            seen[start] = true
            while let i = stack.popLast() {
                let x = i % width, y = i / width
                xmin = min(xmin, x); xmax = max(xmax, x); ymin = min(ymin, y); ymax = max(ymax, y)
                count += 1
                peakValue = max(peakValue, values[i])
                total += Double(values[i])
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                        let j = ny * width + nx
                        if !seen[j] && values[j] >= threshold && values[j] > 0 { seen[j] = true; stack.append(j) }
                    }
                }
            }
            regions.append(Region(box: BoundingBox(xmin: Double(xmin), ymin: Double(ymin), xmax: Double(xmax + 1), ymax: Double(ymax + 1)),
                                  pixels: count, peak: Double(peakValue), mean: total / Double(count)))
        }
        return regions.sorted { $0.peak > $1.peak || ($0.peak == $1.peak && $0.pixels > $1.pixels) }
    }
}
