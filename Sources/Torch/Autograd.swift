import CTorch

extension Tensor {
    /// Whether autograd records operations on this tensor.
    public var requiresGrad: Bool { ct_requires_grad(handle) }

    /// Marks a leaf tensor as needing gradients (or not); returns self for chaining.
    @discardableResult
    public func requiresGrad(_ enabled: Bool) throws -> Tensor {
        try check(ct_set_requires_grad(handle, enabled), "requires_grad")
        return self
    }

    /// Back-propagates from this tensor; a non-scalar tensor needs the incoming `gradient`.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        try check(ct_backward(handle, gradient?.handle, retainGraph), "backward from \(shape)")
    }

    /// The accumulated gradient, or nil before any backward pass reached this tensor.
    public var grad: Tensor? {
        var out: ct_tensor?
        if let status = ct_grad(handle, &out) { ct_error_free(status); return nil }
        return out.map { Tensor(owning: $0) }
    }

    /// Clears the gradient (to nil, or to zeros in place).
    public func zeroGrad(setToNone: Bool = true) throws {
        try check(ct_zero_grad(handle, setToNone), "zero_grad")
    }

    /// The same values cut off from the autograd graph (shares storage).
    public func detach() throws -> Tensor { try produce("detach") { ct_detach(handle, $0) } }
}

/// Scopes of the autograd engine. Each is thread-local, as in PyTorch.
public enum Autograd {
    /// Whether operations on this thread are recorded.
    public static var isEnabled: Bool { ct_grad_enabled() }

    /// Runs `body` without recording operations (torch.no_grad).
    public static func noGrad<R>(_ body: () throws -> R) rethrows -> R {
        let previous = ct_set_grad_enabled(false)
        defer { _ = ct_set_grad_enabled(previous) }
        return try body()
    }

    /// Runs `body` with recording on, even inside a no-grad scope (torch.enable_grad).
    public static func enableGrad<R>(_ body: () throws -> R) rethrows -> R {
        let previous = ct_set_grad_enabled(true)
        defer { _ = ct_set_grad_enabled(previous) }
        return try body()
    }

    /// Runs `body` in inference mode (torch.inference_mode): faster than no-grad, and tensors made
    /// inside can never enter autograd later.
    public static func inferenceMode<R>(_ body: () throws -> R) throws -> R {
        var guardHandle: UnsafeMutableRawPointer?
        try check(ct_inference_mode_enter(&guardHandle), "inference_mode")
        defer { ct_inference_mode_exit(guardHandle) }
        return try body()
    }

    /// Runs `body` under automatic mixed precision (torch.autocast): eligible operations on `device`
    /// (matrix products, convolutions) compute in `dtype`, numerically sensitive ones stay in float32.
    /// Run the backward pass outside the scope, as in PyTorch.
    public static func autocast<R>(_ device: Device = .cpu, dtype: DType = .bfloat16, _ body: () throws -> R) throws -> R {
        var state: UnsafeMutableRawPointer?
        try check(ct_autocast_enter(device.typeCode, dtype.rawValue, &state), "autocast(\(device), \(dtype))")
        defer { ct_autocast_exit(state) }
        return try body()
    }

    /// Whether an autocast scope is active for `device` on this thread.
    public static func isAutocastEnabled(_ device: Device = .cpu) -> Bool { ct_autocast_enabled(device.typeCode) }
}
