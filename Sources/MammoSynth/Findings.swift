/// The finding types the generator draws, with BI-RADS lexicon morphology.
public enum FindingKind: String, Codable, CaseIterable, Sendable {
    case mass, calcification, architecturalDistortion = "architectural_distortion"
    case focalAsymmetry = "focal_asymmetry", globalAsymmetry = "global_asymmetry", asymmetry
    case lymphNode = "lymph_node", skinThickening = "skin_thickening"
}

public enum MassShape: String, Codable, CaseIterable, Sendable { case round, oval, irregular }
public enum MassMargin: String, Codable, CaseIterable, Sendable {
    case circumscribed, obscured, microlobulated, indistinct, spiculated
}
/// Calcification types of the BI-RADS 5th-edition lexicon. synth-1 draws the first four only.
public enum CalcificationMorphology: String, Codable, CaseIterable, Sendable {
    /// Round and punctate: small round dots (typically benign).
    case punctate
    case amorphous, finePleomorphic = "fine_pleomorphic"
    /// Fine linear or fine-linear branching: thin segments along a duct.
    case fineLinear = "fine_linear"
    /// Paired parallel lines (tram tracks) along a curving vessel.
    case vascular
    /// Coarse or popcorn-like: few large (> 2 mm) irregular blobs.
    case coarse = "coarse_popcorn"
    /// Large rod-like: thick linear calcifications along ducts, pointing at the nipple.
    case largeRodLike = "large_rod_like"
    /// Rim (eggshell): a thin bright ring around a lucent centre.
    case rim
    /// Coarse heterogeneous: irregular conspicuous particles of 0.5-1 mm.
    case coarseHeterogeneous = "coarse_heterogeneous"

    /// The types BI-RADS calls typically benign.
    public static let typicallyBenign: Set<CalcificationMorphology> = [.punctate, .vascular, .coarse, .largeRodLike, .rim]
    public var isTypicallyBenign: Bool { Self.typicallyBenign.contains(self) }
}
/// How a calcification's particles are spread (BI-RADS distribution descriptors): grouped (within
/// 1 cm, up to 2 cm), regional (over more than 2 cm, not ductal), diffuse (scattered throughout the
/// breast), linear (along a line, a duct), segmental (a duct and its branches: a wedge pointing at the
/// nipple). synth-1 draws grouped and regional only.
public enum CalcificationDistribution: String, Codable, CaseIterable, Sendable {
    case grouped, regional, diffuse, linear, segmental

    /// Distributions of suspicious calcifications (grouped, linear, segmental).
    public var isSuspicious: Bool { [.grouped, .linear, .segmental].contains(self) }
}
public enum Depth: String, Codable, CaseIterable, Sendable { case anterior, middle, posterior }
public enum Side: String, Codable, CodingKeyRepresentable, CaseIterable, Sendable {
    case left = "L", right = "R"
    public var word: String { self == .left ? "left" : "right" }
}
public enum ViewPosition: String, Codable, CaseIterable, Sendable { case cc = "CC", mlo = "MLO" }

/// Breast composition (BI-RADS 5th edition categories).
public enum Density: String, Codable, CaseIterable, Sendable {
    case a = "A", b = "B", c = "C", d = "D"
    /// Range of the fibroglandular volume fraction drawn for the category.
    public var glandularFraction: ClosedRange<Double> {
        switch self {
        case .a: return 0.05...0.18
        case .b: return 0.20...0.38
        case .c: return 0.40...0.60
        case .d: return 0.62...0.82
        }
    }
    public var index: Int { Density.allCases.firstIndex(of: self)! }
}

/// Where a finding sits in the breast, in clinical terms; the renderer maps it to each view.
public struct BreastLocation: Codable, Equatable, Sendable {
    /// Clock face 1...12 as the radiologist reads it (facing the patient).
    public var clock: Int
    /// Distance from the nipple as a fraction of the nipple-chest wall distance (0 nipple, 1 chest wall).
    public var depthFraction: Double
    /// Radial offset from the nipple-chest wall axis as a fraction of the breast half-width (0...1).
    public var radialFraction: Double

    public var depth: Depth { depthFraction < 1.0 / 3 ? .anterior : depthFraction < 2.0 / 3 ? .middle : .posterior }

    /// +1 superior ... -1 inferior.
    public var superior: Double { cos(Double(clock) * Double.pi / 6) }
    /// +1 lateral (outer) ... -1 medial (inner), for the given breast.
    public func lateral(_ side: Side) -> Double {
        let patientLeft = sin(Double(clock) * Double.pi / 6)
        return side == .left ? patientLeft : -patientLeft
    }

    /// "upper outer quadrant" etc.; "retroareolar region" close behind the nipple.
    public func quadrant(_ side: Side) -> String {
        if depthFraction < 0.12 || radialFraction < 0.12 { return "retroareolar region" }
        let s = superior, l = lateral(side)
        if abs(s) < 0.2 { return l > 0 ? "outer central region" : "inner central region" }
        if abs(l) < 0.2 { return s > 0 ? "upper central region" : "lower central region" }
        return (s > 0 ? "upper " : "lower ") + (l > 0 ? "outer" : "inner") + " quadrant"
    }
}

/// One finding in one breast at one exam, with everything the renderer and the report need.
public struct Finding: Codable, Equatable, Sendable {
    public var id: String
    public var kind: FindingKind
    public var side: Side
    public var location: BreastLocation
    /// Longest diameter (or cluster extent) in millimetres.
    public var sizeMM: Double
    public var shape: MassShape?
    public var margin: MassMargin?
    public var calcification: CalcificationMorphology?
    /// For lymph nodes: enlarged, without a fatty hilum.
    public var suspicious: Bool
    public var malignant: Bool
    /// Per-finding BI-RADS assessment (2...5).
    public var birads: Int
    /// Views that show it (an "asymmetry" is seen in one view only).
    public var views: [ViewPosition]
    /// Relative contrast multiplier drawn for this finding.
    public var contrast: Double
    /// Seed of the finding's shape details, kept across exams when the finding persists.
    public var shapeSeed: UInt64
    /// Calcifications only; nil is grouped (left out of the cohort's files then). synth-2 sets it for
    /// every calcification.
    public var distribution: CalcificationDistribution? = nil

    /// A calcification of a type BI-RADS does not call typically benign (what VinDr annotates as
    /// "Suspicious Calcification").
    public var isSuspiciousCalcification: Bool { kind == .calcification && !(calcification ?? .punctate).isTypicallyBenign }

    /// The VinDr-Mammo category, or nil for benign findings VinDr does not annotate.
    public var vindrCategory: String? {
        switch kind {
        case .mass: return "Mass"
        case .calcification: return isSuspiciousCalcification ? "Suspicious Calcification" : nil
        case .architecturalDistortion: return "Architectural Distortion"
        case .focalAsymmetry: return "Focal Asymmetry"
        case .globalAsymmetry: return "Global Asymmetry"
        case .asymmetry: return "Asymmetry"
        case .lymphNode: return suspicious ? "Suspicious Lymph Node" : nil
        case .skinThickening: return "Skin Thickening"
        }
    }

    /// Morphology as one phrase for tables ("irregular/spiculated", "fine_linear", ...).
    public var morphology: String {
        switch kind {
        case .mass: return "\(shape?.rawValue ?? "")/\(margin?.rawValue ?? "")"
        case .calcification: return calcification?.rawValue ?? ""
        case .lymphNode: return suspicious ? "suspicious" : "benign"
        default: return ""
        }
    }
}

import Foundation
