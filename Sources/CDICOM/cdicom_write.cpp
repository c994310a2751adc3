// DICOM writing over GDCM: the caller builds an uncompressed file; GDCM's codecs compress its pixels.
#include "cdicom.h"
#include "cdicom_internal.h"

#include <gdcm-3.0/gdcmImageChangeTransferSyntax.h>
#include <gdcm-3.0/gdcmImageReader.h>
#include <gdcm-3.0/gdcmImageWriter.h>
#include <gdcm-3.0/gdcmTrace.h>
#include <gdcm-3.0/gdcmTransferSyntax.h>

#include <cstring>
#include <sstream>
#include <string>

using cdicom_internal::set_error;

extern "C" int cdicom_write_encoded(const void *file_bytes, size_t length, const char *transfer_syntax, const char *path,
                                    char *error, size_t error_len) {
    try {
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
        gdcm::TransferSyntax::TSType type = gdcm::TransferSyntax::GetTSType(transfer_syntax);
        if (type == gdcm::TransferSyntax::TS_END) {
            set_error(error, error_len, std::string("unknown transfer syntax ") + transfer_syntax);
            return -1;
        }
        std::istringstream input(std::string(static_cast<const char *>(file_bytes), length));
        gdcm::ImageReader reader;
        reader.SetStream(input);
        if (!reader.Read()) {
            set_error(error, error_len, "the uncompressed file built for encoding does not parse");
            return -1;
        }
        gdcm::ImageChangeTransferSyntax change;
        change.SetTransferSyntax(gdcm::TransferSyntax(type));
        change.SetInput(reader.GetImage());
        if (!change.Change()) {
            set_error(error, error_len, std::string("GDCM cannot encode the pixels as ") + transfer_syntax);
            return -1;
        }
        gdcm::ImageWriter writer;
        writer.SetFileName(path);
        writer.SetFile(reader.GetFile());
        writer.SetImage(change.GetOutput());
        if (!writer.Write()) {
            set_error(error, error_len, "cannot write the encoded file");
            return -1;
        }
        return 0;
    } catch (const std::exception &e) {
        set_error(error, error_len, e.what());
        return -1;
    } catch (...) {
        set_error(error, error_len, "unknown error while encoding");
        return -1;
    }
}
