import Foundation
import MammoModels
import Testing
import Torch

/// Every command that writes a folder refuses one holding a user's file (and leaves the file as it
/// was), replaces its own output whole, and a kill at either point of the swap leaves a whole model.
@Suite(.serialized) struct OutputSafetyTests {
    static let synthetic = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MammoImagingTests/Fixtures/synthetic")
    static let tinyModel = CLI.fixtures.appendingPathComponent("tiny_mammoclip.tar").path

    /// A folder holding a user's file.
    func usersFolder(_ name: String) throws -> URL {
        let folder = CLI.folder("safety-\(name)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("four years of work".utf8).write(to: folder.appendingPathComponent("thesis.docx"))
        return folder
    }

    @Test(arguments: ["convert", "pretrain", "finetune", "probe", "zeroshot", "evaluate", "preprocess", "synth", "bundle", "analyze"])
    func aUsersFolderIsRefusedAndKept(_ command: String) throws {
        let folder = try usersFolder(command)
        let downstream = ["--dataset", "/nonexistent/cohort", "--format", "synth", "--images", "/nonexistent/images", "--out", folder.path]
        let arguments: [String]
        switch command {
        case "convert": arguments = ["convert", Self.tinyModel, "--out", folder.path]
        case "pretrain": arguments = ["pretrain", "--set", "output=\(folder.path)"]
        case "finetune", "probe", "zeroshot": arguments = [command, "--model", "/nonexistent/model"] + downstream
        case "evaluate": arguments = ["evaluate", "--dataset", "/nonexistent", "--format", "synth", "--task", "mass",
                                      "--predictions", "/nonexistent.csv", "--out", folder.path]
        case "preprocess": arguments = ["preprocess", Self.synthetic.path, "--out", folder.path]
        case "bundle": arguments = ["bundle", "create", "--model", "/nonexistent/model", "--out", folder.path]
        case "analyze": arguments = ["analyze", Self.synthetic.path, "--bundle", "/nonexistent/bundle", "--out", folder.path]
        default: arguments = ["synth", "--patients", "1", "--out", folder.path]
        }
        let result = try CLI.run(arguments)
        #expect(result.reason == .exit && result.status != 0)
        #expect(result.error.contains(folder.path) && result.error.contains("thesis.docx"), "\(result.error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["thesis.docx"])
        #expect(try String(contentsOf: folder.appendingPathComponent("thesis.docx"), encoding: .utf8) == "four years of work")
    }

    /// convert into its own earlier output replaces it; killed after moving the old model aside or
    /// before deleting it, a whole model is there to load either way.
    @Test func aKilledSwapLeavesAWholeModel() throws {
        let root = CLI.folder("safety-swap")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let out = root.appendingPathComponent("model")
        #expect(try CLI.run(["convert", Self.tinyModel, "--out", out.path]).status == 0)
        let again = try CLI.run(["convert", Self.tinyModel, "--out", out.path])
        #expect(again.status == 0, "\(again.error)")
        let expected = try SafetensorsFile(url: out.appendingPathComponent("model.safetensors")).tensors()

        for point in ["swap-after-moving-old", "swap-before-deleting-old"] {
            let killed = try CLI.run(["convert", Self.tinyModel, "--out", out.path], environment: ["MAMMOFM_FAULT_INJECTION": point])
            #expect(killed.reason == .uncaughtSignal, "\(point): the process was not killed at the injected point")
            // After the first point no folder has the name, only the old one beside it; loading puts it back.
            let loaded = try MammoClipLoader.load(out)
            #expect(loaded.tokenizer == nil && loaded.model.config.image.inputHeight > 0)
            let weights = try SafetensorsFile(url: out.appendingPathComponent("model.safetensors")).tensors()
            #expect(weights.keys.sorted() == expected.keys.sorted())
            for (key, tensor) in expected { #expect(try (tensor - weights[key]!).abs().max().item() == 0, "\(point): \(key)") }
        }
        // The next write tidies what the kills left (old copies, staging folders of dead processes).
        #expect(try CLI.run(["convert", Self.tinyModel, "--out", out.path]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["model"])
    }
}
