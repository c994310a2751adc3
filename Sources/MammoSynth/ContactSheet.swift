import Foundation
import MammoImaging
import Torch

/// A figure of a cohort: one row per exam (RCC, LCC, RMLO, LMLO), each image read back from its DICOM
/// file, shown white-on-black (MONOCHROME1 inverted, min-max scaled), finding boxes outlined in colour:
/// mass red, calcification yellow, architectural distortion magenta, asymmetries cyan, lymph node green,
/// skin thickening orange.
public enum ContactSheet {
    static func colour(_ kind: FindingKind) -> (UInt8, UInt8, UInt8) {
        switch kind {
        case .mass: return (255, 40, 40)
        case .calcification: return (255, 230, 0)
        case .architecturalDistortion: return (255, 0, 255)
        case .focalAsymmetry, .globalAsymmetry, .asymmetry: return (0, 220, 255)
        case .lymphNode: return (60, 230, 60)
        case .skinThickening: return (255, 150, 0)
        }
    }

    /// Picks up to `exams` exams of different patients, those with findings first (malignant first), then normal ones.
    public static func make(cohort: URL, exams count: Int, tileHeight: Int) throws -> ColorImage {
        let folder = cohort.appendingPathComponent("records")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        let records = try names.map { try PatientRecord.read(folder.appendingPathComponent($0)) }
        // One exam per patient (the most abnormal one), so the rows show different patients.
        let all = records.compactMap { r -> (PatientRecord, ExamPlan)? in
            let exam = r.plan.exams.max { a, b in
                (a.findings.contains(where: \.malignant) ? 1 : 0, a.findings.count) < (b.findings.contains(where: \.malignant) ? 1 : 0, b.findings.count)
            }
            return exam.map { (r, $0) }
        }
        let malignant = all.filter { $0.1.findings.contains(where: \.malignant) }
        let benign = all.filter { !$0.1.findings.isEmpty && !$0.1.findings.contains(where: \.malignant) }
        let normal = all.filter { $0.1.findings.isEmpty }
        let wantNormal = min(normal.count, max(1, count / 4))
        let malignantCount = min(malignant.count, (count - wantNormal + 1) / 2)
        let chosen = Array((malignant.prefix(malignantCount) + benign.prefix(max(0, count - wantNormal - malignantCount))
                            + normal.prefix(wantNormal) + malignant.dropFirst(malignantCount) + benign).prefix(count))
        guard !chosen.isEmpty else { throw SynthError.existingCohort(path: cohort.path, reason: "no exams to show") }
        let order: [(Side, ViewPosition)] = [(.right, .cc), (.left, .cc), (.right, .mlo), (.left, .mlo)]
        let first = chosen[0].0.images[0]
        let tileWidth = max(8, tileHeight * first.columns / first.rows)
        let gap = 4
        var sheet = ColorImage(width: 4 * tileWidth + 5 * gap, height: chosen.count * (tileHeight + gap) + gap, fill: (40, 40, 40))
        for (row, (record, exam)) in chosen.enumerated() {
            for (column, (side, view)) in order.enumerated() {
                guard let image = record.images.first(where: { $0.examID == exam.id && $0.side == side && $0.view == view }) else { continue }
                let dicom = try DicomImage(contentsOf: cohort.appendingPathComponent(image.path))
                let values = try dicom.frame().toArray(Int32.self).map(Double.init)
                let low = values.min() ?? 0, high = max(low + 1, values.max() ?? 1)
                let invert = dicom.metadata.isMonochrome1
                let ox = gap + column * (tileWidth + gap), oy = gap + row * (tileHeight + gap)
                let sx = Double(image.columns) / Double(tileWidth), sy = Double(image.rows) / Double(tileHeight)
                for ty in 0..<tileHeight {
                    for tx in 0..<tileWidth {
                        // Box average over the source pixels the tile pixel covers.
                        let x0 = Int(Double(tx) * sx), x1 = max(x0 + 1, Int(Double(tx + 1) * sx))
                        let y0 = Int(Double(ty) * sy), y1 = max(y0 + 1, Int(Double(ty + 1) * sy))
                        var total = 0.0
                        for y in y0..<min(y1, image.rows) { for x in x0..<min(x1, image.columns) { total += values[y * image.columns + x] } }
                        var v = (total / Double((y1 - y0) * (x1 - x0)) - low) / (high - low)
                        if invert { v = 1 - v }
                        let g = UInt8(max(0, min(255, v * 255)))
                        sheet.set(ox + tx, oy + ty, (g, g, g))
                    }
                }
                for finding in exam.findings(side, view) {
                    guard let box = image.boxes[finding.id] else { continue }
                    let c = colour(finding.kind)
                    let bx0 = ox + Int(Double(box.xmin) / sx) - 1, bx1 = ox + Int(Double(box.xmax) / sx) + 1
                    let by0 = oy + Int(Double(box.ymin) / sy) - 1, by1 = oy + Int(Double(box.ymax) / sy) + 1
                    for x in bx0...bx1 { sheet.set(x, by0, c); sheet.set(x, by1, c) }
                    for y in by0...by1 { sheet.set(bx0, y, c); sheet.set(bx1, y, c) }
                }
            }
        }
        return sheet
    }
}
