// Runtime, creation, inspection, conversion and autograd entry points.
#include "ctorch_internal.h"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/Version.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include <sstream>

#if __has_include(<torch/version.h>)
#include <torch/version.h>
#endif
#if defined(MAMMOFM_TORCH_PYPI) && __has_include(<torch/cuda.h>)
#include <torch/cuda.h>
#define CT_HAVE_TORCH_CUDA_API 1
#endif

using namespace ctorch;

namespace {
// Autocast's thread-local switches changed names in libtorch 2.4 (per-device functions).
#if defined(TORCH_VERSION_MAJOR) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))
constexpr bool cpu_float16_autocast = true;
bool autocast_enabled(at::DeviceType d) { return at::autocast::is_autocast_enabled(d); }
void set_autocast_enabled(at::DeviceType d, bool on) { at::autocast::set_autocast_enabled(d, on); }
at::ScalarType autocast_dtype(at::DeviceType d) { return at::autocast::get_autocast_dtype(d); }
void set_autocast_dtype(at::DeviceType d, at::ScalarType t) { at::autocast::set_autocast_dtype(d, t); }
#else
constexpr bool cpu_float16_autocast = false; // CPU autocast computes in bfloat16 only before 2.x
bool autocast_enabled(at::DeviceType d) { return d == at::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled(); }
void set_autocast_enabled(at::DeviceType d, bool on) {
    if (d == at::kCPU) at::autocast::set_cpu_enabled(on); else at::autocast::set_enabled(on);
}
at::ScalarType autocast_dtype(at::DeviceType d) {
    return d == at::kCPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
}
void set_autocast_dtype(at::DeviceType d, at::ScalarType t) {
    if (d == at::kCPU) at::autocast::set_autocast_cpu_dtype(t); else at::autocast::set_autocast_gpu_dtype(t);
}
#endif

struct AutocastState {
    at::DeviceType device;
    bool wasEnabled;
    at::ScalarType previousDtype;
};
} // namespace

extern "C" {

void ct_free(ct_tensor t) { delete reinterpret_cast<at::Tensor *>(t); }
void ct_error_free(ct_status message) { std::free(message); }

size_t ct_version(char *buf, size_t len) {
#ifdef TORCH_VERSION
    return write_string(TORCH_VERSION, buf, len);
#else
    std::string config = at::show_config();
    auto pos = config.find("TORCH_VERSION=");
    if (pos == std::string::npos) return write_string("unknown", buf, len);
    auto end = config.find_first_of(", \n", pos);
    return write_string(config.substr(pos + 14, end - pos - 14), buf, len);
#endif
}

size_t ct_build_config(char *buf, size_t len) { return write_string(at::show_config(), buf, len); }
size_t ct_parallel_info(char *buf, size_t len) { return write_string(at::get_parallel_info(), buf, len); }
size_t ct_shim_build(char *buf, size_t len) {
    std::string flags = "C++" + std::to_string(__cplusplus / 100 % 100);
#if defined(MAMMOFM_TORCH_DEBIAN)
    flags += ", Debian libtorch";
#else
    flags += ", PyPI libtorch";
#endif
#if defined(MAMMOFM_TORCH_CUDA_LINKED)
    flags += ", CUDA libraries linked";
#else
    flags += ", CPU only";
#endif
    flags += ", libtorch at " MAMMOFM_LIBTORCH_PATH;
    return write_string(flags, buf, len);
}
void ct_set_num_threads(int n) {
    if (n > 0) at::set_num_threads(n);
}
int ct_get_num_threads(void) { return at::get_num_threads(); }
void ct_init_thread(void) { at::init_num_threads(); }
void ct_manual_seed(uint64_t seed) { at::manual_seed(seed); }
bool ct_cuda_is_available(void) {
#ifdef CT_HAVE_TORCH_CUDA_API
    try { return torch::cuda::is_available(); } catch (...) { return false; }
#else
    return at::globalContext().hasCUDA();
#endif
}
int ct_cuda_device_count(void) {
#ifdef CT_HAVE_TORCH_CUDA_API
    try { return static_cast<int>(torch::cuda::device_count()); } catch (...) { return 0; }
#else
    return at::globalContext().hasCUDA() ? 1 : 0;
#endif
}
bool ct_grad_enabled(void) { return c10::GradMode::is_enabled(); }
bool ct_set_grad_enabled(bool enabled) {
    bool previous = c10::GradMode::is_enabled();
    c10::GradMode::set_enabled(enabled);
    return previous;
}
ct_status ct_inference_mode_enter(void **guard) { CT_TRY(*guard = new c10::InferenceMode(true)) }
void ct_inference_mode_exit(void *guard) { delete static_cast<c10::InferenceMode *>(guard); }

ct_status ct_autocast_enter(int device_type, int dtype, void **state) {
    CT_TRY({
        auto device = static_cast<at::DeviceType>(device_type);
        auto type = scalar_type(dtype);
        if (device != at::kCPU && device != at::kCUDA) throw std::invalid_argument("autocast supports CPU and CUDA only");
        if (type != at::kBFloat16 && type != at::kHalf) throw std::invalid_argument("autocast computes in bfloat16 or float16 only");
        if (device == at::kCPU && type == at::kHalf && !cpu_float16_autocast)
            throw std::invalid_argument("this libtorch autocasts to float16 on CUDA only; use bfloat16 on CPU");
        auto *saved = new AutocastState{device, autocast_enabled(device), autocast_dtype(device)};
        set_autocast_dtype(device, type);
        set_autocast_enabled(device, true);
        at::autocast::increment_nesting();
        *state = saved;
    })
}
void ct_autocast_exit(void *state) {
    auto *saved = static_cast<AutocastState *>(state);
    if (!saved) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast_enabled(saved->device, saved->wasEnabled);
    set_autocast_dtype(saved->device, saved->previousDtype);
    delete saved;
}
bool ct_autocast_enabled(int device_type) { return autocast_enabled(static_cast<at::DeviceType>(device_type)); }

// ---- creation ----
ct_status ct_from_data(const void *data, const int64_t *shape, int ndim, int dtype, ct_tensor *out) {
    CT_TRY({
        at::Tensor t = at::empty(dims(shape, ndim), at::TensorOptions().dtype(scalar_type(dtype)));
        if (t.numel() > 0) std::memcpy(t.data_ptr(), data, t.numel() * t.element_size());
        *out = wrap(t);
    })
}
ct_status ct_full(const int64_t *shape, int ndim, double value, int dtype, int device, int index,
                  ct_tensor *out) {
    CT_OUT(at::full(dims(shape, ndim), value, options(dtype, device, index)))
}
ct_status ct_scalar_tensor(double value, int dtype, int device, int index, ct_tensor *out) {
    CT_OUT(at::scalar_tensor(value, options(dtype, device, index)))
}
ct_status ct_randn(const int64_t *shape, int ndim, int dtype, int device, int index, ct_tensor *out) {
    CT_OUT(at::randn(dims(shape, ndim), options(dtype, device, index)))
}
ct_status ct_rand(const int64_t *shape, int ndim, int dtype, int device, int index, ct_tensor *out) {
    CT_OUT(at::rand(dims(shape, ndim), options(dtype, device, index)))
}
ct_status ct_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, int device, int index,
                     ct_tensor *out) {
    CT_OUT(at::randint(low, high, dims(shape, ndim), options(CT_INT64, device, index)))
}
ct_status ct_randperm(int64_t n, int device, int index, ct_tensor *out) {
    CT_OUT(at::randperm(n, options(CT_INT64, device, index)))
}
ct_status ct_arange(double start, double end, double step, int dtype, int device, int index, ct_tensor *out) {
    CT_OUT(at::arange(start, end, step, options(dtype, device, index)))
}
ct_status ct_linspace(double start, double end, int64_t steps, int dtype, int device, int index,
                      ct_tensor *out) {
    CT_OUT(at::linspace(start, end, steps, options(dtype, device, index)))
}
ct_status ct_eye(int64_t n, int dtype, int device, int index, ct_tensor *out) {
    CT_OUT(at::eye(n, options(dtype, device, index)))
}

// ---- inspection ----
int ct_ndim(ct_tensor t) { return static_cast<int>(T(t).dim()); }
void ct_shape(ct_tensor t, int64_t *out) {
    auto sizes = T(t).sizes();
    for (size_t i = 0; i < sizes.size(); ++i) out[i] = sizes[i];
}
void ct_strides(ct_tensor t, int64_t *out) {
    auto strides = T(t).strides();
    for (size_t i = 0; i < strides.size(); ++i) out[i] = strides[i];
}
int ct_dtype(ct_tensor t) { return static_cast<int>(T(t).scalar_type()); }
void ct_device(ct_tensor t, int *type, int *index) {
    auto device = T(t).device();
    *type = static_cast<int>(device.type());
    *index = device.has_index() ? device.index() : 0;
}
int64_t ct_numel(ct_tensor t) { return T(t).numel(); }
bool ct_requires_grad(ct_tensor t) { return T(t).requires_grad(); }
bool ct_is_contiguous(ct_tensor t) { return T(t).is_contiguous(); }
bool ct_defined(ct_tensor t) { return T(t).defined(); }

ct_status ct_copy_out(ct_tensor t, int dtype, void *dst, size_t nbytes) {
    CT_TRY({
        at::Tensor c = T(t).detach().to(at::kCPU, scalar_type(dtype)).contiguous();
        size_t needed = static_cast<size_t>(c.numel()) * c.element_size();
        TORCH_CHECK(needed == nbytes, "copy_out: destination holds ", nbytes, " bytes, tensor needs ", needed);
        if (needed > 0) std::memcpy(dst, c.data_ptr(), needed);
    })
}
ct_status ct_item(ct_tensor t, double *out) { CT_TRY(*out = T(t).item<double>()) }
ct_status ct_to_string(ct_tensor t, char **out) {
    CT_TRY({
        std::ostringstream stream;
        stream << T(t);
        *out = copy_message(stream.str().c_str());
    })
}
ct_status ct_shallow_clone(ct_tensor t, ct_tensor *out) { CT_OUT(T(t)) }

// ---- conversion ----
ct_status ct_to(ct_tensor t, int dtype, int device, int index, ct_tensor *out) {
    CT_OUT(T(t).to(at::Device(static_cast<at::DeviceType>(device), static_cast<c10::DeviceIndex>(index)),
                   scalar_type(dtype)))
}
ct_status ct_clone(ct_tensor t, ct_tensor *out) { CT_OUT(T(t).clone()) }
ct_status ct_contiguous(ct_tensor t, ct_tensor *out) { CT_OUT(T(t).contiguous()) }

// ---- autograd ----
ct_status ct_set_requires_grad(ct_tensor t, bool enabled) { CT_TRY(T(t).set_requires_grad(enabled)) }
ct_status ct_backward(ct_tensor t, ct_tensor gradient, bool retain_graph) {
    CT_TRY({
        at::Tensor g = gradient == nullptr ? at::Tensor() : T(gradient);
        T(t).backward(g, retain_graph, false);
    })
}
ct_status ct_grad(ct_tensor t, ct_tensor *out) {
    CT_TRY({
        const at::Tensor &g = T(t).grad();
        *out = g.defined() ? wrap(g) : nullptr;
    })
}
ct_status ct_zero_grad(ct_tensor t, bool set_to_none) {
    CT_TRY({
        at::Tensor &g = T(t).mutable_grad();
        if (!g.defined()) return nullptr;
        if (set_to_none) {
            g = at::Tensor();
        } else {
            c10::NoGradGuard guard;
            g = g.detach();
            g.zero_();
        }
    })
}
ct_status ct_detach(ct_tensor t, ct_tensor *out) { CT_OUT(T(t).detach()) }

} // extern "C"
