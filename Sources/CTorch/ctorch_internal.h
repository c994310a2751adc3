// Internal helpers shared by the shim's translation units: handle conversion and the
// exception barrier that every entry point goes through.
#pragma once

#if !__has_include(<ATen/ATen.h>)
#error "libtorch headers not found: run `make setup`, or set MAMMOFM_LIBTORCH to a torch folder"
#endif

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/util/Exception.h>

#include <cstring>
#include <string>
#include <vector>

#include "ctorch.h"

namespace ctorch {

inline at::Tensor &T(ct_tensor t) { return *reinterpret_cast<at::Tensor *>(t); }

inline ct_tensor wrap(at::Tensor t) { return reinterpret_cast<ct_tensor>(new at::Tensor(std::move(t))); }

inline c10::optional<at::Tensor> opt(ct_tensor t) {
    if (t == nullptr) return c10::nullopt;
    return T(t);
}

inline char *copy_message(const char *message) {
    size_t n = std::strlen(message);
    char *out = static_cast<char *>(std::malloc(n + 1));
    if (out != nullptr) std::memcpy(out, message, n + 1);
    return out;
}

inline at::IntArrayRef dims(const int64_t *values, int n) {
    return at::IntArrayRef(values, static_cast<size_t>(n));
}

inline at::ScalarType scalar_type(int dtype) { return static_cast<at::ScalarType>(dtype); }

inline at::TensorOptions options(int dtype, int device, int index) {
    return at::TensorOptions()
        .dtype(scalar_type(dtype))
        .device(at::Device(static_cast<at::DeviceType>(device), static_cast<c10::DeviceIndex>(index)));
}

inline size_t write_string(const std::string &s, char *buf, size_t len) {
    if (buf != nullptr && len > 0) {
        size_t n = s.size() < len - 1 ? s.size() : len - 1;
        std::memcpy(buf, s.data(), n);
        buf[n] = '\0';
    }
    return s.size();
}

} // namespace ctorch

// Every entry point: run the body, turn any exception into a returned message.
#define CT_TRY(...)                                                                                \
    try {                                                                                          \
        __VA_ARGS__;                                                                                  \
        return nullptr;                                                                            \
    } catch (const c10::Error &e) {                                                                \
        return ctorch::copy_message(e.what_without_backtrace());                                   \
    } catch (const std::exception &e) {                                                            \
        return ctorch::copy_message(e.what());                                                     \
    } catch (...) {                                                                                \
        return ctorch::copy_message("unknown C++ exception in libtorch");                          \
    }

#define CT_OUT(...) CT_TRY(*out = ctorch::wrap(__VA_ARGS__))
