import Foundation

/// A finding's box in one image, in pixel-corner coordinates: pixel (x, y) is inside when
/// xmin <= x < xmax and ymin <= y < ymax.
public struct FindingBox: Codable, Equatable, Sendable {
    public var xmin: Int, ymin: Int, xmax: Int, ymax: Int
    public func contains(x: Int, y: Int) -> Bool { x >= xmin && x < xmax && y >= ymin && y < ymax }
}

/// Paints findings into an attenuation layer. Every contribution has compact support, so a pixel a
/// finding does not touch is exactly unchanged, and the box is the extent of the touched pixels inside
/// the breast.
struct LesionPainter {
    let geometry: BreastGeometry
    /// Pixel spacing in millimetres.
    let spacing: Double
    let texture: [Float]
    let contrastScale: Double
    /// Multiplies calcification particle sizes (``SynthConfig/calcificationScale``).
    let calcificationScale: Double
    /// synth-1 paints its calcification clusters; later versions the BI-RADS types.
    let generator: GeneratorVersion
    /// Inside-breast test per pixel (canonical frame).
    let inside: [Bool]

    var rows: Int { geometry.rows }
    var columns: Int { geometry.columns }

    /// Adds `finding` to `layer` and returns its box, or nil when it touches no breast pixel.
    func paint(_ finding: Finding, side: Side, into layer: inout [Float]) -> FindingBox? {
        var shapeRng = SynthRandom(seed: finding.shapeSeed, purpose: .lesion, 0)
        // The layer moves into the canvas and back (no copy).
        var canvas = Canvas(layer: [], inside: inside, rows: rows, columns: columns)
        swap(&canvas.layer, &layer)
        defer { swap(&canvas.layer, &layer) }
        let (cx, cy) = finding.kind == .skinThickening ? geometry.skinPoint(of: finding.location, side: side)
                                                       : geometry.centre(of: finding.location, side: side)
        let shape = Shape(cx: cx, cy: cy, radius: finding.sizeMM / 2 / spacing, contrast: finding.contrast * contrastScale)
        switch finding.kind {
        case .mass, .lymphNode: paintMass(finding, shape, &shapeRng, &canvas)
        case .calcification where generator == .synth1: paintCalcification(finding, shape, &shapeRng, &canvas)
        case .calcification: paintBiradsCalcification(finding, shape, &shapeRng, &canvas)
        case .architecturalDistortion: paintDistortion(shape, &shapeRng, &canvas)
        case .focalAsymmetry, .asymmetry, .globalAsymmetry: paintAsymmetry(finding, shape, &canvas)
        case .skinThickening: paintSkinThickening(finding, shape, &shapeRng, &canvas)
        }
        return canvas.box
    }

    /// Where a finding sits and how large and bright it is, in pixels.
    struct Shape {
        var cx: Double, cy: Double
        /// Half the finding's size.
        var radius: Double
        /// The finding's contrast times the cohort's contrast scale.
        var contrast: Double
    }

    /// A mass or lymph node: an outline (round, oval, irregular harmonics; a node's fatty hilum) with
    /// a margin of its kind, and spicules for spiculated masses.
    func paintMass(_ finding: Finding, _ shape: Shape, _ shapeRng: inout SynthRandom, _ canvas: inout Canvas) {
        let (cx, cy, radius, c) = (shape.cx, shape.cy, shape.radius, shape.contrast)
        let aspect: Double, rotation = shapeRng.uniform(0, Double.pi)
        var harmonics: [(Int, Double, Double)] = []
        var edge = 0.05
        var amplitude = 0.3 * c
        if finding.kind == .lymphNode {
            aspect = 0.6
            edge = 0.06
            amplitude = (finding.suspicious ? 0.34 : 0.26) * c
        } else {
            switch finding.shape ?? .oval {
            case .round: aspect = 1
            case .oval: aspect = 0.65
            case .irregular:
                aspect = 0.8
                for k in 2...5 { harmonics.append((k, shapeRng.uniform(0.08, 0.18), shapeRng.uniform(0, 2 * Double.pi))) }
            }
            switch finding.margin ?? .circumscribed {
            case .circumscribed: edge = 0.05
            case .obscured: edge = 0.14
            case .microlobulated:
                edge = 0.07
                for k in 9...11 { harmonics.append((k, 0.05, shapeRng.uniform(0, 2 * Double.pi))) }
            case .indistinct: edge = 0.3
            case .spiculated: edge = 0.15
            }
        }
        let r = max(1.5, radius)
        let w = max(0.7, edge * r)
        let hilum = finding.kind == .lymphNode && !finding.suspicious
        canvas.region(cx, cy, r * 1.45 + w + 1) { dx, dy in
            let u = (dx * cos(rotation) + dy * sin(rotation)), v = (-dx * sin(rotation) + dy * cos(rotation)) / aspect
            let rho = (u * u + v * v).squareRoot(), theta = atan2(v, u)
            var boundary = r
            for (k, a, phase) in harmonics { boundary += r * a * sin(Double(k) * theta + phase) }
            let t = (boundary + w - rho) / (2 * w)
            guard t > 0 else { return 0 }
            let e = t >= 1 ? 1 : t * t * (3 - 2 * t)
            var value = amplitude * e * (0.85 + 0.15 * max(0, 1 - (rho / r) * (rho / r)))
            if hilum {
                // A fatty hilum: a lucent notch at one end of the node.
                let hx = u - 0.55 * r, hy = v
                let hr = (hx * hx + hy * hy).squareRoot() / (0.38 * r)
                if hr < 1 { value *= 0.25 + 0.75 * hr * hr }
            }
            return value
        }
        if finding.margin == .spiculated {
            for _ in 0..<shapeRng.integer(8...16) {
                canvas.line(cx, cy, angle: shapeRng.uniform(0, 2 * Double.pi), length: r * shapeRng.uniform(1.3, 2.4),
                     width: max(0.7, 0.05 * r), amplitude: 0.55 * amplitude, taper: true)
            }
        }
    }

    /// A calcification cluster: particles of the morphology's count, size and brightness; fine
    /// linear ones as segments along a duct.
    func paintCalcification(_ finding: Finding, _ shape: Shape, _ shapeRng: inout SynthRandom, _ canvas: inout Canvas) {
        let (cx, cy, radius, c) = (shape.cx, shape.cy, shape.radius, shape.contrast)
        let morphology = finding.calcification ?? .punctate
        let cluster = max(2, radius)
        let count: Int
        switch morphology {
        case .punctate: count = shapeRng.integer(5...12) * (finding.distribution == .regional ? 3 : 1)
        case .amorphous: count = shapeRng.integer(8...18)
        case .finePleomorphic: count = shapeRng.integer(7...15)
        case .fineLinear: count = shapeRng.integer(4...8)
        // synth-1 draws the four types above only; the others are painted by paintBiradsCalcification.
        default: count = shapeRng.integer(5...12)
        }
        let axis = shapeRng.uniform(0, Double.pi)
        for _ in 0..<count {
            let a = shapeRng.uniform(0, 2 * Double.pi), d = cluster * shapeRng.unit().squareRoot()
            var px = cx + d * cos(a), py = cy + d * sin(a)
            let sizeMM: Double, brightness: Double
            switch morphology {
            case .punctate, .vascular, .coarse, .largeRodLike, .rim, .coarseHeterogeneous: sizeMM = shapeRng.uniform(0.3, 0.5); brightness = 1.0
            case .amorphous: sizeMM = shapeRng.uniform(0.15, 0.3); brightness = 0.45
            case .finePleomorphic: sizeMM = shapeRng.uniform(0.15, 0.6); brightness = shapeRng.uniform(0.7, 1.1)
            case .fineLinear:
                // Segments along a duct: positions spread along one axis.
                let along = shapeRng.uniform(-cluster, cluster)
                px = cx + along * cos(axis) + shapeRng.uniform(-1, 1)
                py = cy + along * sin(axis) + shapeRng.uniform(-1, 1)
                canvas.line(px, py, angle: axis + shapeRng.uniform(-0.5, 0.5),
                     length: shapeRng.uniform(1.0, 3.0) * calcificationScale / spacing + 1,
                     width: 0.9 * calcificationScale, amplitude: 1.0 * c, taper: false)
                continue
            }
            let diameter = sizeMM * calcificationScale
            canvas.dot(px, py, radius: diameter / 2 / spacing, peak: brightness * c)
        }
    }

    /// Architectural distortion: tapering lines radiating from a point.
    func paintDistortion(_ shape: Shape, _ shapeRng: inout SynthRandom, _ canvas: inout Canvas) {
        let (cx, cy, radius, c) = (shape.cx, shape.cy, shape.radius, shape.contrast)
        let r = max(3, radius)
        for _ in 0..<shapeRng.integer(10...18) {
            canvas.line(cx, cy, angle: shapeRng.uniform(0, 2 * Double.pi), length: r * shapeRng.uniform(0.6, 1.0),
                 width: 0.8, amplitude: 0.22 * c, taper: true)
        }
    }

    /// An asymmetry: a soft density following the parenchymal texture.
    func paintAsymmetry(_ finding: Finding, _ shape: Shape, _ canvas: inout Canvas) {
        let (cx, cy, radius, c) = (shape.cx, shape.cy, shape.radius, shape.contrast)
        let r = max(3, radius)
        let amplitude = (finding.kind == .globalAsymmetry ? 0.16 : 0.2) * c
        canvas.region(cx, cy, r) { dx, dy in
            let q = (dx * dx + dy * dy) / (r * r)
            guard q < 1 else { return 0 }
            let x = Int(cx + dx), y = Int(cy + dy)
            let t = x >= 0 && y >= 0 && x < columns && y < rows ? Double(texture[y * columns + x]) : 0
            return amplitude * (1 - q) * (1 - q) * (0.75 + 0.25 * max(-1, min(1, t)))
        }
    }

    /// Skin thickening: a band below the skin line.
    func paintSkinThickening(_ finding: Finding, _ shape: Shape, _ shapeRng: inout SynthRandom, _ canvas: inout Canvas) {
        let (cx, cy, c) = (shape.cx, shape.cy, shape.contrast)
        let length = finding.sizeMM / spacing, thickness = max(1.5, shapeRng.uniform(2, 4) / spacing)
        canvas.region(cx, cy, length / 2 + thickness) { dx, dy in
            guard (dx * dx + dy * dy).squareRoot() < length / 2 else { return 0 }
            let x = cx + dx, y = cy + dy
            let distanceToSkin = geometry.depthBelowSkin(x, y)
            guard distanceToSkin >= 0, distanceToSkin < thickness else { return 0 }
            return 0.3 * c
        }
    }
}

/// The attenuation layer being painted: additions inside the breast only, and the box of the pixels
/// touched.
struct Canvas {
    var layer: [Float]
    let inside: [Bool]
    let rows: Int, columns: Int
    private var touched: (Int, Int, Int, Int)? = nil

    init(layer: [Float], inside: [Bool], rows: Int, columns: Int) {
        self.layer = layer
        self.inside = inside
        self.rows = rows
        self.columns = columns
    }

    /// The box of every pixel touched so far, nil when none was.
    var box: FindingBox? { touched.map { FindingBox(xmin: $0.0, ymin: $0.1, xmax: $0.2 + 1, ymax: $0.3 + 1) } }

    /// Adds `value` at (x, y); with `maximum`, raises the pixel to it instead (overlapping strokes of
    /// one structure that must not add up).
    mutating func add(_ x: Int, _ y: Int, _ value: Double, maximum: Bool = false) {
        guard value != 0, x >= 0, y >= 0, x < columns, y < rows, inside[y * columns + x] else { return }
        if maximum { layer[y * columns + x] = max(layer[y * columns + x], Float(value)) } else { layer[y * columns + x] += Float(value) }
        if let b = touched { touched = (min(b.0, x), min(b.1, y), max(b.2, x), max(b.3, y)) } else { touched = (x, y, x, y) }
    }

    /// Evaluates `f(dx, dy)` over a square of half-size `extent` around (cx, cy).
    mutating func region(_ cx: Double, _ cy: Double, _ extent: Double, maximum: Bool = false, _ f: (Double, Double) -> Double) {
        let x0 = Int(floor(cx - extent)), x1 = Int(ceil(cx + extent)), y0 = Int(floor(cy - extent)), y1 = Int(ceil(cy + extent))
        for y in max(0, y0)...max(0, min(rows - 1, y1)) where y <= y1 {
            for x in max(0, x0)...max(0, min(columns - 1, x1)) where x <= x1 {
                add(x, y, f(Double(x) - cx, Double(y) - cy), maximum: maximum)
            }
        }
    }

    /// A line from (cx, cy) at `angle`, fading along its length when `taper`, and across its width.
    mutating func line(_ cx: Double, _ cy: Double, angle: Double, length: Double, width: Double, amplitude: Double, taper: Bool) {
        let ex = cos(angle), ey = sin(angle)
        region(cx + ex * length / 2, cy + ey * length / 2, length / 2 + width + 1) { dx, dy in
            let px = dx + ex * length / 2, py = dy + ey * length / 2
            let along = px * ex + py * ey, across = abs(-px * ey + py * ex)
            guard along >= 0, along <= length, across < width else { return 0 }
            let fade = taper ? 1 - along / length : 1
            return amplitude * fade * (1 - across / width)
        }
    }
}
