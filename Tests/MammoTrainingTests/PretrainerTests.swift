import Foundation
import MammoModels
@testable import MammoTraining
import Testing
import Torch

@Suite(.serialized) struct PretrainerTests {
    /// A short run on the tiny cohort: the training loss falls, checkpoints, best and final models are
    /// written, metrics logged, and the final model loads for embedding.
    @Test func shortRunLearnsAndWritesItsOutputs() throws {
        try TinyCohort.ready.get()
        var config = TinyCohort.config(output: "short")
        config.training.epochs = 10
        config.training.learningRate = 3e-3
        config.augmentation.affine = 0
        config.augmentation.elastic = 0
        let trainer = try Pretrainer(config: config)
        var losses: [Double] = []
        let state = try trainer.run { losses.append($0.loss) }
        #expect(state.step == trainer.totalSteps && state.epoch == 10)
        let early = losses.prefix(3).reduce(0, +) / 3, late = losses.suffix(3).reduce(0, +) / 3
        #expect(late < early * 0.8, "loss \(early) -> \(late)")
        let output = URL(fileURLWithPath: config.output)
        for path in ["final/model.safetensors", "best/config.json", "tokenizer/vocab.txt", "metrics.jsonl", "checkpoints/latest", "training.html"] {
            #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(path).path), "\(path)")
        }
        let lines = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.contains { $0.contains("validation_loss") } && lines.contains { $0.contains("\"image_image\"") })
        let page = try String(contentsOf: output.appendingPathComponent("training.html"), encoding: .utf8)
        #expect(page.contains("<svg") && page.contains("Validation loss") && page.contains("<polyline"))
        let pipeline = try MammoClipPipeline(path: output.appendingPathComponent("final"))
        #expect(try pipeline.embed(texts: ["mass in the left breast"]).shape == [1, 64])
        // Parameters of at most one dimension get no weight decay.
        #expect(trainer.optimizer.groups.count == 2 && trainer.optimizer.groups[1].weightDecay == 0)
        #expect(trainer.optimizer.groups[1].parameters.allSatisfy { $0.rank <= 1 })

        // The same output folder with another configuration is refused.
        var other = config
        other.training.learningRate = 1e-2
        do {
            _ = try Pretrainer(config: other)
            Issue.record("a different configuration resumed the run")
        } catch let error as TrainingError {
            #expect("\(error)".contains("another configuration"))
        }
    }

    /// A loss that becomes non-finite stops training with the step named; checkpoints stay as they were.
    @Test func divergenceStopsWithAClearMessage() throws {
        try TinyCohort.ready.get()
        var config = TinyCohort.config(output: "diverge")
        config.training.learningRate = 1e30
        config.training.warmupEpochs = 0
        config.training.checkpointEvery = 1
        config.training.clipNorm = nil
        let trainer = try Pretrainer(config: config)
        do {
            try trainer.run()
            Issue.record("training went on with a non-finite loss")
        } catch let TrainingError.diverged(step, loss) {
            #expect(step >= 1 && !loss.isFinite)
            #expect("\(TrainingError.diverged(step: step, loss: loss))".contains("at step \(step)"))
            let latest = try String(contentsOf: URL(fileURLWithPath: config.output).appendingPathComponent("checkpoints/latest"), encoding: .utf8)
            #expect(latest.hasPrefix(String(format: "step-%07d", step)))
        }
    }

    /// bfloat16 and float16 (with loss scaling) runs train, keep float32 weights, and float16 saves
    /// its loss scale with the checkpoint.
    @Test(arguments: [TrainingPrecision.bf16, .fp16]) func mixedPrecisionTrains(precision: TrainingPrecision) throws {
        try TinyCohort.ready.get()
        var config = TinyCohort.config(output: "precision-\(precision.rawValue)")
        config.training.precision = precision
        config.training.epochs = 1
        let trainer = try Pretrainer(config: config)
        if precision == .fp16 && Torch.version.hasPrefix("1.") {
            // libtorch 1.x autocasts to float16 on CUDA only: a clear error, not a silent float32 run.
            #expect { try trainer.run() } throws: { "\($0)".contains("bfloat16 on CPU") }
            return
        }
        var losses: [Double] = []
        let state = try trainer.run { losses.append($0.loss) }
        #expect(state.step == trainer.totalSteps && losses.allSatisfy(\.isFinite))
        #expect(trainer.model.namedParameters().allSatisfy { $0.1.dtype == .float32 })
        if precision == .fp16 {
            let scaler = try #require(state.gradScaler)
            #expect(scaler.scale > 0 && scaler.scale <= 65536)
            let saved = try JSONDecoder().decode(RunState.self, from: Data(contentsOf: URL(fileURLWithPath: config.output)
                .appendingPathComponent("checkpoints").appendingPathComponent(try String(contentsOf: URL(fileURLWithPath: config.output)
                    .appendingPathComponent("checkpoints/latest"), encoding: .utf8)).appendingPathComponent("state.json")))
            #expect(saved.gradScaler == scaler)
        } else {
            #expect(state.gradScaler == nil)
        }
    }

    /// An unknown precision fails when the configuration is read, naming the key and the allowed values.
    @Test func unknownPrecisionIsRefused() throws {
        #expect { _ = try PretrainConfig.load(yaml: nil, overrides: ["training.precision=fp8"]) } throws: {
            "\($0)".contains("training.precision") && "\($0)".contains("fp32, bf16, fp16")
        }
    }

    /// Locking a tower freezes it except its last K blocks; the projections stay trainable.
    @Test func towerLocking() throws {
        let config = try MammoClipConfig.tiny(vocabularySize: 50)
        let model = try MammoClip(config: config)
        try model.lockImageTower(unlockedLastBlocks: 1)
        try model.lockTextTower(unlockedLastLayers: 1)
        let names = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.requiresGrad) })
        #expect(names["image_encoder._conv_stem.weight"] == false)
        #expect(names["image_projection.projection.weight"] == true && names["logit_scale"] == true)
        #expect(names["text_encoder.text_encoder.encoder.layer.0.attention.self.query.weight"] == false)
        #expect(names["text_encoder.text_encoder.encoder.layer.1.attention.self.query.weight"] == true)
        let lastBlock = names.keys.compactMap { $0.hasPrefix("image_encoder._blocks.") ? Int($0.dropFirst(22).prefix { $0.isNumber }) : nil }.max()!
        #expect(names["image_encoder._blocks.\(lastBlock).depthwise_conv.weight"] == true || names.keys.contains { $0.hasPrefix("image_encoder._blocks.\(lastBlock).") && names[$0] == true })
        #expect(names.filter { $0.key.hasPrefix("image_encoder._blocks.0.") }.allSatisfy { !$0.value })
    }
}
