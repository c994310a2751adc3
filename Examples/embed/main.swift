// The README's "Using MammoFM from Swift" example: `swift run mammofm-embed-example` from the
// repository root.
import Foundation
import MammoModels
import Torch

do {
    Torch.threadCount = ProcessInfo.processInfo.activeProcessorCount
    let fixtures = URL(fileURLWithPath: "Tests/MammoModelsTests/Fixtures")
    let pipeline = try MammoClipPipeline(path: fixtures.appendingPathComponent("tiny_mammoclip.tar"),
                                         tokenizerDirectory: fixtures.appendingPathComponent("tiny_tokenizer"))
    // Pixels of a preprocessed image at the model's input size (here random), H x W or C x H x W.
    let image = try Tensor.rand([1520, 912]) * 4095
    let images = try pipeline.embed(images: [image])                              // 1 x 32, L2-normalised
    let prompts = try pipeline.embed(texts: ["no mass", "mass"])                  // 2 x 32
    let probabilities = try pipeline.zeroShot(imageEmbeddings: images, promptEmbeddings: prompts)
    print(try probabilities.toArray(Float.self))                                  // [p(no mass), p(mass)]
} catch {
    print("error: \(error)")
    exit(1)
}
