import Foundation
import Torch

/// A stage of the DICOM grayscale pipeline, as `mammofm dicom decode` writes it.
public enum DicomStage: String, CaseIterable, Sendable {
    /// Stored values, as uint16 (int16 when signed).
    case stored
    /// After the Modality LUT or rescale, as float32.
    case modality
    /// After the VOI LUT or window, as float32.
    case voi
}

extension DicomImage {
    /// Writes the pixels of `file` at `stage` as a NumPy `.npy` file (written atomically); all frames
    /// or one; returns the shape written. `windowIndex` chooses the window or VOI LUT of the VOI stage.
    @discardableResult
    public static func writeNumpy(_ file: URL, to out: URL, stage: DicomStage = .stored, windowIndex: Int = 0, frame: Int? = nil,
                                  limits: DicomLimits = .standard) throws -> [Int] {
        let image = try DicomImage(contentsOf: file, limits: limits)
        var pixels = try frame.map { try image.frame($0) } ?? image.stored
        if pixels.size(0) == 1 && frame == nil { pixels = try pixels.squeeze(0) }
        switch stage {
        case .stored:
            if image.metadata.pixelRepresentation == 1 {
                try NumpyFile.write(pixels.to(.int16), to: out)
            } else {
                try NumpyFile.write(pixels, to: out, asUInt16: true)
            }
        case .modality:
            try NumpyFile.write(DicomPixels.modality(pixels, image.metadata).to(.float32), to: out)
        case .voi:
            let modality = try DicomPixels.modality(pixels, image.metadata)
            try NumpyFile.write(DicomPixels.voi(modality, image.metadata, index: windowIndex, path: file.path).to(.float32), to: out)
        }
        return pixels.shape
    }
}
