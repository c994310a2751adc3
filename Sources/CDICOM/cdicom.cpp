// DICOM reading over GDCM. Each entry point turns exceptions into messages; GDCM's own diagnostic
// streams are silenced once, since they are process-wide and would interleave across threads.
#include "cdicom.h"
#include "cdicom_internal.h"

#include <gdcm-3.0/gdcmImage.h>
#include <gdcm-3.0/gdcmImageReader.h>
#include <gdcm-3.0/gdcmJPEG2000Codec.h>
#include <gdcm-3.0/gdcmReader.h>
#include <gdcm-3.0/gdcmSequenceOfItems.h>
#include <gdcm-3.0/gdcmStringFilter.h>
#include <gdcm-3.0/gdcmTrace.h>
#include <gdcm-3.0/gdcmTransferSyntax.h>

#include <cstring>
#include <memory>
#include <new>
#include <cstdlib>
#include <atomic>
#include <mutex>
#include <set>
#include <csetjmp>
#include <csignal>
#include <vector>
#include <cstdio>
#include <string>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// GDCM sizes buffers from lengths declared in the file, so one corrupt field can ask for gigabytes.
// While GDCM works on a file, this thread's C++ allocations are capped (the cap is derived from the
// file size); a larger request throws std::bad_alloc, which GDCM passes up to the entry point's catch.
// Outside those regions the operators below are plain malloc/free.
namespace {
thread_local size_t allocation_cap = 0; // 0: no cap

void *capped_allocate(size_t size) {
    if (allocation_cap != 0 && size > allocation_cap) throw std::bad_alloc();
    void *p = std::malloc(size == 0 ? 1 : size);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

void *capped_allocate_aligned(size_t size, std::align_val_t alignment) {
    if (allocation_cap != 0 && size > allocation_cap) throw std::bad_alloc();
    size_t a = static_cast<size_t>(alignment);
    void *p = std::aligned_alloc(a, (size + a - 1) / a * a);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

struct AllocationCap {
    size_t previous;
    explicit AllocationCap(size_t cap) : previous(allocation_cap) { allocation_cap = cap; }
    ~AllocationCap() { allocation_cap = previous; }
};

/// Generous for real images (compressed data expands at most ~20x, native pixels are in the file).
size_t cap_for_file(const std::string &path) {
    struct stat info;
    size_t size = stat(path.c_str(), &info) == 0 ? static_cast<size_t>(info.st_size) : 0;
    size_t cap = size * 32;
    return cap < (size_t(512) << 20) ? (size_t(512) << 20) : cap;
}
} // namespace

void *operator new(size_t size) { return capped_allocate(size); }
void *operator new[](size_t size) { return capped_allocate(size); }
void *operator new(size_t size, const std::nothrow_t &) noexcept {
    try { return capped_allocate(size); } catch (...) { return nullptr; }
}
void *operator new[](size_t size, const std::nothrow_t &) noexcept {
    try { return capped_allocate(size); } catch (...) { return nullptr; }
}
void *operator new(size_t size, std::align_val_t alignment) { return capped_allocate_aligned(size, alignment); }
void *operator new[](size_t size, std::align_val_t alignment) { return capped_allocate_aligned(size, alignment); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, size_t) noexcept { std::free(p); }
void operator delete[](void *p, size_t) noexcept { std::free(p); }
void operator delete(void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void *p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void *p, size_t, std::align_val_t) noexcept { std::free(p); }

namespace {
std::atomic<int> jpeg2000_threads{0};
}

struct cdicom_file_opaque {
    std::string path;
    std::unique_ptr<gdcm::Reader> reader; // an ImageReader when pixels were requested
    bool with_pixels = false;
};

namespace {

using cdicom_internal::set_error;

long write_text(const std::string &text, char *buf, size_t len) {
    if (buf != nullptr && len > 0) {
        size_t n = text.size() < len - 1 ? text.size() : len - 1;
        std::memcpy(buf, text.data(), n);
        buf[n] = '\0';
    }
    return static_cast<long>(text.size());
}

void silence_gdcm() {
    static std::once_flag once;
    std::call_once(once, [] {
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
    });
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    size_t start = 0;
    while (start < s.size() && s[start] == ' ') ++start;
    return s.substr(start);
}

const gdcm::DataSet &dataset(cdicom_file f) { return f->reader->GetFile().GetDataSet(); }

// The element (group, element) of `ds`, or nullptr when it is absent (or empty, unless `allow_empty`).
const gdcm::DataElement *element_of(const gdcm::DataSet &ds, uint16_t group, uint16_t element, bool allow_empty = false) {
    gdcm::Tag tag(group, element);
    if (!ds.FindDataElement(tag)) return nullptr;
    const gdcm::DataElement &de = ds.GetDataElement(tag);
    return de.IsEmpty() && !allow_empty ? nullptr : &de;
}

// Keeps the sequence alive while its items are read (an implicit-VR sequence is parsed on demand and
// would otherwise dangle).
gdcm::SmartPointer<gdcm::SequenceOfItems> sequence(cdicom_file f, uint16_t sg, uint16_t se) {
    const gdcm::DataElement *de = element_of(dataset(f), sg, se);
    return de ? de->GetValueAsSQ() : nullptr;
}

// The data set of item `item` (from 0) of sequence (sg, se), or nullptr; `sq` keeps it alive.
const gdcm::DataSet *item_of(const gdcm::SmartPointer<gdcm::SequenceOfItems> &sq, int item) {
    if (!sq || item < 0 || static_cast<size_t>(item) >= sq->GetNumberOfItems()) return nullptr;
    return &sq->GetItem(static_cast<size_t>(item) + 1).GetNestedDataSet();
}

std::string element_text(cdicom_file f, const gdcm::DataElement &de) {
    gdcm::StringFilter filter;
    filter.SetFile(f->reader->GetFile());
    return trim(filter.ToString(de));
}

// GDCM as Debian builds it keeps its assert()s, which abort the process on some malformed files.
// While GDCM parses a file, this thread's SIGABRT handler jumps back to the entry point instead, which
// reports the file as damaged. (glibc's abort() releases its lock and resets its stage before it
// raises, so leaving the handler by siglongjmp is sound; the aborted reader is leaked, not reused.)
thread_local sigjmp_buf *abort_target = nullptr;
struct sigaction previous_abort_action;

void on_abort(int signal) {
    if (abort_target != nullptr) {
        sigjmp_buf *target = abort_target;
        abort_target = nullptr;
        siglongjmp(*target, 1);
    }
    sigaction(SIGABRT, &previous_abort_action, nullptr);
    raise(signal);
}

void install_abort_guard() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction action;
        std::memset(&action, 0, sizeof(action));
        action.sa_handler = on_abort;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_NODEFER;
        sigaction(SIGABRT, &action, &previous_abort_action);
    });
}

// Arms this thread's abort trap for the rest of the calling function: on a GDCM assert() the function
// resumes here and runs `on_abort` (a statement that reports and returns). A macro because
// sigsetjmp must run in the frame that stays alive.
#define CDICOM_GUARD_ABORTS(on_abort)                                                                  \
    install_abort_guard();                                                                         \
    sigjmp_buf abort_jump;                                                                         \
    if (sigsetjmp(abort_jump, 1) != 0) {                                                           \
        abort_target = nullptr;                                                                    \
        on_abort;                                                                                  \
    }                                                                                              \
    abort_target = &abort_jump;                                                                    \
    struct AbortTrapDisarm {                                                                       \
        ~AbortTrapDisarm() { abort_target = nullptr; }                                             \
    } abort_trap_disarm

// The start of an entry point that reads pixels: the file must have been opened with them, and
// GDCM's assertions become the error `damaged` instead of aborting the process.
#define CDICOM_PIXEL_ENTRY(f, damaged)                                                               \
    if (!(f)->with_pixels) {                                                                         \
        set_error(error, error_len, "the file was opened without its pixels");                       \
        return -1;                                                                                   \
    }                                                                                                \
    CDICOM_GUARD_ABORTS({                                                                            \
        set_error(error, error_len, damaged);                                                        \
        return -1;                                                                                   \
    })

// GDCM (as Debian builds it) asserts, aborting the process, on some malformed File Meta Information.
// Check that group's structure first: preamble, "DICM", then explicit-VR little-endian group-0002
// elements that fit in the file.
bool meta_information_is_sound(const std::string &path, std::string &why) {
    FILE *file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) { why = "cannot open the file"; return false; }
    std::vector<unsigned char> head(64 * 1024);
    size_t n = std::fread(head.data(), 1, head.size(), file);
    std::fseek(file, 0, SEEK_END);
    long size = std::ftell(file);
    std::fclose(file);
    if (n < 132 || std::memcmp(head.data() + 128, "DICM", 4) != 0) return true; // no meta group: GDCM's raw-dataset path
    static const char *known[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB", "OD", "OF", "OL",
                                  "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US",
                                  "UT", "UV"};
    size_t p = 132;
    while (p + 8 <= n) {
        uint16_t group = static_cast<uint16_t>(head[p] | head[p + 1] << 8);
        if (group != 0x0002) return true; // end of the meta group
        char vr[3] = {static_cast<char>(head[p + 4]), static_cast<char>(head[p + 5]), 0};
        bool valid = false;
        for (const char *k : known) valid = valid || std::strcmp(k, vr) == 0;
        if (!valid) { why = "damaged File Meta Information (bad value representation)"; return false; }
        bool longForm = std::strchr("OB OD OF OL OV OW SQ UC UN UR UT SV UV", vr[0]) != nullptr &&
                        (std::strcmp(vr, "OB") == 0 || std::strcmp(vr, "OD") == 0 || std::strcmp(vr, "OF") == 0 ||
                         std::strcmp(vr, "OL") == 0 || std::strcmp(vr, "OV") == 0 || std::strcmp(vr, "OW") == 0 ||
                         std::strcmp(vr, "SQ") == 0 || std::strcmp(vr, "UC") == 0 || std::strcmp(vr, "UN") == 0 ||
                         std::strcmp(vr, "UR") == 0 || std::strcmp(vr, "UT") == 0 || std::strcmp(vr, "SV") == 0 ||
                         std::strcmp(vr, "UV") == 0);
        uint64_t length;
        size_t header;
        if (longForm) {
            if (p + 12 > n) { why = "damaged File Meta Information (truncated element)"; return false; }
            length = static_cast<uint64_t>(head[p + 8]) | static_cast<uint64_t>(head[p + 9]) << 8 |
                     static_cast<uint64_t>(head[p + 10]) << 16 | static_cast<uint64_t>(head[p + 11]) << 24;
            header = 12;
        } else {
            length = static_cast<uint64_t>(head[p + 6] | head[p + 7] << 8);
            header = 8;
        }
        if (length == 0xFFFFFFFFu || p + header + length > static_cast<uint64_t>(size)) {
            why = "damaged File Meta Information (an element runs past the end of the file)";
            return false;
        }
        p += header + static_cast<size_t>(length);
    }
    if (n < static_cast<size_t>(size)) return true; // a meta group longer than the probe: GDCM reads it
    // The whole file was probed: it must continue past the meta group with at least one element header.
    if (static_cast<long>(p) + 8 > size) { why = "the file ends at or inside its File Meta Information"; return false; }
    return true;
}

// GDCM allocates each element's declared length before reading it, so a corrupt length in a small
// file can make it reserve gigabytes. Walk the data set first and check that every defined length
// fits in the bytes that remain. Explicit and implicit VR little endian and explicit big endian are
// walked; sequences and items of undefined length are stepped into; encapsulated pixel fragments
// are skipped. Deflated data sets are left to GDCM.
bool declared_lengths_fit(const std::string &path, bool with_pixels, std::string &why) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) { why = "cannot open the file"; return false; }
    struct stat info;
    if (fstat(fd, &info) != 0 || info.st_size < 132) { ::close(fd); return true; }
    size_t n = static_cast<size_t>(info.st_size);
    void *mapped = mmap(nullptr, n, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) return true;
    const unsigned char *d = static_cast<const unsigned char *>(mapped);
    struct Unmap {
        void *p; size_t n;
        ~Unmap() { munmap(p, n); }
    } unmap{mapped, n};
    if (std::memcmp(d + 128, "DICM", 4) != 0) return true;
    auto u16 = [&](size_t p, bool big) { return big ? static_cast<uint32_t>(d[p] << 8 | d[p + 1]) : static_cast<uint32_t>(d[p] | d[p + 1] << 8); };
    auto u32 = [&](size_t p, bool big) {
        return big ? (static_cast<uint32_t>(d[p]) << 24 | static_cast<uint32_t>(d[p + 1]) << 16 | static_cast<uint32_t>(d[p + 2]) << 8 | d[p + 3])
                   : (static_cast<uint32_t>(d[p]) | static_cast<uint32_t>(d[p + 1]) << 8 | static_cast<uint32_t>(d[p + 2]) << 16 |
                      static_cast<uint32_t>(d[p + 3]) << 24);
    };
    auto long_form = [](const char *vr) {
        static const char *names[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"};
        for (const char *name : names) if (vr[0] == name[0] && vr[1] == name[1]) return true;
        return false;
    };
    auto known_vr = [](const char *vr) {
        static const char *names[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB", "OD", "OF", "OL",
                                      "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US",
                                      "UT", "UV"};
        for (const char *name : names) if (vr[0] == name[0] && vr[1] == name[1]) return true;
        return false;
    };
    // The meta group is explicit VR little endian; its transfer syntax decides the rest.
    size_t p = 132;
    std::string syntax;
    while (p + 8 <= n && u16(p, false) == 0x0002) {
        char vr[2] = {static_cast<char>(d[p + 4]), static_cast<char>(d[p + 5])};
        size_t header = long_form(vr) ? 12 : 8;
        if (p + header > n) return true;
        size_t length = header == 12 ? u32(p + 8, false) : u16(p + 6, false);
        if (u16(p + 2, false) == 0x0010 && p + header + length <= n) {
            syntax.assign(reinterpret_cast<const char *>(d + p + header), length);
            while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();
        }
        p += header + length;
    }
    if (syntax == "1.2.840.10008.1.2.1.99") return true; // deflated
    bool implicitVR = syntax == "1.2.840.10008.1.2";
    bool big = syntax == "1.2.840.10008.1.2.2";
    int fragments_depth = 0; // inside encapsulated pixel data, items are raw fragments
    while (p + 8 <= n) {
        uint32_t group = u16(p, big), element = u16(p + 2, big);
        if (group == 0xFFFE) {
            uint32_t length = u32(p + 4, big);
            if (element == 0xE0DD) { if (fragments_depth > 0) --fragments_depth; p += 8; continue; }
            if (element == 0xE00D) { p += 8; continue; }
            if (length != 0xFFFFFFFFu && p + 8 + length > n) {
                why = "damaged data set: an item declares " + std::to_string(length) + " bytes, " + std::to_string(n - p - 8) + " remain";
                return false;
            }
            p += 8 + (fragments_depth > 0 && length != 0xFFFFFFFFu ? length : 0);
            continue;
        }
        size_t header = 8;
        uint64_t length;
        bool sequence = false;
        if (implicitVR) {
            length = u32(p + 4, big);
        } else {
            char vr[2] = {static_cast<char>(d[p + 4]), static_cast<char>(d[p + 5])};
            if (!known_vr(vr)) {
                char tag[16];
                std::snprintf(tag, sizeof(tag), "(%04X,%04X)", group, element);
                why = std::string("damaged data set: element ") + tag + " has no valid value representation";
                return false;
            }
            if (long_form(vr)) {
                if (p + 12 > n) { why = "damaged data set: the file ends inside an element header"; return false; }
                header = 12;
                length = u32(p + 8, big);
            } else {
                length = u16(p + 6, big);
            }
            sequence = vr[0] == 'S' && vr[1] == 'Q';
        }
        if (length == 0xFFFFFFFFu) {
            if (group == 0x7FE0 && element == 0x0010) ++fragments_depth;
            p += header; // undefined length: step into the sequence or the fragments
            continue;
        }
        if (p + header + length > n) {
            char tag[16];
            std::snprintf(tag, sizeof(tag), "(%04X,%04X)", group, element);
            why = std::string("damaged data set: element ") + tag + " declares " + std::to_string(length) + " bytes, only " +
                  std::to_string(n - p - header) + " remain";
            if (group == 0x7FE0 && element == 0x0010) {
                if (!with_pixels) return true; // metadata reads stop before the pixel data
                why = "truncated pixel data: " + std::to_string(n - p - header) + " bytes present, " + std::to_string(length) + " declared";
            }
            return false;
        }
        p += header + (sequence ? 0 : static_cast<size_t>(length));
    }
    return true;
}

} // namespace

extern "C" {

cdicom_file cdicom_open(const char *path, int with_pixels, char *error, size_t error_len) {
    CDICOM_TRY(nullptr,
        silence_gdcm();
        struct stat info;
        if (stat(path, &info) != 0) {
            set_error(error, error_len, "no such file");
            return nullptr;
        }
        if (info.st_size == 0) {
            set_error(error, error_len, "the file is empty");
            return nullptr;
        }
        std::string why;
        if (!meta_information_is_sound(path, why) || !declared_lengths_fit(path, with_pixels != 0, why)) {
            set_error(error, error_len, why);
            return nullptr;
        }
        auto file = std::make_unique<cdicom_file_opaque>();
        file->path = path;
        file->with_pixels = with_pixels != 0;
        // On an abort the half-read reader is leaked on purpose: its state is unknown.
        CDICOM_GUARD_ABORTS({
            set_error(error, error_len, "damaged DICOM file (GDCM's consistency check failed while reading it)");
            return nullptr;
        });
        AllocationCap cap(cap_for_file(path));
        if (with_pixels) {
            auto reader = std::make_unique<gdcm::ImageReader>();
            reader->SetFileName(path);
            if (!reader->Read()) {
                // Tell a non-image DICOM from a file that is not DICOM at all.
                gdcm::Reader plain;
                plain.SetFileName(path);
                if (plain.Read()) {
                    set_error(error, error_len, plain.GetFile().GetDataSet().FindDataElement(gdcm::Tag(0x7fe0, 0x0010))
                                                    ? "the pixel data cannot be read (damaged or unsupported image)"
                                                    : "a DICOM file without an image (no Pixel Data)");
                } else {
                    set_error(error, error_len, "not a readable DICOM file");
                }
                return nullptr;
            }
            file->reader = std::move(reader);
        } else {
            auto reader = std::make_unique<gdcm::Reader>();
            reader->SetFileName(path);
            std::set<gdcm::Tag> skip{gdcm::Tag(0x7fe0, 0x0010)};
            if (!reader->ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010), skip)) {
                set_error(error, error_len, "not a readable DICOM file");
                return nullptr;
            }
            file->reader = std::move(reader);
        }
        return file.release();
    )
}

void cdicom_close(cdicom_file file) { delete file; }

void cdicom_set_jpeg2000_threads(int threads) { jpeg2000_threads.store(threads < 0 ? 0 : threads); }

long cdicom_string(cdicom_file f, uint16_t group, uint16_t element, char *buf, size_t len) {
    try {
        const gdcm::DataElement *de = element_of(dataset(f), group, element);
        return de ? write_text(element_text(f, *de), buf, len) : -1;
    } catch (...) {
        return -1;
    }
}

int cdicom_sequence_items(cdicom_file f, uint16_t sg, uint16_t se) {
    try {
        auto sq = sequence(f, sg, se);
        return sq ? static_cast<int>(sq->GetNumberOfItems()) : 0;
    } catch (...) {
        return 0;
    }
}

long cdicom_item_string(cdicom_file f, uint16_t sg, uint16_t se, int item, uint16_t group, uint16_t element, char *buf,
                        size_t len) {
    try {
        auto sq = sequence(f, sg, se);
        const gdcm::DataSet *nested = item_of(sq, item);
        const gdcm::DataElement *de = nested ? element_of(*nested, group, element) : nullptr;
        return de ? write_text(element_text(f, *de), buf, len) : -1;
    } catch (...) {
        return -1;
    }
}

long cdicom_item_bytes(cdicom_file f, uint16_t sg, uint16_t se, int item, uint16_t group, uint16_t element, void *buf,
                       size_t len, char vr[3]) {
    try {
        auto sq = sequence(f, sg, se);
        const gdcm::DataSet *nested = item_of(sq, item);
        const gdcm::DataElement *found = nested ? element_of(*nested, group, element, true) : nullptr;
        if (found == nullptr) return -1;
        const gdcm::DataElement &de = *found;
        const gdcm::ByteValue *bv = de.GetByteValue();
        if (bv == nullptr) return -1;
        std::string name = gdcm::VR::GetVRString(de.GetVR());
        if (vr != nullptr) {
            vr[0] = name.size() > 0 ? name[0] : '?';
            vr[1] = name.size() > 1 ? name[1] : '?';
            vr[2] = '\0';
        }
        size_t n = bv->GetLength();
        if (buf != nullptr && len >= n) std::memcpy(buf, bv->GetPointer(), n);
        return static_cast<long>(n);
    } catch (...) {
        return -1;
    }
}

int cdicom_little_endian(cdicom_file f) {
    try {
        return f->reader->GetFile().GetHeader().GetDataSetTransferSyntax().GetSwapCode() == gdcm::SwapCode::BigEndian ? 0 : 1;
    } catch (...) {
        return 1;
    }
}

int cdicom_layout_of(cdicom_file f, cdicom_layout *out, char *error, size_t error_len) {
    CDICOM_TRY(-1,
        std::memset(out, 0, sizeof(*out));
        CDICOM_PIXEL_ENTRY(f, "damaged image description (GDCM's consistency check failed)");
        const gdcm::Image &image = static_cast<gdcm::ImageReader &>(*f->reader).GetImage();
        const unsigned int *dims = image.GetDimensions();
        out->columns = dims[0];
        out->rows = dims[1];
        out->frames = image.GetNumberOfDimensions() > 2 ? dims[2] : 1;
        const gdcm::PixelFormat &format = image.GetPixelFormat();
        out->samples_per_pixel = format.GetSamplesPerPixel();
        out->bits_allocated = format.GetBitsAllocated();
        out->bits_stored = format.GetBitsStored();
        if (out->bits_stored > out->bits_allocated || out->bits_allocated == 0) {
            set_error(error, error_len, "inconsistent pixel description: " + std::to_string(out->bits_stored) + " bits stored in " +
                                            std::to_string(out->bits_allocated) + " allocated");
            return -1;
        }
        out->pixel_representation = format.GetPixelRepresentation();
        out->decoded_length = image.GetBufferLength();
        out->encapsulated = image.GetTransferSyntax().IsEncapsulated() ? 1 : 0;
        std::string photometric = trim(image.GetPhotometricInterpretation().GetString() ? image.GetPhotometricInterpretation().GetString() : "");
        std::strncpy(out->photometric, photometric.c_str(), sizeof(out->photometric) - 1);
        const char *ts = gdcm::TransferSyntax::GetTSString(image.GetTransferSyntax());
        std::string uid = ts ? ts : "";
        const gdcm::FileMetaInformation &meta = f->reader->GetFile().GetHeader();
        if (meta.FindDataElement(gdcm::Tag(0x0002, 0x0010))) {
            const gdcm::ByteValue *bv = meta.GetDataElement(gdcm::Tag(0x0002, 0x0010)).GetByteValue();
            if (bv) uid = trim(std::string(bv->GetPointer(), bv->GetLength()));
        }
        std::strncpy(out->transfer_syntax, uid.c_str(), sizeof(out->transfer_syntax) - 1);
        return 0;
    )
}

int cdicom_decode(cdicom_file f, void *dst, size_t len, char *error, size_t error_len) {
    CDICOM_TRY(-1,
        CDICOM_PIXEL_ENTRY(f, "damaged pixel data (GDCM's consistency check failed while decoding it)");
        const gdcm::Image &image = static_cast<gdcm::ImageReader &>(*f->reader).GetImage();
        size_t needed = image.GetBufferLength();
        AllocationCap cap(cap_for_file(f->path) + needed * 2);
        if (len < needed) {
            set_error(error, error_len, "destination buffer too small");
            return -1;
        }
        if (!image.GetTransferSyntax().IsEncapsulated()) {
            // GDCM zero-fills truncated native pixel data with only a warning: measure the bytes that
            // follow the Pixel Data element header in the file.
            gdcm::Reader upTo;
            upTo.SetFileName(f->path.c_str());
            std::set<gdcm::Tag> skip{gdcm::Tag(0x7fe0, 0x0010)};
            struct stat info;
            // Skipping the Pixel Data value leaves the stream at its first byte.
            if (upTo.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010), skip) && stat(f->path.c_str(), &info) == 0) {
                size_t position = upTo.GetStreamCurrentPosition();
                size_t size = static_cast<size_t>(info.st_size);
                size_t available = size > position ? size - position : 0;
                if (available < needed) {
                    set_error(error, error_len, "truncated pixel data: " + std::to_string(available) + " bytes present, " +
                                                    std::to_string(needed) + " expected");
                    return -1;
                }
            }
        }
        const gdcm::TransferSyntax &syntax = image.GetTransferSyntax();
        int threads = jpeg2000_threads.load();
        if (threads > 0 && (syntax == gdcm::TransferSyntax::JPEG2000Lossless || syntax == gdcm::TransferSyntax::JPEG2000)) {
            // The codec GetBuffer would build, with our thread count.
            gdcm::JPEG2000Codec codec;
            codec.SetNumberOfThreadsForDecompression(threads);
            codec.SetPixelFormat(image.GetPixelFormat());
            codec.SetNumberOfDimensions(image.GetNumberOfDimensions());
            codec.SetDimensions(image.GetDimensions());
            codec.SetPlanarConfiguration(image.GetPlanarConfiguration());
            codec.SetPhotometricInterpretation(image.GetPhotometricInterpretation());
            codec.SetNeedOverlayCleanup(image.AreOverlaysInPixelData() || image.UnusedBitsPresentInPixelData());
            gdcm::DataElement decoded;
            if (codec.CanDecode(syntax) && codec.Decode(image.GetDataElement(), decoded) && decoded.GetByteValue() != nullptr &&
                decoded.GetByteValue()->GetLength() >= needed) {
                std::memcpy(dst, decoded.GetByteValue()->GetPointer(), needed);
                return 0;
            }
            // Anything unusual: let GetBuffer handle it (and report failures) as usual.
        }
        if (!image.GetBuffer(static_cast<char *>(dst))) {
            set_error(error, error_len, "the pixel data could not be decoded (corrupt or unsupported compressed stream)");
            return -1;
        }
        return 0;
    )
}

} // extern "C"
