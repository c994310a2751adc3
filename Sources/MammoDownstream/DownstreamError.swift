import Foundation

/// Errors of the downstream protocol; each names the file or setting and what was wrong.
public enum DownstreamError: Error, Equatable, CustomStringConvertible {
    case badFile(path: String, reason: String)
    case badInput(String)

    public var description: String {
        switch self {
        case .badFile(let path, let reason): return "\(path): \(reason)"
        case .badInput(let reason): return reason
        }
    }
}
