import Foundation
import MammoEvaluation
import MammoImaging

/// Maps boxes between the original DICOM pixel grid and a detector's input: the preprocessing's
/// geometry (crop, flip, scale, padding) and then a resize of the preprocessed image to the
/// detector's input size (the reference resizes to 512 x 512; none when the sizes agree).
public struct BoxMapping: Codable, Equatable, Sendable {
    public var geometry: PreprocessingGeometry
    public var inputWidth: Int
    public var inputHeight: Int

    public init(geometry: PreprocessingGeometry, inputWidth: Int? = nil, inputHeight: Int? = nil) {
        self.geometry = geometry
        self.inputWidth = inputWidth ?? geometry.outputWidth
        self.inputHeight = inputHeight ?? geometry.outputHeight
    }

    var resizeX: Double { Double(inputWidth) / Double(geometry.outputWidth) }
    var resizeY: Double { Double(inputHeight) / Double(geometry.outputHeight) }

    /// A box on the original image in detector-input pixels.
    public func toInput(_ box: BoundingBox) -> BoundingBox {
        let a = geometry.toModel(x: box.xmin, y: box.ymin), b = geometry.toModel(x: box.xmax, y: box.ymax)
        // A flip swaps which corner is on the left.
        return BoundingBox(xmin: min(a.x, b.x) * resizeX, ymin: min(a.y, b.y) * resizeY, xmax: max(a.x, b.x) * resizeX, ymax: max(a.y, b.y) * resizeY)
    }

    /// A box in detector-input pixels on the original image (its pixel grid, corners at integers).
    public func toSource(_ box: BoundingBox) -> BoundingBox {
        let a = geometry.toSource(x: box.xmin / resizeX, y: box.ymin / resizeY), b = geometry.toSource(x: box.xmax / resizeX, y: box.ymax / resizeY)
        return BoundingBox(xmin: min(a.x, b.x), ymin: min(a.y, b.y), xmax: max(a.x, b.x), ymax: max(a.y, b.y))
    }

    /// A box on the preprocessed image (Mammo-CLIP's `resized_*` boxes) in detector-input pixels.
    public func fromPreprocessed(_ box: BoundingBox) -> BoundingBox {
        BoundingBox(xmin: box.xmin * resizeX, ymin: box.ymin * resizeY, xmax: box.xmax * resizeX, ymax: box.ymax * resizeY)
    }

    /// A box in detector-input pixels on the preprocessed image.
    public func toPreprocessed(_ box: BoundingBox) -> BoundingBox {
        BoundingBox(xmin: box.xmin / resizeX, ymin: box.ymin / resizeY, xmax: box.xmax / resizeX, ymax: box.ymax / resizeY)
    }
}
