// Helpers shared by the CDICOM sources.
#ifndef MAMMOFM_CDICOM_INTERNAL_H
#define MAMMOFM_CDICOM_INTERNAL_H

#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace cdicom_internal {
/// Copies `message` NUL-terminated into `error` (truncated to its length).
inline void set_error(char *error, size_t len, const std::string &message) {
    if (error != nullptr && len > 0) {
        size_t n = message.size() < len - 1 ? message.size() : len - 1;
        std::memcpy(error, message.data(), n);
        error[n] = '\0';
    }
}
} // namespace cdicom_internal

// The body of an entry point that reports failures through `error` / `error_len` (parameters of
// every such function): a C++ exception becomes a message and the call returns `failure`, as
// CTorch's CT_TRY does for libtorch. An allocation refused by the cap (see cdicom.cpp) means a file
// that declares sizes it cannot hold.
#define CDICOM_TRY(failure, ...)                                                                     \
    try {                                                                                            \
        __VA_ARGS__                                                                                  \
    } catch (const std::bad_alloc &) {                                                               \
        cdicom_internal::set_error(error, error_len, "damaged DICOM file: it declares sizes far beyond its own length"); \
    } catch (const std::exception &e) {                                                              \
        cdicom_internal::set_error(error, error_len, std::string("GDCM failed: ") + e.what());       \
    } catch (...) {                                                                                  \
        cdicom_internal::set_error(error, error_len, "GDCM failed with an unknown exception");       \
    }                                                                                                \
    return failure;
#endif
