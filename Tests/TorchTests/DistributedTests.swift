import Foundation
import TestSupport
import Testing
@testable import Torch

@Suite(.serialized) struct DistributedTests {
    /// All-reduce, all-gather, broadcast and barrier across three ranks give what each collective
    /// promises on every rank, and averaging per-rank gradients by all-reduce gives the full batch's.
    @Test func glooCollectivesAgreeOnEveryRank() throws {
        #expect(RendezvousStore.isAvailable, "this engine build has no Gloo")
        let store = try RendezvousStore.inProcess()
        let size = 3
        let results = onRanks(size) { rank -> [[Float]] in
            let group = try ProcessGroup(store: store, rank: rank, size: size, interfaceHost: "127.0.0.1", timeout: 60)
            let summed = try Tensor.full([2, 3], value: Double(rank + 1))
            try group.allReduceSum(summed)
            let gathered = try group.allGather(Tensor([Float(rank), Float(10 * rank)], shape: [1, 2]))
            let broadcast = try Tensor.full([4], value: Double(rank))
            try group.broadcast(broadcast, from: 2)
            try group.barrier()

            // Data parallelism: each rank holds 2 of the 6 rows of a least-squares batch.
            let x = try Tensor((0..<12).map { Float($0) / 10 }, shape: [6, 2])
            let y = try Tensor([1, -1, 2, 0, 0.5, 3] as [Float], shape: [6, 1])
            /// Weight and bias after the backward pass of the mean squared error over `rows`.
            func leastSquares(_ rows: Range<Int>) throws -> [Tensor] {
                let w = try Tensor([0.3, -0.2] as [Float], shape: [2, 1]).requiresGrad(true)
                let b = try Tensor([0.1] as [Float], shape: [1]).requiresGrad(true)
                let xs = try x.narrow(dim: 0, start: rows.lowerBound, length: rows.count)
                let ys = try y.narrow(dim: 0, start: rows.lowerBound, length: rows.count)
                let residual = try xs.matmul(w) + b - ys
                try (residual * residual).mean().backward()
                return [w, b]
            }
            let shardRows = (2 * rank)..<(2 * rank + 2)
            let shard = try #require(leastSquares(shardRows)[0].grad)
            try group.allReduceSum(shard)
            let averaged = try shard / Double(size)
            let fullParameters = try leastSquares(0..<6)
            let full = try #require(fullParameters[0].grad)
            // The same through averageGradients, on two parameters at once.
            let parameters = try leastSquares(shardRows)
            try group.averageGradients(of: parameters)
            let helper = try parameters.flatMap { try #require($0.grad).toArray(Float.self) }
            let reference = try fullParameters.flatMap { try #require($0.grad).toArray(Float.self) }
            return [try summed.toArray(Float.self), try gathered.toArray(Float.self), try broadcast.toArray(Float.self),
                    try averaged.toArray(Float.self), try full.toArray(Float.self), helper, reference]
        }
        for (rank, result) in results.enumerated() {
            let values = try result.get()
            #expect(values[0] == [Float](repeating: 6, count: 6), "rank \(rank): all-reduce")
            #expect(values[1] == [0, 0, 1, 10, 2, 20], "rank \(rank): all-gather")
            #expect(values[2] == [2, 2, 2, 2], "rank \(rank): broadcast")
            #expect(values[3].count == 2 && values[5].count == 3)
            for (a, b) in zip(values[3], values[4]) { #expect(abs(a - b) < 1e-6, "rank \(rank): averaged \(values[3]) vs full batch \(values[4])") }
            for (a, b) in zip(values[5], values[6]) { #expect(abs(a - b) < 1e-6, "rank \(rank): averageGradients \(values[5]) vs full batch \(values[6])") }
        }
    }

    /// Two ranks meet through a TCP store, as separate processes would.
    @Test func ranksMeetThroughATCPStore() throws {
        let port = 20_000 + Int(getpid() % 20_000)
        let results = onRanks(2) { rank -> [Float] in
            let store = try RendezvousStore.tcp(host: "127.0.0.1", port: port, worldSize: 2, isServer: rank == 0, timeout: 60)
            let group = try ProcessGroup(store: store, rank: rank, size: 2, interfaceHost: "127.0.0.1", timeout: 60)
            let gathered = try group.allGather(Tensor([Float(rank + 1)], shape: [1]))
            return try gathered.toArray(Float.self)
        }
        for result in results { #expect(try result.get() == [1, 2]) }
    }

    /// Bad arguments are refused with a sentence before anything waits on peers.
    @Test func badRanksAndRootsAreRefused() throws {
        let store = try RendezvousStore.inProcess()
        #expect(throws: TorchError.invalidArgument("process group needs 0 <= rank < size and a positive timeout; got rank 2 of 2, timeout 300.0")) {
            _ = try ProcessGroup(store: store, rank: 2, size: 2)
        }
        let alone = try ProcessGroup(store: store, rank: 0, size: 1, interfaceHost: "127.0.0.1")
        #expect(throws: TorchError.invalidArgument("broadcast root 1 is not a rank of 1")) { try alone.broadcast(Tensor.zeros([1]), from: 1) }
        #expect(throws: TorchError.self) { _ = try RendezvousStore.tcp(host: "127.0.0.1", port: 0, worldSize: 2, isServer: true) }
    }
}
