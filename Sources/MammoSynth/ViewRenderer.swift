import Foundation

/// One rendered image: stored values in the final orientation and the box of every finding it shows.
public struct RenderedView: Sendable {
    public var rows: Int, columns: Int
    /// Pixel spacing, millimetres (square pixels).
    public var spacing: Double
    public var pixels: [UInt16]
    /// Finding id -> box, for the findings visible in this image.
    public var boxes: [String: FindingBox]
}

/// Renders one view of one breast at one exam: anatomy, parenchymal texture, findings, acquisition.
public struct ViewRenderer: Sendable {
    public let config: SynthConfig
    public let patient: PatientPlan
    public let exam: ExamPlan
    public let side: Side
    public let view: ViewPosition

    public init(config: SynthConfig, patient: PatientPlan, exam: ExamPlan, side: Side, view: ViewPosition) {
        self.config = config
        self.patient = patient
        self.exam = exam
        self.side = side
        self.view = view
    }

    /// Image size and pixel spacing for this patient's vendor.
    public var size: (rows: Int, columns: Int, spacing: Double) {
        let vendor = patient.vendor
        if config.fullResolution { return vendor.fullSize }
        return (config.rows, config.columns, vendor.fieldHeightMM / Double(config.rows))
    }

    static func texturePad(_ rows: Int) -> Int { max(4, rows / 20) }

    /// The breast's parenchymal texture for this view (taller than the image by a margin, so positioning
    /// shifts between exams move the breast over the same tissue). Pass it to `render` to reuse it.
    public static func texture(config: SynthConfig, patient: PatientPlan, side: Side, view: ViewPosition, rows: Int, columns: Int) -> [Float] {
        var rng = SynthRandom(seed: config.seed, purpose: .texture, UInt64(patient.index), side == .left ? 1 : 2, view == .cc ? 1 : 2)
        return FractalTexture.generate(rows: rows + 2 * texturePad(rows), columns: columns, beta: 3.0, stretch: 1.6, rng: &rng)
    }

    /// The breast outline of this image (canonical frame, chest wall at column 0), the exam's positioning
    /// shift, exposure and noise level, and the noise stream after those draws.
    func layout() -> (BreastGeometry, Double, Double, Double, SynthRandom) {
        let (rows, columns, _) = size
        let sideCode: UInt64 = side == .left ? 1 : 2, viewCode: UInt64 = view == .cc ? 1 : 2
        let examIndex = UInt64(patient.exams.firstIndex(where: { $0.id == exam.id }) ?? 0)
        var acquisition = SynthRandom(seed: config.seed, purpose: .noise, UInt64(patient.index), examIndex, sideCode, viewCode)
        let shift = acquisition.uniform(-0.02, 0.02)
        let exposure = 1.7 * acquisition.uniform(0.9, 1.1)
        let noiseScale = acquisition.uniform(0.8, 1.25)
        // The two breasts differ slightly in size.
        var sizeRng = SynthRandom(seed: config.seed, purpose: .plan, UInt64(patient.index), sideCode, 99)
        let sideScale = 1.0 + 0.06 * (sizeRng.unit() - 0.5)
        let geometry = BreastGeometry(view: view, rows: rows, columns: columns, scale: patient.breastScale * sideScale, shift: shift)
        return (geometry, shift, exposure, noiseScale, acquisition)
    }

    /// Renders the image; without findings it is the same image with every finding left out (same
    /// anatomy, texture and noise), which is how tests check that findings stay inside their boxes.
    public func render(includeFindings: Bool = true, texture: [Float]? = nil) -> RenderedView {
        let (rows, columns, spacing) = size
        let (geometry, shift, exposure, noiseScale, acquisitionStream) = layout()
        var acquisition = acquisitionStream
        // Texture belongs to the breast and view, so it is the same at every exam.
        let fullTexture = texture ?? Self.texture(config: config, patient: patient, side: side, view: view, rows: rows, columns: columns)
        let pad = Self.texturePad(rows)
        let offset = pad + Int((shift * Double(rows)).rounded())
        var texture = [Float](repeating: 0, count: rows * columns)
        for y in 0..<rows {
            let source = (y + offset) * columns
            for x in 0..<columns { texture[y * columns + x] = fullTexture[source + x] }
        }
        let count = rows * columns
        var inside = [Bool](repeating: false, count: count)
        var thickness = [Float](repeating: 0, count: count)
        var envelope = [Float](repeating: 0, count: count)
        var pectoral = [Float](repeating: 0, count: count)
        var radius = [Float](repeating: 2, count: count)
        let nippleRadius = 4.0 / spacing
        let skinWidth = max(0.8, 1.2 / spacing)
        for y in 0..<rows {
            let reach = min(columns, Int(max(geometry.outline(Double(y)), geometry.depth * 0.5) + nippleRadius) + 2)
            for x in 0..<reach {
                let i = y * columns + x
                let fx = Double(x), fy = Double(y)
                let r = geometry.radius(fx, fy)
                let p = geometry.pectoral(fx, fy)
                let dn = ((fx - geometry.depth) * (fx - geometry.depth) + (fy - geometry.axisRow) * (fy - geometry.axisRow)).squareRoot()
                let nipple = dn < nippleRadius && fx >= geometry.depth - nippleRadius
                guard r < 1 || p > 0.5 || nipple else { continue }
                inside[i] = true
                radius[i] = Float(r)
                let r2 = min(r, 1) * min(r, 1), r6 = r2 * r2 * r2
                thickness[i] = Float(max(nipple ? 0.5 : 0.08, (1 - r6).squareRoot()))
                envelope[i] = Float(0.55 * (1 - r * r) - 0.4 * p)
                pectoral[i] = Float(p)
            }
        }
        // Threshold the texture so the breast's fibroglandular fraction matches the exam's value.
        let fraction = exam.glandularFraction[side] ?? 0.3
        func glandular(_ i: Int, _ threshold: Float) -> Float {
            let s = texture[i] + 1.6 * envelope[i]
            let t = min(1, max(0, (s - threshold) / 2.2 + 0.5))
            return t * t * (3 - 2 * t)
        }
        var low: Float = -6, high: Float = 6
        let sample = stride(from: 0, to: count, by: 7).filter { inside[$0] && pectoral[$0] < 0.5 }
        for _ in 0..<24 {
            let mid = (low + high) / 2
            var total: Float = 0
            for i in sample { total += glandular(i, mid) }
            if total / Float(max(1, sample.count)) > Float(fraction) { low = mid } else { high = mid }
        }
        let threshold = (low + high) / 2

        var density = [Float](repeating: 0, count: count)
        let skinBand = Float(skinWidth / min(geometry.depth, geometry.lowerHalf))
        for i in 0..<count where inside[i] {
            let r = radius[i]
            let skin: Float = r < 1 && 1 - r < skinBand ? 0.1 : 0
            let g = glandular(i, threshold) * (1 - pectoral[i])
            density[i] = thickness[i] * (0.3 + 0.5 * g + (0.05 + 0.07 * g) * texture[i]) + skin
                + pectoral[i] * (0.4 + 0.04 * texture[i])
        }

        var boxes: [String: FindingBox] = [:]
        if includeFindings {
            let painter = LesionPainter(geometry: geometry, spacing: spacing, texture: texture,
                                        contrastScale: config.lesionContrast,
                                        calcificationScale: config.calcificationScale ?? 1, generator: config.generator, inside: inside)
            var layer = [Float](repeating: 0, count: count)
            for finding in exam.findings(side, view) {
                if let box = painter.paint(finding, side: side, into: &layer) { boxes[finding.id] = box }
            }
            for i in 0..<count where layer[i] != 0 { density[i] += layer[i] }
        }

        // Acquisition: response, quantum noise, detector border, burned-in marker; right breasts mirrored.
        let vendor = patient.vendor
        let top = Double((1 << vendor.bitsStored) - 1)
        var pixels = [UInt16](repeating: 0, count: count)
        let mirror = side == .right
        let response = DetectorResponse(vendor: vendor, exposure: exposure, noiseScale: noiseScale)
        var gaussian = GaussianPairs()
        for y in 0..<rows {
            for x in 0..<columns {
                let (mean, sigma) = response.lookup(density[y * columns + x])
                let value = mean + gaussian.next(&acquisition) * sigma
                let column = mirror ? columns - 1 - x : x
                pixels[y * columns + column] = UInt16(min(Float(top), max(0, value.rounded())))
            }
        }
        let border = max(2, rows / 200)
        let frame = UInt16(vendor.storedValue(brightness: 0.04).rounded())
        for y in 0..<rows {
            for x in 0..<columns where y < border || x < border || y >= rows - border || x >= columns - border {
                pixels[y * columns + x] = frame
            }
        }
        let scale = max(1, rows / 160)
        let marker = MarkerFont.pixels("\(side.rawValue) \(view.rawValue)", scale: scale)
        let margin = border + 2 * scale
        // The far corner from the chest wall, away from the breast.
        let originX = mirror ? margin : columns - margin - marker.width
        let ink = UInt16(vendor.storedValue(brightness: 0.95).rounded())
        for (px, py) in marker.points {
            let x = originX + px, y = margin + py
            if x >= 0, x < columns, y < rows { pixels[y * columns + x] = ink }
        }

        if mirror {
            for (id, b) in boxes { boxes[id] = FindingBox(xmin: columns - b.xmax, ymin: b.ymin, xmax: columns - b.xmin, ymax: b.ymax) }
        }
        return RenderedView(rows: rows, columns: columns, spacing: spacing, pixels: pixels, boxes: boxes)
    }
}

/// The vendor's stored value and noise level as a function of attenuation, tabulated once per image
/// (the exact curves cost a pow/log/exp per pixel).
struct DetectorResponse {
    static let bins = 4096
    static let maxDensity: Float = 4
    var mean: [Float] = []
    var sigma: [Float] = []

    init(vendor: Vendor, exposure: Double, noiseScale: Double) {
        mean.reserveCapacity(Self.bins + 1)
        sigma.reserveCapacity(Self.bins + 1)
        for i in 0...Self.bins {
            let d = Double(Self.maxDensity) * Double(i) / Double(Self.bins)
            let brightness = 1 - exp(-exposure * d)
            mean.append(Float(vendor.storedValue(brightness: brightness)))
            sigma.append(Float(vendor.noiseSigma(brightness: brightness, scale: noiseScale)))
        }
    }

    @inline(__always) func lookup(_ density: Float) -> (Float, Float) {
        let position = min(max(density, 0), Self.maxDensity) / Self.maxDensity * Float(Self.bins)
        let i = min(Int(position), Self.bins - 1)
        let t = position - Float(i)
        return (mean[i] + (mean[i + 1] - mean[i]) * t, sigma[i] + (sigma[i + 1] - sigma[i]) * t)
    }
}

/// Standard normal deviates by the Box-Muller transform, both values of each pair used.
struct GaussianPairs {
    private var spare: Float? = nil

    mutating func next(_ rng: inout SynthRandom) -> Float {
        if let s = spare { spare = nil; return s }
        let u = Float(max(rng.unit(), 1e-12)), v = Float(rng.unit())
        let radius = (-2 * logf(u)).squareRoot(), angle = 2 * Float.pi * v
        spare = radius * sinf(angle)
        return radius * cosf(angle)
    }
}
