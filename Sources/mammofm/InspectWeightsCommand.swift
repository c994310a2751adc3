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

    func run() throws {
        let listing = try WeightsListing(URL(fileURLWithPath: file))
        if json {
            try printJSON(listing.entries, formatting: [.prettyPrinted])
            return
        }
        let width = min(80, listing.entries.map(\.key.count).max() ?? 0)
        for e in listing.entries {
            print(e.key.padding(toLength: max(width, e.key.count), withPad: " ", startingAt: 0) + "  "
                  + "\(e.shape)".padding(toLength: 22, withPad: " ", startingAt: 0) + " " + e.dtype)
        }
        print("\(listing.entries.count) tensors, \(listing.elementCount) elements")
    }
}
