import Foundation

/// Errors in what a user gives: a data file that cannot be used (named, with what was wrong in it) or
/// a request the data cannot satisfy (unknown task, empty split, bad fraction or setting).
public enum InputError: Error, Equatable, CustomStringConvertible {
    case badFile(path: String, reason: String)
    case badInput(String)

    public var description: String {
        switch self {
        case .badFile(let path, let reason): return "\(path): \(reason)"
        case .badInput(let reason): return reason
        }
    }
}
