import Foundation
import MammoSynth
import Testing
import Torch
@testable import MammoImaging

struct SynthCohortReference: Decodable {
    let transfer_syntax: String, rows: Int, columns: Int, bits_stored: Int, photometric: String
    let laterality: String, view: String, intent: String, manufacturer: String, patient_id: String, age: String
    let sop_instance_uid: String, study_uid: String, sop_class_uid: String, voi_lut_items: Int
    let sum: Int, weighted: Int, min: Int, max: Int
}

/// The synthetic cohort's DICOM files as pydicom reads them (generate_synth_cohort_reference.py): the
/// writer produces valid files in four transfer syntaxes and the reader agrees with pydicom on each.
@Suite(.serialized) struct SynthCohortReferenceTests {
    /// Keep in step with OPTIONS in the fixture script.
    static var config: SynthConfig {
        var config = SynthConfig(patients: 6, seed: 11)
        config.generator = .synth1
        config.rows = 160
        config.columns = 96
        config.prevalence = 3
        config.cancerRate = 4
        return config
    }

    @Test func everyFileDecodesLikePydicom() throws {
        let reference = try JSONDecoder().decode([String: SynthCohortReference].self, from: Data(contentsOf: SyntheticFixtures.folder
            .deletingLastPathComponent().appendingPathComponent("synth_cohort_reference.json")))
        let root = temporaryFolder("synth-cohort")
        try FileManager.default.removeItem(at: root)
        let summary = try CohortGenerator(config: Self.config, directory: root).run(jobs: 2)
        #expect(summary.images == reference.count, "the generator's output changed: regenerate the fixture (make fixtures)")
        for (name, expected) in reference {
            let patient = String(name.prefix(9))
            let image = try DicomImage(contentsOf: root.appendingPathComponent("dicom/\(patient)/\(name)"))
            let m = image.metadata
            #expect(m.transferSyntaxUID == expected.transfer_syntax && m.rows == expected.rows && m.columns == expected.columns)
            #expect(m.bitsStored == expected.bits_stored && m.photometricInterpretation == expected.photometric)
            #expect(m.laterality.rawValue == expected.laterality && m.view == expected.view && m.presentationIntentType == expected.intent)
            #expect(m.manufacturer == expected.manufacturer && m.patientID == expected.patient_id)
            #expect(m.sopInstanceUID == expected.sop_instance_uid && m.studyInstanceUID == expected.study_uid)
            #expect(m.voiLUTs.count == expected.voi_lut_items)
            #expect(m.patientAgeYears == Double(expected.age.dropLast()))
            let sums = try StoredChecksums(image.stored)
            #expect(sums.sum == Int64(expected.sum) && sums.weighted == Int64(expected.weighted), "\(name): pixels differ from pydicom's")
            #expect(sums.min == Int64(expected.min) && sums.max == Int64(expected.max))
        }
    }

    /// The writer on its own: every syntax round-trips exactly, including odd-length text and a LUT sequence.
    @Test(arguments: DicomTransferSyntax.allCases)
    func writerRoundTrips(_ syntax: DicomTransferSyntax) throws {
        let rows = 37, columns = 23
        let pixels = (0..<(rows * columns)).map { UInt16(($0 * 7919) % 16384) }
        var ds = DicomDataset()
        ds.set(DicomTag(0x0008, 0x0060), "CS", "MG")
        ds.set(DicomTag(0x0010, 0x0020), "LO", "ODD")
        ds.set(DicomTag(0x0020, 0x0062), "CS", "R")
        ds.set(DicomTag(0x0018, 0x5101), "CS", "MLO")
        ds.set(DicomTag(0x0028, 0x0004), "CS", "MONOCHROME1")
        ds.set(DicomTag(0x0028, 0x0101), 14)
        ds.set(DicomTag(0x0028, 0x0102), 13)
        ds.set(DicomTag(0x0028, 0x0103), 0)
        var item = DicomDataset()
        item.set(DicomTag(0x0028, 0x3002), 4, 0, 12)
        item.set(DicomTag(0x0028, 0x3006), .bytes("OW", [0, 0, 1, 0, 2, 0, 3, 0]))
        ds.set(DicomTag(0x0028, 0x3010), .sequence([item]))
        let url = temporaryFolder("writer").appendingPathComponent("\(syntax.shortName).dcm")
        try DicomWriter.write(ds, pixels: pixels, rows: rows, columns: columns, sopClassUID: "1.2.840.10008.5.1.4.1.1.1.2",
                              sopInstanceUID: "2.25.1234", syntax: syntax, to: url)
        let image = try DicomImage(contentsOf: url)
        #expect(image.metadata.transferSyntaxUID == syntax.rawValue && image.metadata.patientID == "ODD")
        #expect(image.metadata.laterality == .right && image.metadata.view == "MLO" && image.metadata.isMonochrome1)
        #expect(image.metadata.voiLUTs.first?.data == [0, 1, 2, 3])
        #expect(try image.frame().toArray(Int32.self) == pixels.map(Int32.init))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
        #expect(throws: ImagingError.self) {
            try DicomWriter.write(ds, pixels: [1, 2, 3], rows: rows, columns: columns, sopClassUID: "1.2", sopInstanceUID: "1.2", syntax: syntax, to: url)
        }
    }
}
