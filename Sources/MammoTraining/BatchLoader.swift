import Foundation
import Torch

/// Produces batches on `workers` threads ahead of the consumer (at most `prefetch` batches ahead) and
/// hands them out in order. What a batch holds depends only on its number, so the sequence is the same
/// for any worker count; the model waits only when the workers cannot keep up.
public final class BatchLoader<Batch>: @unchecked Sendable {
    private let condition = NSCondition()
    private var ready: [Int: Result<Batch, Error>] = [:]
    private var nextToClaim: Int
    private var nextToHand: Int
    private let end: Int
    private let prefetch: Int
    private var stopped = false
    private var running = 0

    /// Batches `start..<end`, each made by `make(number)`.
    public init(start: Int, end: Int, workers: Int, prefetch: Int, make: @escaping @Sendable (Int) throws -> Batch) {
        nextToClaim = start
        nextToHand = start
        self.end = end
        self.prefetch = max(1, prefetch)
        let count = max(1, workers)
        running = count
        for _ in 0..<count {
            let thread = Thread { [unowned self] in
                Torch.initializeThread()
                self.work(make)
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func work(_ make: (Int) throws -> Batch) {
        while true {
            condition.lock()
            while !stopped && nextToClaim < end && nextToClaim >= nextToHand + prefetch { condition.wait() }
            if stopped || nextToClaim >= end {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let number = nextToClaim
            nextToClaim += 1
            condition.unlock()
            let result = Result { try make(number) }
            condition.lock()
            ready[number] = result
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next batch in order, or nil after the last one. Rethrows a worker's error.
    public func next() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        guard nextToHand < end else { return nil }
        while ready[nextToHand] == nil { condition.wait() }
        let result = ready.removeValue(forKey: nextToHand)!
        nextToHand += 1
        condition.broadcast()
        return try result.get()
    }

    /// Stops the workers (they finish the batch in hand) and waits for them.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }

    deinit { stop() }
}
