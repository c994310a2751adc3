import MammoImaging

/// Fictitious detector vendors with the conventions real ones differ in: photometric interpretation,
/// bits stored, presentation intent, the stored-value response, the windowing a viewer is given, and
/// the transfer syntax. Names say plainly that the data are synthetic.
public enum Vendor: String, Codable, CaseIterable, Sendable {
    case alpha, beta, gamma, delta

    public var manufacturer: String { "MammoFM Synthetic \(rawValue.capitalized)" }
    public var model: String { ["Phantom FFDM 12", "Phantom FFDM 14", "Phantom FFDM 16", "Phantom Raw 14"][index] }
    var index: Int { Vendor.allCases.firstIndex(of: self)! }
    /// Share of patients imaged on this vendor.
    var share: Double { [0.3, 0.25, 0.3, 0.15][index] }

    public var monochrome1: Bool { self == .beta || self == .delta }
    public var bitsStored: Int { [12, 14, 16, 14][index] }
    public var presentationIntent: String { self == .delta ? "FOR PROCESSING" : "FOR PRESENTATION" }
    public var transferSyntax: DicomTransferSyntax {
        [.jpeg2000Lossless, .jpegLSLossless, .rleLossless, .explicitLittleEndian][index]
    }
    /// Full detector rows x columns and pixel spacing (mm).
    public var fullSize: (rows: Int, columns: Int, spacing: Double) {
        [(4096, 3328, 0.07), (3328, 2560, 0.085), (2294, 1914, 0.1), (3518, 2800, 0.085)][index]
    }
    /// Detector height in millimetres (sets the pixel spacing at reduced resolution).
    public var fieldHeightMM: Double { Double(fullSize.rows) * fullSize.spacing }

    /// Stored value for a displayed brightness `p` in [0, 1] (0 = air/black, 1 = densest/white on a
    /// MONOCHROME2 display), before noise.
    func storedValue(brightness p: Double) -> Double {
        let top = Double((1 << bitsStored) - 1)
        switch self {
        case .alpha: return 60 + p * (top - 120)
        case .beta: return top - (250 + pow(p, 0.9) * (top - 700))
        case .gamma: return top * (0.04 + 0.9 * log1p(9 * p) / log(10.0))
        case .delta:
            // Raw exposure: proportional to transmitted dose, so dense tissue is low; MONOCHROME1 shows it white.
            return top * 0.94 * exp(-2.6 * p) + 40
        }
    }

    /// Quantum noise standard deviation in stored units for brightness p.
    func noiseSigma(brightness p: Double, scale: Double) -> Double {
        let top = Double((1 << bitsStored) - 1)
        return scale * top * 0.006 * (0.4 + p).squareRoot()
    }
}

import Foundation
