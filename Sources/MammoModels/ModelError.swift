/// Errors of model construction and loading.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case invalidInput(String)
    case unrecognisedWeights(source: String, reason: String)
    case tokenizer(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let m): return "invalid model configuration: \(m)"
        case .invalidInput(let m): return "invalid model input: \(m)"
        case .unrecognisedWeights(let source, let reason): return "\(source): \(reason)"
        case .tokenizer(let m): return "tokenizer: \(m)"
        }
    }
}
