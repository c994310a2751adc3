// DICOM reading over GDCM. Each entry point turns exceptions into messages; GDCM's own diagnostic
// streams are silenced once, since they are process-wide and would interleave across threads.
#include "cdicom.h"

#include <gdcm-3.0/gdcmImage.h>
#include <gdcm-3.0/gdcmImageReader.h>
#include <gdcm-3.0/gdcmReader.h>
#include <gdcm-3.0/gdcmSequenceOfItems.h>
#include <gdcm-3.0/gdcmStringFilter.h>
#include <gdcm-3.0/gdcmTrace.h>
#include <gdcm-3.0/gdcmTransferSyntax.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <sys/stat.h>

struct cdicom_file_opaque {
    std::string path;
    std::unique_ptr<gdcm::Reader> reader; // an ImageReader when pixels were requested
    bool with_pixels = false;
};

namespace {

void set_error(char *error, size_t len, const std::string &message) {
    if (error != nullptr && len > 0) {
        size_t n = message.size() < len - 1 ? message.size() : len - 1;
        std::memcpy(error, message.data(), n);
        error[n] = '\0';
    }
}

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

// Keeps the sequence alive while its items are read (an implicit-VR sequence is parsed on demand and
// would otherwise dangle).
gdcm::SmartPointer<gdcm::SequenceOfItems> sequence(cdicom_file f, uint16_t sg, uint16_t se) {
    const gdcm::DataSet &ds = dataset(f);
    gdcm::Tag tag(sg, se);
    if (!ds.FindDataElement(tag)) return nullptr;
    const gdcm::DataElement &de = ds.GetDataElement(tag);
    if (de.IsEmpty()) return nullptr;
    return de.GetValueAsSQ();
}

std::string element_text(cdicom_file f, const gdcm::DataElement &de) {
    gdcm::StringFilter filter;
    filter.SetFile(f->reader->GetFile());
    return trim(filter.ToString(de));
}

} // namespace

extern "C" {

cdicom_file cdicom_open(const char *path, int with_pixels, char *error, size_t error_len) {
    try {
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
        auto file = std::make_unique<cdicom_file_opaque>();
        file->path = path;
        file->with_pixels = with_pixels != 0;
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
            if (!reader->Read()) {
                set_error(error, error_len, "not a readable DICOM file");
                return nullptr;
            }
            file->reader = std::move(reader);
        }
        return file.release();
    } catch (const std::exception &e) {
        set_error(error, error_len, std::string("GDCM failed: ") + e.what());
    } catch (...) {
        set_error(error, error_len, "GDCM failed with an unknown exception");
    }
    return nullptr;
}

void cdicom_close(cdicom_file file) { delete file; }

long cdicom_string(cdicom_file f, uint16_t group, uint16_t element, char *buf, size_t len) {
    try {
        const gdcm::DataSet &ds = dataset(f);
        gdcm::Tag tag(group, element);
        if (!ds.FindDataElement(tag)) return -1;
        const gdcm::DataElement &de = ds.GetDataElement(tag);
        if (de.IsEmpty()) return -1;
        return write_text(element_text(f, de), buf, len);
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
        if (!sq || item < 0 || static_cast<size_t>(item) >= sq->GetNumberOfItems()) return -1;
        const gdcm::DataSet &nested = sq->GetItem(static_cast<size_t>(item) + 1).GetNestedDataSet();
        gdcm::Tag tag(group, element);
        if (!nested.FindDataElement(tag)) return -1;
        const gdcm::DataElement &de = nested.GetDataElement(tag);
        if (de.IsEmpty()) return -1;
        return write_text(element_text(f, de), buf, len);
    } catch (...) {
        return -1;
    }
}

long cdicom_item_bytes(cdicom_file f, uint16_t sg, uint16_t se, int item, uint16_t group, uint16_t element, void *buf,
                       size_t len, char vr[3]) {
    try {
        auto sq = sequence(f, sg, se);
        if (!sq || item < 0 || static_cast<size_t>(item) >= sq->GetNumberOfItems()) return -1;
        const gdcm::DataSet &nested = sq->GetItem(static_cast<size_t>(item) + 1).GetNestedDataSet();
        gdcm::Tag tag(group, element);
        if (!nested.FindDataElement(tag)) return -1;
        const gdcm::DataElement &de = nested.GetDataElement(tag);
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
    try {
        std::memset(out, 0, sizeof(*out));
        if (!f->with_pixels) {
            set_error(error, error_len, "the file was opened without its pixels");
            return -1;
        }
        const gdcm::Image &image = static_cast<gdcm::ImageReader &>(*f->reader).GetImage();
        const unsigned int *dims = image.GetDimensions();
        out->columns = dims[0];
        out->rows = dims[1];
        out->frames = image.GetNumberOfDimensions() > 2 ? dims[2] : 1;
        const gdcm::PixelFormat &format = image.GetPixelFormat();
        out->samples_per_pixel = format.GetSamplesPerPixel();
        out->bits_allocated = format.GetBitsAllocated();
        out->bits_stored = format.GetBitsStored();
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
    } catch (const std::exception &e) {
        set_error(error, error_len, std::string("GDCM failed: ") + e.what());
    } catch (...) {
        set_error(error, error_len, "GDCM failed with an unknown exception");
    }
    return -1;
}

int cdicom_decode(cdicom_file f, void *dst, size_t len, char *error, size_t error_len) {
    try {
        if (!f->with_pixels) {
            set_error(error, error_len, "the file was opened without its pixels");
            return -1;
        }
        const gdcm::Image &image = static_cast<gdcm::ImageReader &>(*f->reader).GetImage();
        size_t needed = image.GetBufferLength();
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
        if (!image.GetBuffer(static_cast<char *>(dst))) {
            set_error(error, error_len, "the pixel data could not be decoded (corrupt or unsupported compressed stream)");
            return -1;
        }
        return 0;
    } catch (const std::exception &e) {
        set_error(error, error_len, std::string("GDCM failed: ") + e.what());
    } catch (...) {
        set_error(error, error_len, "GDCM failed with an unknown exception");
    }
    return -1;
}

} // extern "C"
