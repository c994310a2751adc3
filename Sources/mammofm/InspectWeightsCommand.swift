import ArgumentParser
import Foundation
import Torch

struct InspectWeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect-weights",
        abstract: "List the tensors of a weight file: key, shape, dtype.",
        discussion: "FILE is a .safetensors file, a torch.save file (.pt, .pth, .bin, .tar, .ckpt) or a converted model directory.")

    @Argument(help: "The weight file or converted model directory.") var file: String
    @Flag(help: "Print JSON: a list of {key, shape, dtype}.") var json = false

    struct Entry: Codable { let key: String; let shape: [Int]; let dtype: String }

    func run() throws {
        var url = URL(fileURLWithPath: file)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ValidationError("\(file): no such file or directory")
        }
        if isDirectory.boolValue { url.appendPathComponent("model.safetensors") }
        let entries: [Entry]
        if url.pathExtension == "safetensors" {
            let weights = try SafetensorsFile(url: url)
            entries = weights.keys.map { Entry(key: $0, shape: weights.entries[$0]!.shape, dtype: weights.entries[$0]!.dtype.description) }
        } else {
            entries = try TorchCheckpoint(url: url).allTensors().map { Entry(key: $0.0, shape: $0.1.shape, dtype: $0.1.dtype.description) }
        }
        if json {
            try printJSON(entries, formatting: [.prettyPrinted])
            return
        }
        let width = min(80, entries.map(\.key.count).max() ?? 0)
        for e in entries {
            print(e.key.padding(toLength: max(width, e.key.count), withPad: " ", startingAt: 0) + "  "
                  + "\(e.shape)".padding(toLength: 22, withPad: " ", startingAt: 0) + " " + e.dtype)
        }
        let elements = entries.reduce(0) { $0 + $1.shape.reduce(1, *) }
        print("\(entries.count) tensors, \(elements) elements")
    }
}
