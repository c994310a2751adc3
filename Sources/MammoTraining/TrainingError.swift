import Foundation

/// Errors reading training data or configuration; each names the file and what was wrong.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case badData(path: String, reason: String)
    case badConfiguration(String)
    case diverged(step: Int, loss: Double)
    case checkpoint(path: String, reason: String)
    case ranksDiverged(rank: Int, epoch: Int)

    public var description: String {
        switch self {
        case .badData(let path, let reason): return "\(path): \(reason)"
        case .badConfiguration(let reason): return "invalid training configuration: \(reason)"
        case .diverged(let step, let loss): return "the loss became \(loss) at step \(step); training stopped, the last good checkpoint is kept"
        case .checkpoint(let path, let reason): return "\(path): \(reason)"
        case .ranksDiverged(let rank, let epoch):
            return "after epoch \(epoch + 1) rank \(rank)'s weights differ from rank 0's although every rank applied the same averaged gradients: the ranks run different engine builds or non-deterministic kernels; training stopped, the last checkpoint is kept"
        }
    }
}
