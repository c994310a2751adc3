// libFuzzer harness for the DICOM shim: each input is written to a file and read, laid out and
// decoded the way MammoFM does it. A crash or sanitizer report is a bug; an error message is not.
#include "cdicom.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static std::string path = "/tmp/mammofm-fuzz-" + std::to_string(getpid()) + ".dcm";
    FILE *file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) return 0;
    std::fwrite(data, 1, size, file);
    std::fclose(file);
    char error[512];
    cdicom_file dicom = cdicom_open(path.c_str(), 1, error, sizeof(error));
    if (dicom == nullptr) return 0;
    char text[256];
    cdicom_string(dicom, 0x0028, 0x0004, text, sizeof(text));
    cdicom_sequence_items(dicom, 0x0028, 0x3010);
    cdicom_layout layout;
    // Images over 64 MB decoded are skipped: the harness looks for crashes, not allocation limits.
    if (cdicom_layout_of(dicom, &layout, error, sizeof(error)) == 0 && layout.decoded_length > 0 &&
        layout.decoded_length < (64u << 20)) {
        std::vector<uint8_t> pixels(layout.decoded_length);
        cdicom_decode(dicom, pixels.data(), pixels.size(), error, sizeof(error));
    }
    cdicom_close(dicom);
    return 0;
}
