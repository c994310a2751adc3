import CTorch

enum ReduceOp: Int32 {
    case sum, mean, amax, amin, argmax, argmin, std, variance, logsumexp, prod, any, all, norm, cumsum
}

extension Tensor {
    func reduce(_ op: ReduceOp, _ dims: [Int], keepDim: Bool, correction: Int = 1, p: Double = 2) throws -> Tensor {
        let d = int64s(dims)
        return try produce("\(op) over \(dims.isEmpty ? "all dimensions" : "\(dims)") of \(shape)") { out in
            d.withUnsafeBufferPointer { ct_reduce(op.rawValue, handle, $0.baseAddress, Int32(dims.count), keepDim, Int64(correction), p, out) }
        }
    }

    /// Sum over `dims` (all dimensions when empty).
    public func sum(_ dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(.sum, dims, keepDim: keepDim) }
    public func sum(dim: Int, keepDim: Bool = false) throws -> Tensor { try reduce(.sum, [dim], keepDim: keepDim) }
    public func mean(_ dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(.mean, dims, keepDim: keepDim) }
    public func mean(dim: Int, keepDim: Bool = false) throws -> Tensor { try reduce(.mean, [dim], keepDim: keepDim) }
    /// Largest value over `dims` (all when empty), without indices.
    public func max(_ dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(.amax, dims, keepDim: keepDim) }
    public func min(_ dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(.amin, dims, keepDim: keepDim) }
    /// Largest values along `dim` and where they are.
    public func max(dim: Int, keepDim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let r = try producePair("max along \(dim) of \(shape)") { ct_max_dim(handle, Int64(dim), keepDim, false, $0, $1) }
        return (r.0, r.1)
    }
    public func min(dim: Int, keepDim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let r = try producePair("min along \(dim) of \(shape)") { ct_max_dim(handle, Int64(dim), keepDim, true, $0, $1) }
        return (r.0, r.1)
    }
    /// Index of the largest element along `dim`, or in the flattened tensor when nil.
    public func argmax(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor { try reduce(.argmax, dim.map { [$0] } ?? [], keepDim: keepDim) }
    public func argmin(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor { try reduce(.argmin, dim.map { [$0] } ?? [], keepDim: keepDim) }
    /// Standard deviation; `unbiased` divides by n - 1 as PyTorch does by default.
    public func std(_ dims: [Int] = [], unbiased: Bool = true, keepDim: Bool = false) throws -> Tensor {
        try reduce(.std, dims, keepDim: keepDim, correction: unbiased ? 1 : 0)
    }
    public func variance(_ dims: [Int] = [], unbiased: Bool = true, keepDim: Bool = false) throws -> Tensor {
        try reduce(.variance, dims, keepDim: keepDim, correction: unbiased ? 1 : 0)
    }
    public func logsumexp(_ dims: [Int], keepDim: Bool = false) throws -> Tensor { try reduce(.logsumexp, dims, keepDim: keepDim) }
    public func prod(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor { try reduce(.prod, dim.map { [$0] } ?? [], keepDim: keepDim) }
    public func any(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor { try reduce(.any, dim.map { [$0] } ?? [], keepDim: keepDim) }
    public func all(dim: Int? = nil, keepDim: Bool = false) throws -> Tensor { try reduce(.all, dim.map { [$0] } ?? [], keepDim: keepDim) }
    /// The vector p-norm over `dims` (all when empty); p may be .infinity.
    public func norm(p: Double = 2, _ dims: [Int] = [], keepDim: Bool = false) throws -> Tensor { try reduce(.norm, dims, keepDim: keepDim, p: p) }
    public func cumsum(dim: Int) throws -> Tensor { try reduce(.cumsum, [dim], keepDim: false) }

    /// The k largest (or smallest) elements along `dim` and their indices.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) throws -> (values: Tensor, indices: Tensor) {
        let r = try producePair("topk(\(k)) of \(shape)") { ct_topk(handle, Int64(k), Int64(dim), largest, sorted, $0, $1) }
        return (r.0, r.1)
    }

    public func sort(dim: Int = -1, descending: Bool = false, stable: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let r = try producePair("sort of \(shape)") { ct_sort(handle, Int64(dim), descending, stable, $0, $1) }
        return (r.0, r.1)
    }

    public func argsort(dim: Int = -1, descending: Bool = false) throws -> Tensor { try sort(dim: dim, descending: descending, stable: true).indices }
}
