// Times the engine on the workloads of benchmarks/engine/compare.py and prints one JSON object
// per workload: {"name": ..., "median_ms": ..., "iterations": ...}.
import Foundation
import Torch

struct Options {
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var iterations = 20
    init(_ arguments: [String]) {
        var i = 1
        while i < arguments.count {
            if arguments[i] == "--threads", i + 1 < arguments.count { threads = Int(arguments[i + 1]) ?? threads; i += 1 }
            if arguments[i] == "--iterations", i + 1 < arguments.count { iterations = Int(arguments[i + 1]) ?? iterations; i += 1 }
            i += 1
        }
    }
}

/// Conv -> BN -> SiLU stages, then pooling and a linear head: the shape of an EfficientNet stem.
final class ConvNet: Module, UnaryLayer {
    let body: Sequential
    let head: Linear
    init(width: Int) throws {
        var layers: [any UnaryLayer] = []
        var channels = 3
        for (i, out) in [width, 2 * width, 4 * width, 8 * width].enumerated() {
            layers += [try Conv2d(channels, out, kernelSize: 3, stride: i == 0 ? 1 : 2, padding: 1, bias: false),
                       try BatchNorm2d(out), Activation(.silu)]
            channels = out
        }
        body = Sequential(layers)
        head = try Linear(channels, 10)
        super.init()
        register("body", body)
        register("head", head)
    }
    func forward(_ x: Tensor) throws -> Tensor {
        try head(Functional.adaptiveAvgPool2d(body(x), outputSize: (1, 1)).flatten(start: 1))
    }
}

/// One post-norm BERT encoder layer with its attention mask.
final class BertLayer: Module {
    let heads: Int
    let query: Linear, key: Linear, value: Linear, output: Linear, norm1: LayerNorm, intermediate: Linear, down: Linear, norm2: LayerNorm
    init(width: Int, heads: Int) throws {
        self.heads = heads
        query = try Linear(width, width); key = try Linear(width, width); value = try Linear(width, width)
        output = try Linear(width, width); norm1 = try LayerNorm(width, eps: 1e-12)
        intermediate = try Linear(width, 4 * width); down = try Linear(4 * width, width); norm2 = try LayerNorm(width, eps: 1e-12)
        super.init()
        for (name, m) in [("query", query), ("key", key), ("value", value), ("output", output), ("norm1", norm1),
                          ("intermediate", intermediate), ("down", down), ("norm2", norm2)] as [(String, Module)] { register(name, m) }
    }
    func forward(_ x: Tensor, additiveMask: Tensor) throws -> Tensor {
        let (b, t, d) = (x.size(0), x.size(1), x.size(2))
        func split(_ z: Tensor) throws -> Tensor { try z.view([b, t, heads, d / heads]).transpose(1, 2) }
        let q = try split(query(x)), k = try split(key(x)), v = try split(value(x))
        let scores = try q.matmul(k.transpose(-1, -2)) / Double(d / heads).squareRoot() + additiveMask
        let context = try Functional.softmax(scores, dim: -1).matmul(v).transpose(1, 2).reshape([b, t, d])
        let h = try norm1(x + output(context))
        return try norm2(h + down(intermediate(h).gelu()))
    }
}

func median(_ body: () throws -> Void, iterations: Int) rethrows -> Double {
    for _ in 0..<3 { try body() }
    var times: [Double] = []
    for _ in 0..<iterations {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return times.sorted()[times.count / 2]
}

func report(_ name: String, _ ms: Double, _ iterations: Int) {
    print(#"{"name": "\#(name)", "median_ms": \#(ms), "iterations": \#(iterations)}"#)
}

do {
    let options = Options(CommandLine.arguments)
    Torch.threadCount = options.threads
    Torch.manualSeed(0)

    let conv = try ConvNet(width: 16)
    let images = try Tensor.randn([8, 3, 64, 64])
    report("convnet_fwd_bwd_8x3x64x64", try median({
        try conv.zeroGrad()
        try conv(images).mean().backward()
    }, iterations: options.iterations), options.iterations)

    let bert = try BertLayer(width: 256, heads: 4)
    let tokens = try Tensor.randn([8, 128, 256])
    let mask = try Tensor.zeros([8, 1, 1, 128])
    report("bert_layer_fwd_bwd_8x128x256", try median({
        try bert.zeroGrad()
        try bert.forward(tokens, additiveMask: mask).mean().backward()
    }, iterations: options.iterations), options.iterations)

    let small = try Tensor.randn([16])
    report("small_ops_1000_adds_16", try median({
        var x = small
        for _ in 0..<1000 { x = try x + 1 }
    }, iterations: options.iterations), options.iterations)
} catch {
    FileHandle.standardError.write(Data("mammofm-bench: \(error)\n".utf8))
    exit(1)
}
