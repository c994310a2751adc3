import Foundation
import Testing
import Torch
@testable import MammoImaging

/// Synthetic MG files (Fixtures/synthetic, from generate_synthetic_dicom.py): every transfer syntax a
/// screening site sends, decoded identically to pydicom + pylibjpeg / pyjpegls.
enum SyntheticFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/synthetic")
    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
}

struct SyntheticReference: Decodable {
    let transfer_syntax: String, rows: Int, columns: Int, bits_stored: Int, photometric: String
    let laterality: String, view: String, intent: String, chest_wall_right: Bool
    let sum: Int, weighted: Int, min: Int, max: Int
}

func temporaryFolder(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-imaging-\(getpid())").appendingPathComponent(name)
    try? FileManager.default.removeItem(at: url)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite(.serialized) struct SyntheticDicomTests {
    static let reference = Result {
        try JSONDecoder().decode([String: SyntheticReference].self, from: Data(contentsOf: SyntheticFixtures.folder
            .deletingLastPathComponent().appendingPathComponent("synthetic_reference.json")))
    }
    /// The fixture names; an unreadable or empty list becomes one case that fails, never zero cases.
    static var names: [String] { fixtureNames { try reference.get().keys.sorted() } }

    @Test func fixtureListIsReadableAndComplete() throws {
        #expect(try Self.reference.get().count >= 6)
    }

    @Test(arguments: names)
    func decodesLikePydicomAndReadsTheTags(_ name: String) throws {
        let expected = try #require(try Self.reference.get()[name])
        let image = try DicomImage(contentsOf: SyntheticFixtures.url(name))
        let m = image.metadata
        #expect(m.transferSyntaxUID == expected.transfer_syntax)
        #expect(m.rows == expected.rows && m.columns == expected.columns && m.bitsStored == expected.bits_stored)
        #expect(m.photometricInterpretation == expected.photometric && m.modality == "MG")
        #expect(m.laterality.rawValue == expected.laterality && m.lateralitySource == "ImageLaterality" && m.view == expected.view)
        #expect(m.presentationIntentType == expected.intent && m.patientAgeYears == 57 && m.breastImplantPresent == false)
        #expect(m.windowCenters.count == 2 && m.windowExplanations == ["NORMAL", "HARDER"])
        let sums = try StoredChecksums(image.stored)
        #expect(sums.sum == Int64(expected.sum) && sums.weighted == Int64(expected.weighted))
        #expect(sums.min == Int64(expected.min) && sums.max == Int64(expected.max))
    }

    @Test(arguments: names)
    func standardProfileTurnsTheChestWallLeft(_ name: String) throws {
        let expected = try #require(try Self.reference.get()[name])
        let image = try DicomImage(contentsOf: SyntheticFixtures.url(name))
        let (pixels, geometry) = try StandardProfile.apply(image, options: .init(width: 160, height: 256))
        #expect(pixels.shape == [256, 160])
        #expect(geometry.flipped == expected.chest_wall_right, "\(name)")
        // Dense tissue is bright whatever the photometric interpretation: the breast half is brighter.
        let half = pixels.size(1) / 2
        let chestSide = try pixels.narrow(dim: 1, start: 0, length: half).to(.float64).mean().item()
        let farSide = try pixels.narrow(dim: 1, start: half, length: pixels.size(1) - half).to(.float64).mean().item()
        #expect(chestSide > farSide)
        // Aspect ratio kept: the scale is the same on both axes (to rounding of the output size).
        #expect(Swift.abs(geometry.scaleX - geometry.scaleY) / geometry.scaleY < 0.02)
        let corner = geometry.toModel(x: Double(geometry.cropX0), y: Double(geometry.cropY0))
        let back = geometry.toSource(x: corner.x, y: corner.y)
        #expect(Swift.abs(back.x - Double(geometry.cropX0)) < 1e-9 && Swift.abs(back.y - Double(geometry.cropY0)) < 1e-9)
    }

    @Test func badInputsAreErrorsNamingTheFile() throws {
        let tiny = try DicomImage(contentsOf: SyntheticFixtures.url("bad_1x1.dcm"))
        #expect(tiny.stored.shape == [1, 1, 1])
        #expect { _ = try MammoClipProfile.apply(tiny) } throws: { "\($0)".contains("bad_1x1.dcm") && "\($0)".contains("too small") }
        #expect { _ = try StandardProfile.apply(tiny) } throws: { "\($0)".contains("bad_1x1.dcm") }
        #expect { _ = try DicomImage(contentsOf: SyntheticFixtures.url("bad_65535x65535_header.dcm")) } throws: {
            "\($0)".contains("bad_65535x65535_header.dcm")
        }
    }

    @Test func preprocessRecordsFailuresAndResumes() throws {
        let out = temporaryFolder("preprocess")
        let inputs = try Preprocessor.inputs(SyntheticFixtures.folder)
        #expect(inputs.count == 8)
        let preprocessor = Preprocessor(outputDirectory: out, profile: .standard, width: 160, height: 256)
        let first = try preprocessor.run(inputs, jobs: 2)
        #expect(first.processed == 6 && first.failed.count == 2 && first.skipped == 0)
        let errors = try CSVFile.read(out.appendingPathComponent("errors.csv"))
        #expect(errors.count == 3 && errors.dropFirst().allSatisfy { $0[0].hasPrefix("bad_") && !$0[1].isEmpty })
        let manifest = try CSVFile.read(out.appendingPathComponent("manifest.csv"))
        #expect(manifest.count == 7 && manifest[0].contains("sop_instance_uid") && manifest[0].contains("crop_x0"))
        for row in manifest.dropFirst() {
            let png = try GrayscaleImage.readPNG(out.appendingPathComponent(row[5]))
            #expect(png.width == 160 && png.height == 256 && png.bitDepth == 16)
            #expect(!row[5].contains("SYNTH"), "file names carry no identifiers")
        }
        // An interrupted run: remove one output's sidecar; the next run redoes only that one.
        let sidecars = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("images").path).filter { $0.hasSuffix(".json") }
        try FileManager.default.removeItem(at: out.appendingPathComponent("images").appendingPathComponent(sidecars[0]))
        let second = try preprocessor.run(inputs, jobs: 2)
        #expect(second.processed == 1 && second.skipped == 5 && second.failed.count == 2)
        let named = Preprocessor(outputDirectory: temporaryFolder("named"), profile: .mammoclip, width: 160, height: 256, keepIdentifiers: true)
        let summary = try named.run(Array(inputs.prefix(3)), jobs: 1)
        #expect(summary.records.allSatisfy { $0.output.hasPrefix("images/SYNTH-0001/") })
    }

    @Test func csvInputsAndMalformedCSVs() throws {
        let folder = temporaryFolder("csv")
        let list = folder.appendingPathComponent("list.csv")
        try "path,label\n\(SyntheticFixtures.url("mg_l_cc_m2_12bit_raw.dcm").path),1\n\"\(SyntheticFixtures.url("mg_r_cc_m1_12bit_rle.dcm").path)\",0\n"
            .write(to: list, atomically: true, encoding: .utf8)
        #expect(try Preprocessor.inputs(list).count == 2)
        let bad = folder.appendingPathComponent("bad.csv")
        try "path,label\n/a.dcm,1,extra\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect { _ = try Preprocessor.inputs(bad) } throws: { "\($0)".contains("bad.csv") && "\($0)".contains("line 2") }
        let unterminated = folder.appendingPathComponent("quote.csv")
        try "path\n\"/a.dcm\n".write(to: unterminated, atomically: true, encoding: .utf8)
        #expect { _ = try Preprocessor.inputs(unterminated) } throws: { "\($0)".contains("unterminated") }
    }

    /// Inputs the fuzzer (fuzz/run.sh) once crashed on, and a 4 GB pixel length declared in a small file.
    @Test func fuzzerFindingsAndGiantDeclaredLengthsAreErrors() throws {
        let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fuzz/regressions/dicom")
        let files = try FileManager.default.contentsOfDirectory(atPath: regressions.path)
        #expect(!files.isEmpty)
        for name in files {
            #expect(throws: DicomError.self) { _ = try DicomImage(contentsOf: regressions.appendingPathComponent(name)) }
        }
        var bytes = [UInt8](try Data(contentsOf: SyntheticFixtures.url("mg_l_cc_m2_12bit_raw.dcm")))
        // The Pixel Data header (7FE0,0010) OW: patch its 4-byte length to 0xFDFFFFFF.
        let marker: [UInt8] = [0xE0, 0x7F, 0x10, 0x00]
        let at = try #require((0..<(bytes.count - 12)).last { Array(bytes[$0..<($0 + 4)]) == marker })
        bytes.replaceSubrange((at + 8)..<(at + 12), with: [0xFF, 0xFF, 0xFF, 0xFD])
        let patched = temporaryFolder("giant").appendingPathComponent("giant-length.dcm")
        try Data(bytes).write(to: patched)
        #expect { _ = try DicomImage(contentsOf: patched) } throws: { "\($0)".contains("giant-length.dcm") && "\($0)".contains("declared") }
    }

    /// 1,000 random byte corruptions of the fixtures: each read either succeeds or throws; none crashes.
    @Test func randomCorruptionsNeverCrash() throws {
        let sources = try FileManager.default.contentsOfDirectory(atPath: SyntheticFixtures.folder.path).filter { $0.hasPrefix("mg_") }.sorted()
        let contents = try sources.map { try Data(contentsOf: SyntheticFixtures.url($0)) }
        var generator = SplitMix64(seed: 20261129)
        let target = temporaryFolder("mutations").appendingPathComponent("mutated.dcm")
        var failures = 0
        for i in 0..<1000 {
            var bytes = [UInt8](contents[i % contents.count])
            let edits = 1 + Int(generator.next() % 8)
            for _ in 0..<edits {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.removeSubrange(position..<Swift.min(bytes.count, position + Int(generator.next() % 64) + 1))
                default: bytes = Array(bytes.prefix(Swift.max(1, position)))
                }
                if bytes.isEmpty { bytes = [0] }
            }
            try Data(bytes).write(to: target)
            do { _ = try DicomImage(contentsOf: target) } catch { failures += 1 }
        }
        #expect(failures > 0)
    }
}

/// A small deterministic generator for the mutation test.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
