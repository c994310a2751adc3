import Foundation
import MammoData
import Torch

/// Trains a region mapper on cached feature maps: AdamW, shuffled batches (seeded, the last partial
/// batch dropped as the reference's loader does), FActOR's loss; batches where no image holds an
/// attribute are skipped.
public enum FactorTrainer {
    public struct Progress { public var epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double }

    /// `maps` N x C x h x w, `labels` N x A (0/1), `attributes` A x D.
    public static func train(_ mapper: RegionMapper, maps: Tensor, labels: Tensor, attributes: Tensor, settings: FactorTraining,
                             device: Device = .cpu, progress: ((Progress) -> Void)? = nil) throws -> [Double] {
        try settings.validate()
        let count = maps.size(0)
        guard count >= settings.batchSize else {
            throw InputError.badInput("\(count) training images with an attribute, fewer than one batch of \(settings.batchSize)")
        }
        Torch.manualSeed(settings.seed)
        mapper.train()
        let optimizer = Adam.adamW(mapper.trainableParameters(), learningRate: settings.learningRate, weightDecay: settings.weightDecay)
        let stepsPerEpoch = count / settings.batchSize
        let text = try attributes.to(.float32, device: device)
        var losses: [Double] = []
        var step = 0
        for epoch in 0..<settings.epochs {
            var rng = SeededRandom(seed: settings.seed, salt: 401, UInt64(epoch))
            var order = Array(0..<count)
            rng.shuffle(&order)
            var total = 0.0, used = 0
            for b in 0..<stepsPerEpoch {
                let members = Array(order[(b * settings.batchSize)..<((b + 1) * settings.batchSize)])
                let index = try Tensor.from(members.map(Int64.init), shape: [members.count], device: .cpu)
                let y = try labels.indexSelect(dim: 0, index: index).to(device: device)
                step += 1
                guard try y.sum().item() > 0 else { continue }
                let x = try maps.indexSelect(dim: 0, index: index).to(device: device)
                let loss = try FactorLoss.loss(regions: mapper.forward(features: x), attributes: text, labels: y, temperature: settings.temperature)
                try optimizer.zeroGrad()
                try loss.backward()
                try optimizer.step()
                let value = try loss.item()
                total += value
                used += 1
                progress?(Progress(epoch: epoch + 1, epochs: settings.epochs, step: step, steps: stepsPerEpoch * settings.epochs, loss: value))
            }
            losses.append(used > 0 ? total / Double(used) : .nan)
        }
        mapper.eval()
        return losses
    }
}
