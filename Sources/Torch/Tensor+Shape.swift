import CTorch

/// Padding modes of `Tensor.pad`, as torch.nn.functional.pad.
public enum PaddingMode: Int32, Sendable { case constant = 0, reflect = 1, replicate = 2, circular = 3 }

extension Tensor {
    /// Normalises a possibly negative dimension index, throwing when it is out of range.
    func axis(_ dim: Int, rankOffset: Int = 0) throws -> Int {
        let n = rank + rankOffset
        let d = dim < 0 ? dim + n : dim
        guard d >= 0, d < Swift.max(n, 1) else {
            throw TorchError.invalidArgument("dimension \(dim) is out of range for a tensor of shape \(shape)")
        }
        return d
    }

    /// The same elements in a new shape (one dimension may be -1); copies only when it must.
    public func reshape(_ shape: [Int]) throws -> Tensor { try withSizes(shape, "reshape \(self.shape) to \(shape)", ct_reshape) }

    /// A view with a new shape; throws when the memory layout does not allow one.
    public func view(_ shape: [Int]) throws -> Tensor { try withSizes(shape, "view \(self.shape) as \(shape)", ct_view) }

    public func permute(_ dims: [Int]) throws -> Tensor {
        let d = int64s(dims)
        return try produce("permute \(shape) by \(dims)") { out in d.withUnsafeBufferPointer { ct_permute(handle, $0.baseAddress, Int32(dims.count), out) } }
    }

    public func transpose(_ d0: Int, _ d1: Int) throws -> Tensor {
        try produce("transpose(\(d0), \(d1)) of \(shape)") { ct_transpose(handle, Int64(d0), Int64(d1), $0) }
    }

    /// The matrix transpose of a 2-D tensor.
    public var t: Tensor { get throws { try transpose(0, 1) } }

    /// Joins tensors along an existing dimension.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        guard !tensors.isEmpty else { throw TorchError.invalidArgument("cat needs at least one tensor") }
        return try withHandles(tensors) { handles in
            try produce("cat of \(tensors.map(\.shape)) along \(dim)") { ct_cat(handles, Int32(tensors.count), Int64(dim), $0) }
        }
    }

    /// Joins tensors along a new dimension.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor {
        guard !tensors.isEmpty else { throw TorchError.invalidArgument("stack needs at least one tensor") }
        return try withHandles(tensors) { handles in
            try produce("stack of \(tensors.map(\.shape)) along \(dim)") { ct_stack(handles, Int32(tensors.count), Int64(dim), $0) }
        }
    }

    /// Pieces of the given sizes along `dim` (views).
    public func split(sizes: [Int], dim: Int = 0) throws -> [Tensor] {
        let d = int64s(sizes)
        var outs = [ct_tensor?](repeating: nil, count: sizes.count)
        let status = d.withUnsafeBufferPointer { ct_split_with_sizes(handle, $0.baseAddress, Int32(sizes.count), Int64(dim), &outs) }
        try check(status, "split \(shape) into \(sizes) along \(dim)")
        return outs.map { Tensor(owning: $0!) }
    }

    /// Pieces of `size` elements along `dim`; the last may be smaller.
    public func split(size: Int, dim: Int = 0) throws -> [Tensor] {
        guard size > 0 else { throw TorchError.invalidArgument("split size must be positive, got \(size)") }
        let total = self.size(try axis(dim))
        var sizes = Array(repeating: size, count: total / size)
        if total % size != 0 { sizes.append(total % size) }
        return try split(sizes: sizes, dim: dim)
    }

    /// `chunks` nearly equal pieces along `dim`, as torch.chunk.
    public func chunk(_ chunks: Int, dim: Int = 0) throws -> [Tensor] {
        guard chunks > 0 else { throw TorchError.invalidArgument("chunk count must be positive, got \(chunks)") }
        let total = self.size(try axis(dim))
        return try split(size: Swift.max(1, (total + chunks - 1) / chunks), dim: dim)
    }

    public func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        try produce("narrow(\(dim), \(start), \(length)) of \(shape)") { ct_narrow(handle, Int64(dim), Int64(start), Int64(length), $0) }
    }

    /// Elements start..<end (step apart) along `dim`; `end` may exceed the size, as in Python.
    public func slice(dim: Int, start: Int = 0, end: Int = Int.max, step: Int = 1) throws -> Tensor {
        try produce("slice(\(dim), \(start)..<\(end)) of \(shape)") { ct_slice(handle, Int64(dim), Int64(start), Int64(end), Int64(step), $0) }
    }

    /// The sub-tensor at `index` along `dim`, which is removed.
    public func select(dim: Int, index: Int) throws -> Tensor {
        try produce("select(\(dim), \(index)) of \(shape)") { ct_select(handle, Int64(dim), Int64(index), $0) }
    }

    public subscript(index: Int) -> Tensor { get throws { try select(dim: 0, index: index) } }

    public func indexSelect(dim: Int, index: Tensor) throws -> Tensor {
        try produce("index_select along \(dim) of \(shape)") { ct_index_select(handle, Int64(dim), index.handle, $0) }
    }

    public func gather(dim: Int, index: Tensor) throws -> Tensor {
        try produce("gather along \(dim) of \(shape) by \(index.shape)") { ct_gather(handle, Int64(dim), index.handle, $0) }
    }

    /// A copy with `source` written (or added, when `add`) at `index` along `dim`.
    public func scatter(dim: Int, index: Tensor, source: Tensor, add: Bool = false) throws -> Tensor {
        try produce("scatter along \(dim) of \(shape)") { ct_scatter(handle, Int64(dim), index.handle, source.handle, add, $0) }
    }

    public func maskedSelect(_ mask: Tensor) throws -> Tensor {
        try produce("masked_select") { ct_masked_select(handle, mask.handle, $0) }
    }

    /// Indices of non-zero elements, one row per element.
    public func nonzero() throws -> Tensor { try produce("nonzero") { ct_nonzero(handle, $0) } }

    public func expand(_ shape: [Int]) throws -> Tensor { try withSizes(shape, "expand \(self.shape) to \(shape)", ct_expand) }

    public func repeated(_ repeats: [Int]) throws -> Tensor { try withSizes(repeats, "repeat \(shape) by \(repeats)", ct_repeat) }

    /// A shim call that takes this tensor and a list of sizes (a shape, repeats) and makes a new tensor.
    func withSizes(_ sizes: [Int], _ operation: @autoclosure () -> String,
                   _ call: (ct_tensor?, UnsafePointer<Int64>?, Int32, UnsafeMutablePointer<ct_tensor?>?) -> ct_status?) throws -> Tensor {
        let dims = int64s(sizes)
        return try produce(operation()) { out in dims.withUnsafeBufferPointer { call(handle, $0.baseAddress, Int32(sizes.count), out) } }
    }

    /// Removes dimension `dim` when its size is 1, or every size-1 dimension when `dim` is nil.
    public func squeeze(_ dim: Int? = nil) throws -> Tensor {
        try produce("squeeze") { ct_squeeze(handle, Int64(dim ?? 0), dim == nil, $0) }
    }

    public func unsqueeze(_ dim: Int) throws -> Tensor {
        try produce("unsqueeze(\(dim)) of \(shape)") { ct_unsqueeze(handle, Int64(dim), $0) }
    }

    public func flatten(start: Int = 0, end: Int = -1) throws -> Tensor {
        try produce("flatten(\(start), \(end)) of \(shape)") { ct_flatten(handle, Int64(start), Int64(end), $0) }
    }

    public func flip(_ dims: [Int]) throws -> Tensor {
        let d = int64s(dims)
        return try produce("flip \(dims) of \(shape)") { out in d.withUnsafeBufferPointer { ct_flip(handle, $0.baseAddress, Int32(dims.count), out) } }
    }

    public func roll(shifts: [Int], dims: [Int]) throws -> Tensor {
        guard shifts.count == dims.count else { throw TorchError.invalidArgument("roll needs one shift per dimension") }
        let s = int64s(shifts), d = int64s(dims)
        return try produce("roll") { out in s.withUnsafeBufferPointer { sp in d.withUnsafeBufferPointer { ct_roll(handle, sp.baseAddress, $0.baseAddress, Int32(dims.count), out) } } }
    }

    /// Pads the last dimensions: `pads` is (left, right) for the last dimension, then the one before, ...
    public func pad(_ pads: [Int], mode: PaddingMode = .constant, value: Double = 0) throws -> Tensor {
        let p = int64s(pads)
        return try produce("pad \(shape) by \(pads)") { out in p.withUnsafeBufferPointer { ct_pad(handle, $0.baseAddress, Int32(pads.count), mode.rawValue, value, out) } }
    }

    public func asStrided(shape: [Int], strides: [Int], offset: Int = 0) throws -> Tensor {
        guard shape.count == strides.count else { throw TorchError.invalidArgument("as_strided needs one stride per dimension") }
        let s = int64s(shape), st = int64s(strides)
        return try produce("as_strided") { out in s.withUnsafeBufferPointer { sp in st.withUnsafeBufferPointer { ct_as_strided(handle, sp.baseAddress, $0.baseAddress, Int32(shape.count), Int64(offset), out) } } }
    }

    /// The lower triangle (upper when `upper`), zero elsewhere.
    public func triangle(diagonal: Int = 0, upper: Bool = false) throws -> Tensor {
        try produce("tril/triu") { ct_tril(handle, Int64(diagonal), upper, $0) }
    }
}
