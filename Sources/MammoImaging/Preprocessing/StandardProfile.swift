import Foundation
import Torch

/// MammoFM's own preprocessing: the full DICOM grayscale pipeline in floating point (modality LUT, then
/// the VOI LUT or window), display polarity from the photometric interpretation and Presentation LUT
/// Shape, a breast mask (Otsu threshold + largest connected component, pectoral muscle left in), the
/// breast turned so the chest wall is on the left (flip recorded), and an aspect-preserving resize
/// with zero padding (or the reference's stretch). Output: 16-bit values 0...65535.
public enum StandardProfile {
    public struct Options: Sendable {
        public var width = 912
        public var height = 1520
        /// Stretch to the size like the reference instead of keeping the aspect ratio.
        public var stretch = false
        /// Which window / VOI LUT to apply.
        public var windowIndex = 0
        public init(width: Int = 912, height: Int = 1520, stretch: Bool = false, windowIndex: Int = 0) {
            self.width = width
            self.height = height
            self.stretch = stretch
            self.windowIndex = windowIndex
        }
    }

    /// Intensities in [0, 1], dense tissue bright.
    static func displayValues(_ image: DicomImage, windowIndex: Int) throws -> Tensor {
        let m = image.metadata
        let modality = try DicomPixels.modality(image.frame(0), m)
        let hasVOI = !m.voiLUTs.isEmpty || (!m.windowCenters.isEmpty && !m.windowWidths.isEmpty)
        let values = hasVOI ? try DicomPixels.voi(modality, m, index: windowIndex, path: image.path) : modality
        let low = try values.min().item(), high = try values.max().item()
        guard high > low else { throw DicomError.unsupported(path: image.path, reason: "the image is uniform (no contrast)") }
        var unit = try (values - low) / (high - low)
        let inverse = (m.presentationLUTShape ?? "").uppercased() == "INVERSE"
        if m.isMonochrome1 != inverse { unit = try 1 - unit }
        return unit
    }

    /// Otsu's threshold of values in [0, 1] (256 bins).
    static func otsu(_ values: Tensor) throws -> Double {
        let bins = try (values.clamp(min: 0, max: 1) * 255).round().to(.int64).flatten()
        let histogram = try Tensor.zeros([256], dtype: .float64).scatter(dim: 0, index: bins, source: Tensor.ones([bins.elementCount], dtype: .float64), add: true)
        let h = try histogram.toArray(Double.self)
        let total = h.reduce(0, +)
        var sumAll = 0.0
        for (i, c) in h.enumerated() { sumAll += Double(i) * c }
        var best = 0.0, threshold = 0, weightBackground = 0.0, sumBackground = 0.0
        for t in 0..<256 {
            weightBackground += h[t]
            if weightBackground == 0 { continue }
            let weightForeground = total - weightBackground
            if weightForeground == 0 { break }
            sumBackground += Double(t) * h[t]
            let meanB = sumBackground / weightBackground, meanF = (sumAll - sumBackground) / weightForeground
            let between = weightBackground * weightForeground * (meanB - meanF) * (meanB - meanF)
            if between > best { best = between; threshold = t }
        }
        return (Double(threshold) + 0.5) / 255
    }

    /// The largest 4-connected component of a binary grid, as a mask.
    static func largestComponent(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        var label = [Int32](repeating: 0, count: mask.count)
        var bestLabel: Int32 = 0, bestSize = 0, current: Int32 = 0
        var stack: [Int] = []
        for start in mask.indices where mask[start] && label[start] == 0 {
            current += 1
            var size = 0
            stack.append(start)
            label[start] = current
            while let p = stack.popLast() {
                size += 1
                let x = p % width, y = p / width
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && ny >= 0 && nx < width && ny < height {
                    let q = ny * width + nx
                    if mask[q] && label[q] == 0 { label[q] = current; stack.append(q) }
                }
            }
            if size > bestSize { bestSize = size; bestLabel = current }
        }
        return label.map { $0 == bestLabel && bestLabel != 0 }
    }

    public static func apply(_ image: DicomImage, options: Options = Options()) throws -> (pixels: Tensor, geometry: PreprocessingGeometry) {
        let unit = try displayValues(image, windowIndex: options.windowIndex)
        let (h, w) = (unit.size(0), unit.size(1))
        // Segment on a grid of about 256 cells on the long side.
        let factor = Swift.max(1, Swift.max(h, w) / 256)
        let gridH = Swift.max(1, h / factor), gridW = Swift.max(1, w / factor)
        let small = try Functional.adaptiveAvgPool2d(unit.view([1, 1, h, w]).to(.float32), outputSize: (gridH, gridW)).view([gridH, gridW])
        let threshold = try otsu(small)
        let breast = largestComponent(try small.gt(threshold).toArray(Bool.self), width: gridW, height: gridH)
        var x0 = gridW, x1 = 0, y0 = gridH, y1 = 0, columnMass = [Int](repeating: 0, count: gridW)
        for i in breast.indices where breast[i] {
            let x = i % gridW, y = i / gridW
            x0 = Swift.min(x0, x); x1 = Swift.max(x1, x + 1); y0 = Swift.min(y0, y); y1 = Swift.max(y1, y + 1)
            columnMass[x] += 1
        }
        guard x1 > x0, y1 > y0 else { throw DicomError.unsupported(path: image.path, reason: "no breast region found") }
        // Grid cells back to pixels, with one cell of margin.
        let cx0 = Swift.max(0, (x0 - 1) * w / gridW), cx1 = Swift.min(w, (x1 + 1) * w / gridW)
        let cy0 = Swift.max(0, (y0 - 1) * h / gridH), cy1 = Swift.min(h, (y1 + 1) * h / gridH)
        // The chest wall is where the breast is widest: the side holding more of the mask's mass.
        let middle = (x0 + x1) / 2
        let leftMass = columnMass[x0..<middle].reduce(0, +), rightMass = columnMass[middle..<x1].reduce(0, +)
        let flip = rightMass > leftMass
        var crop = try unit.narrow(dim: 0, start: cy0, length: cy1 - cy0).narrow(dim: 1, start: cx0, length: cx1 - cx0)
        if flip { crop = try crop.flip([1]) }
        let (cropH, cropW) = (cy1 - cy0, cx1 - cx0)
        var outH = options.height, outW = options.width
        if !options.stretch {
            let scale = Swift.min(Double(options.height) / Double(cropH), Double(options.width) / Double(cropW))
            outH = Swift.max(1, Swift.min(options.height, Int((Double(cropH) * scale).rounded())))
            outW = Swift.max(1, Swift.min(options.width, Int((Double(cropW) * scale).rounded())))
        }
        var resized = try AreaResize.resize(crop, height: outH, width: outW)
        // Pad away from the chest wall: to the right and at the bottom.
        let padding = [0, 0, options.width - outW, options.height - outH]
        if padding[2] > 0 || padding[3] > 0 { resized = try resized.pad([0, padding[2], 0, padding[3]]) }
        let pixels = try (resized * 65535).round().clamp(min: 0, max: 65535).to(.int32)
        let geometry = PreprocessingGeometry(
            profile: "standard", sourceWidth: image.metadata.columns, sourceHeight: image.metadata.rows,
            cropX0: cx0, cropY0: cy0, cropX1: cx1, cropY1: cy1, cropIsContiguous: true, flipped: flip,
            scaleX: Double(outW) / Double(cropW), scaleY: Double(outH) / Double(cropH),
            padding: padding, outputWidth: options.width, outputHeight: options.height)
        return (pixels, geometry)
    }
}
