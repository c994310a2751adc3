import Foundation

/// synth-2's calcification particles: each type's look at the detector's resolution, placed by its
/// distribution. Sizes finer than 1 mm (dots, fine segments, vessel and ring walls) are multiplied by
/// the calcification scale; coarse blobs, rods and ring diameters keep their size.
extension LesionPainter {
    func paintBiradsCalcification(_ finding: Finding, _ shape: Shape, _ rng: inout SynthRandom, _ canvas: inout Canvas) {
        let type = finding.calcification ?? .punctate
        let distribution = finding.distribution ?? .grouped
        let extent = max(2, shape.radius)
        let c = shape.contrast
        let s = calcificationScale
        let toNipple = atan2(geometry.axisRow - shape.cy, geometry.depth - shape.cx)
        let places = ParticlePlaces(cx: shape.cx, cy: shape.cy, extent: extent, distribution: distribution,
                                    towardsNipple: toNipple, rotation: rng.uniform(0, Double.pi))
        func pixels(_ mm: Double) -> Double { mm / spacing }
        switch type {
        case .punctate:
            let count = rng.integer(distribution == .diffuse ? 20...40 : 12...24)
            for _ in 0..<count {
                let (x, y) = places.draw(&rng)
                canvas.dot(x, y, diameter: pixels(rng.uniform(0.3, 0.9) * s), peak: 1.0 * c)
            }
        case .amorphous:
            for _ in 0..<particleCount(10...25, distribution, &rng) {
                let (x, y) = places.draw(&rng)
                canvas.dot(x, y, diameter: pixels(rng.uniform(0.15, 0.35) * s), peak: rng.uniform(0.4, 0.55) * c)
            }
        case .coarseHeterogeneous:
            for _ in 0..<particleCount(6...15, distribution, &rng) {
                let (x, y) = places.draw(&rng)
                canvas.blob(x, y, diameter: pixels(rng.uniform(0.5, 1.0) * s), irregularity: 0.3, peak: rng.uniform(0.8, 1.0) * c, &rng)
            }
        case .finePleomorphic:
            for _ in 0..<particleCount(8...20, distribution, &rng) {
                let (x, y) = places.draw(&rng)
                let diameter = pixels(rng.uniform(0.15, 0.5) * s), peak = rng.uniform(0.7, 1.1) * c
                if rng.chance(0.3) {
                    // Varying shapes: some particles are short comma-like strokes.
                    canvas.line(x, y, angle: rng.uniform(0, 2 * Double.pi), length: 2 * diameter, width: max(0.7, diameter / 2),
                                amplitude: peak, taper: false)
                } else {
                    canvas.dot(x, y, diameter: diameter, peak: peak)
                }
            }
        case .fineLinear:
            // Thin segments along the duct, some branching.
            let width = max(0.7, pixels(0.3 * s))
            for _ in 0..<particleCount(4...10, distribution, &rng) {
                let (x, y) = places.draw(&rng)
                let angle = places.towardsNipple + rng.uniform(-0.3, 0.3), length = pixels(rng.uniform(1.5, 3.5) * s) + 1
                canvas.line(x, y, angle: angle, length: length, width: width, amplitude: 1.0 * c, taper: false)
                if rng.chance(0.4) {
                    let t = rng.uniform(0.3, 0.8)
                    canvas.line(x + t * length * cos(angle), y + t * length * sin(angle), angle: angle + (rng.chance(0.5) ? 1 : -1) * rng.uniform(0.4, 0.8),
                                length: 0.6 * length, width: width, amplitude: 1.0 * c, taper: false)
                }
            }
        case .vascular:
            let vessels = distribution == .diffuse ? rng.integer(2...3) : 1
            for k in 0..<vessels {
                // Several vessels of a diffuse spread sit apart, each within the extent.
                let (x, y) = vessels == 1 ? (shape.cx, shape.cy) : places.spread(k, of: vessels, within: 0.2, reach: 0.4, &rng)
                paintVessel(x, y, length: 2 * extent * (vessels == 1 ? 0.95 : rng.uniform(0.5, 0.6)), wall: max(0.7, pixels(0.35 * s)),
                            peak: 0.85 * c, &rng, &canvas)
            }
        case .coarse:
            let count = rng.integer(distribution == .diffuse ? 3...6 : 2...5)
            for k in 0..<count {
                let (x, y) = places.spread(k, of: count, within: 0.8, &rng)
                canvas.blob(x, y, diameter: pixels(rng.uniform(2.5, 6)), irregularity: 0.35, peak: 1.1 * c, &rng)
            }
        case .largeRodLike:
            for _ in 0..<rng.integer(distribution == .diffuse ? 6...12 : 4...8) {
                let (x, y) = places.draw(&rng)
                let angle = atan2(geometry.axisRow - y, geometry.depth - x) + rng.uniform(-0.15, 0.15)
                canvas.line(x, y, angle: angle, length: pixels(rng.uniform(5, 12)), width: max(0.7, pixels(rng.uniform(0.5, 1.0))),
                            amplitude: 1.0 * c, taper: false)
            }
        case .rim:
            let count = rng.integer(distribution == .diffuse ? 3...6 : 2...4)
            for k in 0..<count {
                let (x, y) = places.spread(k, of: count, within: 0.8, &rng)
                let diameter = pixels(rng.uniform(2.5, 6))
                canvas.ring(x, y, diameter: diameter, wall: min(0.3 * diameter, max(0.7, pixels(0.5 * s))), peak: 1.0 * c)
            }
        }
    }

    /// More particles over longer extents (linear and segmental distributions).
    func particleCount(_ grouped: ClosedRange<Int>, _ distribution: CalcificationDistribution, _ rng: inout SynthRandom) -> Int {
        let n = rng.integer(grouped)
        return distribution == .grouped ? n : n + n / 2
    }

    /// A curving vessel's two calcified walls (tram tracks), interrupted as vascular calcifications are.
    func paintVessel(_ cx: Double, _ cy: Double, length: Double, wall: Double, peak: Double, _ rng: inout SynthRandom, _ canvas: inout Canvas) {
        let separation = max(2 / spacing, 3 * wall)
        let heading = rng.uniform(0, 2 * Double.pi), bend = rng.uniform(0.4, 1.0) * (rng.chance(0.5) ? 1 : -1)
        let steps = max(2, Int(length / 0.5))
        // Dash period of 3-6 mm, in steps of half a pixel.
        let dashLength = max(3, Int(rng.uniform(3, 6) / spacing / 0.5))
        var x = cx - cos(heading) * length / 2, y = cy - sin(heading) * length / 2
        for step in 0..<steps {
            let t = Double(step) / Double(steps)
            let angle = heading + bend * (t - 0.5)
            x += cos(angle) * 0.5
            y += sin(angle) * 0.5
            // About a fifth of each dash period is a gap.
            guard (step % dashLength) < dashLength * 4 / 5 else { continue }
            let nx = -sin(angle) * separation / 2, ny = cos(angle) * separation / 2
            for side in [-1.0, 1.0] {
                canvas.dot(x + side * nx, y + side * ny, diameter: wall, peak: peak, accumulate: false)
            }
        }
    }
}

/// Where a distribution puts its particles (pixels, canonical frame).
struct ParticlePlaces {
    let cx: Double, cy: Double
    /// Half the distribution's extent.
    let extent: Double
    let distribution: CalcificationDistribution
    /// Direction from the centre to the nipple: ducts, and so linear distributions, run along it.
    let towardsNipple: Double
    /// Orientation of a regional ellipse.
    let rotation: Double

    /// The k-th of n few large particles: spread round the centre (at angles k/n of a turn, at
    /// `within` to `reach` of the extent, the regional ellipse applied), so that few particles still
    /// cover the distribution.
    func spread(_ k: Int, of n: Int, within: Double, reach: Double = 1, _ rng: inout SynthRandom) -> (Double, Double) {
        let a = rotation + 2 * Double.pi * (Double(k) + rng.uniform(-0.2, 0.2)) / Double(max(1, n))
        let d = extent * rng.uniform(within, reach)
        let u = d * cos(a), v = (distribution == .regional ? 0.6 : 1) * d * sin(a)
        return (cx + u * cos(rotation) - v * sin(rotation), cy + u * sin(rotation) + v * cos(rotation))
    }

    func draw(_ rng: inout SynthRandom) -> (Double, Double) {
        switch distribution {
        case .grouped, .diffuse:
            let a = rng.uniform(0, 2 * Double.pi), d = extent * rng.unit().squareRoot()
            return (cx + d * cos(a), cy + d * sin(a))
        case .regional:
            let a = rng.uniform(0, 2 * Double.pi), d = rng.unit().squareRoot()
            let u = extent * d * cos(a), v = 0.6 * extent * d * sin(a)
            return (cx + u * cos(rotation) - v * sin(rotation), cy + u * sin(rotation) + v * cos(rotation))
        case .linear:
            let along = rng.uniform(-extent, extent), across = rng.uniform(-0.04, 0.04) * extent
            return (cx + along * cos(towardsNipple) - across * sin(towardsNipple), cy + along * sin(towardsNipple) + across * cos(towardsNipple))
        case .segmental:
            // A wedge with its apex towards the nipple, widening towards the chest wall.
            let t = rng.unit().squareRoot()
            let along = extent * (1 - 2 * t), across = rng.uniform(-1, 1) * 0.55 * extent * t
            return (cx + along * cos(towardsNipple) - across * sin(towardsNipple), cy + along * sin(towardsNipple) + across * cos(towardsNipple))
        }
    }
}

extension Canvas {
    /// A round particle of `diameter` pixels; sub-pixel ones keep their integrated brightness. Vessel
    /// walls are painted as overlapping dots that must not add up: `accumulate: false` raises a pixel
    /// to the dot's value instead of adding it.
    mutating func dot(_ px: Double, _ py: Double, diameter: Double, peak: Double, accumulate: Bool = true) {
        dot(px, py, radius: diameter / 2, peak: peak, accumulate: accumulate)
    }

    /// The dot of synth-1's clusters and synth-2's particles, by radius in pixels.
    mutating func dot(_ px: Double, _ py: Double, radius: Double, peak: Double, accumulate: Bool = true) {
        let sigma = max(0.5, radius)
        let value = peak * min(1, pow(radius / 0.5, 2)) * 1.1
        region(px, py, 2 * sigma + 1, maximum: !accumulate) { dx, dy in
            let q = (dx * dx + dy * dy) / (sigma * sigma)
            return q < 4 ? value * exp(-q / 2) * (1 - q / 4) : 0
        }
    }

    /// An irregular solid particle: a disc with a harmonic outline and a soft edge.
    mutating func blob(_ px: Double, _ py: Double, diameter: Double, irregularity: Double, peak: Double, _ rng: inout SynthRandom) {
        let r = max(0.6, diameter / 2)
        let harmonics = (2...4).map { ($0, rng.uniform(0.3, 1) * irregularity, rng.uniform(0, 2 * Double.pi)) }
        region(px, py, r * (1 + irregularity) + 1) { dx, dy in
            let rho = (dx * dx + dy * dy).squareRoot(), theta = atan2(dy, dx)
            var boundary = r
            for (k, a, phase) in harmonics { boundary += r * a * sin(Double(k) * theta + phase) }
            let t = min(1, max(0, boundary + 0.5 - rho))
            return peak * t
        }
    }

    /// A thin bright ring around a lucent centre (rim, eggshell).
    mutating func ring(_ px: Double, _ py: Double, diameter: Double, wall: Double, peak: Double) {
        let r = max(1, diameter / 2)
        region(px, py, r + 1) { dx, dy in
            let distance = abs((dx * dx + dy * dy).squareRoot() - (r - wall / 2))
            return distance < wall / 2 + 0.5 ? peak * min(1, wall / 2 + 0.5 - distance) : 0
        }
    }
}
