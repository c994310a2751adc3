/*
 * cpng.h: PNG reading and writing for MammoFM over libpng, with a plain C interface.
 * Functions return 0 on success, or -1 with a message in `error` (never longjmp into the caller).
 */
#ifndef MAMMOFM_CPNG_H
#define MAMMOFM_CPNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int width;
    int height;
    /* 8 or 16: the sample depth of the file (1, 2 and 4-bit files are widened to 8). */
    int bit_depth;
    /* Samples per pixel after palette expansion, alpha kept: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
    int channels;
    /* width * height * channels samples, row-major, widened to 16 bits without rescaling. */
    uint16_t *samples;
} cpng_image;

/* Refuses, before inflating anything, an image of more than `max_samples` samples (width x height x
 * channels) or one whose decoded rows could not come from a file of this size (deflate expands at most
 * 1032 times): a decompression bomb is an error, not an allocation. */
int cpng_read(const char *path, cpng_image *out, uint64_t max_samples, char *error, size_t error_len);
void cpng_free(cpng_image *image);
/* Writes a grayscale PNG of 8 or 16 bits per sample (8-bit samples must be <= 255). */
int cpng_write_gray(const char *path, const uint16_t *samples, int width, int height, int bit_depth, char *error,
                    size_t error_len);
/* Writes an 8-bit RGB PNG (width * height * 3 samples, row-major). */
int cpng_write_rgb8(const char *path, const uint8_t *rgb, int width, int height, char *error, size_t error_len);

#ifdef __cplusplus
}
#endif
#endif
