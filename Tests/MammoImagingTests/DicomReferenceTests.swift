import Foundation
import Testing
import Torch
@testable import MammoImaging

/// Real DICOM files from the pydicom and pydicom-data packages (unpacked into the cache by `make
/// setup`) against pydicom 3 with the pylibjpeg / pyjpegls decoders (fixture: pydicom_reference.json).
enum DicomTestFiles {
    static var cache: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["MAMMOFM_CACHE"] ?? ((environment["XDG_CACHE_HOME"] ?? NSHomeDirectory() + "/.cache") + "/mammofm")
    }
    static func url(_ name: String, package: String) -> URL {
        package == "data"
            ? URL(fileURLWithPath: cache + "/data/pydicom-data-1.0.0/data_store/data/" + name)
            : URL(fileURLWithPath: cache + "/data/pydicom-3.0.2/pydicom/data/test_files/" + name)
    }
}

/// The exact integer statistics the fixture scripts record of stored values (numpy int64 arithmetic).
struct StoredChecksums {
    let sum: Int64, sumOfSquares: Int64, weighted: Int64, min: Int64, max: Int64

    init(_ stored: Tensor) throws {
        let flat = try stored.to(.int64).flatten()
        let weights = try Tensor.arange(0, Double(flat.elementCount)).remainder(Tensor.scalar(65521, dtype: .int64))
        sum = try flat.sum().toArray(Int64.self)[0]
        sumOfSquares = try (flat * flat).sum().toArray(Int64.self)[0]
        weighted = try (flat * weights).sum().toArray(Int64.self)[0]
        min = try flat.min().toArray(Int64.self)[0]
        max = try flat.max().toArray(Int64.self)[0]
    }
}

struct ReferenceEntry: Decodable {
    let file: String, package: String
    let transfer_syntax: String
    let shape: [Int]
    let photometric: String
    let bits_stored: Int, pixel_representation: Int
    let sum: Int, sum_squares: Int, weighted: Int, min: Int, max: Int
    let positions: [Int], stored: [Double], modality: [Double]
    let voi: [Double]?
}
struct ReferenceWindow: Decodable { let function: String; let center: Double; let width: Double; let values: [Double] }
struct Reference: Decodable { let files: [ReferenceEntry]; let rg1_windows: [ReferenceWindow] }

@Suite(.serialized) struct DicomReferenceTests {
    static let reference = Result {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().appendingPathComponent("Fixtures/pydicom_reference.json")))
    }

    /// The fixture names; an unreadable or empty list becomes one case that fails, never zero cases.
    static var names: [String] { fixtureNames { try reference.get().files.map(\.file) } }

    @Test func fixtureListIsReadableAndComplete() throws {
        #expect(try Self.reference.get().files.count >= 23)
    }

    func values(_ t: Tensor, at positions: [Int]) throws -> [Double] {
        let flat = try t.to(.float64).flatten()
        return try flat.indexSelect(dim: 0, index: Tensor(positions.map(Int64.init))).toArray(Double.self)
    }

    func close(_ a: [Double], _ b: [Double], _ tolerance: Double) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tolerance }
    }

    @Test(arguments: names)
    func matchesPydicom(_ name: String) throws {
        let entry = try #require(try Self.reference.get().files.first { $0.file == name })
        let image = try DicomImage(contentsOf: DicomTestFiles.url(entry.file, package: entry.package))
        let m = image.metadata
        #expect(m.bitsStored == entry.bits_stored && m.pixelRepresentation == entry.pixel_representation)
        #expect(m.photometricInterpretation == entry.photometric)
        #expect(m.transferSyntaxUID == entry.transfer_syntax)
        let stored = entry.shape.count == 2 ? try image.stored.squeeze(0) : image.stored
        #expect(stored.shape == entry.shape)
        let sums = try StoredChecksums(stored)
        #expect(sums.sum == Int64(entry.sum), "sum of stored values")
        #expect(sums.min == Int64(entry.min) && sums.max == Int64(entry.max))
        #expect(sums.sumOfSquares == Int64(entry.sum_squares), "sum of squares")
        #expect(sums.weighted == Int64(entry.weighted), "position-weighted checksum")
        #expect(try values(stored, at: entry.positions) == entry.stored)
        let modality = try DicomPixels.modality(stored, m)
        #expect(close(try values(modality, at: entry.positions), entry.modality, 1e-4), "modality stage")
        if let voi = entry.voi {
            let result = try DicomPixels.voi(modality, m, path: name)
            #expect(close(try values(result, at: entry.positions), voi, 1e-4), "VOI stage")
        }
    }

    @Test func sigmoidLinearExactAndLinearWindowsMatchPydicom() throws {
        let reference = try Self.reference.get()
        let entry = try #require(reference.files.first { $0.file == "RG1_UNCR.dcm" })
        let image = try DicomImage(contentsOf: DicomTestFiles.url("RG1_UNCR.dcm", package: "data"))
        for window in reference.rg1_windows {
            var m = image.metadata
            m.voiLUTFunction = window.function
            m.windowCenters = [window.center]
            m.windowWidths = [window.width]
            let out = try DicomPixels.voi(image.stored.squeeze(0), m)
            #expect(close(try values(out, at: entry.positions), window.values, 1e-4), "\(window.function)")
        }
    }

    @Test func damagedFilesAreErrorsNamingTheFile() throws {
        let truncated = DicomTestFiles.url("MR_truncated.dcm", package: "pydicom")
        #expect { _ = try DicomImage(contentsOf: truncated) } throws: { "\($0)".contains("MR_truncated.dcm") && "\($0)".contains("truncated pixel data") }
        let corrupt = DicomTestFiles.url("JPEG2000-embedded-sequence-delimiter.dcm", package: "pydicom")
        #expect { _ = try DicomImage(contentsOf: corrupt) } throws: { "\($0)".contains("JPEG2000-embedded-sequence-delimiter.dcm") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-dicom-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let empty = folder.appendingPathComponent("empty.dcm")
        try Data().write(to: empty)
        #expect { _ = try DicomImage(contentsOf: empty) } throws: { "\($0)".contains("empty.dcm") && "\($0)".contains("empty") }
        let text = folder.appendingPathComponent("text.dcm")
        try Data("not a dicom file at all".utf8).write(to: text)
        #expect { _ = try DicomImage(contentsOf: text) } throws: { "\($0)".contains("text.dcm") && "\($0)".contains("not a readable DICOM") }
        let noImage = DicomTestFiles.url("rtplan.dcm", package: "pydicom")
        #expect { _ = try DicomImage(contentsOf: noImage) } throws: { "\($0)".contains("without an image") }
    }

    @Test func metadataOfARealFile() throws {
        let m = try DicomImage.readMetadata(DicomTestFiles.url("RG1_UNCR.dcm", package: "data"))
        #expect(m.isMonochrome1 && m.bitsStored == 15 && m.rows == 1955 && m.columns == 1841)
        #expect(!m.windowCenters.isEmpty && m.windowCenters.count == m.windowWidths.count)
        #expect(DicomMetadata.parseAge("065Y") == 65 && DicomMetadata.parseAge("006M") == 0.5)
        let vlut = try DicomImage.readMetadata(DicomTestFiles.url("vlut_04.dcm", package: "data"))
        #expect(vlut.voiLUTs.count >= 1 && vlut.voiLUTs[0].data.count == vlut.voiLUTs[0].entryCount)
        let mlut = try DicomImage.readMetadata(DicomTestFiles.url("mlut_18.dcm", package: "data"))
        #expect(mlut.modalityLUT != nil)
    }
}
