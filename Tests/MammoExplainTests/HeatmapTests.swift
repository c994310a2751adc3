import Foundation
import MammoEvaluation
import MammoExplain
import Testing
import Torch

@Suite struct HeatmapTests {
    /// One channel lit inside a square, the others noise scoring lower: the heatmap's region is
    /// that square at the input's scale (a pixel or two of bilinear skirt), its peak inside.
    @Test func aLitChannelGivesItsSquare() throws {
        var maps = [Float](repeating: 0, count: 4 * 16 * 16)
        var rng = SeededRandom(seed: 3, salt: 1)
        for i in maps.indices { maps[i] = Float(rng.uniform(0, 0.05)) }
        // Channel 2: rows 5-7, columns 9-12, 4.7% of the map (the threshold keeps the top 5%).
        for y in 5..<8 { for x in 9..<13 { maps[2 * 256 + y * 16 + x] = 1 } }
        let heatmap = try Heatmap.combine(maps: Tensor(maps, shape: [4, 16, 16]), similarities: Tensor([0.1, -0.3, 9, 0.2], shape: [4]),
                                          height: 64, width: 64)
        let square = BoundingBox(xmin: 36, ymin: 20, xmax: 52, ymax: 32)
        let region = try #require(heatmap.regions.first)
        // Bilinear upsampling ramps the square's edges, so the top 5% is the square less part of its rim.
        #expect(region.box.iou(square) > 0.7, "\(region.box)")
        #expect(abs(region.box.centre.x - 44) <= 1 && abs(region.box.centre.y - 26) <= 1, "\(region.box)")
        #expect(heatmap.regions.count == 1)
        #expect(LocalisationMetrics.pointingHit(peak: heatmap.peak, lesions: [square]))
        #expect(LocalisationMetrics.regionHits(regions: heatmap.regions.map(\.box), lesions: [square], iou: 0.25) == [true])
        #expect(LocalisationMetrics.energyInside(values: heatmap.values, width: 64, height: 64, lesions: [square]) > 0.3)
    }

    /// Two separate blobs are two regions, the brighter first; a flat map has none.
    @Test func componentsAndFlatMaps() throws {
        var values = [Float](repeating: 0, count: 20 * 10)
        for y in 1..<3 { for x in 1..<3 { values[y * 20 + x] = 0.6 } }
        for y in 6..<9 { for x in 14..<17 { values[y * 20 + x] = 1 } }
        let heatmap = try Heatmap(values: values, width: 20, height: 10, quantile: 0.9)
        #expect(heatmap.regions.map(\.box) == [BoundingBox(xmin: 14, ymin: 6, xmax: 17, ymax: 9), BoundingBox(xmin: 1, ymin: 1, xmax: 3, ymax: 3)])
        #expect(heatmap.regions.map(\.pixels) == [9, 4] && heatmap.peak == (14, 6))
        let flat = try Heatmap(values: [Float](repeating: 0.3, count: 12), width: 4, height: 3, quantile: 0.95)
        #expect(flat.regions.isEmpty)
        #expect(throws: TorchError.self) { try Heatmap(values: [1, 2, 3], width: 2, height: 2, quantile: 0.9) }
    }

    /// The measures on hand-worked cases.
    @Test func metricsOnHandWorkedCases() {
        let lesion = BoundingBox(xmin: 10, ymin: 10, xmax: 20, ymax: 20)
        #expect(LocalisationMetrics.pointingHit(peak: (15, 12), lesions: [lesion]))
        #expect(!LocalisationMetrics.pointingHit(peak: (20, 12), lesions: [lesion]))   // the pixel's centre is at 20.5
        // IoU of [10,20]^2 with [14,24]x[10,20]: 60 / 140 = 0.43.
        let shifted = BoundingBox(xmin: 14, ymin: 10, xmax: 24, ymax: 20)
        #expect(LocalisationMetrics.regionHits(regions: [shifted], lesions: [lesion], iou: 0.25) == [true])
        #expect(LocalisationMetrics.regionHits(regions: [shifted], lesions: [lesion], iou: 0.5) == [false])
        // A 4 x 4 map, total 10, the 2 x 2 box at the top left holding 1 + 2 + 3 + 0.
        let values: [Float] = [1, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0]
        #expect(abs(LocalisationMetrics.energyInside(values: values, width: 4, height: 4, lesions: [BoundingBox(xmin: 0, ymin: 0, xmax: 2, ymax: 2)]) - 0.6) < 1e-12)
    }
}
