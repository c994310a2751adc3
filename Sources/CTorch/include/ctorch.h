/*
 * ctorch.h: the plain C interface of MammoFM's tensor engine over libtorch.
 *
 * Conventions (one rule for every entry point):
 *  - A tensor is an opaque handle owned by the caller and released with ct_free.
 *  - Every fallible function returns NULL on success, or a heap-allocated error message (the short
 *    text of the C++ exception, without backtrace) that the caller releases with ct_error_free.
 *    No entry point lets a C++ exception escape, so bad input never crashes the process.
 *  - Results are written through `out` pointers as new handles; inputs are never consumed.
 *  - Optional tensors are passed as NULL.
 *  - The interface compiles against libtorch 1.13 (C++17) and 2.x (C++20).
 */
#ifndef MAMMOFM_CTORCH_H
#define MAMMOFM_CTORCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_tensor_opaque *ct_tensor;
typedef char *ct_status;

/* Scalar types, numbered as c10::ScalarType. */
enum {
    CT_UINT8 = 0, CT_INT8 = 1, CT_INT16 = 2, CT_INT32 = 3, CT_INT64 = 4, CT_FLOAT16 = 5,
    CT_FLOAT32 = 6, CT_FLOAT64 = 7, CT_COMPLEX64 = 9, CT_COMPLEX128 = 10, CT_BOOL = 11,
    CT_BFLOAT16 = 15
};
/* Device types, numbered as c10::DeviceType. */
enum { CT_CPU = 0, CT_CUDA = 1, CT_META = 14 };
/* Loss reductions, as at::Reduction. */
enum { CT_REDUCTION_NONE = 0, CT_REDUCTION_MEAN = 1, CT_REDUCTION_SUM = 2 };

/* ---- memory, errors, runtime ---- */
void ct_free(ct_tensor t);
void ct_error_free(ct_status message);
/* Writes a NUL-terminated string into buf (truncated to len); returns the full length. */
size_t ct_version(char *buf, size_t len);
size_t ct_build_config(char *buf, size_t len);
size_t ct_parallel_info(char *buf, size_t len);
/* How the shim itself was compiled: C++ standard, engine build, whether CUDA libraries are linked. */
size_t ct_shim_build(char *buf, size_t len);
void ct_set_num_threads(int n);
int ct_get_num_threads(void);
/* Applies the thread count to the calling thread (OpenMP keeps it per thread): call first in any
   thread that runs tensor operations and was not created by libtorch. */
void ct_init_thread(void);
void ct_manual_seed(uint64_t seed);
bool ct_cuda_is_available(void);
int ct_cuda_device_count(void);
bool ct_grad_enabled(void);
/* Sets whether autograd records operations on this thread; returns the previous state. */
bool ct_set_grad_enabled(bool enabled);
/* Enters inference mode on this thread; ct_inference_mode_exit with the returned guard leaves it. */
ct_status ct_inference_mode_enter(void **guard);
void ct_inference_mode_exit(void *guard);
/* Enters an autocast region on this thread (torch.autocast): eligible operations on `device_type`
   (0 CPU, 1 CUDA) run in `dtype` (bfloat16 or float16). Regions nest; ct_autocast_exit with the
   returned state restores the previous settings and, at the outermost exit, clears the cast cache. */
ct_status ct_autocast_enter(int device_type, int dtype, void **state);
void ct_autocast_exit(void *state);
bool ct_autocast_enabled(int device_type);

/* ---- creation ---- */
/* Every creation function takes the device (type as CT_CPU/CT_CUDA/CT_META, index or -1) it creates on;
   data from the host is copied to it. */
ct_status ct_from_data(const void *data, const int64_t *shape, int ndim, int dtype, ct_tensor *out);
ct_status ct_full(const int64_t *shape, int ndim, double value, int dtype, int device, int index,
                  ct_tensor *out);
ct_status ct_scalar_tensor(double value, int dtype, int device, int index, ct_tensor *out);
ct_status ct_randn(const int64_t *shape, int ndim, int dtype, int device, int index, ct_tensor *out);
ct_status ct_rand(const int64_t *shape, int ndim, int dtype, int device, int index, ct_tensor *out);
ct_status ct_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, int device, int index,
                     ct_tensor *out);
ct_status ct_randperm(int64_t n, int device, int index, ct_tensor *out);
ct_status ct_arange(double start, double end, double step, int dtype, int device, int index, ct_tensor *out);
ct_status ct_linspace(double start, double end, int64_t steps, int dtype, int device, int index,
                      ct_tensor *out);
ct_status ct_eye(int64_t n, int dtype, int device, int index, ct_tensor *out);

/* ---- inspection and data ---- */
int ct_ndim(ct_tensor t);
void ct_shape(ct_tensor t, int64_t *out);
void ct_strides(ct_tensor t, int64_t *out);
int ct_dtype(ct_tensor t);
void ct_device(ct_tensor t, int *type, int *index);
int64_t ct_numel(ct_tensor t);
bool ct_requires_grad(ct_tensor t);
bool ct_is_contiguous(ct_tensor t);
bool ct_defined(ct_tensor t);
/* Copies the elements (row-major, converted to `dtype`) into dst, which holds nbytes. */
ct_status ct_copy_out(ct_tensor t, int dtype, void *dst, size_t nbytes);
ct_status ct_item(ct_tensor t, double *out);
ct_status ct_to_string(ct_tensor t, char **out);
/* Same storage: the two handles see one tensor (an alias, not a copy). */
ct_status ct_shallow_clone(ct_tensor t, ct_tensor *out);

/* ---- conversion ---- */
ct_status ct_to(ct_tensor t, int dtype, int device, int index, ct_tensor *out);
ct_status ct_clone(ct_tensor t, ct_tensor *out);
ct_status ct_contiguous(ct_tensor t, ct_tensor *out);

/* ---- autograd ---- */
ct_status ct_set_requires_grad(ct_tensor t, bool enabled);
ct_status ct_backward(ct_tensor t, ct_tensor gradient, bool retain_graph);
/* Writes the gradient, or NULL when it is undefined. */
ct_status ct_grad(ct_tensor t, ct_tensor *out);
ct_status ct_zero_grad(ct_tensor t, bool set_to_none);
ct_status ct_detach(ct_tensor t, ct_tensor *out);

/* ---- shape ---- */
ct_status ct_reshape(ct_tensor t, const int64_t *shape, int ndim, ct_tensor *out);
ct_status ct_view(ct_tensor t, const int64_t *shape, int ndim, ct_tensor *out);
ct_status ct_permute(ct_tensor t, const int64_t *dims, int ndim, ct_tensor *out);
ct_status ct_transpose(ct_tensor t, int64_t d0, int64_t d1, ct_tensor *out);
ct_status ct_cat(const ct_tensor *ts, int n, int64_t dim, ct_tensor *out);
ct_status ct_stack(const ct_tensor *ts, int n, int64_t dim, ct_tensor *out);
/* Splits into pieces of the given sizes along dim; outs has n_sizes slots. */
ct_status ct_split_with_sizes(ct_tensor t, const int64_t *sizes, int n_sizes, int64_t dim, ct_tensor *outs);
ct_status ct_narrow(ct_tensor t, int64_t dim, int64_t start, int64_t length, ct_tensor *out);
ct_status ct_slice(ct_tensor t, int64_t dim, int64_t start, int64_t end, int64_t step, ct_tensor *out);
ct_status ct_select(ct_tensor t, int64_t dim, int64_t index, ct_tensor *out);
ct_status ct_index_select(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out);
ct_status ct_gather(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor *out);
ct_status ct_scatter(ct_tensor t, int64_t dim, ct_tensor index, ct_tensor src, bool add, ct_tensor *out);
ct_status ct_masked_select(ct_tensor t, ct_tensor mask, ct_tensor *out);
ct_status ct_nonzero(ct_tensor t, ct_tensor *out);
ct_status ct_expand(ct_tensor t, const int64_t *shape, int ndim, ct_tensor *out);
ct_status ct_repeat(ct_tensor t, const int64_t *repeats, int ndim, ct_tensor *out);
ct_status ct_squeeze(ct_tensor t, int64_t dim, bool all, ct_tensor *out);
ct_status ct_unsqueeze(ct_tensor t, int64_t dim, ct_tensor *out);
ct_status ct_flatten(ct_tensor t, int64_t start, int64_t end, ct_tensor *out);
ct_status ct_flip(ct_tensor t, const int64_t *dims, int ndim, ct_tensor *out);
ct_status ct_roll(ct_tensor t, const int64_t *shifts, const int64_t *dims, int n, ct_tensor *out);
/* mode: 0 constant, 1 reflect, 2 replicate, 3 circular; pads as torch.nn.functional.pad. */
ct_status ct_pad(ct_tensor t, const int64_t *pads, int npads, int mode, double value, ct_tensor *out);
ct_status ct_as_strided(ct_tensor t, const int64_t *shape, const int64_t *strides, int ndim,
                        int64_t offset, ct_tensor *out);
ct_status ct_tril(ct_tensor t, int64_t diagonal, bool upper, ct_tensor *out);

/* ---- elementwise ---- */
enum {
    CT_NEG, CT_ABS, CT_EXP, CT_LOG, CT_LOG1P, CT_EXPM1, CT_SQRT, CT_RSQRT, CT_SIN, CT_COS, CT_TANH,
    CT_SIGMOID, CT_RELU, CT_RELU6, CT_SILU, CT_GELU, CT_GELU_TANH, CT_FLOOR, CT_CEIL, CT_ROUND,
    CT_SIGN, CT_RECIPROCAL, CT_ERF, CT_LOGICAL_NOT, CT_SQUARE, CT_ISNAN, CT_SOFTPLUS, CT_LOG_SIGMOID,
    CT_REAL, CT_IMAG, CT_ANGLE, CT_ISFINITE, CT_TRUNC, CT_LOG2
};
ct_status ct_unary(int op, ct_tensor t, ct_tensor *out);
enum {
    CT_ADD, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM, CT_MINIMUM, CT_EQ, CT_NE, CT_LT, CT_LE,
    CT_GT, CT_GE, CT_LOGICAL_AND, CT_LOGICAL_OR, CT_REMAINDER, CT_ATAN2, CT_FLOOR_DIVIDE,
    CT_LOGICAL_XOR
};
ct_status ct_binary(int op, ct_tensor a, ct_tensor b, ct_tensor *out);
/* a op s, or s op a when `scalar_first`. The scalar takes part in type promotion as a Python number. */
ct_status ct_binary_scalar(int op, ct_tensor a, double s, bool scalar_first, ct_tensor *out);
ct_status ct_clamp(ct_tensor t, const double *min, const double *max, ct_tensor *out);
ct_status ct_where(ct_tensor cond, ct_tensor a, ct_tensor b, ct_tensor *out);
ct_status ct_masked_fill(ct_tensor t, ct_tensor mask, double value, ct_tensor *out);
ct_status ct_lerp(ct_tensor a, ct_tensor b, double weight, ct_tensor *out);

/* ---- in place (used by initialisers and optimisers; autograd must not track the target) ---- */
ct_status ct_copy_(ct_tensor dst, ct_tensor src);
ct_status ct_fill_(ct_tensor t, double value);
ct_status ct_uniform_(ct_tensor t, double low, double high);
ct_status ct_normal_(ct_tensor t, double mean, double std);
ct_status ct_add_(ct_tensor t, ct_tensor other, double alpha);
ct_status ct_mul_scalar_(ct_tensor t, double value);
/* Replaces the data of t by that of src (dtype and device may change), keeping t's identity. */
ct_status ct_set_data(ct_tensor t, ct_tensor src);

/* ---- reductions ---- */
enum {
    CT_SUM, CT_MEAN, CT_AMAX, CT_AMIN, CT_ARGMAX, CT_ARGMIN, CT_STD, CT_VAR, CT_LOGSUMEXP, CT_PROD,
    CT_ANY, CT_ALL, CT_NORM, CT_CUMSUM
};
/* Over `dims` (all dimensions when ndims == 0). `correction` is the std/var divisor offset, `p`
   the norm order; ARGMAX/ARGMIN/CUMSUM use dims[0] only (ARGMAX over all flattens). */
ct_status ct_reduce(int op, ct_tensor t, const int64_t *dims, int ndims, bool keepdim,
                    int64_t correction, double p, ct_tensor *out);
ct_status ct_max_dim(ct_tensor t, int64_t dim, bool keepdim, bool minimum, ct_tensor *values,
                     ct_tensor *indices);
ct_status ct_topk(ct_tensor t, int64_t k, int64_t dim, bool largest, bool sorted, ct_tensor *values,
                  ct_tensor *indices);
ct_status ct_sort(ct_tensor t, int64_t dim, bool descending, bool stable, ct_tensor *values,
                  ct_tensor *indices);

/* ---- linear algebra ---- */
ct_status ct_matmul(ct_tensor a, ct_tensor b, ct_tensor *out);
ct_status ct_bmm(ct_tensor a, ct_tensor b, ct_tensor *out);
ct_status ct_linear(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor *out);
ct_status ct_outer(ct_tensor a, ct_tensor b, ct_tensor *out);

/* ---- neural network functions ---- */
ct_status ct_conv2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride,
                    const int64_t *padding, const int64_t *dilation, int64_t groups, ct_tensor *out);
ct_status ct_conv_transpose2d(ct_tensor x, ct_tensor weight, ct_tensor bias, const int64_t *stride,
                              const int64_t *padding, const int64_t *output_padding, int64_t groups,
                              const int64_t *dilation, ct_tensor *out);
ct_status ct_max_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride,
                        const int64_t *padding, const int64_t *dilation, bool ceil_mode, ct_tensor *out);
ct_status ct_avg_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride,
                        const int64_t *padding, bool ceil_mode, bool count_include_pad, ct_tensor *out);
ct_status ct_adaptive_avg_pool2d(ct_tensor x, const int64_t *size, ct_tensor *out);
ct_status ct_adaptive_max_pool2d(ct_tensor x, const int64_t *size, ct_tensor *out);
/* Updates running_mean/var in place when training; they may be NULL. */
ct_status ct_batch_norm(ct_tensor x, ct_tensor weight, ct_tensor bias, ct_tensor running_mean,
                        ct_tensor running_var, bool training, double momentum, double eps, ct_tensor *out);
ct_status ct_layer_norm(ct_tensor x, const int64_t *shape, int ndim, ct_tensor weight, ct_tensor bias,
                        double eps, ct_tensor *out);
ct_status ct_group_norm(ct_tensor x, int64_t groups, ct_tensor weight, ct_tensor bias, double eps,
                        ct_tensor *out);
ct_status ct_embedding(ct_tensor weight, ct_tensor indices, int64_t padding_idx, ct_tensor *out);
ct_status ct_dropout(ct_tensor x, double p, bool training, ct_tensor *out);
ct_status ct_softmax(ct_tensor x, int64_t dim, bool log, ct_tensor *out);
ct_status ct_one_hot(ct_tensor x, int64_t classes, ct_tensor *out);

/* ---- losses ---- */
/* Class-index targets (int64) or class probabilities (float, same shape as logits). */
ct_status ct_cross_entropy(ct_tensor logits, ct_tensor target, ct_tensor weight, int reduction,
                           int64_t ignore_index, double label_smoothing, ct_tensor *out);
ct_status ct_bce_with_logits(ct_tensor logits, ct_tensor target, ct_tensor weight,
                             ct_tensor pos_weight, int reduction, ct_tensor *out);
ct_status ct_smooth_l1(ct_tensor x, ct_tensor y, int reduction, double beta, ct_tensor *out);
ct_status ct_mse(ct_tensor x, ct_tensor y, int reduction, ct_tensor *out);
ct_status ct_l1(ct_tensor x, ct_tensor y, int reduction, ct_tensor *out);

/* ---- resampling ---- */
/* mode: 0 nearest, 1 bilinear, 2 bicubic, 3 area (adaptive average pooling, as PyTorch). */
ct_status ct_interpolate(ct_tensor x, const int64_t *size, int mode, bool align_corners, ct_tensor *out);
ct_status ct_affine_grid(ct_tensor theta, const int64_t *size, int ndim, bool align_corners,
                         ct_tensor *out);
/* mode: 0 bilinear, 1 nearest, 2 bicubic; padding: 0 zeros, 1 border, 2 reflection. */
ct_status ct_grid_sample(ct_tensor x, ct_tensor grid, int mode, int padding, bool align_corners,
                         ct_tensor *out);

/* ---- FFT ---- */
/* norm: 0 "backward", 1 "forward", 2 "ortho"; size NULL keeps the input size. */
ct_status ct_rfft2(ct_tensor x, const int64_t *size, int norm, ct_tensor *out);
ct_status ct_irfft2(ct_tensor x, const int64_t *size, int norm, ct_tensor *out);
ct_status ct_complex(ct_tensor real, ct_tensor imag, ct_tensor *out);

/* ---- optimiser kernels (in place, outside autograd) ---- */
ct_status ct_sgd_step(ct_tensor param, ct_tensor grad, ct_tensor momentum_buffer, double lr,
                      double momentum, double dampening, double weight_decay, bool nesterov,
                      bool first_step);
/* AdamW when decoupled, else Adam (L2 added to the gradient). `step` is the 1-based count. */
ct_status ct_adam_step(ct_tensor param, ct_tensor grad, ct_tensor exp_avg, ct_tensor exp_avg_sq,
                       double lr, double beta1, double beta2, double eps, double weight_decay,
                       bool decoupled, int64_t step);
/* Scales the gradients in place so their joint p-norm is at most max_norm; returns the norm before. */
ct_status ct_clip_grad_norm(const ct_tensor *grads, int n, double max_norm, double norm_type,
                            double *total_norm);
/* Multiplies every gradient in place by inv_scale and reports whether any value is infinite or NaN
   (the unscale step of loss scaling). */
ct_status ct_unscale_grads(const ct_tensor *grads, int n, double inv_scale, bool *found_non_finite);

/* ---- distributed: c10d process groups over Gloo ---- */
/* A rendezvous store and a process group: opaque handles released with their _free function. */
typedef struct ct_store_opaque *ct_store;
typedef struct ct_group_opaque *ct_group;
/* Whether this build has Gloo; without it every entry below returns an error saying so. */
bool ct_distributed_available(void);
/* An in-memory store shared by ranks that are threads of one process. */
ct_status ct_store_in_process(ct_store *out);
/* A TCP store: rank 0 serves (is_server), the others connect to host:port. The server listens on
 * listen_host only (e.g. "127.0.0.1"); NULL listens on every interface, as libtorch does by default.
 * libtorch 1.13 cannot be given a listening socket: there listen_host must be NULL. */
ct_status ct_store_tcp(const char *host, int port, int world_size, bool is_server, double timeout_seconds,
                       const char *listen_host, ct_store *out);
void ct_store_free(ct_store s);
/* interface_host: the address Gloo binds to (e.g. "127.0.0.1"); NULL resolves this machine's hostname. */
ct_status ct_group_gloo(ct_store store, int rank, int size, const char *interface_host, double timeout_seconds,
                        ct_group *out);
void ct_group_free(ct_group g);
/* In place: every rank's tensor becomes the sum over ranks. */
ct_status ct_group_all_reduce_sum(ct_group g, ct_tensor t);
/* Every rank's tensor concatenated along dimension 0, in rank order (same shape on every rank). */
ct_status ct_group_all_gather(ct_group g, ct_tensor t, ct_tensor *out);
/* In place: every rank's tensor becomes the root's. */
ct_status ct_group_broadcast(ct_group g, ct_tensor t, int root);
ct_status ct_group_barrier(ct_group g);

#ifdef __cplusplus
}
#endif
#endif
