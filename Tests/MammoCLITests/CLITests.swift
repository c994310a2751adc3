import Foundation
@testable import MammoImaging
import MammoModels
import Testing
import Torch

/// Runs the built `mammofm` executable the way a user or a script does.
enum CLI {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mammofm")
    }
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MammoModelsTests/Fixtures")

    struct Result {
        let status: Int32, output: String, error: String
        /// `.exit`, or `.uncaughtSignal` when the process was killed (a trap, a crash, SIGKILL).
        var reason: Process.TerminationReason = .exit
    }

    /// Runs the executable; `environment` entries are added to this process's environment. Standard
    /// error is drained on its own thread while standard output is read, so a command that fills
    /// one pipe's buffer never blocks on it.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let errorBox = Box(), drained = DispatchSemaphore(value: 0)
        let errorReader = err.fileHandleForReading
        Thread.detachNewThread {
            errorBox.data = errorReader.readDataToEndOfFile()
            drained.signal()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                      error: String(decoding: errorBox.data, as: UTF8.self), reason: process.terminationReason)
    }

    static func folder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-cli-\(getpid())").appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return url
    }
}

@Suite(.serialized) struct CLITests {
    @Test func versionAndDoctor() throws {
        #expect(try CLI.run(["--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let doctor = try CLI.run(["doctor", "--json", "--threads", "1"])
        #expect(doctor.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(doctor.output.utf8)) as? [String: Any]
        let engine = try #require(report?["engine"] as? [String: Any])
        #expect(engine["threads"] as? Int == 1)
        #expect((engine["libtorchVersion"] as? String)?.isEmpty == false)
        // make setup installs the Gloo headers, so both engine builds have process groups.
        #expect(engine["glooAvailable"] as? Bool == true)
    }

    /// `embed --json` gives exactly what the Swift API gives for the same PNG and texts.
    @Test func embedJSONMatchesTheLibrary() throws {
        let checkpoint = CLI.fixtures.appendingPathComponent("tiny_mammoclip.tar")
        let tokenizer = CLI.fixtures.appendingPathComponent("tiny_tokenizer")
        Torch.manualSeed(4)
        let pixels = try (Tensor.rand([912 * 1520]) * 4095).toArray(Float.self).map { UInt16($0) }
        let png = CLI.folder("view.png")
        try GrayscaleImage(width: 912, height: 1520, bitDepth: 16, pixels: pixels).writePNG(png)
        let texts = ["no suspicious mass", "spiculated mass in the left breast"]
        let result = try CLI.run(["embed", "--model", checkpoint.path, "--tokenizer", tokenizer.path, "--image", png.path,
                                  "--text", texts[0], "--text", texts[1], "--json", "--threads", "2"])
        #expect(result.status == 0, "\(result.error)")
        let decoded = try JSONDecoder().decode([String: [[Float]]].self, from: Data(result.output.utf8))
        let pipeline = try MammoClipPipeline(path: checkpoint, tokenizerDirectory: tokenizer)
        let image = try pipeline.embed(images: [try GrayscaleImage.readPNG(png).tensor()])
        let text = try pipeline.embed(texts: texts)
        let cliImage = try Tensor(decoded["image"]!.flatMap { $0 }, shape: [1, 32])
        let cliText = try Tensor(decoded["text"]!.flatMap { $0 }, shape: [2, 32])
        #expect(try (cliImage - image).abs().max().item() < 1e-6)
        #expect(try (cliText - text).abs().max().item() < 1e-6)
        #expect(try (cliText.norm(p: 2, [1]) - 1).abs().max().item() < 1e-5)
    }

    @Test func badInputsAreExplained() throws {
        let checkpoint = CLI.fixtures.appendingPathComponent("tiny_mammoclip.tar").path
        let small = CLI.folder("small.png")
        try GrayscaleImage(width: 10, height: 10, bitDepth: 8, pixels: Array(repeating: 7, count: 100)).writePNG(small)
        let wrongSize = try CLI.run(["embed", "--model", checkpoint, "--image", small.path])
        #expect(wrongSize.status != 0 && wrongSize.error.contains("10 x 10 pixels") && wrongSize.error.contains("912 x 1520"))
        let noText = try CLI.run(["embed", "--model", checkpoint, "--text", "mass"])
        #expect(noText.status != 0 && noText.error.contains("--tokenizer"))
        let missing = try CLI.run(["embed", "--model", "/nonexistent/model.tar", "--text", "x"])
        #expect(missing.status != 0 && missing.error.contains("/nonexistent/model.tar"))
        let nothing = try CLI.run(["embed", "--model", checkpoint])
        #expect(nothing.status != 0 && nothing.error.contains("at least one --image, --dicom or --text"))
    }

    @Test func convertThenInspect() throws {
        let out = CLI.folder("converted")
        let convert = try CLI.run(["convert", CLI.fixtures.appendingPathComponent("tiny_mammoclip.tar").path, "--out", out.path,
                                   "--tokenizer", CLI.fixtures.appendingPathComponent("tiny_tokenizer").path])
        #expect(convert.status == 0, "\(convert.error)")
        for name in ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
        }
        let inspect = try CLI.run(["inspect-weights", out.path, "--json"])
        let entries = try JSONSerialization.jsonObject(with: Data(inspect.output.utf8)) as? [[String: Any]]
        #expect(entries?.contains { $0["key"] as? String == "logit_scale" && ($0["shape"] as? [Int]) == [] } == true)
        let text = try CLI.run(["embed", "--model", out.path, "--text", "no mass"])
        #expect(text.status == 0 && text.output.contains("32 dims"))
    }
}

@Suite(.serialized) struct DicomCLITests {
    static let synthetic = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MammoImagingTests/Fixtures/synthetic")

    /// Reads a .npy file written by `dicom decode`: (header dictionary text, payload).
    func readNumpy(_ url: URL) throws -> (String, Data) {
        let data = try Data(contentsOf: url)
        #expect(data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        return (String(decoding: data[10..<(10 + headerLength)], as: UTF8.self), data.suffix(from: 10 + headerLength))
    }

    @Test func infoAndDecode() throws {
        let file = Self.synthetic.appendingPathComponent("mg_r_mlo_m1_14bit_j2k.dcm").path
        let info = try CLI.run(["dicom", "info", file, "--json"])
        #expect(info.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(info.output.utf8)) as? [String: Any]
        #expect(object?["laterality"] as? String == "R" && object?["view"] as? String == "MLO" && object?["bitsStored"] as? Int == 14)
        let stored = CLI.folder("stored.npy"), voi = CLI.folder("voi.npy")
        #expect(try CLI.run(["dicom", "decode", file, "--out", stored.path]).status == 0)
        let (header, payload) = try readNumpy(stored)
        #expect(header.contains("'<u2'") && header.contains("(400, 320)") && payload.count == 400 * 320 * 2)
        let image = try DicomImage(contentsOf: URL(fileURLWithPath: file))
        let values = payload.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        #expect(values.map(Int32.init) == (try image.stored.flatten().toArray(Int32.self)))
        #expect(try CLI.run(["dicom", "decode", file, "--out", voi.path, "--stage", "voi", "--window-index", "1"]).status == 0)
        let (voiHeader, voiPayload) = try readNumpy(voi)
        #expect(voiHeader.contains("'<f4'") && voiPayload.count == 400 * 320 * 4)
        let bad = try CLI.run(["dicom", "decode", Self.synthetic.appendingPathComponent("bad_65535x65535_header.dcm").path, "--out", voi.path])
        #expect(bad.status != 0 && bad.error.contains("bad_65535x65535_header.dcm"))
        let missingWindow = try CLI.run(["dicom", "decode", file, "--out", voi.path, "--stage", "voi", "--window-index", "5"])
        #expect(missingWindow.status != 0 && missingWindow.error.contains("no window 5"))
    }

    @Test func preprocessThenEmbedFromDICOM() throws {
        let out = CLI.folder("preprocessed")
        let run = try CLI.run(["preprocess", Self.synthetic.path, "--out", out.path, "--profile", "standard", "--size", "256x160", "--jobs", "2"])
        // Two of the fixtures are damaged on purpose: recorded, the batch goes on, the status counts them.
        #expect(run.status == 2, "\(run.error)")
        #expect(run.output.contains("6 processed") && run.output.contains("2 failed"))
        #expect(!run.error.contains("SYNTH-0001"), "no identifiers in logs")
        let again = try CLI.run(["preprocess", Self.synthetic.path, "--out", out.path, "--profile", "standard", "--size", "256x160"])
        #expect(again.output.contains("0 processed, 6 already done"))
        let badSize = try CLI.run(["preprocess", Self.synthetic.path, "--out", out.path, "--size", "tall"])
        #expect(badSize.status != 0 && badSize.error.contains("HEIGHTxWIDTH"))
        let embed = try CLI.run(["embed", "--model", CLI.fixtures.appendingPathComponent("tiny_mammoclip.tar").path,
                                 "--image", Self.synthetic.appendingPathComponent("mg_l_cc_m2_12bit_raw.dcm").path, "--json"])
        #expect(embed.status == 0, "\(embed.error)")
        let decoded = try JSONDecoder().decode([String: [[Float]]].self, from: Data(embed.output.utf8))
        #expect(decoded["image"]?.first?.count == 32)
    }

    /// `synth` writes a cohort that `preprocess` reads, `contact-sheet` draws it, a second run resumes,
    /// and bad options are refused with a sentence.
    @Test func synthPreprocessAndContactSheet() throws {
        let cohort = CLI.folder("cohort")
        try? FileManager.default.removeItem(at: cohort)
        let synth = try CLI.run(["synth", "--patients", "3", "--seed", "2", "--size", "128x80", "--out", cohort.path, "--jobs", "2"])
        #expect(synth.status == 0, "\(synth.error)")
        #expect(synth.output.contains("3 patients (3 generated, 0 already done)"))
        #expect(synth.error.contains("3/3 patients"))
        // The default generator is synth-2, recorded in cohort.json; an explicit calcification scale of
        // 1 is the default configuration; another scale is another cohort.
        let summary = try String(contentsOf: cohort.appendingPathComponent("cohort.json"), encoding: .utf8)
        #expect(summary.contains("\"generator\" : \"synth-2\""), "\(summary.prefix(300))")
        let again = try CLI.run(["synth", "--patients", "3", "--seed", "2", "--size", "128x80", "--calcification-scale", "1",
                                 "--generator", "synth-2", "--out", cohort.path])
        #expect(again.output.contains("(0 generated, 3 already done)"), "\(again.error)")
        let benignOption = try CLI.run(["synth", "--patients", "3", "--seed", "2", "--size", "128x80", "--benign-calcifications", "regional", "--out", cohort.path])
        #expect(benignOption.status != 0 && benignOption.error.contains("--generator synth-1"), "\(benignOption.error)")
        // A synth-1 cohort (the earlier default) resumes only when asked for by name.
        let older = CLI.folder("cohort-synth-1")
        try? FileManager.default.removeItem(at: older)
        let first = try CLI.run(["synth", "--patients", "3", "--seed", "2", "--size", "128x80", "--generator", "synth-1",
                                 "--benign-calcifications", "grouped", "--out", older.path])
        #expect(first.status == 0, "\(first.error)")
        let plain = try CLI.run(["synth", "--patients", "3", "--seed", "2", "--size", "128x80", "--out", older.path])
        #expect(plain.status != 0 && plain.error.contains("synth-1") && plain.error.contains("--generator"), "\(plain.error)")
        let named = try CLI.run(["synth", "--patients", "3", "--seed", "2", "--size", "128x80", "--generator", "synth-1", "--out", older.path])
        #expect(named.output.contains("(0 generated, 3 already done)"), "\(named.error)")
        let regional = try CLI.run(["synth", "--patients", "3", "--seed", "2", "--size", "128x80", "--generator", "synth-1",
                                    "--benign-calcifications", "regional", "--out", older.path])
        #expect(regional.status != 0 && regional.error.contains("other options"))
        let unknown = try CLI.run(["synth", "--patients", "3", "--generator", "synth-1", "--benign-calcifications", "diffuse", "--out", CLI.folder("bad").path])
        #expect(unknown.status != 0 && unknown.error.contains("'diffuse'") && unknown.error.contains("--benign-calcifications")
                && unknown.error.contains("'grouped'") && unknown.error.contains("'regional'"), "\(unknown.error)")
        let scaled = try CLI.run(["synth", "--patients", "3", "--seed", "2", "--size", "128x80", "--calcification-scale", "4", "--out", cohort.path])
        #expect(scaled.status != 0 && scaled.error.contains("other options"))
        let other = try CLI.run(["synth", "--patients", "3", "--seed", "3", "--size", "128x80", "--out", cohort.path])
        #expect(other.status != 0 && other.error.contains("other options"))
        let badSize = try CLI.run(["synth", "--patients", "3", "--size", "12x5", "--out", CLI.folder("bad").path])
        #expect(badSize.status != 0 && badSize.error.contains("size must be at least"))

        let sheetURL = CLI.folder("sheet.png")
        let sheet = try CLI.run(["contact-sheet", cohort.path, "--out", sheetURL.path, "--exams", "2", "--tile-height", "64"])
        #expect(sheet.status == 0, "\(sheet.error)")
        #expect(FileManager.default.fileExists(atPath: sheetURL.path))

        let prepared = CLI.folder("prepared")
        try? FileManager.default.removeItem(at: prepared)
        let preprocess = try CLI.run(["preprocess", cohort.appendingPathComponent("dicom").path, "--out", prepared.path,
                                      "--size", "128x80", "--jobs", "2"])
        #expect(preprocess.status == 0, "\(preprocess.error)")
        #expect(preprocess.output.contains("0 failed"))
    }

    /// A pretraining run killed with SIGKILL after a checkpoint and started again ends with exactly the
    /// weights of an uninterrupted run: in one process, and on two data-parallel ranks (global batch 4
    /// both times) where the launcher is what is killed and its ranks die with it.
    @Test(arguments: [1, 2]) func pretrainResumesAfterSIGKILLToTheSameWeights(ranks: Int) throws {
        let root = CLI.folder("pretrain-\(ranks)")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let cohort = root.appendingPathComponent("cohort"), prepared = root.appendingPathComponent("prepared")
        #expect(try CLI.run(["synth", "--patients", "8", "--seed", "4", "--size", "128x80", "--out", cohort.path]).status == 0)
        #expect(try CLI.run(["preprocess", cohort.appendingPathComponent("dicom").path, "--out", prepared.path, "--size", "64x40",
                             "--keep-file-names"]).status == 0)
        func arguments(_ output: URL) -> [String] {
            ["pretrain", "--threads", "2", "--set", "model.input_height=64", "--set", "model.input_width=40", "--set", "model.max_text_length=48",
             "--set", "data.csv=\(cohort.path)/mammoclip/pretrain.csv", "--set", "data.images=\(prepared.path)/images",
             "--set", "data.train_splits=[train, validation]", "--set", "data.validation_splits=[test]", "--set", "data.vocabulary_size=300",
             "--set", "training.epochs=2", "--set", "training.batch_size=4", "--set", "training.learning_rate=0.002",
             "--set", "training.checkpoint_every=2", "--set", "training.workers=2", "--set", "output=\(output.path)"]
                + (ranks > 1 ? ["--nproc-per-node", "\(ranks)", "--set", "training.batch_size=\(4 / ranks)"] : [])
        }
        let whole = root.appendingPathComponent("whole"), cut = root.appendingPathComponent("cut")
        let reference = try CLI.run(arguments(whole))
        #expect(reference.status == 0, "\(reference.error)")

        // Start, wait for the second checkpoint, kill -9, start again.
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = arguments(cut)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let latest = cut.appendingPathComponent("checkpoints/latest")
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            if let name = try? String(contentsOf: latest, encoding: .utf8), name >= "step-0000002" { break }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        // First the killed run with its newest checkpoint's weights changed (a pristine copy kept
        // aside): resuming it must end elsewhere, which proves that a resumed run reads its checkpoint.
        let pristine = root.appendingPathComponent("pristine")
        try FileManager.default.copyItem(at: cut, to: pristine)
        let checkpointName = try String(contentsOf: cut.appendingPathComponent("checkpoints/latest"), encoding: .utf8)
        let weightsURL = cut.appendingPathComponent("checkpoints/\(checkpointName)/model.safetensors")
        let stored = try SafetensorsFile(url: weightsURL)
        try Safetensors.write(try stored.keys.map { key in
            let tensor = try stored.tensor(key)
            return (key, tensor.dtype.isFloatingPoint ? try tensor * 0.5 : tensor)
        }, metadata: ["format": "pt"], to: weightsURL)
        let resumedTampered = try CLI.run(arguments(cut))
        #expect(resumedTampered.status == 0 && resumedTampered.error.contains("resumed from"), "\(resumedTampered.error)")
        let tamperedFinal = try SafetensorsFile(url: cut.appendingPathComponent("final/model.safetensors")).tensors()
        try FileManager.default.removeItem(at: cut)
        try FileManager.default.moveItem(at: pristine, to: cut)

        let resumed = try CLI.run(arguments(cut))
        #expect(resumed.status == 0, "\(resumed.error)")
        let step = Int(checkpointName.dropFirst("step-".count).prefix(7)) ?? -1
        #expect(step >= 2 && resumed.error.contains("resumed from \(cut.path)/checkpoints/\(checkpointName) at step \(step) of"), "\(resumed.error)")
        if ranks > 1 {
            #expect(reference.error.contains("\(ranks) ranks x batch \(4 / ranks)"), "\(reference.error)")
            // The run's shape is part of it: another number of ranks is refused, naming the folder.
            let launched = arguments(cut)
            let alone = try CLI.run(Array(launched.dropLast(4) + launched.suffix(2)))  // same batch size, no --nproc-per-node
            #expect(alone.status != 0 && alone.error.contains("\(cut.path) holds a run trained on \(ranks) process"), "\(alone.error)")
        }

        let a = try SafetensorsFile(url: whole.appendingPathComponent("final/model.safetensors")).tensors()
        let b = try SafetensorsFile(url: cut.appendingPathComponent("final/model.safetensors")).tensors()
        #expect(a.keys.sorted() == b.keys.sorted())
        var worst = 0.0
        for (name, tensor) in a { worst = Swift.max(worst, try (tensor.to(.float64) - b[name]!.to(.float64)).abs().max().item()) }
        #expect(worst == 0, "largest weight difference after resuming: \(worst)")
        var tamperedDifference = 0.0
        for (name, tensor) in a { tamperedDifference = Swift.max(tamperedDifference, try (tensor.to(.float64) - tamperedFinal[name]!.to(.float64)).abs().max().item()) }
        #expect(tamperedDifference > 1e-3, "a run resumed from changed weights ended with the same weights: the checkpoint was not read")
    }
}
