import Foundation

/// One screening visit: four views of both breasts and one report.
public struct ExamPlan: Codable, Equatable, Sendable {
    public var id: String
    /// Years after the patient's first exam.
    public var years: Double
    public var age: Int
    public var findings: [Finding]
    /// Glandular fraction per breast at this exam (it falls slowly with age).
    public var glandularFraction: [Side: Double]

    /// The breast's BI-RADS assessment: the highest of its findings, 1 without findings.
    public func birads(_ side: Side) -> Int { findings.filter { $0.side == side }.map(\.birads).max() ?? 1 }
    public func malignant(_ side: Side) -> Bool { findings.contains { $0.side == side && $0.malignant } }
    public func findings(_ side: Side, _ view: ViewPosition) -> [Finding] {
        findings.filter { $0.side == side && $0.views.contains(view) }
    }
}

/// A synthetic patient: risk factors, exams, and the cancer outcome over follow-up.
public struct PatientPlan: Codable, Equatable, Sendable {
    public var index: Int
    public var id: String
    public var vendor: Vendor
    public var density: Density
    /// One breast has clearly more fibroglandular tissue than the other.
    public var asymmetricTissue: Bool
    /// A history that shows as more benign calcifications and raises the hazard.
    public var priorFindings: Bool
    /// Breast size factors (depth and width of the outline), per side.
    public var breastScale: Double
    public var exams: [ExamPlan]
    /// Years after the first exam at which the cancer was diagnosed (screen-detected at an exam, or
    /// an interval cancer), nil when none within follow-up.
    public var cancerDiagnosisYears: Double?
    public var cancerSide: Side?
    /// Years after the first exam when follow-up ends.
    public var followUpYears: Double
    public var split: String
    public var fold: Int

    /// Years from `exam` to a cancer diagnosis, if one follows within the 5-year window and follow-up.
    public func yearsToCancer(after exam: ExamPlan) -> Double? {
        guard let diagnosis = cancerDiagnosisYears else { return nil }
        let delta = diagnosis - exam.years
        return delta >= 0 && delta <= 5 ? delta : nil
    }

    /// Follow-up available after `exam`, capped at 5 years.
    public func censorYears(after exam: ExamPlan) -> Double {
        min(5, max(0, min(followUpYears, cancerDiagnosisYears ?? .infinity) - exam.years))
    }
}

/// Draws patients: demographics, density, findings per exam and the cancer process. Pure labels; the
/// renderer turns them into pixels and the report writer into text.
public struct CohortPlanner: Sendable {
    public let config: SynthConfig

    public init(config: SynthConfig) { self.config = config }

    /// Benign finding rates per breast per exam at prevalence 1.
    static let benignRates: [(FindingKind, Double)] = [
        (.mass, 0.07), (.calcification, 0.07), (.architecturalDistortion, 0.008), (.focalAsymmetry, 0.025),
        (.globalAsymmetry, 0.01), (.asymmetry, 0.02), (.lymphNode, 0.04), (.skinThickening, 0.008),
    ]

    public func patient(_ index: Int, split: String, fold: Int) -> PatientPlan {
        var rng = SynthRandom(seed: config.seed, purpose: .plan, UInt64(index))
        let id = String(format: "SYN%06d", index + 1)
        let age0 = Int(min(78, max(40, 56 + 9 * rng.normal())).rounded())
        // Younger women have denser breasts.
        let youth = Double(60 - age0) / 10
        let density = Density.allCases[rng.weighted([max(0.02, 0.12 - 0.03 * youth), 0.40, 0.36 + 0.05 * youth, max(0.02, 0.10 + 0.04 * youth)])]
        let asymmetric = rng.chance(0.15)
        let prior = rng.chance(0.15)
        let vendor = Vendor.allCases[rng.weighted(Vendor.allCases.map(\.share))]
        let fraction = rng.uniform(density.glandularFraction.lowerBound, density.glandularFraction.upperBound)
        let denserSide: Side = rng.chance(0.5) ? .left : .right
        let scale = rng.uniform(0.8, 1.15)

        // Cancer: exponential onset time from a hazard of visible factors plus age; it becomes visible
        // a lead time before it would surface clinically.
        let densityFactor = [0.6, 1.0, 1.6, 2.2][density.index]
        let hazard = 0.035 * config.cancerRate * densityFactor * exp(0.03 * Double(age0 - 55))
            * (asymmetric ? 1.8 : 1) * (prior ? 1.6 : 1)
        let onset = hazard > 0 ? -log(max(rng.unit(), 1e-12)) / hazard - rng.uniform(0, 1.5) : .infinity
        let cancerSide: Side = asymmetric ? (rng.chance(0.8) ? denserSide : denserSide.other) : (rng.chance(0.5) ? .left : .right)
        let clinicalDelay = rng.uniform(0.5, 2.0)

        var exams: [ExamPlan] = []
        let examCount = rng.integer(1...config.maxExams)
        var years = 0.0
        var diagnosis: Double? = nil
        var carried: [Finding] = []
        for k in 0..<examCount {
            if k > 0 { years += rng.uniform(1, 2) }
            if k > 0, onset + clinicalDelay < years {
                // An interval cancer surfaced before this exam: screening stops.
                diagnosis = onset + clinicalDelay
                break
            }
            let age = age0 + Int(years)
            let ageing = max(0.7, 1 - 0.01 * years)
            var glandular: [Side: Double] = [:]
            for side in Side.allCases {
                let boost = asymmetric && side == denserSide ? 0.14 : 0
                glandular[side] = min(0.9, (fraction + boost) * ageing)
            }
            let examID = "\(id)-E\(k + 1)"
            var findings: [Finding] = []
            // Benign findings persist from the previous exam with probability 0.7.
            for previous in carried where rng.chance(0.7) {
                var kept = previous
                kept.id = "\(examID)-F\(findings.count + 1)"
                findings.append(kept)
            }
            for side in Side.allCases {
                for (kind, rate) in Self.benignRates {
                    var p = rate * config.prevalence
                    if prior && kind == .calcification { p *= 2.5 }
                    if rng.chance(p) {
                        let finding = benignFinding(kind, side: side, id: "\(examID)-F\(findings.count + 1)", rng: &rng)
                        findings.append(finding)
                        if let twin = bilateralTwin(of: finding, id: "\(examID)-F\(findings.count + 1)", rng: &rng) { findings.append(twin) }
                    }
                }
            }
            carried = findings.filter { !$0.malignant && [.mass, .calcification, .lymphNode].contains($0.kind) }
            if onset <= years {
                findings.append(cancerFinding(side: cancerSide, id: "\(examID)-F\(findings.count + 1)", rng: &rng))
                diagnosis = years
            }
            exams.append(ExamPlan(id: examID, years: years, age: age, findings: findings, glandularFraction: glandular))
            if diagnosis != nil { break }
        }
        let lastExam = exams.last?.years ?? 0
        var followUp = lastExam + rng.uniform(0.5, 4)
        if diagnosis == nil, onset + clinicalDelay < followUp { diagnosis = onset + clinicalDelay }
        if let d = diagnosis { followUp = max(followUp, d) }
        return PatientPlan(index: index, id: id, vendor: vendor, density: density, asymmetricTissue: asymmetric,
                           priorFindings: prior, breastScale: scale, exams: exams, cancerDiagnosisYears: diagnosis,
                           cancerSide: diagnosis == nil ? nil : cancerSide, followUpYears: followUp, split: split, fold: fold)
    }

    func location(_ rng: inout SynthRandom, depth: ClosedRange<Double> = 0.15...0.9) -> BreastLocation {
        // Upper outer quadrants hold more tissue and more findings.
        let clocks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        var clock = rng.pick(clocks)
        if rng.chance(0.3) { clock = rng.pick([1, 2, 10, 11]) }
        return BreastLocation(clock: clock, depthFraction: rng.uniform(depth.lowerBound, depth.upperBound),
                              radialFraction: rng.uniform(0.2, 0.8))
    }

    func benignFinding(_ kind: FindingKind, side: Side, id: String, rng: inout SynthRandom) -> Finding {
        var f = Finding(id: id, kind: kind, side: side, location: location(&rng), sizeMM: 0, shape: nil, margin: nil,
                        calcification: nil, suspicious: false, malignant: false, birads: 2, views: [.cc, .mlo],
                        contrast: rng.uniform(0.75, 1.25), shapeSeed: rng.next())
        let size = config.lesionSize
        switch kind {
        case .mass:
            let choice = rng.weighted([0.4, 0.25, 0.15, 0.1, 0.1])
            (f.shape, f.margin) = [(MassShape.oval, MassMargin.circumscribed), (.round, .circumscribed), (.oval, .obscured),
                                   (.oval, .microlobulated), (.irregular, .indistinct)][choice]
            f.sizeMM = rng.uniform(6, 18) * size
            f.birads = choice < 2 ? (rng.chance(0.5) ? 2 : 3) : 4
        case .calcification where config.generator != .synth1:
            drawBiradsCalcification(&f, cancer: false, rng: &rng)
        case .calcification:
            f.calcification = [CalcificationMorphology.punctate, .amorphous, .finePleomorphic, .fineLinear][rng.weighted([0.55, 0.25, 0.15, 0.05])]
            f.sizeMM = rng.uniform(4, 12) * size
            f.birads = f.calcification == .punctate ? 2 : 4
            if f.calcification == .punctate, config.benignCalcificationDistribution == .regional {
                f.distribution = .regional
                f.sizeMM *= 3
            }
        case .architecturalDistortion:
            f.sizeMM = rng.uniform(12, 25) * size
            f.birads = 4
        case .focalAsymmetry:
            f.sizeMM = rng.uniform(12, 25) * size
            f.birads = 3
        case .globalAsymmetry:
            f.sizeMM = rng.uniform(45, 70) * size
            f.location.radialFraction = rng.uniform(0.3, 0.6)
            f.location.depthFraction = rng.uniform(0.35, 0.65)
            f.birads = 2
        case .asymmetry:
            f.sizeMM = rng.uniform(10, 22) * size
            f.views = [rng.chance(0.5) ? .cc : .mlo]
            f.birads = 3
        case .lymphNode:
            f.suspicious = rng.chance(0.25)
            f.sizeMM = (f.suspicious ? rng.uniform(12, 20) : rng.uniform(5, 10)) * size
            // Axillary tail: upper outer, posterior; often only the MLO view reaches it.
            f.location = BreastLocation(clock: side == .left ? rng.pick([1, 2]) : rng.pick([10, 11]),
                                        depthFraction: rng.uniform(0.7, 0.92), radialFraction: rng.uniform(0.55, 0.85))
            f.views = rng.chance(0.6) ? [.mlo] : [.cc, .mlo]
            f.birads = f.suspicious ? 4 : 2
        case .skinThickening:
            f.sizeMM = rng.uniform(30, 60) * size
            f.location.depthFraction = rng.uniform(0.1, 0.5)
            f.location.radialFraction = 1
            f.birads = 3
        }
        return f
    }

    func cancerFinding(side: Side, id: String, rng: inout SynthRandom) -> Finding {
        var f = Finding(id: id, kind: .mass, side: side, location: location(&rng), sizeMM: 0, shape: nil, margin: nil,
                        calcification: nil, suspicious: true, malignant: true, birads: 5, views: [.cc, .mlo],
                        contrast: rng.uniform(0.8, 1.3), shapeSeed: rng.next())
        let size = config.lesionSize
        switch rng.weighted([0.55, 0.27, 0.10, 0.08]) {
        case 0:
            (f.shape, f.margin) = [(MassShape.irregular, MassMargin.spiculated), (.irregular, .indistinct), (.oval, .indistinct),
                                   (.round, .microlobulated)][rng.weighted([0.45, 0.3, 0.15, 0.1])]
            f.sizeMM = rng.uniform(8, 25) * size
            f.birads = f.margin == .spiculated ? 5 : 4
        case 1 where config.generator != .synth1:
            f.kind = .calcification
            drawBiradsCalcification(&f, cancer: true, rng: &rng)
        case 1:
            f.kind = .calcification
            f.calcification = rng.chance(0.55) ? .finePleomorphic : .fineLinear
            f.sizeMM = rng.uniform(6, 18) * size
            f.birads = f.calcification == .fineLinear ? 5 : 4
        case 2:
            f.kind = .architecturalDistortion
            f.sizeMM = rng.uniform(15, 30) * size
            f.birads = 4
        default:
            f.kind = .focalAsymmetry
            f.sizeMM = rng.uniform(15, 30) * size
            f.birads = 4
        }
        return f
    }
}

extension Side {
    public var other: Side { self == .left ? .right : .left }
}
