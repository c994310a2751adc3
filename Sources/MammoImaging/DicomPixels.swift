import Foundation
import Torch

/// The grayscale pipeline of the DICOM standard with pydicom's semantics: Modality LUT (LUT Sequence,
/// else Rescale Slope / Intercept), then VOI (LUT Sequence, else window with LINEAR, LINEAR_EXACT or
/// SIGMOID). MONOCHROME1 is not inverted here. Results are float64.
public enum DicomPixels {
    /// Maps values through a LUT: values below the first mapped value take the first entry, values past
    /// the end the last entry.
    static func apply(_ lut: DicomLUT, to values: Tensor) throws -> Tensor {
        let table = try Tensor(lut.data.map(Double.init), shape: [lut.entryCount])
        let index = try (values.to(.float64) - Double(lut.firstMapped)).trunc().clamp(min: 0, max: Double(lut.entryCount - 1)).to(.int64)
        return try table.indexSelect(dim: 0, index: index.flatten()).view(values.shape)
    }

    /// The modality stage (pydicom's apply_modality_lut).
    public static func modality(_ stored: Tensor, _ m: DicomMetadata) throws -> Tensor {
        if let lut = m.modalityLUT { return try apply(lut, to: stored) }
        if let slope = m.rescaleSlope, let intercept = m.rescaleIntercept {
            return try stored.to(.float64) * slope + intercept
        }
        return try stored.to(.float64)
    }

    /// The VOI stage (pydicom's apply_voi_lut): the VOI LUT at `index` when present and preferred,
    /// else window `index`; values pass unchanged when neither exists.
    public static func voi(_ values: Tensor, _ m: DicomMetadata, index: Int = 0, preferLUT: Bool = true, path: String = "") throws -> Tensor {
        let hasLUT = !m.voiLUTs.isEmpty
        let hasWindow = !m.windowCenters.isEmpty && !m.windowWidths.isEmpty
        if hasLUT && (preferLUT || !hasWindow) {
            guard index < m.voiLUTs.count else {
                throw DicomError.invalidValue(path: path, tag: "VOI LUT Sequence", reason: "no LUT \(index) (the file has \(m.voiLUTs.count))")
            }
            return try apply(m.voiLUTs[index], to: values)
        }
        if hasWindow { return try window(values, m, index: index, path: path) }
        return try values.to(.float64)
    }

    /// Windowing (PS3.3 C.11.2.1.2) with the output range of the stored bits, rescaled when a rescale is present.
    public static func window(_ values: Tensor, _ m: DicomMetadata, index: Int = 0, path: String = "") throws -> Tensor {
        guard index < m.windowCenters.count, index < m.windowWidths.count else {
            throw DicomError.invalidValue(path: path, tag: "(0028,1050) Window Center", reason: "no window \(index) (the file has \(min(m.windowCenters.count, m.windowWidths.count)))")
        }
        var center = m.windowCenters[index], width = m.windowWidths[index]
        var yMin: Double, yMax: Double
        if let lut = m.modalityLUT {
            yMin = 0
            yMax = pow(2, Double(lut.bitsPerEntry)) - 1
        } else if m.pixelRepresentation == 0 {
            yMin = 0
            yMax = pow(2, Double(m.bitsStored)) - 1
        } else {
            yMin = -pow(2, Double(m.bitsStored - 1))
            yMax = pow(2, Double(m.bitsStored - 1)) - 1
        }
        if let slope = m.rescaleSlope, let intercept = m.rescaleIntercept {
            yMin = yMin * slope + intercept
            yMax = yMax * slope + intercept
        }
        let range = yMax - yMin
        let x = try values.to(.float64)
        let function = m.voiLUTFunction ?? "LINEAR"
        switch function {
        case "LINEAR", "LINEAR_EXACT":
            if function == "LINEAR" {
                guard width >= 1 else { throw DicomError.invalidValue(path: path, tag: "(0028,1051) Window Width", reason: "must be at least 1 for LINEAR, is \(width)") }
                center -= 0.5
                width -= 1
            } else {
                guard width > 0 else { throw DicomError.invalidValue(path: path, tag: "(0028,1051) Window Width", reason: "must be positive for LINEAR_EXACT, is \(width)") }
            }
            let below = try x.le(center - width / 2), above = try x.gt(center + width / 2)
            let between = try ((x - center) / width + 0.5) * range + yMin
            return try Tensor.where(below, Tensor.scalar(yMin, dtype: .float64), Tensor.where(above, Tensor.scalar(yMax, dtype: .float64), between))
        case "SIGMOID":
            guard width > 0 else { throw DicomError.invalidValue(path: path, tag: "(0028,1051) Window Width", reason: "must be positive for SIGMOID, is \(width)") }
            return try range / ((x - center) * (-4 / width)).exp().add1() + yMin
        default:
            throw DicomError.unsupported(path: path, reason: "VOI LUT Function '\(function)'")
        }
    }
}

extension Tensor {
    fileprivate func add1() throws -> Tensor { try self + 1 }
}
