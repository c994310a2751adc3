import Foundation
@testable import MammoTraining
import TestSupport
import Testing
import Torch

/// Data-parallel contrastive training is one process's training on the global batch: with the
/// embedding exchange and the gradient average, every rank's gradients (towers and logit scale) and
/// the rank-averaged loss equal those of the whole batch in one process (float64, within 1e-12).
@Suite(.serialized) struct DataParallelTests {
    static let ranks = 3, rowsPerRank = 2, inputs = 5, width = 4

    /// Deterministic inputs of the whole batch: two views and two texts per sample.
    static func batch() throws -> [Tensor] {
        try (0..<4).map { input in
            try Tensor((0..<(ranks * rowsPerRank * inputs)).map { sin(Double($0 * 7 + input * 13) * 0.37) },
                       shape: [ranks * rowsPerRank, inputs])
        }
    }

    /// A two-tower stand-in: one linear map per modality, L2-normalised, and the logit scale.
    struct Towers {
        let image: Tensor, text: Tensor, logitScale: Tensor
        init() throws {
            image = try Tensor((0..<(inputs * width)).map { cos(Double($0) * 0.91) }, shape: [inputs, width]).requiresGrad(true)
            text = try Tensor((0..<(inputs * width)).map { sin(Double($0) * 0.53 + 0.2) }, shape: [inputs, width]).requiresGrad(true)
            logitScale = try Tensor.full([], value: log(10.0), dtype: .float64).requiresGrad(true)
        }
        func embed(_ x: Tensor, _ w: Tensor) throws -> Tensor { try Functional.normalize(x.matmul(w), dim: 1) }
        var gradients: [[Double]] { get throws { try [image, text, logitScale].map { try #require($0.grad).toArray(Double.self) } } }
    }

    enum Loss: String, CaseIterable, Sendable { case mammoclip, smoothed, labelAware, clip }

    /// The loss's value on `rows` of the batch (all rows in one process when `exchange` is nil).
    static func loss(_ kind: Loss, towers: Towers, rows: Range<Int>, exchange: EmbeddingExchange?, rank: Int) throws -> Tensor {
        let data = try batch()
        func part(_ x: Tensor) throws -> Tensor { try x.narrow(dim: 0, start: rows.lowerBound, length: rows.count) }
        func local(_ e: Tensor) throws -> Tensor { try exchange?.local(e) ?? e }
        let gather: (Tensor) throws -> Tensor = exchange.map { exchange in { try exchange.gather($0) } } ?? { $0 }
        let i1 = try local(towers.embed(part(data[0]), towers.image)), i2 = try local(towers.embed(part(data[1]), towers.image))
        let t1 = try local(towers.embed(part(data[2]), towers.text)), t2 = try local(towers.embed(part(data[3]), towers.text))
        switch kind {
        case .clip:
            return try ClipLoss(rank: rank, gather: gather)(image: i1, text: t1, logitScale: towers.logitScale)
        case .mammoclip, .smoothed, .labelAware:
            // Label-aware targets: samples 0 and 3, and 1 and 4, state the same (keys of the whole batch).
            let keys = kind == .labelAware ? (["a", "b", "c", "a", "b", "d"], ["x", "y", "x", "z", "y", "w"]) : nil
            let terms = try MammoClipLoss(labelSmoothing: kind == .smoothed ? 0.1 : 0, rank: rank, gather: gather)(
                image1: i1, image2: i2, text1: t1, text2: t2, logitScale: towers.logitScale, textKeys: keys)
            return terms.total
        }
    }

    @Test(arguments: Loss.allCases) func exchangedGradientsEqualTheWholeBatchs(kind: Loss) throws {
        #expect(RendezvousStore.isAvailable, "this engine build has no Gloo")
        let whole = try Towers()
        let wholeLoss = try Self.loss(kind, towers: whole, rows: 0..<(Self.ranks * Self.rowsPerRank), exchange: nil, rank: 0)
        try wholeLoss.backward()
        let expected = try whole.gradients, expectedLoss = try wholeLoss.item()

        let store = try RendezvousStore.inProcess()
        let results = onRanks(Self.ranks) { rank -> (loss: Double, gradients: [[Double]]) in
            let group = try ProcessGroup(store: store, rank: rank, size: Self.ranks, interfaceHost: "127.0.0.1", timeout: 60)
            let towers = try Towers(), exchange = EmbeddingExchange(group: group)
            let rows = (rank * Self.rowsPerRank)..<((rank + 1) * Self.rowsPerRank)
            let loss = try Self.loss(kind, towers: towers, rows: rows, exchange: exchange, rank: rank)
            try loss.backward()
            try exchange.backward()
            try group.averageGradients(of: [towers.image, towers.text, towers.logitScale])
            let mean = try Tensor([loss.item()], shape: [1])
            try group.allReduceSum(mean)
            return (try mean.item() / Double(Self.ranks), try towers.gradients)
        }
        for (rank, result) in results.enumerated() {
            let got = try result.get()
            #expect(abs(got.loss - expectedLoss) < 1e-12, "\(kind) rank \(rank): loss \(got.loss) vs \(expectedLoss)")
            for (name, (g, e)) in zip(["image tower", "text tower", "logit scale"], zip(got.gradients, expected)) {
                let worst = zip(g, e).map { abs($0 - $1) }.max() ?? .infinity
                #expect(worst < 1e-12, "\(kind) rank \(rank) \(name): gradients differ by \(worst)")
            }
        }
    }

    /// Without the exchange's second backward pass the towers would miss the other ranks' gradients
    /// with respect to this rank's embeddings: the check above is not vacuous.
    @Test func gradientsWithoutTheExchangeDiffer() throws {
        let whole = try Towers()
        try Self.loss(.mammoclip, towers: whole, rows: 0..<(Self.ranks * Self.rowsPerRank), exchange: nil, rank: 0).backward()
        let expected = try whole.gradients
        let store = try RendezvousStore.inProcess()
        let results = onRanks(Self.ranks) { rank -> [[Double]] in
            let group = try ProcessGroup(store: store, rank: rank, size: Self.ranks, interfaceHost: "127.0.0.1", timeout: 60)
            let towers = try Towers()
            // The plain all-gather: other ranks' embeddings as constants, this rank's with gradient.
            let gather: (Tensor) throws -> Tensor = { local in
                let all = try group.allGather(local.detach())
                let n = local.size(0)
                let before = try all.narrow(dim: 0, start: 0, length: rank * n)
                let after = try all.narrow(dim: 0, start: (rank + 1) * n, length: all.size(0) - (rank + 1) * n)
                return try Tensor.cat([before, local, after], dim: 0)
            }
            let data = try Self.batch()
            func embed(_ i: Int, _ w: Tensor) throws -> Tensor {
                try towers.embed(data[i].narrow(dim: 0, start: rank * Self.rowsPerRank, length: Self.rowsPerRank), w)
            }
            let terms = try MammoClipLoss(rank: rank, gather: gather)(image1: embed(0, towers.image), image2: embed(1, towers.image),
                                                                      text1: embed(2, towers.text), text2: embed(3, towers.text),
                                                                      logitScale: towers.logitScale)
            try terms.total.backward()
            try group.averageGradients(of: [towers.image, towers.text, towers.logitScale])
            return try towers.gradients
        }
        let got = try results[0].get()
        let worst = zip(got[0], expected[0]).map { abs($0 - $1) }.max() ?? 0
        #expect(worst > 1e-3, "image tower gradients without the exchange differ by only \(worst)")
    }
}
