import Foundation
import Testing
@testable import Torch

/// Output folders: a user's folder is refused and left as it was, MammoFM's own is replaced whole,
/// and an interrupted swap is put back.
@Suite(.serialized) struct OutputFolderTests {
    func scratch(_ name: String) throws -> URL {
        let url = temporaryFile("output-folder-\(name)")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func writeModel(_ folder: URL, _ text: String) throws {
        try OutputFolder.replace(folder, as: .model, durable: true) { staging in
            try Data(text.utf8).write(to: staging.appendingPathComponent("config.json"))
            try Data(text.utf8).write(to: staging.appendingPathComponent("model.safetensors"))
        }
    }

    @Test func aUsersFolderIsRefusedAndKept() throws {
        let root = try scratch("user")
        let folder = root.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("thesis".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        for kind in OutputKind.allCases {
            #expect { try OutputFolder.claim(folder, as: kind) } throws: {
                "\($0)".contains(folder.path) && "\($0)".contains("'notes.txt'") && "\($0)".contains("never deletes or overwrites")
            }
        }
        #expect { try writeModel(folder, "new") } throws: { "\($0)".contains("not a MammoFM model output") }
        #expect(try String(contentsOf: folder.appendingPathComponent("notes.txt"), encoding: .utf8) == "thesis")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["notes.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["mine"], "no staging copy left behind")
    }

    @Test func aModelIsReplacedWholeButNotWithAUsersFileInside() throws {
        let root = try scratch("replace")
        let folder = root.appendingPathComponent("model")
        try writeModel(folder, "first")
        #expect(OutputFolder.kind(of: folder) == .model)
        try writeModel(folder, "second")
        #expect(try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["model"])
        // A file the user put inside a model folder would be deleted by the swap: refused instead.
        try Data("keep".utf8).write(to: folder.appendingPathComponent("readme.md"))
        #expect { try writeModel(folder, "third") } throws: { "\($0)".contains("'readme.md'") }
        #expect(try String(contentsOf: folder.appendingPathComponent("readme.md"), encoding: .utf8) == "keep")
        // Another kind's output is not a model either.
        let run = root.appendingPathComponent("run")
        try OutputFolder.claim(run, as: .pretrainingRun)
        #expect { try writeModel(run, "x") } throws: { "\($0)".contains("a MammoFM pretraining-run output") }
    }

    @Test func foldersWrittenBeforeMarkersAreRecognisedByTheirFiles() throws {
        let root = try scratch("legacy")
        let folder = root.appendingPathComponent("old-model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors", "vocab.txt"] { try Data(name.utf8).write(to: folder.appendingPathComponent(name)) }
        try writeModel(folder, "new")
        #expect(try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8) == "new")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("vocab.txt").path))
    }

    @Test func anInterruptedSwapIsPutBack() throws {
        let root = try scratch("interrupted")
        let folder = root.appendingPathComponent("model")
        try writeModel(folder, "old")
        // What a kill between the two renames leaves: the old model moved aside (by a process that is
        // gone: no process has pid 999999999), no folder, a half-written staging copy.
        let aside = root.appendingPathComponent(".model.old-999999999")
        try FileManager.default.moveItem(at: folder, to: aside)
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".model.partial-999999999"), withIntermediateDirectories: true)
        try OutputFolder.recoverInterruptedSwap(folder)
        #expect(try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["model"])
    }

    @Test func aFailedBuildLeavesTheOldOutput() throws {
        let root = try scratch("failed")
        let folder = root.appendingPathComponent("model")
        try writeModel(folder, "old")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try OutputFolder.replace(folder, as: .model, durable: false) { staging in
                try Data("half".utf8).write(to: staging.appendingPathComponent("config.json"))
                throw Boom()
            }
        }
        #expect(try String(contentsOf: folder.appendingPathComponent("config.json"), encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["model"])
    }

    @Test func temporaryNamesAreUniquePerWrite() throws {
        let root = try scratch("atomic")
        let target = root.appendingPathComponent("file.bin")
        // Many concurrent writes of one name: each has its own temporary file, the result is one of them whole.
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            try? writeAtomically(Data(repeating: UInt8(i), count: 4096), to: target)
        }
        let data = try Data(contentsOf: target)
        #expect(data.count == 4096 && Set(data).count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["file.bin"])
    }
}

/// Checked arithmetic on numbers read from files.
struct CheckedArithmeticTests {
    @Test func overflowIsReportedNotTrapped() {
        #expect(Checked.product([1 << 32, 1 << 32]) == nil)
        #expect(Checked.product([3, -1]) == nil)
        #expect(Checked.product([]) == 1 && Checked.product([2, 3, 4]) == 24)
        #expect(Checked.add(Int.max, 1) == nil && Checked.multiply(Int.min, -1) == nil)
        #expect(Checked.int(UInt64.max) == nil && Checked.int(42) == 42)
    }

    @Test func doublesBecomeIntegersOnlyWhenExact() {
        #expect(Checked.integer(1e99, in: 0...Int.max) == nil)
        #expect(Checked.integer(.nan, in: 0...10) == nil && Checked.integer(.infinity, in: 0...10) == nil)
        #expect(Checked.integer(9_223_372_036_854_775_807.0, in: Int.min...Int.max) == nil, "2^63 does not fit")
        #expect(Checked.integer(2.5, in: 0...10) == nil && Checked.integer(11, in: 0...10) == nil)
        #expect(Checked.integer(7, in: 0...10) == 7 && Checked.integer(-3, in: -5...0) == -3)
    }
}
