import CTorch

/// How a loss combines the per-element values.
public enum Reduction: Int32, Sendable { case none = 0, mean = 1, sum = 2 }

/// Resampling modes of `Functional.interpolate`; `area` is adaptive average pooling, as PyTorch.
public enum InterpolationMode: Int32, Sendable { case nearest = 0, bilinear = 1, bicubic = 2, area = 3 }

/// Sampling modes and padding of `Functional.gridSample`, as torch.nn.functional.grid_sample.
public enum GridSampleMode: Int32, Sendable { case bilinear = 0, nearest = 1, bicubic = 2 }
public enum GridSamplePadding: Int32, Sendable { case zeros = 0, border = 1, reflection = 2 }

/// Normalisation of the FFT, as torch.fft ("backward" scales the inverse by 1/n).
public enum FFTNorm: Int32, Sendable { case backward = 0, forward = 1, ortho = 2 }

/// The functions of torch.nn.functional over tensors.
public enum Functional {
    static func pair(_ v: (Int, Int)) -> [Int64] { [Int64(v.0), Int64(v.1)] }

    /// 2-D convolution of an N x C x H x W input with an O x C/groups x kH x kW weight.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                              padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) throws -> Tensor {
        guard x.rank == 4 || x.rank == 3, weight.rank == 4 else {
            throw TorchError.invalidArgument("conv2d expects a 4-D input and weight, got input \(x.shape) and weight \(weight.shape)")
        }
        let channels = x.size(-3)
        guard groups > 0, channels == weight.size(1) * groups else {
            throw TorchError.invalidArgument("conv2d: input has \(channels) channels but the weight \(weight.shape) with \(groups) group(s) expects \(weight.size(1) * groups)")
        }
        let s = pair(stride), p = pair(padding), d = pair(dilation)
        return try produce("conv2d of \(x.shape) with weight \(weight.shape)") {
            ct_conv2d(x.handle, weight.handle, bias?.handle, s, p, d, Int64(groups), $0)
        }
    }

    public static func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                                       padding: (Int, Int) = (0, 0), outputPadding: (Int, Int) = (0, 0),
                                       groups: Int = 1, dilation: (Int, Int) = (1, 1)) throws -> Tensor {
        let s = pair(stride), p = pair(padding), o = pair(outputPadding), d = pair(dilation)
        return try produce("conv_transpose2d of \(x.shape) with weight \(weight.shape)") {
            ct_conv_transpose2d(x.handle, weight.handle, bias?.handle, s, p, o, Int64(groups), d, $0)
        }
    }

    public static func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) throws -> Tensor {
        let k = pair(kernel), s = pair(stride ?? kernel), p = pair(padding), d = pair(dilation)
        return try produce("max_pool2d of \(x.shape)") { ct_max_pool2d(x.handle, k, s, p, d, ceilMode, $0) }
    }

    public static func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0),
                                 ceilMode: Bool = false, countIncludePad: Bool = true) throws -> Tensor {
        let k = pair(kernel), s = pair(stride ?? kernel), p = pair(padding)
        return try produce("avg_pool2d of \(x.shape)") { ct_avg_pool2d(x.handle, k, s, p, ceilMode, countIncludePad, $0) }
    }

    public static func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) throws -> Tensor {
        let o = pair(outputSize)
        return try produce("adaptive_avg_pool2d of \(x.shape)") { ct_adaptive_avg_pool2d(x.handle, o, $0) }
    }

    public static func adaptiveMaxPool2d(_ x: Tensor, outputSize: (Int, Int)) throws -> Tensor {
        let o = pair(outputSize)
        return try produce("adaptive_max_pool2d of \(x.shape)") { ct_adaptive_max_pool2d(x.handle, o, $0) }
    }

    /// Batch normalisation; in training the running statistics are updated in place.
    public static func batchNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
                                 training: Bool, momentum: Double = 0.1, eps: Double = 1e-5) throws -> Tensor {
        try produce("batch_norm of \(x.shape)") {
            ct_batch_norm(x.handle, weight?.handle, bias?.handle, runningMean?.handle, runningVar?.handle, training, momentum, eps, $0)
        }
    }

    public static func layerNorm(_ x: Tensor, normalizedShape: [Int], weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) throws -> Tensor {
        let s = int64s(normalizedShape)
        return try produce("layer_norm of \(x.shape) over \(normalizedShape)") { out in
            s.withUnsafeBufferPointer { ct_layer_norm(x.handle, $0.baseAddress, Int32(normalizedShape.count), weight?.handle, bias?.handle, eps, out) }
        }
    }

    public static func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Double = 1e-5) throws -> Tensor {
        try produce("group_norm of \(x.shape) in \(groups) groups") { ct_group_norm(x.handle, Int64(groups), weight?.handle, bias?.handle, eps, $0) }
    }

    /// Rows of `weight` picked by integer `indices`.
    public static func embedding(_ indices: Tensor, weight: Tensor, paddingIndex: Int? = nil) throws -> Tensor {
        try produce("embedding of indices \(indices.shape) in a table \(weight.shape)") {
            ct_embedding(weight.handle, indices.handle, Int64(paddingIndex ?? -1), $0)
        }
    }

    public static func dropout(_ x: Tensor, p: Double, training: Bool) throws -> Tensor {
        guard (0...1).contains(p) else { throw TorchError.invalidArgument("dropout probability must lie in [0, 1], got \(p)") }
        return try produce("dropout") { ct_dropout(x.handle, p, training, $0) }
    }

    public static func softmax(_ x: Tensor, dim: Int) throws -> Tensor {
        try produce("softmax along \(dim) of \(x.shape)") { ct_softmax(x.handle, Int64(dim), false, $0) }
    }

    public static func logSoftmax(_ x: Tensor, dim: Int) throws -> Tensor {
        try produce("log_softmax along \(dim) of \(x.shape)") { ct_softmax(x.handle, Int64(dim), true, $0) }
    }

    public static func oneHot(_ x: Tensor, classes: Int) throws -> Tensor {
        try produce("one_hot") { ct_one_hot(x.handle, Int64(classes), $0) }
    }

    /// Scales rows (or the vector) to unit p-norm, as torch.nn.functional.normalize.
    public static func normalize(_ x: Tensor, p: Double = 2, dim: Int = -1, eps: Double = 1e-12) throws -> Tensor {
        try x / x.norm(p: p, [dim], keepDim: true).clamp(min: eps)
    }

    // MARK: losses

    /// Cross entropy of N x C logits against class indices (int64, N) or class probabilities (N x C).
    public static func crossEntropy(_ logits: Tensor, target: Tensor, weight: Tensor? = nil, reduction: Reduction = .mean,
                                    ignoreIndex: Int = -100, labelSmoothing: Double = 0) throws -> Tensor {
        try produce("cross_entropy of logits \(logits.shape) and target \(target.shape)") {
            ct_cross_entropy(logits.handle, target.handle, weight?.handle, reduction.rawValue, Int64(ignoreIndex), labelSmoothing, $0)
        }
    }

    /// Binary cross entropy on logits; `positiveWeight` multiplies the positive term per class.
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, target: Tensor, weight: Tensor? = nil,
                                                    positiveWeight: Tensor? = nil, reduction: Reduction = .mean) throws -> Tensor {
        try produce("binary_cross_entropy_with_logits of \(logits.shape) and \(target.shape)") {
            ct_bce_with_logits(logits.handle, target.handle, weight?.handle, positiveWeight?.handle, reduction.rawValue, $0)
        }
    }

    public static func smoothL1Loss(_ x: Tensor, target: Tensor, reduction: Reduction = .mean, beta: Double = 1) throws -> Tensor {
        try produce("smooth_l1_loss") { ct_smooth_l1(x.handle, target.handle, reduction.rawValue, beta, $0) }
    }

    public static func mseLoss(_ x: Tensor, target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try produce("mse_loss") { ct_mse(x.handle, target.handle, reduction.rawValue, $0) }
    }

    public static func l1Loss(_ x: Tensor, target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try produce("l1_loss") { ct_l1(x.handle, target.handle, reduction.rawValue, $0) }
    }

    // MARK: resampling

    /// Resizes an N x C x H x W tensor to `size` (height, width).
    public static func interpolate(_ x: Tensor, size: (Int, Int), mode: InterpolationMode, alignCorners: Bool = false) throws -> Tensor {
        let s = pair(size)
        return try produce("interpolate \(x.shape) to \(size) (\(mode))") { ct_interpolate(x.handle, s, mode.rawValue, alignCorners, $0) }
    }

    /// Sampling grid (N x H x W x 2) for the N x 2 x 3 affine matrices `theta` and output `size` (N, C, H, W).
    public static func affineGrid(_ theta: Tensor, size: [Int], alignCorners: Bool = false) throws -> Tensor {
        let s = int64s(size)
        return try produce("affine_grid of \(theta.shape) for \(size)") { out in
            s.withUnsafeBufferPointer { ct_affine_grid(theta.handle, $0.baseAddress, Int32(size.count), alignCorners, out) }
        }
    }

    public static func gridSample(_ x: Tensor, grid: Tensor, mode: GridSampleMode = .bilinear,
                                  padding: GridSamplePadding = .zeros, alignCorners: Bool = false) throws -> Tensor {
        try produce("grid_sample of \(x.shape) at \(grid.shape)") { ct_grid_sample(x.handle, grid.handle, mode.rawValue, padding.rawValue, alignCorners, $0) }
    }

    // MARK: FFT

    /// 2-D FFT of a real tensor over its last two dimensions (complex result, last dimension halved + 1).
    public static func rfft2(_ x: Tensor, size: (Int, Int)? = nil, norm: FFTNorm = .backward) throws -> Tensor {
        if let size {
            let s = pair(size)
            return try produce("rfft2") { ct_rfft2(x.handle, s, norm.rawValue, $0) }
        }
        return try produce("rfft2") { ct_rfft2(x.handle, nil, norm.rawValue, $0) }
    }

    /// Inverse of `rfft2`; pass the original `size` to recover odd widths.
    public static func irfft2(_ x: Tensor, size: (Int, Int)? = nil, norm: FFTNorm = .backward) throws -> Tensor {
        if let size {
            let s = pair(size)
            return try produce("irfft2") { ct_irfft2(x.handle, s, norm.rawValue, $0) }
        }
        return try produce("irfft2") { ct_irfft2(x.handle, nil, norm.rawValue, $0) }
    }

    /// A complex tensor from real and imaginary parts.
    public static func complex(real: Tensor, imag: Tensor) throws -> Tensor {
        try produce("complex") { ct_complex(real.handle, imag.handle, $0) }
    }
}

extension Functional {
    /// x W^T + b, as torch.nn.functional.linear.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try produce("linear of \(x.shape) with weight \(weight.shape)") { ct_linear(x.handle, weight.handle, bias?.handle, $0) }
    }
}
