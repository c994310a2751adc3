// Neural-network functions, losses, resampling, FFT and the optimiser kernels.
#include "ctorch_internal.h"

#include <cmath>

using namespace ctorch;

namespace {
at::IntArrayRef pair(const int64_t *v) { return at::IntArrayRef(v, 2); }

const char *fft_norm(int norm) {
    switch (norm) {
    case 1: return "forward";
    case 2: return "ortho";
    default: return "backward";
    }
}
} // namespace

extern "C" {

namespace {
// libtorch's C++ build has no meta kernel for convolution (PyTorch registers one from Python). On
// the meta device the shim supplies the output's shape, still connected to the input, weight and
// bias for autograd, so shape-only runs (the device-correctness tests) go through the whole model.
at::Tensor meta_conv2d(const at::Tensor &x, const at::Tensor &w, const c10::optional<at::Tensor> &b, at::IntArrayRef stride,
                       at::IntArrayRef padding, at::IntArrayRef dilation) {
    TORCH_CHECK(x.dim() == 4 && w.dim() == 4, "conv2d on meta: expected 4-d input and weight");
    TORCH_CHECK(w.device() == x.device(), "conv2d: the weight is on ", w.device(), ", the input on ", x.device());
    std::vector<int64_t> shape{x.size(0), w.size(0), 0, 0};
    for (int i = 0; i < 2; ++i) {
        shape[2 + i] = (x.size(2 + i) + 2 * padding[i] - dilation[i] * (w.size(2 + i) - 1) - 1) / stride[i] + 1;
    }
    at::Tensor link = x.sum() + w.sum();
    if (b.has_value() && b->defined()) link = link + b->sum();
    return at::zeros(shape, x.options()) + link * 0;
}

// Batch normalisation on meta (no libtorch C++ kernel): the input's shape, scaled and shifted by
// the affine parameters; every statistics buffer must be on the input's device.
at::Tensor meta_batch_norm(const at::Tensor &x, const c10::optional<at::Tensor> &w, const c10::optional<at::Tensor> &b,
                           const c10::optional<at::Tensor> &mean, const c10::optional<at::Tensor> &var) {
    std::vector<int64_t> per_channel(static_cast<size_t>(x.dim()), 1);
    per_channel[1] = x.size(1);
    at::Tensor y = x;
    for (const auto *t : {&w, &b, &mean, &var}) {
        if (t->has_value() && (*t)->defined()) {
            TORCH_CHECK((*t)->device() == x.device(), "batch_norm: a parameter or statistic is on ", (*t)->device(),
                        ", the input on ", x.device());
        }
    }
    if (w.has_value() && w->defined()) y = y * w->view(per_channel);
    if (b.has_value() && b->defined()) y = y + b->view(per_channel);
    return y;
}

// Embedding lookup on meta (index_select has no C++ meta kernel): indices' shape + the row width.
at::Tensor meta_embedding(const at::Tensor &weight, const at::Tensor &indices) {
    TORCH_CHECK(indices.device() == weight.device(), "embedding: the indices are on ", indices.device(), ", the table on ",
                weight.device());
    std::vector<int64_t> shape(indices.sizes().begin(), indices.sizes().end());
    shape.push_back(weight.size(1));
    return at::zeros(shape, weight.options()) + weight.sum() * 0;
}

// Layer normalisation on meta: the input's shape, scaled and shifted (they broadcast over the last dimensions).
at::Tensor meta_layer_norm(const at::Tensor &x, const c10::optional<at::Tensor> &w, const c10::optional<at::Tensor> &b) {
    at::Tensor y = x;
    if (w.has_value() && w->defined()) y = y * *w;
    if (b.has_value() && b->defined()) y = y + *b;
    return y;
}
}  // namespace

ct_status ct_conv2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride, const int64_t *padding,
                    const int64_t *dilation, int64_t groups, ct_tensor *out) {
    if (T(x).is_meta()) CT_OUT(meta_conv2d(T(x), T(weight), opt(bias), pair(stride), pair(padding), pair(dilation)))
    CT_OUT(at::conv2d(T(x), T(weight), opt(bias), pair(stride), pair(padding), pair(dilation), groups))
}
ct_status ct_conv_transpose2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride,
                              const int64_t *padding, const int64_t *output_padding, int64_t groups,
                              const int64_t *dilation, ct_tensor *out) {
    CT_OUT(at::conv_transpose2d(T(x), T(weight), opt(bias), pair(stride), pair(padding), pair(output_padding),
                                groups, pair(dilation)))
}
ct_status ct_max_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                        const int64_t *dilation, bool ceil_mode, ct_tensor *out) {
    CT_OUT(at::max_pool2d(T(x), pair(kernel), pair(stride), pair(padding), pair(dilation), ceil_mode))
}
ct_status ct_avg_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                        bool ceil_mode, bool count_include_pad, ct_tensor *out) {
    CT_OUT(at::avg_pool2d(T(x), pair(kernel), pair(stride), pair(padding), ceil_mode, count_include_pad,
                          c10::nullopt))
}
ct_status ct_adaptive_avg_pool2d(ct_tensor x, const int64_t *size, ct_tensor *out) {
    CT_OUT(at::adaptive_avg_pool2d(T(x), pair(size)))
}
ct_status ct_adaptive_max_pool2d(ct_tensor x, const int64_t *size, ct_tensor *out) {
    CT_OUT(std::get<0>(at::adaptive_max_pool2d(T(x), pair(size))))
}
ct_status ct_batch_norm(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor running_mean,
                        ct_tensor running_var, bool training, double momentum, double eps, ct_tensor *out) {
    if (T(x).is_meta()) CT_OUT(meta_batch_norm(T(x), opt(weight), opt(bias), opt(running_mean), opt(running_var)))
    CT_OUT(at::batch_norm(T(x), opt(weight), opt(bias), opt(running_mean), opt(running_var), training, momentum,
                          eps, true))
}
ct_status ct_layer_norm(ct_tensor x, const int64_t *shape, int ndim, ct_tensor weight, ct_tensor bias, double eps,
                        ct_tensor *out) {
    if (T(x).is_meta()) CT_OUT(meta_layer_norm(T(x), opt(weight), opt(bias)))
    CT_OUT(at::layer_norm(T(x), dims(shape, ndim), opt(weight), opt(bias), eps, true))
}
ct_status ct_group_norm(ct_tensor x, int64_t groups, ct_tensor weight, ct_tensor bias, double eps, ct_tensor *out) {
    CT_OUT(at::group_norm(T(x), groups, opt(weight), opt(bias), eps, true))
}
ct_status ct_embedding(ct_tensor weight, ct_tensor indices, int64_t padding_idx, ct_tensor *out) {
    if (T(weight).is_meta()) CT_OUT(meta_embedding(T(weight), T(indices)))
    CT_OUT(at::embedding(T(weight), T(indices), padding_idx, false, false))
}
ct_status ct_dropout(ct_tensor x, double p, bool training, ct_tensor *out) { CT_OUT(at::dropout(T(x), p, training)) }
ct_status ct_softmax(ct_tensor x, int64_t dim, bool log, ct_tensor *out) {
    CT_OUT(log ? at::log_softmax(T(x), dim, c10::nullopt) : at::softmax(T(x), dim, c10::nullopt))
}
ct_status ct_one_hot(ct_tensor x, int64_t classes, ct_tensor *out) { CT_OUT(at::one_hot(T(x), classes)) }

// ---- losses ----
ct_status ct_cross_entropy(ct_tensor logits, ct_tensor target, ct_tensor weight, int reduction,
                           int64_t ignore_index, double label_smoothing, ct_tensor *out) {
    CT_OUT(at::cross_entropy_loss(T(logits), T(target), opt(weight), reduction, ignore_index, label_smoothing))
}
ct_status ct_bce_with_logits(ct_tensor logits, ct_tensor target, ct_tensor weight, ct_tensor pos_weight,
                             int reduction, ct_tensor *out) {
    CT_OUT(at::binary_cross_entropy_with_logits(T(logits), T(target), opt(weight), opt(pos_weight), reduction))
}
ct_status ct_smooth_l1(ct_tensor x, ct_tensor y, int reduction, double beta, ct_tensor *out) {
    CT_OUT(at::smooth_l1_loss(T(x), T(y), reduction, beta))
}
ct_status ct_mse(ct_tensor x, ct_tensor y, int reduction, ct_tensor *out) { CT_OUT(at::mse_loss(T(x), T(y), reduction)) }
ct_status ct_l1(ct_tensor x, ct_tensor y, int reduction, ct_tensor *out) { CT_OUT(at::l1_loss(T(x), T(y), reduction)) }

// ---- resampling ----
ct_status ct_interpolate(ct_tensor x, const int64_t *size, int mode, bool align_corners, ct_tensor *out) {
    CT_TRY({
        TORCH_CHECK(T(x).dim() == 4, "interpolate expects an N x C x H x W tensor, got ", T(x).dim(), " dimensions");
        at::Tensor r;
        switch (mode) {
        case 0: r = at::upsample_nearest2d(T(x), pair(size), c10::nullopt, c10::nullopt); break;
        case 1: r = at::upsample_bilinear2d(T(x), pair(size), align_corners, c10::nullopt, c10::nullopt); break;
        case 2: r = at::upsample_bicubic2d(T(x), pair(size), align_corners, c10::nullopt, c10::nullopt); break;
        case 3: r = at::adaptive_avg_pool2d(T(x), pair(size)); break;
        default: TORCH_CHECK(false, "interpolate: unknown mode ", mode);
        }
        *out = wrap(r);
    })
}
ct_status ct_affine_grid(ct_tensor theta, const int64_t *size, int ndim, bool align_corners, ct_tensor *out) {
    CT_OUT(at::affine_grid_generator(T(theta), dims(size, ndim), align_corners))
}
ct_status ct_grid_sample(ct_tensor x, ct_tensor grid, int mode, int padding, bool align_corners, ct_tensor *out) {
    CT_OUT(at::grid_sampler(T(x), T(grid), mode, padding, align_corners))
}

// ---- FFT ----
ct_status ct_rfft2(ct_tensor x, const int64_t *size, int norm, ct_tensor *out) {
    CT_TRY({
        std::vector<int64_t> last{-2, -1};
        c10::string_view mode(fft_norm(norm));
        *out = size == nullptr ? wrap(at::fft_rfft2(T(x), c10::nullopt, last, mode))
                               : wrap(at::fft_rfft2(T(x), at::IntArrayRef(size, 2), last, mode));
    })
}
ct_status ct_irfft2(ct_tensor x, const int64_t *size, int norm, ct_tensor *out) {
    CT_TRY({
        std::vector<int64_t> last{-2, -1};
        c10::string_view mode(fft_norm(norm));
        *out = size == nullptr ? wrap(at::fft_irfft2(T(x), c10::nullopt, last, mode))
                               : wrap(at::fft_irfft2(T(x), at::IntArrayRef(size, 2), last, mode));
    })
}
ct_status ct_complex(ct_tensor real, ct_tensor imag, ct_tensor *out) { CT_OUT(at::complex(T(real), T(imag))) }

// ---- optimiser kernels: the arithmetic of torch.optim's single-tensor implementations ----
ct_status ct_sgd_step(ct_tensor param, ct_tensor grad, ct_tensor momentum_buffer, double lr, double momentum,
                      double dampening, double weight_decay, bool nesterov, bool first_step) {
    CT_TRY({
        c10::NoGradGuard guard;
        at::Tensor p = T(param), g = T(grad);
        if (weight_decay != 0) g = g.add(p, weight_decay);
        if (momentum != 0) {
            at::Tensor buf = T(momentum_buffer);
            if (first_step) {
                buf.copy_(g);
            } else {
                buf.mul_(momentum).add_(g, 1 - dampening);
            }
            g = nesterov ? g.add(buf, momentum) : buf;
        }
        p.add_(g, -lr);
    })
}
ct_status ct_adam_step(ct_tensor param, ct_tensor grad, ct_tensor exp_avg, ct_tensor exp_avg_sq, double lr,
                       double beta1, double beta2, double eps, double weight_decay, bool decoupled, int64_t step) {
    CT_TRY({
        c10::NoGradGuard guard;
        at::Tensor p = T(param), g = T(grad), m = T(exp_avg), v = T(exp_avg_sq);
        if (weight_decay != 0) {
            if (decoupled) p.mul_(1 - lr * weight_decay);
            else g = g.add(p, weight_decay);
        }
        m.lerp_(g, 1 - beta1);
        v.mul_(beta2).addcmul_(g, g, 1 - beta2);
        double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
        double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
        double step_size = lr / bias_correction1;
        at::Tensor denom = (v.sqrt() / std::sqrt(bias_correction2)).add_(eps);
        p.addcdiv_(m, denom, -step_size);
    })
}
ct_status ct_clip_grad_norm(const ct_tensor *grads, int n, double max_norm, double norm_type, double *total_norm) {
    CT_TRY({
        c10::NoGradGuard guard;
        if (n == 0) {
            *total_norm = 0;
            return nullptr;
        }
        std::vector<at::Tensor> norms;
        for (int i = 0; i < n; ++i) norms.push_back(at::linalg_vector_norm(T(grads[i]), norm_type, c10::nullopt, false, c10::nullopt));
        at::Tensor total = at::linalg_vector_norm(at::stack(norms), norm_type, c10::nullopt, false, c10::nullopt);
        at::Tensor coef = at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
        for (int i = 0; i < n; ++i) T(grads[i]).mul_(coef);
        *total_norm = total.item<double>();
    })
}

ct_status ct_unscale_grads(const ct_tensor *grads, int n, double inv_scale, bool *found_non_finite) {
    CT_TRY({
        c10::NoGradGuard guard;
        bool found = false;
        for (int i = 0; i < n; ++i) {
            at::Tensor &g = T(grads[i]);
            g.mul_(inv_scale);
            if (!found && !at::isfinite(g).all().item<bool>()) found = true;
        }
        *found_non_finite = found;
    })
}

} // extern "C"
