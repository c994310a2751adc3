import Foundation

/// The breast outline of one view in the canonical frame (chest wall at column 0, nipple towards
/// larger columns); right breasts are mirrored after rendering.
/// CC: a half-ellipse against the chest wall, lateral side up. MLO: a rounded lower half down to the
/// inframammary fold, an upper edge that narrows towards the axilla at the top of the image, and the
/// pectoral muscle as a triangle in the upper chest-wall corner; superior up.
struct BreastGeometry {
    let view: ViewPosition
    let rows: Int, columns: Int
    /// Nipple-chest wall distance, pixels.
    let depth: Double
    /// Vertical extent above and below the nipple axis, pixels.
    let upperHalf: Double, lowerHalf: Double
    /// Row of the nipple axis.
    let axisRow: Double
    /// MLO: breast width where it leaves the top edge (the axilla).
    let axillaWidth: Double
    /// Pectoral triangle legs (MLO only): along the top edge and down the chest wall.
    let pectoralWidth: Double, pectoralHeight: Double

    init(view: ViewPosition, rows: Int, columns: Int, scale: Double, shift: Double) {
        self.view = view
        self.rows = rows
        self.columns = columns
        let h = Double(rows), w = Double(columns)
        if view == .cc {
            depth = min(0.9, 0.66 * scale) * w
            upperHalf = min(0.46, 0.36 * scale) * h
            lowerHalf = upperHalf
            axisRow = (0.5 + shift) * h
            axillaWidth = 0
            pectoralWidth = 0
            pectoralHeight = 0
        } else {
            depth = min(0.92, 0.74 * scale) * w
            axisRow = (0.56 + shift) * h
            upperHalf = axisRow
            lowerHalf = min(0.4, 0.33 * scale) * h
            pectoralWidth = 0.4 * depth
            pectoralHeight = (0.62 + 0.5 * shift) * h
            axillaWidth = 0.45 * depth
        }
    }

    /// Outline column at row y (0 where the row misses the breast).
    @inline(__always) func outline(_ y: Double) -> Double {
        let dy = y - axisRow
        if dy >= 0 || view == .cc {
            let v = dy / (dy >= 0 ? lowerHalf : upperHalf)
            return v * v < 1 ? depth * (1 - v * v).squareRoot() : 0
        }
        let t = min(1, -dy / upperHalf)
        return axillaWidth + (depth - axillaWidth) * (1 - t * t).squareRoot()
    }

    /// Normalised radius: < 1 inside the breast, reaching 1 on the skin line.
    @inline(__always) func radius(_ x: Double, _ y: Double) -> Double {
        let dy = y - axisRow
        if view == .cc || dy >= 0 {
            let u = x / depth, v = dy / (dy >= 0 ? lowerHalf : upperHalf)
            return (u * u + v * v).squareRoot()
        }
        let edge = outline(y)
        return edge > 0 ? x / edge : 2
    }

    /// Distance inwards from the skin line, approximately, in pixels.
    @inline(__always) func depthBelowSkin(_ x: Double, _ y: Double) -> Double {
        (1 - radius(x, y)) * min(depth, lowerHalf)
    }

    /// How much of the pectoral muscle covers (x, y): 1 inside, 0 outside, a soft edge of 2 pixels.
    @inline(__always) func pectoral(_ x: Double, _ y: Double) -> Double {
        guard view == .mlo else { return 0 }
        let d = (x / pectoralWidth + y / pectoralHeight - 1) * (pectoralWidth * pectoralHeight)
            / (pectoralWidth * pectoralWidth + pectoralHeight * pectoralHeight).squareRoot()
        return min(1, max(0, 0.5 - d / 4))
    }

    /// Half-extent of the breast above (superior / lateral) or below the axis at column x.
    func halfExtent(at x: Double, upwards: Bool) -> Double {
        if view == .cc || !upwards {
            let u = x / depth
            return (upwards ? upperHalf : lowerHalf) * max(0, 1 - u * u).squareRoot()
        }
        guard x > axillaWidth else { return upperHalf }
        let u = (x - axillaWidth) / (depth - axillaWidth)
        return upperHalf * max(0, 1 - u * u).squareRoot()
    }

    /// Pixel centre of a finding's location in this view.
    func centre(of location: BreastLocation, side: Side) -> (x: Double, y: Double) {
        var x = depth * (1 - location.depthFraction)
        let across = view == .cc ? -location.lateral(side) : -location.superior
        func y(at x: Double) -> Double {
            axisRow + across * location.radialFraction * 0.8 * halfExtent(at: x, upwards: across < 0)
        }
        // Keep MLO findings out of the pectoral muscle: move them towards the nipple.
        while view == .mlo, pectoral(x, y(at: x)) > 0, x < depth * 0.95 { x += 2 }
        return (x, y(at: x))
    }

    /// The point on the skin line in the direction of a location (for skin findings).
    func skinPoint(of location: BreastLocation, side: Side) -> (x: Double, y: Double) {
        let x = depth * (1 - location.depthFraction)
        let across = view == .cc ? -location.lateral(side) : -location.superior
        return (x, axisRow + (across < 0 ? -1 : 1) * halfExtent(at: x, upwards: across < 0))
    }
}
