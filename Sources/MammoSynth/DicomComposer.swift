import Foundation
import MammoImaging

/// Builds the DICOM header of one synthetic image and writes it in its vendor's transfer syntax.
struct DicomComposer {
    static let digitalMammographyForPresentation = "1.2.840.10008.5.1.4.1.1.1.2"
    static let digitalMammographyForProcessing = "1.2.840.10008.5.1.4.1.1.1.2.1"

    /// A deterministic UID under the 2.25 root from the cohort seed and a name.
    static func uid(seed: UInt64, _ name: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        var rng = SynthRandom(seed: seed, purpose: .uid, hash)
        let high = rng.next() % 9_000_000_000_000_000_000 + 1_000_000_000_000_000_000
        return "2.25.\(high)" + String(format: "%019llu", rng.next() % 10_000_000_000_000_000_000)
    }

    static func date(yearsAfter years: Double) -> String {
        // Exams are dated from 2020-01-06 by whole days.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.date(from: DateComponents(year: 2020, month: 1, day: 6))!
        let day = calendar.date(byAdding: .day, value: Int((years * 365.25).rounded()), to: start)!
        let c = calendar.dateComponents([.year, .month, .day], from: day)
        return String(format: "%04d%02d%02d", c.year!, c.month!, c.day!)
    }

    static func write(_ view: RenderedView, record: ImageRecord, patient: PatientPlan, exam: ExamPlan,
                      instance: Int, to url: URL) throws {
        let vendor = patient.vendor
        var ds = DicomDataset()
        func tag(_ g: UInt16, _ e: UInt16) -> DicomTag { DicomTag(g, e) }
        func number(_ x: Double) -> String { String(format: "%.4g", x) }
        ds.set(tag(0x0008, 0x0005), "CS", "ISO_IR 100")
        ds.set(tag(0x0008, 0x0008), .text("CS", ["ORIGINAL", "PRIMARY"]))
        ds.set(tag(0x0008, 0x0020), "DA", date(yearsAfter: exam.years))
        ds.set(tag(0x0008, 0x0030), "TM", "090000")
        ds.set(tag(0x0008, 0x0050), "SH", exam.id)
        ds.set(tag(0x0008, 0x0060), "CS", "MG")
        ds.set(tag(0x0008, 0x0068), "CS", vendor.presentationIntent)
        ds.set(tag(0x0008, 0x0070), "LO", vendor.manufacturer)
        ds.set(tag(0x0008, 0x1030), "LO", "SYNTHETIC SCREENING MAMMOGRAM")
        ds.set(tag(0x0008, 0x1090), "LO", vendor.model)
        ds.set(tag(0x0010, 0x0010), "PN", "SYNTHETIC^\(patient.id)")
        ds.set(tag(0x0010, 0x0020), "LO", patient.id)
        ds.set(tag(0x0010, 0x0040), "CS", "F")
        ds.set(tag(0x0010, 0x1010), "AS", String(format: "%03dY", exam.age))
        ds.set(tag(0x0018, 0x0015), "CS", "BREAST")
        ds.set(tag(0x0018, 0x1164), .text("DS", [number(view.spacing), number(view.spacing)]))
        ds.set(tag(0x0018, 0x5101), "CS", record.view.rawValue)
        ds.set(tag(0x0020, 0x000D), "UI", record.studyUID)
        ds.set(tag(0x0020, 0x000E), "UI", record.seriesUID)
        ds.set(tag(0x0020, 0x0010), "SH", exam.id.suffix(2).description)
        ds.set(tag(0x0020, 0x0011), "IS", "\(instance)")
        ds.set(tag(0x0020, 0x0013), "IS", "1")
        // Row direction, column direction: the chest wall is at the image's right edge for right breasts.
        let rowDirection = record.side == .right ? "P" : "A"
        let columnDirection = record.view == .cc ? (record.side == .right ? "L" : "R") : "F"
        ds.set(tag(0x0020, 0x0020), .text("CS", [rowDirection, columnDirection]))
        ds.set(tag(0x0020, 0x0062), "CS", record.side.rawValue)
        ds.set(tag(0x0028, 0x0004), "CS", vendor.monochrome1 ? "MONOCHROME1" : "MONOCHROME2")
        ds.set(tag(0x0028, 0x0030), .text("DS", [number(view.spacing), number(view.spacing)]))
        ds.set(tag(0x0028, 0x0101), UInt16(vendor.bitsStored))
        ds.set(tag(0x0028, 0x0102), UInt16(vendor.bitsStored - 1))
        ds.set(tag(0x0028, 0x0103), 0)
        ds.set(tag(0x0028, 0x1052), "DS", "0")
        ds.set(tag(0x0028, 0x1053), "DS", "1")
        ds.set(tag(0x0028, 0x1054), "LO", "US")
        ds.set(tag(0x0028, 0x1300), "CS", "NO")
        let low = vendor.storedValue(brightness: 0.1), high = vendor.storedValue(brightness: 0.85)
        let centre = (low + high) / 2, width = abs(high - low) * 1.1
        switch vendor {
        case .beta:
            // A VOI LUT Sequence: a smooth S-curve over the whole stored range, 12-bit output.
            let entries = 1 << vendor.bitsStored
            var lut = [UInt8](); lut.reserveCapacity(entries * 2)
            for v in 0..<entries {
                let y = 1 / (1 + exp(-4 * (Double(v) - centre) / width))
                let out = UInt16((y * 4095).rounded())
                lut += [UInt8(out & 0xFF), UInt8(out >> 8)]
            }
            var item = DicomDataset()
            item.set(tag(0x0028, 0x3002), UInt16(entries & 0xFFFF), 0, 12)
            item.set(tag(0x0028, 0x3003), "LO", "SYNTHETIC S-CURVE")
            item.set(tag(0x0028, 0x3006), .bytes("OW", lut))
            ds.set(tag(0x0028, 0x3010), .sequence([item]))
        case .gamma:
            ds.set(tag(0x0028, 0x1050), "DS", number(centre))
            ds.set(tag(0x0028, 0x1051), "DS", number(width))
            ds.set(tag(0x0028, 0x1055), "LO", "SIGMOID")
            ds.set(tag(0x0028, 0x1056), "CS", "SIGMOID")
        default:
            ds.set(tag(0x0028, 0x1050), .text("DS", [number(centre), number(centre * 0.95)]))
            ds.set(tag(0x0028, 0x1051), .text("DS", [number(width), number(width * 0.7)]))
            ds.set(tag(0x0028, 0x1055), .text("LO", ["NORMAL", "HARDER"]))
        }
        let sopClass = vendor.presentationIntent == "FOR PROCESSING" ? digitalMammographyForProcessing : digitalMammographyForPresentation
        try DicomWriter.write(ds, pixels: view.pixels, rows: view.rows, columns: view.columns, sopClassUID: sopClass,
                              sopInstanceUID: record.sopInstanceUID, syntax: vendor.transferSyntax, to: url)
    }
}
