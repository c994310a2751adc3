// Shape, elementwise, in-place, reduction and linear-algebra entry points.
#include "ctorch_internal.h"

#include <ATen/ScalarOps.h>
#include <cmath>

using namespace ctorch;

namespace {

std::vector<at::Tensor> tensors(const ct_tensor *ts, int n) {
    std::vector<at::Tensor> v;
    v.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) v.push_back(T(ts[i]));
    return v;
}

// A Python number: an integral value stays integral for integer tensors, and the tensor's dtype
// wins type promotion (a "wrapped number"), exactly as `x + 2` does in PyTorch.
at::Tensor python_number(double s, const at::Tensor &like) {
    bool integral = !at::isFloatingType(like.scalar_type()) && !at::isComplexType(like.scalar_type()) &&
                    std::floor(s) == s && std::fabs(s) < 9.0e15;
    at::Tensor w = integral ? c10::scalar_to_tensor(at::Scalar(static_cast<int64_t>(s)))
                            : c10::scalar_to_tensor(at::Scalar(s));
    w.unsafeGetTensorImpl()->set_wrapped_number(true);
    return w.to(like.device());
}

at::Tensor binary(int op, const at::Tensor &a, const at::Tensor &b) {
    switch (op) {
    case CT_ADD: return at::add(a, b);
    case CT_SUB: return at::sub(a, b);
    case CT_MUL: return at::mul(a, b);
    case CT_DIV: return at::div(a, b);
    case CT_POW: return at::pow(a, b);
    case CT_MAXIMUM: return at::maximum(a, b);
    case CT_MINIMUM: return at::minimum(a, b);
    case CT_EQ: return at::eq(a, b);
    case CT_NE: return at::ne(a, b);
    case CT_LT: return at::lt(a, b);
    case CT_LE: return at::le(a, b);
    case CT_GT: return at::gt(a, b);
    case CT_GE: return at::ge(a, b);
    case CT_LOGICAL_AND: return at::logical_and(a, b);
    case CT_LOGICAL_OR: return at::logical_or(a, b);
    case CT_LOGICAL_XOR: return at::logical_xor(a, b);
    case CT_REMAINDER: return at::remainder(a, b);
    case CT_ATAN2: return at::atan2(a, b);
    case CT_FLOOR_DIVIDE: return at::div(a, b, "floor");
    }
    TORCH_CHECK(false, "unknown binary operation code ", op);
}

at::Tensor circular_pad(at::Tensor x, const int64_t *pads, int npads) {
    // pads come last-dimension first, (left, right) per dimension, as torch.nn.functional.pad.
    for (int i = 0; i < npads / 2; ++i) {
        int64_t dim = x.dim() - 1 - i;
        int64_t left = pads[2 * i], right = pads[2 * i + 1], size = x.size(dim);
        TORCH_CHECK(left <= size && right <= size, "circular padding larger than the dimension");
        std::vector<at::Tensor> parts;
        if (left > 0) parts.push_back(x.narrow(dim, size - left, left));
        parts.push_back(x);
        if (right > 0) parts.push_back(x.narrow(dim, 0, right));
        x = at::cat(parts, dim);
    }
    return x;
}

} // namespace

extern "C" {

// ---- shape ----
ct_status ct_reshape(ct_tensor t, const int64_t *shape, int ndim, ct_tensor *out) {
    CT_OUT(T(t).reshape(dims(shape, ndim)))
}
ct_status ct_view(ct_tensor t, const int64_t *shape, int ndim, ct_tensor *out) {
    CT_OUT(T(t).view(dims(shape, ndim)))
}
ct_status ct_permute(ct_tensor t, const int64_t *d, int ndim, ct_tensor *out) { CT_OUT(T(t).permute(dims(d, ndim))) }
ct_status ct_transpose(ct_tensor t, int64_t d0, int64_t d1, ct_tensor *out) { CT_OUT(T(t).transpose(d0, d1)) }
ct_status ct_cat(const ct_tensor *ts, int n, int64_t dim, ct_tensor *out) { CT_OUT(at::cat(tensors(ts, n), dim)) }
ct_status ct_stack(const ct_tensor *ts, int n, int64_t dim, ct_tensor *out) {
    CT_OUT(at::stack(tensors(ts, n), dim))
}
ct_status ct_split_with_sizes(ct_tensor t, const int64_t *sizes, int n_sizes, int64_t dim, ct_tensor *outs) {
    CT_TRY({
        auto parts = at::split_with_sizes(T(t), dims(sizes, n_sizes), dim);
        for (size_t i = 0; i < parts.size(); ++i) outs[i] = wrap(parts[i]);
    })
}
ct_status ct_narrow(ct_tensor t, int64_t dim, int64_t start, int64_t length, ct_tensor *out) {
    CT_OUT(T(t).narrow(dim, start, length))
}
ct_status ct_slice(ct_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, ct_tensor *out) {
    CT_OUT(T(t).slice(dim, start, end, step))
}
ct_status ct_select(ct_tensor t, int64_t dim, int64_t index, ct_tensor *out) { CT_OUT(T(t).select(dim, index)) }
ct_status ct_index_select(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out) {
    CT_OUT(at::index_select(T(t), dim, T(index)))
}
ct_status ct_gather(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out) {
    CT_OUT(at::gather(T(t), dim, T(index)))
}
ct_status ct_scatter(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor src, bool add, ct_tensor *out) {
    CT_OUT(add ? at::scatter_add(T(t), dim, T(index), T(src)) : at::scatter(T(t), dim, T(index), T(src)))
}
ct_status ct_masked_select(ct_tensor t, ct_tensor mask, ct_tensor *out) { CT_OUT(at::masked_select(T(t), T(mask))) }
ct_status ct_nonzero(ct_tensor t, ct_tensor *out) { CT_OUT(at::nonzero(T(t))) }
ct_status ct_expand(ct_tensor t, const int64_t *shape, int ndim, ct_tensor *out) {
    CT_OUT(T(t).expand(dims(shape, ndim)))
}
ct_status ct_repeat(ct_tensor t, const int64_t *repeats, int ndim, ct_tensor *out) {
    CT_OUT(T(t).repeat(dims(repeats, ndim)))
}
ct_status ct_squeeze(ct_tensor t, int64_t dim, bool all, ct_tensor *out) {
    CT_OUT(all ? T(t).squeeze() : T(t).squeeze(dim))
}
ct_status ct_unsqueeze(ct_tensor t, int64_t dim, ct_tensor *out) { CT_OUT(T(t).unsqueeze(dim)) }
ct_status ct_flatten(ct_tensor t, int64_t start, int64_t end, ct_tensor *out) { CT_OUT(T(t).flatten(start, end)) }
ct_status ct_flip(ct_tensor t, const int64_t *d, int ndim, ct_tensor *out) { CT_OUT(at::flip(T(t), dims(d, ndim))) }
ct_status ct_roll(ct_tensor t, const int64_t *shifts, const int64_t *d, int n, ct_tensor *out) {
    CT_OUT(at::roll(T(t), dims(shifts, n), dims(d, n)))
}
ct_status ct_pad(ct_tensor t, const int64_t *pads, int npads, int mode, double value, ct_tensor *out) {
    CT_TRY({
        TORCH_CHECK(npads % 2 == 0 && npads / 2 <= T(t).dim(), "pad: ", npads,
                    " padding values do not fit a tensor of ", T(t).dim(), " dimensions");
        at::IntArrayRef p = dims(pads, npads);
        at::Tensor r;
        switch (mode) {
        case 0: r = at::constant_pad_nd(T(t), p, value); break;
        case 1:
            r = npads == 2 ? at::reflection_pad1d(T(t), p)
                : npads == 4 ? at::reflection_pad2d(T(t), p) : at::reflection_pad3d(T(t), p);
            break;
        case 2:
            r = npads == 2 ? at::replication_pad1d(T(t), p)
                : npads == 4 ? at::replication_pad2d(T(t), p) : at::replication_pad3d(T(t), p);
            break;
        case 3: r = circular_pad(T(t), pads, npads); break;
        default: TORCH_CHECK(false, "pad: unknown mode ", mode);
        }
        *out = wrap(r);
    })
}
ct_status ct_as_strided(ct_tensor t, const int64_t *shape, const int64_t *strides, int ndim, int64_t offset,
                        ct_tensor *out) {
    CT_OUT(T(t).as_strided(dims(shape, ndim), dims(strides, ndim), offset))
}
ct_status ct_tril(ct_tensor t, int64_t diagonal, bool upper, ct_tensor *out) {
    CT_OUT(upper ? at::triu(T(t), diagonal) : at::tril(T(t), diagonal))
}

// ---- elementwise ----
ct_status ct_unary(int op, ct_tensor t, ct_tensor *out) {
    CT_TRY({
        const at::Tensor &x = T(t);
        at::Tensor r;
        switch (op) {
        case CT_NEG: r = at::neg(x); break;
        case CT_ABS: r = at::abs(x); break;
        case CT_EXP: r = at::exp(x); break;
        case CT_LOG: r = at::log(x); break;
        case CT_LOG1P: r = at::log1p(x); break;
        case CT_EXPM1: r = at::expm1(x); break;
        case CT_SQRT: r = at::sqrt(x); break;
        case CT_RSQRT: r = at::rsqrt(x); break;
        case CT_SIN: r = at::sin(x); break;
        case CT_COS: r = at::cos(x); break;
        case CT_TANH: r = at::tanh(x); break;
        case CT_SIGMOID: r = at::sigmoid(x); break;
        case CT_RELU: r = at::relu(x); break;
        case CT_RELU6: r = at::hardtanh(x, 0.0, 6.0); break;
        case CT_SILU: r = at::silu(x); break;
        case CT_GELU: r = at::gelu(x, "none"); break;
        case CT_GELU_TANH: r = at::gelu(x, "tanh"); break;
        case CT_FLOOR: r = at::floor(x); break;
        case CT_CEIL: r = at::ceil(x); break;
        case CT_ROUND: r = at::round(x); break;
        case CT_SIGN: r = at::sign(x); break;
        case CT_RECIPROCAL: r = at::reciprocal(x); break;
        case CT_ERF: r = at::erf(x); break;
        case CT_LOGICAL_NOT: r = at::logical_not(x); break;
        case CT_SQUARE: r = at::square(x); break;
        case CT_ISNAN: r = at::isnan(x); break;
        case CT_SOFTPLUS: r = at::softplus(x, 1, 20); break;
        case CT_LOG_SIGMOID: r = at::log_sigmoid(x); break;
        case CT_REAL: r = at::real(x); break;
        case CT_IMAG: r = at::imag(x); break;
        case CT_ANGLE: r = at::angle(x); break;
        case CT_ISFINITE: r = at::isfinite(x); break;
        case CT_TRUNC: r = at::trunc(x); break;
        case CT_LOG2: r = at::log2(x); break;
        default: TORCH_CHECK(false, "unknown unary operation code ", op);
        }
        *out = wrap(r);
    })
}
ct_status ct_binary(int op, ct_tensor a, ct_tensor b, ct_tensor *out) { CT_OUT(binary(op, T(a), T(b))) }
ct_status ct_binary_scalar(int op, ct_tensor a, double s, bool scalar_first, ct_tensor *out) {
    CT_TRY({
        const at::Tensor &x = T(a);
        if (op == CT_POW) {
            *out = wrap(scalar_first ? at::pow(at::Scalar(s), x) : at::pow(x, at::Scalar(s)));
            return nullptr;
        }
        at::Tensor w = python_number(s, x);
        *out = wrap(scalar_first ? binary(op, w, x) : binary(op, x, w));
    })
}
ct_status ct_clamp(ct_tensor t, const double *min, const double *max, ct_tensor *out) {
    CT_TRY({
        c10::optional<at::Scalar> lo, hi;
        if (min != nullptr) lo = *min;
        if (max != nullptr) hi = *max;
        *out = wrap(at::clamp(T(t), lo, hi));
    })
}
ct_status ct_where(ct_tensor cond, ct_tensor a, ct_tensor b, ct_tensor *out) { CT_OUT(at::where(T(cond), T(a), T(b))) }
ct_status ct_masked_fill(ct_tensor t, ct_tensor mask, double value, ct_tensor *out) {
    CT_OUT(at::masked_fill(T(t), T(mask), value))
}
ct_status ct_lerp(ct_tensor a, ct_tensor b, double weight, ct_tensor *out) { CT_OUT(at::lerp(T(a), T(b), weight)) }

// ---- in place ----
ct_status ct_copy_(ct_tensor dst, ct_tensor src) {
    CT_TRY({
        c10::NoGradGuard guard;
        T(dst).copy_(T(src));
    })
}
ct_status ct_fill_(ct_tensor t, double value) {
    CT_TRY({
        c10::NoGradGuard guard;
        T(t).fill_(value);
    })
}
ct_status ct_uniform_(ct_tensor t, double low, double high) {
    CT_TRY({
        c10::NoGradGuard guard;
        T(t).uniform_(low, high);
    })
}
ct_status ct_normal_(ct_tensor t, double mean, double std) {
    CT_TRY({
        c10::NoGradGuard guard;
        T(t).normal_(mean, std);
    })
}
ct_status ct_add_(ct_tensor t, ct_tensor other, double alpha) {
    CT_TRY({
        c10::NoGradGuard guard;
        at::Scalar a = at::isFloatingType(T(t).scalar_type()) || at::isComplexType(T(t).scalar_type())
                           ? at::Scalar(alpha) : at::Scalar(static_cast<int64_t>(alpha));
        T(t).add_(T(other), a);
    })
}
ct_status ct_mul_scalar_(ct_tensor t, double value) {
    CT_TRY({
        c10::NoGradGuard guard;
        T(t).mul_(value);
    })
}

ct_status ct_set_data(ct_tensor t, ct_tensor src) {
    CT_TRY({
        at::Tensor &target = T(t);
        if (at::_has_compatible_shallow_copy_type(target, T(src))) {
            target.set_data(T(src));
        } else {
            // Another tensor type (CPU to meta, say) cannot share the implementation: the handle takes
            // a new leaf instead, as torch.nn.Module._apply does.
            bool grad = target.requires_grad();
            target = T(src).detach();
            if (grad) target.requires_grad_(true);
        }
    })
}

// ---- reductions ----
ct_status ct_reduce(int op, ct_tensor t, const int64_t *d, int ndims, bool keepdim, int64_t correction, double p,
                    ct_tensor *out) {
    CT_TRY({
        const at::Tensor &x = T(t);
        at::IntArrayRef ds = dims(d, ndims);
        bool all = ndims == 0;
        std::vector<int64_t> every;
        for (int64_t i = 0; i < x.dim(); ++i) every.push_back(i);
        at::IntArrayRef allDims(every);
        at::Tensor r;
        switch (op) {
        case CT_SUM: r = all && !keepdim ? at::sum(x) : at::sum(x, all ? allDims : ds, keepdim); break;
        case CT_MEAN: r = all && !keepdim ? at::mean(x) : at::mean(x, all ? allDims : ds, keepdim); break;
        case CT_AMAX: r = all && !keepdim ? at::max(x) : at::amax(x, all ? allDims : ds, keepdim); break;
        case CT_AMIN: r = all && !keepdim ? at::min(x) : at::amin(x, all ? allDims : ds, keepdim); break;
        case CT_ARGMAX:
            r = all ? at::argmax(x, c10::nullopt, keepdim) : at::argmax(x, d[0], keepdim);
            break;
        case CT_ARGMIN:
            r = all ? at::argmin(x, c10::nullopt, keepdim) : at::argmin(x, d[0], keepdim);
            break;
        case CT_STD:
        case CT_VAR: {
            TORCH_CHECK(correction == 0 || correction == 1, "std/var: correction must be 0 or 1, got ", correction);
            at::IntArrayRef over = all ? allDims : ds;
            r = op == CT_STD ? at::std(x, over, correction == 1, keepdim) : at::var(x, over, correction == 1, keepdim);
            break;
        }
        case CT_LOGSUMEXP: r = at::logsumexp(x, all ? allDims : ds, keepdim); break;
        case CT_PROD: r = all ? at::prod(x) : at::prod(x, d[0], keepdim); break;
        case CT_ANY: r = all ? at::any(x) : at::any(x, d[0], keepdim); break;
        case CT_ALL: r = all ? at::all(x) : at::all(x, d[0], keepdim); break;
        case CT_NORM:
            r = all ? at::linalg_vector_norm(x, p, c10::nullopt, keepdim, c10::nullopt)
                    : at::linalg_vector_norm(x, p, ds, keepdim, c10::nullopt);
            break;
        case CT_CUMSUM:
            TORCH_CHECK(!all, "cumsum needs a dimension");
            r = at::cumsum(x, d[0]);
            break;
        default: TORCH_CHECK(false, "unknown reduction code ", op);
        }
        *out = wrap(r);
    })
}
ct_status ct_max_dim(ct_tensor t, int64_t dim, bool keepdim, bool minimum, ct_tensor *values, ct_tensor *indices) {
    CT_TRY({
        auto r = minimum ? at::min(T(t), dim, keepdim) : at::max(T(t), dim, keepdim);
        *values = wrap(std::get<0>(r));
        *indices = wrap(std::get<1>(r));
    })
}
ct_status ct_topk(ct_tensor t, int64_t k, int64_t dim, bool largest, bool sorted, ct_tensor *values,
                  ct_tensor *indices) {
    CT_TRY({
        auto r = at::topk(T(t), k, dim, largest, sorted);
        *values = wrap(std::get<0>(r));
        *indices = wrap(std::get<1>(r));
    })
}
ct_status ct_sort(ct_tensor t, int64_t dim, bool descending, bool stable, ct_tensor *values, ct_tensor *indices) {
    CT_TRY({
        auto r = at::sort(T(t), stable, dim, descending);
        *values = wrap(std::get<0>(r));
        *indices = wrap(std::get<1>(r));
    })
}

// ---- linear algebra ----
ct_status ct_matmul(ct_tensor a, ct_tensor b, ct_tensor *out) { CT_OUT(at::matmul(T(a), T(b))) }
ct_status ct_bmm(ct_tensor a, ct_tensor b, ct_tensor *out) { CT_OUT(at::bmm(T(a), T(b))) }
ct_status ct_linear(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor *out) {
    CT_OUT(at::linear(T(x), T(weight), opt(bias)))
}
ct_status ct_outer(ct_tensor a, ct_tensor b, ct_tensor *out) { CT_OUT(at::outer(T(a), T(b))) }

} // extern "C"
