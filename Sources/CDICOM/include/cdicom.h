/*
 * cdicom.h: DICOM reading for MammoFM over GDCM, with a plain C interface.
 * Every function catches C++ exceptions; failures return -1 (or NULL handles) with a message in `error`.
 * Different files may be read on different threads at once; one handle belongs to one thread at a time.
 */
#ifndef MAMMOFM_CDICOM_H
#define MAMMOFM_CDICOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cdicom_file_opaque *cdicom_file;

typedef struct {
    uint32_t rows, columns, frames, samples_per_pixel;
    uint32_t bits_allocated;
    /* As the decoder reports it (for JPEG 2000 this comes from the codestream, not the header). */
    uint32_t bits_stored;
    uint32_t pixel_representation;
    /* Bytes the decoded buffer holds. */
    uint64_t decoded_length;
    int encapsulated;
    char photometric[32];
    char transfer_syntax[72];
} cdicom_layout;

/* Opens a file. With `with_pixels` the pixel module is parsed too (needed by layout/decode). */
cdicom_file cdicom_open(const char *path, int with_pixels, char *error, size_t error_len);
void cdicom_close(cdicom_file file);

/* A top-level element as text (multiple values joined by '\'), written NUL-terminated into buf.
   Returns the full text length, or -1 when the element is absent or empty. */
long cdicom_string(cdicom_file file, uint16_t group, uint16_t element, char *buf, size_t len);
/* The same inside item `item` of the top-level sequence (sg,se). */
long cdicom_item_string(cdicom_file file, uint16_t sg, uint16_t se, int item, uint16_t group, uint16_t element,
                        char *buf, size_t len);
/* Raw value bytes of an element inside a sequence item (e.g. LUT Data); returns the byte length or -1.
   `vr` receives the two-letter VR. */
long cdicom_item_bytes(cdicom_file file, uint16_t sg, uint16_t se, int item, uint16_t group, uint16_t element,
                       void *buf, size_t len, char vr[3]);
/* Items in the top-level sequence (sg,se); 0 when absent. */
int cdicom_sequence_items(cdicom_file file, uint16_t sg, uint16_t se);
/* Whether the file is little endian (1) or big endian (0). */
int cdicom_little_endian(cdicom_file file);

int cdicom_layout_of(cdicom_file file, cdicom_layout *out, char *error, size_t error_len);
/* Decodes every frame into dst (decoded_length bytes): stored values in bits_allocated containers,
   host byte order. Truncated or undecodable pixel data is an error. */
int cdicom_decode(cdicom_file file, void *dst, size_t len, char *error, size_t error_len);
/* Threads the JPEG 2000 decoder uses per image: 1 when many files decode at once (the default GDCM
   choice, every core per image, oversubscribes them), 0 for GDCM's default. Process-wide. */
void cdicom_set_jpeg2000_threads(int threads);

/* Re-encodes a complete DICOM file held in memory (Part 10, Explicit VR Little Endian, native Pixel Data)
   into `transfer_syntax` (a lossless UID: JPEG 2000 .90, JPEG-LS .80, RLE .5, JPEG Lossless .70/.57)
   and writes it to `path` (the caller renames it into place). Returns 0, or -1 with a message. */
int cdicom_write_encoded(const void *file_bytes, size_t length, const char *transfer_syntax, const char *path,
                         char *error, size_t error_len);

#ifdef __cplusplus
}
#endif
#endif
