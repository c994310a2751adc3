/// PyTorch's default initialisers (torch.nn.init), drawing from the global generator.
public enum Initialization {
    /// kaiming_uniform_ with a = sqrt(5), PyTorch's default for Linear and Conv weights: the
    /// bound works out to 1 / sqrt(fanIn).
    public static func defaultWeight(_ shape: [Int], fanIn: Int, dtype: DType = .float32) throws -> Tensor {
        let bound = fanIn > 0 ? 1.0 / Double(fanIn).squareRoot() : 0
        return try uniform(shape, bound: bound, dtype: dtype)
    }

    /// The default bias of Linear and Conv: uniform in +-1/sqrt(fanIn).
    public static func defaultBias(_ count: Int, fanIn: Int, dtype: DType = .float32) throws -> Tensor {
        let bound = fanIn > 0 ? 1.0 / Double(fanIn).squareRoot() : 0
        return try uniform([count], bound: bound, dtype: dtype)
    }

    /// Uniform in [-bound, bound].
    public static func uniform(_ shape: [Int], bound: Double, dtype: DType = .float32) throws -> Tensor {
        let t = try Tensor.zeros(shape, dtype: dtype)
        try t.uniform_(low: -bound, high: bound)
        return t
    }

    /// Normal with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32) throws -> Tensor {
        let t = try Tensor.zeros(shape, dtype: dtype)
        try t.normal_(mean: mean, std: std)
        return t
    }

    /// A trainable leaf tensor.
    static func parameter(_ t: Tensor) throws -> Tensor { try t.requiresGrad(true) }
}
