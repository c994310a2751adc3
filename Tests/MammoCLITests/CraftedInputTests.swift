import Foundation
import Testing

/// Every crafted bad input (Fixtures/crafted, from generate_crafted_inputs.py) through the command a
/// user would give it to: the process exits with a status, never a signal, and its message names the
/// file and what is wrong with it.
@Suite(.serialized) struct CraftedInputTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/crafted")
    static let tinyModel = CLI.fixtures.appendingPathComponent("tiny_mammoclip.tar").path

    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        let arguments: @Sendable (_ path: String, _ scratch: URL) -> [String]
        let says: [String]
        var testDescription: String { file }
    }

    static func dicomDecode(_ path: String, _ scratch: URL) -> [String] { ["dicom", "decode", path, "--out", scratch.appendingPathComponent("x.npy").path] }
    static func inspect(_ path: String, _ scratch: URL) -> [String] { ["inspect-weights", path] }
    static func convert(_ path: String, _ scratch: URL) -> [String] { ["convert", path, "--out", scratch.appendingPathComponent("model").path] }
    static func embed(_ path: String, _ scratch: URL) -> [String] { ["embed", "--model", tinyModel, "--image", path] }
    static func preprocess(_ path: String, _ scratch: URL) -> [String] { ["preprocess", path, "--out", scratch.appendingPathComponent("out").path] }
    static func pretrain(_ path: String, _ scratch: URL) -> [String] { ["pretrain", "--config", path] }

    static let cases: [Case] = [
        Case(file: "dicom_frames_1e99.dcm", arguments: dicomDecode, says: ["NumberOfFrames", "'1e99' is not an integer"]),
        Case(file: "dicom_frames_nan.dcm", arguments: { path, _ in ["dicom", "info", path] }, says: ["NumberOfFrames", "'NaN' is not an integer"]),
        Case(file: "dicom_rescale_slope_infinite.dcm", arguments: dicomDecode, says: ["RescaleSlope", "not a finite number"]),
        Case(file: "dicom_window_center_nan.dcm", arguments: dicomDecode, says: ["WindowCenter", "not a finite number"]),
        Case(file: "dicom_lut_descriptor_negative.dcm", arguments: dicomDecode, says: ["LUT", "65531"]),
        // Decoding stops in GDCM's own check (caught); reading the header reaches MammoFM's.
        Case(file: "dicom_samples_per_pixel_7.dcm", arguments: { path, _ in ["dicom", "info", path] }, says: ["SamplesPerPixel", "'7' is not an integer in 1...4"]),
        Case(file: "dicom_claims_8_gib.dcm", arguments: dicomDecode, says: ["65535 x 65535", "exceeds the limit of 256 MiB"]),
        Case(file: "weights_zip64_offset_overflow.pt", arguments: inspect, says: ["ZIP64", "out of range"]),
        Case(file: "weights_zero_stride_expansion.pt", arguments: inspect, says: ["stride [0]", "would be expanded"]),
        Case(file: "weights_negative_stride.pt", arguments: inspect, says: ["stride [-1, 1]", "negative"]),
        Case(file: "weights_stride_overflow.pt", arguments: inspect, says: ["position overflows"]),
        Case(file: "weights_cyclic_pickle.pt", arguments: inspect, says: ["holds itself"]),
        Case(file: "weights_deep_pickle.pt", arguments: inspect, says: ["nest more than 100 levels"]),
        Case(file: "weights_deep_tuple_then_underflow.pt", arguments: inspect, says: ["stack underflow"]),
        Case(file: "weights_rank_mismatch.tar", arguments: convert, says: ["_conv_stem.weight has shape [4] (rank 1)"]),
        Case(file: "weights_shape_overflow.safetensors", arguments: inspect, says: ["more elements than can be addressed"]),
        Case(file: "weights_header_length_huge.safetensors", arguments: inspect, says: ["header length", "exceeds the file size"]),
        Case(file: "png_decompression_bomb.png", arguments: embed, says: ["8000 x 8000", "decompression bomb"]),
        Case(file: "png_too_many_pixels.png", arguments: embed, says: ["60000 x 60000", "exceed the limit"]),
        Case(file: "csv_ragged.csv", arguments: preprocess, says: ["line 3: 2 fields, the header has 3"]),
        Case(file: "csv_unterminated_quote.csv", arguments: preprocess, says: ["unterminated quoted field"]),
        Case(file: "yaml_two_spellings.yaml", arguments: pretrain, says: ["'training.batchSize' is not a setting", "batch_size"]),
        Case(file: "yaml_billion_laughs.yaml", arguments: pretrain, says: ["anchors and aliases"]),
        Case(file: "yaml_epochs_1e99.yaml", arguments: pretrain, says: ["training.epochs", "not a usable number"]),
        Case(file: "yaml_learning_rate_nan.yaml", arguments: pretrain, says: ["training.learning_rate", "nan"]),
        Case(file: "yaml_list_as_key.yaml", arguments: pretrain, says: ["a key must be a plain word"]),
    ]

    @Test func everyCraftedFileHasACase() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).sorted()
        #expect(files.count >= 15)
        #expect(files == Self.cases.map(\.file).sorted(), "cases and crafted files differ")
    }

    @Test(arguments: cases) func isRefusedWithASentence(_ crafted: Case) throws {
        let path = Self.folder.appendingPathComponent(crafted.file).path
        let scratch = CLI.folder("crafted-\(crafted.file)")
        try? FileManager.default.removeItem(at: scratch)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let result = try CLI.run(crafted.arguments(path, scratch))
        #expect(result.reason == .exit, "\(crafted.file) killed the process: \(result.error.suffix(400))")
        #expect(result.status != 0)
        #expect(result.error.contains(crafted.file), "the message names the file: \(result.error.suffix(400))")
        for phrase in crafted.says { #expect(result.error.contains(phrase), "\(crafted.file): '\(phrase)' not in \(result.error.suffix(400))") }
    }

    /// A folder of DICOM files in which most are bad: each bad one is recorded with its reason, the good
    /// one is processed, and the exit status counts the failures.
    @Test func preprocessRecordsBadFilesAndGoesOn() throws {
        let input = CLI.folder("crafted-batch-input"), out = CLI.folder("crafted-batch-output")
        for folder in [input, out] { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        let bad = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".dcm") && $0 != "dicom_frames_nan.dcm" }
        for name in bad { try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(name), to: input.appendingPathComponent(name)) }
        let good = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MammoImagingTests/Fixtures/synthetic/mg_l_cc_m2_12bit_raw.dcm")
        try FileManager.default.copyItem(at: good, to: input.appendingPathComponent("good.dcm"))
        // A temporary file a killed write left behind is not an input.
        try Data("partial".utf8).write(to: input.appendingPathComponent(".good.dcm.123.tmp"))
        let run = try CLI.run(["preprocess", input.path, "--out", out.path, "--size", "64x40", "--jobs", "2"])
        #expect(run.reason == .exit && run.status == Int32(bad.count), "\(run.error)")
        #expect(run.output.contains("1 processed") && run.output.contains("\(bad.count) failed"), "\(run.output)")
        let errors = try String(contentsOf: out.appendingPathComponent("errors.csv"), encoding: .utf8)
        for name in bad { #expect(errors.contains(name)) }
        #expect(!errors.contains(".tmp"))
    }
}
