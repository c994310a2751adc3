import Foundation
import Torch

/// RetinaNet's box parametrisation (the reference's BBoxTransform and the regression targets of its
/// loss): centre offsets relative to the anchor's size and log size ratios, divided by
/// [0.1, 0.1, 0.2, 0.2].
public enum BoxCoding {
    public static let deltaScale: [Double] = [0.1, 0.1, 0.2, 0.2]

    /// Centres and sizes of (..., 4) corner boxes, each (...).
    static func centreForm(_ boxes: Tensor) throws -> (cx: Tensor, cy: Tensor, w: Tensor, h: Tensor) {
        let last = boxes.rank - 1
        let x1 = try boxes.select(dim: last, index: 0), y1 = try boxes.select(dim: last, index: 1)
        let x2 = try boxes.select(dim: last, index: 2), y2 = try boxes.select(dim: last, index: 3)
        let w = try x2 - x1, h = try y2 - y1
        return (try x1 + w * 0.5, try y1 + h * 0.5, w, h)
    }

    /// Boxes (..., A, 4) from regression outputs (..., A, 4) on `anchors` (A, 4).
    public static func decode(_ deltas: Tensor, anchors: Tensor) throws -> Tensor {
        let a = try centreForm(anchors), last = deltas.rank - 1
        let dx = try deltas.select(dim: last, index: 0) * deltaScale[0], dy = try deltas.select(dim: last, index: 1) * deltaScale[1]
        let dw = try deltas.select(dim: last, index: 2) * deltaScale[2], dh = try deltas.select(dim: last, index: 3) * deltaScale[3]
        let cx = try a.cx + dx * a.w, cy = try a.cy + dy * a.h
        let w = try dw.exp() * a.w, h = try dh.exp() * a.h
        return try Tensor.stack([cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5], dim: last)
    }

    /// Regression targets (A, 4) of ground-truth boxes (A, 4) assigned to `anchors` (A, 4): widths and
    /// heights below one pixel are taken as one for the size terms (the centre uses the true size).
    public static func encode(_ boxes: Tensor, anchors: Tensor) throws -> Tensor {
        let a = try centreForm(anchors), g = try centreForm(boxes)
        let w = try g.w.clamp(min: 1), h = try g.h.clamp(min: 1)
        return try Tensor.stack([(g.cx - a.cx) / a.w / deltaScale[0], (g.cy - a.cy) / a.h / deltaScale[1],
                                 (w / a.w).log() / deltaScale[2], (h / a.h).log() / deltaScale[3]], dim: 1)
    }

    /// Boxes (..., 4) clipped to an image of `height` x `width` (x1, y1 at least 0; x2 at most the
    /// width, y2 at most the height, as the reference's ClipBoxes).
    public static func clip(_ boxes: Tensor, height: Int, width: Int) throws -> Tensor {
        let last = boxes.rank - 1
        return try Tensor.stack([boxes.select(dim: last, index: 0).clamp(min: 0), boxes.select(dim: last, index: 1).clamp(min: 0),
                                 boxes.select(dim: last, index: 2).clamp(max: Double(width)),
                                 boxes.select(dim: last, index: 3).clamp(max: Double(height))], dim: last)
    }

    /// IoU of every box of `a` (A, 4) with every box of `b` (B, 4): (A, B), the union at least 1e-8
    /// (the reference loss's `calc_iou`).
    public static func iou(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        func column(_ t: Tensor, _ i: Int) throws -> Tensor { try t.select(dim: 1, index: i) }
        let areaB = try (column(b, 2) - column(b, 0)) * (column(b, 3) - column(b, 1))
        let areaA = try (column(a, 2) - column(a, 0)) * (column(a, 3) - column(a, 1))
        let iw = try (column(a, 2).unsqueeze(1).minimum(column(b, 2)) - column(a, 0).unsqueeze(1).maximum(column(b, 0))).clamp(min: 0)
        let ih = try (column(a, 3).unsqueeze(1).minimum(column(b, 3)) - column(a, 1).unsqueeze(1).maximum(column(b, 1))).clamp(min: 0)
        let intersection = try iw * ih
        let union = try (areaA.unsqueeze(1) + areaB - intersection).clamp(min: 1e-8)
        return try intersection / union
    }
}
