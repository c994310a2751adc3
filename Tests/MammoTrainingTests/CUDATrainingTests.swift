import Foundation
@testable import MammoTraining
import Testing
import Torch

/// Pretraining steps on a CUDA GPU at both reduced precisions: float16 with dynamic loss scaling and
/// bfloat16. Runs only where a CUDA GPU is usable (`scripts/gpu-check.sh`); CI has none.
@Suite(.serialized, .enabled(if: Torch.isCUDAAvailable, "needs a CUDA GPU")) struct CUDATrainingTests {
    @Test(arguments: [TrainingPrecision.fp16, .bf16]) func pretrainingStepsRunOnTheGPU(precision: TrainingPrecision) throws {
        try TinyCohort.ready.get()
        var config = TinyCohort.config(output: "cuda-\(precision.rawValue)")
        config.training.precision = precision
        config.training.epochs = 1
        config.training.maxSteps = 4
        let trainer = try Pretrainer(config: config, device: .cuda(0))
        var losses: [Double] = []
        let state = try trainer.run { losses.append($0.loss) }
        #expect(state.step == 4 && losses.allSatisfy(\.isFinite), "\(losses)")
        #expect(trainer.model.parameters().allSatisfy { $0.device == .cuda(0) && $0.dtype == .float32 })
        if precision == .fp16 { #expect(try #require(state.gradScaler).scale > 0) }
    }
}
