import Foundation
@testable import MammoSynth
import MammoText
import Testing

/// synth-2's calcifications: each type and distribution drawn with the geometry BI-RADS describes,
/// measured from the painted pixels inside the finding's box; the planner's mix; the VinDr table.
@Suite struct BiradsCalcificationTests {
    /// Connected particles of a painted layer (8-connected pixels above a threshold) inside a box.
    struct Particle {
        /// Every connected pixel above the detection threshold.
        var all: [(x: Int, y: Int)]
        /// Its core: the pixels at or above half the particle's maximum (a painted particle's nominal
        /// size; the soft edge below it depends on the threshold).
        var pixels: [(x: Int, y: Int)]
        var maximum: Float
        var area: Int { pixels.count }
        /// Length and width (pixels) of a line-like particle: a segment of length L has variance L^2/12
        /// along its axis.
        var lengthAndWidth: (Double, Double) {
            let (mx, my) = centroid
            var sxx = 0.0, syy = 0.0, sxy = 0.0
            for p in pixels {
                let dx = Double(p.x) - mx, dy = Double(p.y) - my
                sxx += dx * dx; syy += dy * dy; sxy += dx * dy
            }
            let length = max(1, (12 * Self.eigen(sxx, syy, sxy).0 / Double(area)).squareRoot())
            return (length, Double(area) / length)
        }
        var centroid: (Double, Double) {
            (pixels.reduce(0.0) { $0 + Double($1.x) } / Double(area), pixels.reduce(0.0) { $0 + Double($1.y) } / Double(area))
        }
        /// Square root of the ratio of the principal variances (1 round, large for lines), and the
        /// principal axis angle.
        var elongation: (ratio: Double, angle: Double) {
            let (mx, my) = centroid
            var sxx = 0.0, syy = 0.0, sxy = 0.0
            for p in pixels {
                let dx = Double(p.x) - mx, dy = Double(p.y) - my
                sxx += dx * dx; syy += dy * dy; sxy += dx * dy
            }
            let (l1, l2) = Self.eigen(sxx, syy, sxy)
            return ((l1 + 1) / (l2 + 1)).squareRoot().isFinite ? (((l1 + 1) / (l2 + 1)).squareRoot(), 0.5 * atan2(2 * sxy, sxx - syy)) : (1, 0)
        }
        static func eigen(_ a: Double, _ b: Double, _ c: Double) -> (Double, Double) {
            let mean = (a + b) / 2, d = (((a - b) / 2) * ((a - b) / 2) + c * c).squareRoot()
            return (mean + d, max(0, mean - d))
        }
    }

    struct Painted {
        var layer: [Float]
        var box: FindingBox
        var columns: Int
        var particles: [Particle]
        var peak: Float
        /// Pixels enclosed by a particle but not part of it (the lucent centre of a ring).
        func holeArea(_ p: Particle) -> Int {
            let xs = p.all.map(\.x), ys = p.all.map(\.y)
            let x0 = xs.min()! - 1, x1 = xs.max()! + 1, y0 = ys.min()! - 1, y1 = ys.max()! + 1
            let w = x1 - x0 + 1, h = y1 - y0 + 1
            var mark = [UInt8](repeating: 0, count: w * h)
            for q in p.all { mark[(q.y - y0) * w + q.x - x0] = 1 }
            var stack = [(0, 0)]
            mark[0] = 2
            while let (x, y) = stack.popLast() {
                for (nx, ny) in [(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)] where nx >= 0 && ny >= 0 && nx < w && ny < h && mark[ny * w + nx] == 0 {
                    mark[ny * w + nx] = 2
                    stack.append((nx, ny))
                }
            }
            return mark.filter { $0 == 0 }.count
        }
    }

    static let spacing = 0.1
    static let rows = 1400, columns = 1500
    static let centre = (x: 700.0, y: 700.0)

    /// Paints one calcification finding on an empty, all-breast canvas (0.1 mm pixels, the nipple to the right).
    static func paint(_ type: CalcificationMorphology, _ distribution: CalcificationDistribution, sizeMM: Double, seed: UInt64) -> Painted {
        let geometry = BreastGeometry(view: .cc, rows: rows, columns: columns, scale: 1, shift: 0)
        let painter = LesionPainter(geometry: geometry, spacing: spacing, texture: [Float](repeating: 0, count: rows * columns),
                                    contrastScale: 1, calcificationScale: 1, generator: .synth2,
                                    inside: [Bool](repeating: true, count: rows * columns))
        let finding = Finding(id: "F", kind: .calcification, side: .left, location: BreastLocation(clock: 3, depthFraction: 0.5, radialFraction: 0),
                              sizeMM: sizeMM, shape: nil, margin: nil, calcification: type, suspicious: !type.isTypicallyBenign,
                              malignant: false, birads: 2, views: [.cc], contrast: 1, shapeSeed: seed, distribution: distribution)
        var canvas = Canvas(layer: [Float](repeating: 0, count: rows * columns), inside: painter.inside, rows: rows, columns: columns)
        var rng = SynthRandom(seed: seed, purpose: .lesion, 0)
        painter.paintBiradsCalcification(finding, .init(cx: centre.x, cy: centre.y, radius: sizeMM / 2 / spacing, contrast: 1), &rng, &canvas)
        let box = canvas.box!
        let layer = canvas.layer
        var seen = [Bool](repeating: false, count: rows * columns)
        var particles: [Particle] = []
        for y in box.ymin..<box.ymax {
            for x in box.xmin..<box.xmax where layer[y * columns + x] > 0.1 && !seen[y * columns + x] {
                var pixels: [(x: Int, y: Int)] = [], stack = [(x, y)]
                seen[y * columns + x] = true
                while let (px, py) = stack.popLast() {
                    pixels.append((px, py))
                    for dy in -1...1 {
                        for dx in -1...1 {
                            let nx = px + dx, ny = py + dy
                            guard nx >= box.xmin, ny >= box.ymin, nx < box.xmax, ny < box.ymax, !seen[ny * columns + nx], layer[ny * columns + nx] > 0.1 else { continue }
                            seen[ny * columns + nx] = true
                            stack.append((nx, ny))
                        }
                    }
                }
                let maximum = pixels.map { layer[$0.y * columns + $0.x] }.max()!
                particles.append(Particle(all: pixels, pixels: pixels.filter { layer[$0.y * columns + $0.x] >= 0.5 * maximum }, maximum: maximum))
            }
        }
        return Painted(layer: layer, box: box, columns: columns, particles: particles, peak: layer.max() ?? 0)
    }

    static func median(_ values: [Double]) -> Double { let s = values.sorted(); return s.isEmpty ? 0 : s[s.count / 2] }
    /// Equivalent diameter in millimetres.
    static func diameter(_ p: Particle) -> Double { 2 * (Double(p.area) / Double.pi).squareRoot() * spacing }
    static func extentMM(_ box: FindingBox) -> Double { Double(max(box.xmax - box.xmin, box.ymax - box.ymin)) * spacing }

    /// Centroid spread: the principal variances of the particles' centroids.
    static func spread(_ particles: [Particle]) -> (major: Double, minor: Double, angle: Double) {
        let points = particles.map(\.centroid)
        let mx = points.reduce(0) { $0 + $1.0 } / Double(points.count), my = points.reduce(0) { $0 + $1.1 } / Double(points.count)
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for (x, y) in points { sxx += (x - mx) * (x - mx); syy += (y - my) * (y - my); sxy += (x - mx) * (y - my) }
        let (l1, l2) = Particle.eigen(sxx, syy, sxy)
        return (l1, l2, 0.5 * atan2(2 * sxy, sxx - syy))
    }

    static let extents: [CalcificationDistribution: Double] = [.grouped: 8, .regional: 35, .diffuse: 70, .linear: 20, .segmental: 30]

    @Test(arguments: [CalcificationMorphology.punctate, .vascular, .coarse, .largeRodLike, .rim])
    func typicallyBenignTypesHaveTheirLook(_ type: CalcificationMorphology) throws {
        for distribution in [CalcificationDistribution.regional, .diffuse] {
            for seed in UInt64(1)...3 {
                let size = Self.extents[distribution]!
                let painted = Self.paint(type, distribution, sizeMM: size, seed: seed)
                let p = painted.particles, label = "\(type) \(distribution) seed \(seed)"
                let diameters = p.map(Self.diameter)
                let elongations = p.map { $0.elongation.ratio }
                // Spread over a large part of the breast: more than 2 cm, at least half the drawn extent.
                #expect(Self.extentMM(painted.box) > max(20, 0.5 * size) && Self.extentMM(painted.box) < 1.3 * size, "\(label): extent \(Self.extentMM(painted.box)) mm")
                switch type {
                case .punctate:
                    #expect(p.count >= 10, "\(label): \(p.count) particles")
                    #expect((0.2...1.1).contains(Self.median(diameters)), "\(label): median diameter \(Self.median(diameters))")
                    #expect(Self.median(elongations) < 1.5, "\(label): round dots, elongation \(Self.median(elongations))")
                case .coarse:
                    #expect((2...6).contains(p.count), "\(label): \(p.count) blobs")
                    #expect(Self.median(diameters) > 2, "\(label): coarse blobs over 2 mm, median \(Self.median(diameters))")
                case .largeRodLike:
                    #expect(p.count >= 3, "\(label): \(p.count) rods")
                    #expect(Self.median(elongations) > 3, "\(label): elongation \(Self.median(elongations))")
                    let widths = p.map { $0.lengthAndWidth.1 * Self.spacing }
                    #expect((0.4...1.6).contains(Self.median(widths)), "\(label): rod width \(Self.median(widths)) mm")
                    // Pointing at the nipple (to the right of the canvas, on the centre row).
                    let aligned = p.filter { rod in
                        let (x, y) = rod.centroid
                        let towards = atan2(700 - y, 990 - x), axis = rod.elongation.angle
                        let difference = abs(remainder(axis - towards, Double.pi))
                        return difference < 0.35
                    }
                    #expect(Double(aligned.count) >= 0.8 * Double(p.count), "\(label): \(aligned.count) of \(p.count) rods point at the nipple")
                case .rim:
                    #expect(p.count >= 2, "\(label): \(p.count) rings")
                    for ring in p {
                        #expect(Double(painted.holeArea(ring)) > 0.2 * Double(ring.area), "\(label): a ring without a lucent centre")
                    }
                case .vascular:
                    // Tram tracks: elongated wall segments, each with a parallel partner about 2 mm away.
                    let walls = p.filter { $0.elongation.ratio > 3 }
                    #expect(walls.count >= 8, "\(label): \(walls.count) wall segments")
                    let paired = walls.filter { wall in
                        walls.contains { other in
                            let d = hypot(wall.centroid.0 - other.centroid.0, wall.centroid.1 - other.centroid.1) * Self.spacing
                            return (1.4...3.0).contains(d) && abs(remainder(wall.elongation.angle - other.elongation.angle, Double.pi)) < 0.4
                        }
                    }
                    #expect(Double(paired.count) >= 0.7 * Double(walls.count), "\(label): \(paired.count) of \(walls.count) walls paired")
                default: Issue.record("\(type) is not a typically benign type")
                }
            }
        }
    }

    @Test(arguments: [CalcificationMorphology.amorphous, .coarseHeterogeneous, .finePleomorphic, .fineLinear])
    func suspiciousTypesHaveTheirLookInTheirDistributions(_ type: CalcificationMorphology) throws {
        let distributions: [CalcificationDistribution] = type == .fineLinear ? [.linear, .segmental] : [.grouped, .linear, .segmental]
        for distribution in distributions {
            for seed in UInt64(1)...3 {
                let size = Self.extents[distribution]!
                let painted = Self.paint(type, distribution, sizeMM: size, seed: seed)
                let p = painted.particles, label = "\(type) \(distribution) seed \(seed)"
                let diameters = p.map(Self.diameter)
                // Fine linear segments along one duct touch and join; the others stay apart.
                #expect(p.count >= (type == .fineLinear ? 2 : 4), "\(label): \(p.count) particles")
                switch type {
                case .amorphous:
                    #expect(Self.median(diameters) < 0.6, "\(label): small, median \(Self.median(diameters)) mm")
                    #expect(Self.median(p.map { Double($0.maximum) }) < 0.7, "\(label): faint, median peak \(Self.median(p.map { Double($0.maximum) }))")
                case .coarseHeterogeneous:
                    #expect((0.4...1.3).contains(Self.median(diameters)), "\(label): median \(Self.median(diameters)) mm")
                    #expect(Self.median(p.map { Double($0.maximum) }) >= 0.8, "\(label): conspicuous, median peak \(Self.median(p.map { Double($0.maximum) }))")
                case .finePleomorphic:
                    let mean = diameters.reduce(0, +) / Double(diameters.count)
                    let sd = (diameters.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(diameters.count)).squareRoot()
                    #expect(Self.median(diameters) < 0.8 && sd / mean > 0.2, "\(label): median \(Self.median(diameters)) mm, CV \(sd / mean)")
                case .fineLinear:
                    #expect(Self.median(p.map { $0.elongation.ratio }) > 2.5, "\(label): thin segments")
                    let widths = p.map { $0.lengthAndWidth.1 * Self.spacing }
                    #expect(Self.median(widths) < 0.6, "\(label): fine, width \(Self.median(widths)) mm")
                default: Issue.record("\(type) is not a suspicious type")
                }
                let extent = Self.extentMM(painted.box), spread = Self.spread(p)
                switch distribution {
                case .grouped:
                    #expect(extent <= 1.4 * size, "\(label): grouped within \(extent) mm")
                case .linear:
                    #expect(extent >= 0.6 * size && spread.minor / spread.major < 0.02, "\(label): extent \(extent) mm, minor/major \(spread.minor / spread.major)")
                case .segmental:
                    // A wedge: narrow towards the nipple (larger x), wide towards the chest wall.
                    #expect(extent >= 0.6 * size && spread.minor / spread.major > 0.03, "\(label): extent \(extent), minor/major \(spread.minor / spread.major)")
                    // Measured on the painted pixels: the widest row offset in the half towards the nipple
                    // against the half towards the chest wall.
                    let pixels = p.flatMap(\.all)
                    let near = pixels.filter { Double($0.x) > Self.centre.x }.map { abs(Double($0.y) - Self.centre.y) }.max() ?? 0
                    let far = pixels.filter { Double($0.x) <= Self.centre.x }.map { abs(Double($0.y) - Self.centre.y) }.max() ?? 0
                    #expect(far > 1.3 * near, "\(label): half-width near the nipple \(near) px, towards the chest wall \(far) px")
                default: Issue.record("\(distribution) is not a suspicious distribution")
                }
            }
        }
    }

    /// The planner's draws: benign types diffuse or regional, BI-RADS 2, often in both breasts; suspicious
    /// ones grouped, linear or segmental at BI-RADS 4-5; every type and distribution appears; VinDr's
    /// table keeps the suspicious ones only.
    @Test func plannerDrawsTheLexicon() throws {
        var config = SynthConfig(patients: 3000, seed: 61)
        config.generator = .synth2
        config.prevalence = 3
        config.cancerRate = 4
        let planner = CohortPlanner(config: config)
        var seen = Set<String>(), benignExams = 0, bilateralExams = 0
        for index in 0..<config.patients {
            for exam in planner.patient(index, split: "train", fold: 0).exams {
                let calcifications = exam.findings.filter { $0.kind == .calcification }
                for f in calcifications {
                    let type = try #require(f.calcification), distribution = try #require(f.distribution)
                    seen.insert("\(type.rawValue)/\(distribution.rawValue)")
                    if type.isTypicallyBenign {
                        #expect([.diffuse, .regional].contains(distribution) && f.birads == 2 && !f.malignant && f.vindrCategory == nil, "\(f)")
                    } else {
                        #expect(distribution.isSuspicious && f.birads >= 4 && f.vindrCategory == "Suspicious Calcification", "\(f)")
                    }
                }
                let benign = calcifications.filter { !$0.isSuspiciousCalcification }
                if !benign.isEmpty {
                    benignExams += 1
                    if Set(benign.map(\.side)).count == 2 { bilateralExams += 1 }
                }
            }
        }
        let expected = ["punctate", "vascular", "coarse_popcorn", "large_rod_like", "rim"].flatMap { ["\($0)/diffuse", "\($0)/regional"] }
            + ["amorphous", "coarse_heterogeneous", "fine_pleomorphic"].flatMap { ["\($0)/grouped", "\($0)/linear", "\($0)/segmental"] }
            + ["fine_linear/linear", "fine_linear/segmental"]
        #expect(Set(expected) == seen, "missing \(Set(expected).subtracting(seen)), unexpected \(seen.subtracting(expected))")
        let share = Double(bilateralExams) / Double(max(1, benignExams))
        print("benign calcifications in \(benignExams) exams, bilateral in \(bilateralExams) (\(share))")
        #expect(share > 0.3 && share < 0.8, "bilateral share \(share)")
    }

    /// synth-2 reports parse back to the labels: finding types and sides, density, BI-RADS, and each
    /// calcification's type and distribution, in at least 99% of exam and breast reports; breasts with
    /// benign calcifications only keep the negative for suspicious calcifications and a benign assessment.
    @Test func synth2ReportsParseBackToTheLabels() throws {
        var config = SynthFixture.config(patients: 400, seed: 43, prevalence: 3)
        config.generator = .synth2
        let planner = CohortPlanner(config: config), writer = ReportWriter(generator: .synth2)
        var agreement = ReportAgreement(generator: .synth2), benignOnly = 0
        for index in 0..<config.patients {
            let plan = planner.patient(index, split: "train", fold: 0)
            for exam in plan.exams {
                var rng = SynthRandom(seed: config.seed, purpose: .text, UInt64(index))
                agreement.check(writer.report(exam, patient: plan, rng: &rng).text, density: plan.density,
                                birads: max(exam.birads(.left), exam.birads(.right)), findings: exam.findings)
                for side in Side.allCases {
                    let own = exam.findings.filter { $0.side == side }
                    let report = writer.breastReport(exam, patient: plan, side: side, rng: &rng)
                    agreement.check(report.text, density: plan.density, birads: exam.birads(side), findings: own)
                    if own.count == 1, own[0].kind == .calcification, !own[0].isSuspiciousCalcification {
                        benignOnly += 1
                        #expect(report.text.contains("suspicious calcifications") || report.text.contains("suspicious microcalcifications"), "\(report.text)")
                        #expect(report.text.contains("BI-RADS 2") || report.text.contains("BI-RADS category 2"), "\(report.text)")
                        #expect(report.text.lowercased().contains("benign"), "\(report.text)")
                    }
                }
            }
        }
        let (rate, total) = (agreement.rate, agreement.total)
        print("synth-2 report agreement: \(agreement.agree)/\(total) = \(rate); \(benignOnly) breasts with benign calcifications only")
        #expect(benignOnly >= 20, "\(benignOnly) breasts with benign calcifications only")
        #expect(rate >= 0.99, "agreement \(rate) over \(total); first disagreements:\n\(agreement.disagreements.joined(separator: "\n"))")
    }
}
