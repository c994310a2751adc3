import Foundation
import Torch

/// Runs `body(rank)` on `size` threads at once (ranks of one process group) and returns each rank's
/// result or error, in rank order.
public func onRanks<R: Sendable>(_ size: Int, _ body: @escaping @Sendable (Int) throws -> R) -> [Result<R, Error>] {
    let lock = NSLock()
    nonisolated(unsafe) var results = [Result<R, Error>?](repeating: nil, count: size)
    let group = DispatchGroup()
    for rank in 0..<size {
        group.enter()
        let thread = Thread {
            Torch.initializeThread()
            let result = Result { try body(rank) }
            lock.lock()
            results[rank] = result
            lock.unlock()
            group.leave()
        }
        thread.start()
    }
    group.wait()
    return results.map { $0! }
}
