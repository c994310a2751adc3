// Times pretraining optimiser steps in a fresh process and prints one JSON object:
// {"name", "median_ms", "iterations", "peak_rss_mb", "loss"}. A step: both views and both texts of a
// batch through the dual encoder, the Mammo-CLIP loss, backward, AdamW (decay split). Inputs are seeded
// random images and token ids; the PyTorch side (compare.py) runs the same step.
// Data-parallel workloads (`_ddp2`) run as one process per rank, placed by RANK, WORLD_SIZE,
// MASTER_ADDR and MASTER_PORT: each rank holds its share of the batch, embeddings are exchanged with
// gradient, gradients averaged over a Gloo process group; rank 0 prints.
import Foundation
import MammoModels
import MammoTraining
import Torch

struct Workload {
    var config: MammoClipConfig
    var batch: Int
    /// Forward under bfloat16 autocast (backward outside, as in PyTorch).
    var bfloat16 = false
    /// Data-parallel ranks sharing `batch` (1: one process).
    var ranks = 1
    static func named(_ name: String) throws -> Workload {
        switch name {
        case "tiny_b16": return Workload(config: try .tiny(vocabularySize: 2000), batch: 16)
        case "tiny_b16_bf16": return Workload(config: try .tiny(vocabularySize: 2000), batch: 16, bfloat16: true)
        case "tiny_b16_ddp2": return Workload(config: try .tiny(vocabularySize: 2000), batch: 16, ranks: 2)
        case "b5_bertbase_b1", "b5_bertbase_b2":
            var config = try MammoClipConfig.b5()
            config.text.maxLength = 256
            return Workload(config: config, batch: name.hasSuffix("b2") ? 2 : 1)
        default: throw TorchError.invalidArgument("unknown workload '\(name)': tiny_b16, tiny_b16_bf16, tiny_b16_ddp2, b5_bertbase_b1, b5_bertbase_b2")
        }
    }
}

var workloadName = "tiny_b16", threads = ProcessInfo.processInfo.activeProcessorCount, iterations = 3
var i = 1
let arguments = CommandLine.arguments
while i + 1 < arguments.count {
    switch arguments[i] {
    case "--workload": workloadName = arguments[i + 1]
    case "--threads": threads = Int(arguments[i + 1]) ?? threads
    case "--iterations": iterations = Int(arguments[i + 1]) ?? iterations
    default: break
    }
    i += 2
}

do {
    Torch.threadCount = threads
    let workload = try Workload.named(workloadName)
    let c = workload.config
    Torch.manualSeed(1)
    let model = try MammoClip(config: c)
    model.train()
    let optimizer = Adam.adamW(groups: ParameterGroup.decaySplit(model.parameters(), learningRate: 5e-5, weightDecay: 1e-4))
    var group: ProcessGroup? = nil
    if workload.ranks > 1 {
        let environment = ProcessInfo.processInfo.environment
        guard let rank = environment["RANK"].flatMap(Int.init), let port = environment["MASTER_PORT"].flatMap(Int.init) else {
            throw TorchError.invalidArgument("\(workloadName) runs one process per rank: set RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT")
        }
        let store = try RendezvousStore.tcp(host: environment["MASTER_ADDR"] ?? "127.0.0.1", port: port, worldSize: workload.ranks, isServer: rank == 0)
        group = try ProcessGroup(store: store, rank: rank, size: workload.ranks, interfaceHost: "127.0.0.1")
    }
    let exchange = group.map(EmbeddingExchange.init)
    let n = workload.batch / workload.ranks, length = c.text.maxLength
    Torch.manualSeed(7 &+ UInt64(group?.rank ?? 0))
    let views = try (0..<2).map { _ in try Tensor.randn([n, 3, c.image.inputHeight, c.image.inputWidth]) }
    let texts = try (0..<2).map { _ in try Tensor.randint(low: 1000, high: c.text.bert.vocabSize, shape: [n, length]) }
    let mask = try Tensor.ones([n, length], dtype: .int64)
    let loss = MammoClipLoss(rank: group?.rank ?? 0, gather: exchange.map { exchange in { try exchange.gather($0) } } ?? { $0 })
    let rows: (Tensor) throws -> Tensor = exchange.map { exchange in { try exchange.local($0) } } ?? { $0 }
    var lastLoss = 0.0
    func forward() throws -> ContrastiveLossTerms {
        exchange?.reset()
        return try loss(image1: rows(model.encodeImage(views[0])), image2: rows(model.encodeImage(views[1])),
                        text1: rows(model.encodeText(inputIds: texts[0], attentionMask: mask)),
                        text2: rows(model.encodeText(inputIds: texts[1], attentionMask: mask)), logitScale: model.logitScale)
    }
    func step() throws {
        let terms = workload.bfloat16 ? try Autograd.autocast(.cpu, dtype: .bfloat16, forward) : try forward()
        try terms.total.backward()
        try exchange?.backward()
        try group?.averageGradients(of: model.parameters())
        try optimizer.step()
        try optimizer.zeroGrad()
        lastLoss = try terms.total.item()
    }
    try step() // warm-up
    var times: [Double] = []
    for _ in 0..<iterations {
        let start = DispatchTime.now().uptimeNanoseconds
        try step()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    guard (group?.rank ?? 0) == 0 else { exit(0) }
    print(#"{"name": "\#(workloadName)", "median_ms": \#(times.sorted()[times.count / 2]), "iterations": \#(iterations), "peak_rss_mb": \#(Double(usage.ru_maxrss) / 1024), "loss": \#(lastLoss)}"#)
} catch {
    FileHandle.standardError.write(Data("mammofm-train-bench: \(error)\n".utf8))
    exit(1)
}
