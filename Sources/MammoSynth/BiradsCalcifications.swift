import Foundation

/// synth-2's calcifications, drawn as BI-RADS 5th edition describes them: the typically benign types
/// spread diffusely or regionally (often in both breasts), the suspicious ones grouped, linear or
/// segmental.
extension CohortPlanner {
    /// Sets a calcification finding's type, distribution, extent, location and assessment.
    func drawBiradsCalcification(_ f: inout Finding, cancer: Bool, rng: inout SynthRandom) {
        let size = config.lesionSize
        if !cancer && rng.chance(0.6) {
            let types: [CalcificationMorphology] = [.punctate, .vascular, .coarse, .largeRodLike, .rim]
            f.calcification = types[rng.weighted([0.35, 0.2, 0.15, 0.15, 0.15])]
            let diffuse = rng.chance(f.calcification == .vascular ? 0.4 : 0.5)
            f.distribution = diffuse ? .diffuse : .regional
            if diffuse {
                // Throughout the breast: centred, over most of it.
                f.sizeMM = rng.uniform(55, 85)
                f.location.depthFraction = rng.uniform(0.35, 0.6)
                f.location.radialFraction = rng.uniform(0, 0.3)
            } else {
                f.sizeMM = min(80, rng.uniform(25, 45) * min(size, 1.6))
            }
            f.birads = 2
            return
        }
        let weights = cancer ? [0.1, 0.15, 0.4, 0.35] : [0.45, 0.25, 0.22, 0.08]
        let types: [CalcificationMorphology] = [.amorphous, .coarseHeterogeneous, .finePleomorphic, .fineLinear]
        f.calcification = types[rng.weighted(weights)]
        if f.calcification == .fineLinear {
            f.distribution = rng.chance(0.6) ? .linear : .segmental
        } else {
            f.distribution = [CalcificationDistribution.grouped, .linear, .segmental][rng.weighted([0.75, 0.1, 0.15])]
        }
        switch f.distribution ?? .grouped {
        case .linear: f.sizeMM = min(60, rng.uniform(10, 25) * size)
        case .segmental: f.sizeMM = min(60, rng.uniform(20, 40) * size)
        default: f.sizeMM = rng.uniform(4, 10) * size
        }
        let highlySuggestive = f.calcification == .fineLinear || (f.calcification == .finePleomorphic && f.distribution != .grouped)
        f.birads = cancer && highlySuggestive ? 5 : 4
    }

    /// synth-2: the same benign calcification type in the other breast (they are often bilateral), or
    /// nil. The twin mirrors the clock position and has its own particles.
    func bilateralTwin(of f: Finding, id: String, rng: inout SynthRandom) -> Finding? {
        guard config.generator != .synth1, f.kind == .calcification, let type = f.calcification, type.isTypicallyBenign,
              rng.chance(f.distribution == .diffuse ? 0.7 : 0.4) else { return nil }
        var twin = f
        twin.id = id
        twin.side = f.side.other
        twin.shapeSeed = rng.next()
        twin.location.clock = f.location.clock == 12 ? 12 : 12 - f.location.clock
        twin.location.depthFraction = min(0.9, max(0.15, f.location.depthFraction + rng.uniform(-0.1, 0.1)))
        twin.sizeMM = f.sizeMM * rng.uniform(0.85, 1.15)
        return twin
    }
}
