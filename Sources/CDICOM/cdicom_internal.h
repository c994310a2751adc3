// Helpers shared by the CDICOM sources.
#ifndef MAMMOFM_CDICOM_INTERNAL_H
#define MAMMOFM_CDICOM_INTERNAL_H

#include <cstring>
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
#endif
