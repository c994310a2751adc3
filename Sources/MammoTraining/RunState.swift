import Foundation
import MammoModels
import Torch

/// Where a run stands: enough, with the model and optimiser files beside it, to continue exactly.
public struct RunState: Codable, Equatable, Sendable {
    /// Optimiser steps taken.
    public var step = 0
    public var epoch = 0
    /// The next batch of `epoch` to train on.
    public var batchInEpoch = 0
    public var bestValidationLoss: Double? = nil
    public var bestEpoch: Int? = nil
    public var validationLosses: [Double] = []
    /// The configuration the run was started with (a resumed run must match it).
    public var configFingerprint = ""
    /// The loss scale and its growth counter (float16 training only).
    public var gradScaler: GradScaler? = nil
    /// Optimiser steps skipped because float16 gradients overflowed.
    public var skippedSteps = 0
    /// The number of data-parallel ranks (nil: one process, as in runs made before ranks existed).
    public var worldSize: Int? = nil
    /// A hash of the data the run reads (its tables, initial weights and every image's size and
    /// modification time); nil in runs made before it was recorded, which are not checked.
    public var dataFingerprint: String? = nil
}

/// Checkpoints of a run under `output/checkpoints/step-NNNNNNN/` (model.safetensors,
/// optimizer.safetensors, state.json), each written to a staging folder and renamed into place, with
/// `output/checkpoints/latest` naming the newest; older ones beyond `keep` are removed. Files and
/// folders are flushed to disk before each rename.
struct Checkpointer {
    let directory: URL
    let keep: Int

    var latestURL: URL { directory.appendingPathComponent("latest") }

    func save(model: MammoClip, optimizer: Optimizer, state: RunState) throws {
        let fm = FileManager.default
        let name = String(format: "step-%07d", state.step) + (state.batchInEpoch == 0 ? "-epoch-\(state.epoch)" : "")
        let final = directory.appendingPathComponent(name)
        let staging = directory.appendingPathComponent(".\(name).partial")
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
            try? fm.removeItem(at: staging)
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            try Safetensors.write(model.stateDict(), metadata: ["format": "pt"], to: staging.appendingPathComponent("model.safetensors"))
            try optimizer.save(to: staging.appendingPathComponent("optimizer.safetensors"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(state).write(to: staging.appendingPathComponent("state.json"))
            // On disk before the name points at it: a power cut leaves the previous checkpoint or this one.
            try OutputFolder.flushTree(staging)
            try? fm.removeItem(at: final)
            try fm.moveItem(at: staging, to: final)
            try OutputFolder.flush(directory)
            try writeAtomically(Data(name.utf8), to: latestURL, durable: true)
        } catch {
            try? fm.removeItem(at: staging)
            throw TrainingError.checkpoint(path: final.path, reason: "cannot write the checkpoint: \(error)")
        }
        let all = ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix("step-") }.sorted()
        for old in all.dropLast(keep) where old != name { try? fm.removeItem(at: directory.appendingPathComponent(old)) }
    }

    /// The newest checkpoint's folder, or nil when the run has none.
    func latest() -> URL? {
        guard let data = FileManager.default.contents(atPath: latestURL.path) else { return nil }
        let url = directory.appendingPathComponent(String(decoding: data, as: UTF8.self))
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("state.json").path) ? url : nil
    }

    func restore(_ folder: URL, model: MammoClip, optimizer: Optimizer) throws -> RunState {
        do {
            try model.load(stateDict: SafetensorsFile(url: folder.appendingPathComponent("model.safetensors")).tensors())
            try optimizer.load(from: folder.appendingPathComponent("optimizer.safetensors"))
            return try JSONDecoder().decode(RunState.self, from: Data(contentsOf: folder.appendingPathComponent("state.json")))
        } catch {
            throw TrainingError.checkpoint(path: folder.path, reason: "cannot resume from this checkpoint: \(error)")
        }
    }
}
