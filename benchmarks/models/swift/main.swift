// Times one full-size model workload in a fresh process and prints one JSON object:
// {"name", "median_ms", "iterations", "peak_rss_mb"}; with --dump PATH also writes the output of the
// first run (reproducible weights, seeded input) for the parity check of benchmarks/models/compare.py.
import Foundation
import MammoDetection
import MammoModels
import Torch

struct Options {
    var workload = ""
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var iterations = 3
    var dump: String?
    var device = Device.cpu
    init() {
        let arguments = CommandLine.arguments
        var i = 1
        while i + 1 < arguments.count {
            switch arguments[i] {
            case "--workload": workload = arguments[i + 1]
            case "--threads": threads = Int(arguments[i + 1]) ?? threads
            case "--iterations": iterations = Int(arguments[i + 1]) ?? iterations
            case "--dump": dump = arguments[i + 1]
            case "--device": device = (try? Device(parsing: arguments[i + 1])) ?? device
            default: break
            }
            i += 2
        }
    }
}

func peakResidentMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// Median milliseconds of `iterations` runs after a warm-up. Each run ends by reading one value back,
/// which waits for a GPU to finish (and costs nothing measurable on the CPU).
func timed(_ iterations: Int, _ body: () throws -> Tensor) throws -> (Double, Tensor) {
    func finished(_ t: Tensor) throws -> Tensor {
        _ = try t.flatten().narrow(dim: 0, start: 0, length: 1).item()
        return t
    }
    let first = try finished(body()) // warm-up, and the output kept for the parity check
    var times: [Double] = []
    for _ in 0..<iterations {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try finished(body())
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    return (times.sorted()[times.count / 2], first)
}

do {
    let options = Options()
    Torch.threadCount = options.threads
    let output: Tensor
    let median: Double
    switch options.workload {
    case "b5_1520x912_b1", "b5_1520x912_b4":
        let batch = options.workload.hasSuffix("b4") ? 4 : 1
        let model = try EfficientNet(config: .variant("b5"))
        try model.fillWithReproducibleWeights()
        model.eval()
        if options.device != .cpu { try model.to(device: options.device) }
        Torch.manualSeed(7)
        let images = try Tensor.randn([batch, 3, 1520, 912]).to(device: options.device)
        (median, output) = try timed(options.iterations) { try Autograd.inferenceMode { try model.forward(images) } }
    case "bert_base_8x256":
        let model = try BertModel(config: BertConfig(vocabSize: 28996))
        try model.fillWithReproducibleWeights()
        model.eval()
        if options.device != .cpu { try model.to(device: options.device) }
        Torch.manualSeed(7)
        let hostIDs = try Tensor.randint(low: 1000, high: 28996, shape: [8, 256])
        let hostMask = try Tensor.ones([8, 256], dtype: .int64)
        try hostMask.narrow(dim: 0, start: 4, length: 4).narrow(dim: 1, start: 200, length: 56).zero_()
        let ids = try hostIDs.to(device: options.device), mask = try hostMask.to(device: options.device)
        (median, output) = try timed(options.iterations) {
            try Autograd.inferenceMode { try model.forward(inputIds: ids, attentionMask: mask) }
        }
    case "retinanet_b5_512_train", "retinanet_b5_512_detect":
        // The reference's detector at its input: a one-class RetinaNet on B5 (taps 26 and 37), 1 x 3 x 512 x 512.
        var config = try EfficientNetConfig.variant("b5")
        config.numClasses = nil
        let model = try RetinaNet(backbone: EfficientNet(config: config), classes: 1)
        try model.fillWithReproducibleWeights()
        if options.device != .cpu { try model.to(device: options.device) }
        Torch.manualSeed(7)
        let images = try Tensor.randn([1, 3, 512, 512]).to(device: options.device)
        if options.workload.hasSuffix("train") {
            // One optimiser step: forward, the loss on one box, backward, clipping at 0.1, Adam at 5e-5.
            model.train()
            let optimizer = Adam(model.parameters(), learningRate: 5e-5)
            let targets = [[DetectionLoss.Target(box: [180, 200, 260, 290], label: 0)]]
            var anchors: Tensor?
            (median, output) = try timed(options.iterations) {
                let (classification, regression, grids) = try model.forward(images)
                if anchors == nil { anchors = try model.anchorGenerator.anchors(grids: grids, device: options.device) }
                let (c, r) = try DetectionLoss()(classification: classification, regression: regression, anchors: anchors!, targets: targets)
                try optimizer.zeroGrad()
                try (c + r).backward()
                _ = try clipGradientNorm(model.parameters(), maxNorm: 0.1)
                try optimizer.step()
                return try Tensor.stack([c.detach(), r.detach()])
            }
        } else {
            // Inference with decoding: boxes, scores above 0.05, NMS at 0.5, the best 100.
            model.eval()
            (median, output) = try timed(options.iterations) {
                try Autograd.inferenceMode {
                    let (classification, regression, grids) = try model.forward(images)
                    let anchors = try model.anchorGenerator.anchors(grids: grids, device: options.device)
                    let found = try DetectionDecoder().detections(classification: classification, regression: regression, anchors: anchors,
                                                                  index: 0, height: 512, width: 512)
                    return try Tensor.from(found.map { Float($0.score) } + [0], shape: [found.count + 1], device: .cpu)
                }
            }
        }
    default:
        throw TorchError.invalidArgument("unknown workload '\(options.workload)': b5_1520x912_b1, b5_1520x912_b4, bert_base_8x256, retinanet_b5_512_train, retinanet_b5_512_detect")
    }
    if let dump = options.dump { try Safetensors.write([("output", output)], to: URL(fileURLWithPath: dump)) }
    print(#"{"name": "\#(options.workload)", "median_ms": \#(median), "iterations": \#(options.iterations), "peak_rss_mb": \#(peakResidentMegabytes())}"#)
} catch {
    FileHandle.standardError.write(Data("mammofm-model-bench: \(error)\n".utf8))
    exit(1)
}
