import Foundation
import Torch

/// RetinaNet's anchor boxes, as the reference generates them: pyramid levels P3-P7 (strides 8-128),
/// base sizes 32-512, three aspect ratios and three scales per position, centred on each cell of a
/// level's grid (the grid of a level is the image size divided by its stride, rounded up).
public struct AnchorGenerator: Codable, Equatable, Sendable {
    public var pyramidLevels: [Int] = [3, 4, 5, 6, 7]
    /// Height / width of the anchors.
    public var ratios: [Double] = [0.5, 1, 2]
    public var scales: [Double] = [1, pow(2, 1.0 / 3.0), pow(2, 2.0 / 3.0)]
    /// Multiplies every base size (1: the reference's 32-512). Small inputs need smaller anchors: a
    /// box much smaller than the smallest anchor has no anchor at IoU 0.5 and is never learned.
    public var sizeScale = 1.0

    public init() {}

    enum CodingKeys: String, CodingKey { case pyramidLevels, ratios, scales, sizeScale }

    /// `sizeScale` was added later: files without it have the reference's sizes.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pyramidLevels = try c.decode([Int].self, forKey: .pyramidLevels)
        ratios = try c.decode([Double].self, forKey: .ratios)
        scales = try c.decode([Double].self, forKey: .scales)
        sizeScale = try c.decodeIfPresent(Double.self, forKey: .sizeScale) ?? 1
    }

    public var anchorsPerPosition: Int { ratios.count * scales.count }
    public func stride(ofLevel level: Int) -> Int { 1 << level }
    public func baseSize(ofLevel level: Int) -> Double { Double(1 << (level + 2)) * sizeScale }

    /// Grid (rows, columns) of each level for an image of `height` x `width`.
    public func grids(height: Int, width: Int) -> [(rows: Int, columns: Int)] {
        pyramidLevels.map { level in
            let s = stride(ofLevel: level)
            return ((height + s - 1) / s, (width + s - 1) / s)
        }
    }

    /// The reference's `generate_anchors`: (x1, y1, x2, y2) around the origin, ratios outer, scales inner.
    func cellAnchors(baseSize: Double) -> [[Double]] {
        var anchors: [[Double]] = []
        for ratio in ratios {
            for scale in scales {
                let side = baseSize * scale, area = side * side
                let w = (area / ratio).squareRoot(), h = w * ratio
                anchors.append([-w * 0.5, -h * 0.5, w * 0.5, h * 0.5])
            }
        }
        return anchors
    }

    /// Every anchor (A x 4, x1 y1 x2 y2) of an image of `height` x `width`: levels in order, then
    /// rows, columns and the cell's anchors, as the heads' outputs are laid out. Computed in double
    /// precision and stored as float32, as the reference does.
    public func anchors(height: Int, width: Int, device: Device = .cpu) throws -> Tensor {
        try anchors(grids: grids(height: height, width: width), device: device)
    }

    /// The anchors of pyramid levels whose grids are `grids` (one per level, as the network made them).
    public func anchors(grids: [(rows: Int, columns: Int)], device: Device = .cpu) throws -> Tensor {
        var values: [Float] = []
        for (level, grid) in zip(pyramidLevels, grids) {
            let s = Double(stride(ofLevel: level)), cell = cellAnchors(baseSize: baseSize(ofLevel: level))
            values.reserveCapacity(values.count + grid.rows * grid.columns * cell.count * 4)
            for row in 0..<grid.rows {
                let y = (Double(row) + 0.5) * s
                for column in 0..<grid.columns {
                    let x = (Double(column) + 0.5) * s
                    for a in cell { values += [Float(a[0] + x), Float(a[1] + y), Float(a[2] + x), Float(a[3] + y)] }
                }
            }
        }
        return try Tensor.from(values, shape: [values.count / 4, 4], device: device)
    }
}
