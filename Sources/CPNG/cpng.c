// PNG reading and writing over libpng. libpng reports errors by longjmp; every entry point sets its
// own jump target so that a damaged file becomes a returned message.
#include "cpng.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *error;
    size_t error_len;
} error_sink;

static void on_error(png_structp png, png_const_charp message) {
    error_sink *sink = (error_sink *)png_get_error_ptr(png);
    if (sink && sink->error && sink->error_len > 0) snprintf(sink->error, sink->error_len, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void set_error(char *error, size_t error_len, const char *message) {
    if (error && error_len > 0) snprintf(error, error_len, "%s", message);
}

int cpng_read(const char *path, cpng_image *out, uint64_t max_samples, char *error, size_t error_len) {
    memset(out, 0, sizeof(*out));
    FILE *file = fopen(path, "rb");
    if (!file) {
        set_error(error, error_len, "cannot open the file");
        return -1;
    }
    unsigned char signature[8];
    if (fread(signature, 1, 8, file) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        fclose(file);
        set_error(error, error_len, "not a PNG file (bad signature)");
        return -1;
    }
    error_sink sink = {error, error_len};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_read_struct(&png, NULL, NULL);
        fclose(file);
        set_error(error, error_len, "out of memory");
        return -1;
    }
    png_bytep *volatile rows = NULL;
    unsigned char *volatile buffer = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        free(buffer);
        free(out->samples);
        out->samples = NULL;
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        return -1;
    }
    if (fseek(file, 0, SEEK_END) != 0) png_error(png, "cannot measure the file");
    long file_bytes = ftell(file);
    if (file_bytes < 0 || fseek(file, 8, SEEK_SET) != 0) png_error(png, "cannot measure the file");
    png_init_io(png, file);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_swap(png); /* host order on little-endian machines */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int width = (int)png_get_image_width(png, info), height = (int)png_get_image_height(png, info);
    int channels = png_get_channels(png, info);
    int bytes_per_sample = png_get_bit_depth(png, info) == 16 ? 2 : 1;
    size_t row_bytes = png_get_rowbytes(png, info);
    if (width <= 0 || height <= 0 || channels <= 0) png_error(png, "the image has no pixels");
    uint64_t samples = (uint64_t)width * (uint64_t)height * (uint64_t)channels;
    if (samples > max_samples) {
        char message[256];
        snprintf(message, sizeof message, "%d x %d pixels x %d channels exceed the limit of %llu samples", width, height, channels,
                 (unsigned long long)max_samples);
        png_error(png, message);
    }
    /* Rows plus one filter byte each; deflate stores at most 1032 bytes per compressed byte. */
    uint64_t inflated = ((uint64_t)row_bytes + 1) * (uint64_t)height;
    if (inflated / 1032 > (uint64_t)file_bytes + 1024) {
        char message[256];
        snprintf(message, sizeof message, "%d x %d pixels (%llu bytes inflated) cannot come from a file of %ld bytes (a decompression bomb or a damaged header)",
                 width, height, (unsigned long long)inflated, file_bytes);
        png_error(png, message);
    }
    buffer = malloc(row_bytes * (size_t)height);
    rows = malloc(sizeof(png_bytep) * (size_t)height);
    out->samples = malloc(sizeof(uint16_t) * (size_t)width * (size_t)height * (size_t)channels);
    if (!buffer || !rows || !out->samples) png_error(png, "out of memory");
    for (int y = 0; y < height; ++y) rows[y] = buffer + row_bytes * (size_t)y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    size_t count = (size_t)width * (size_t)height * (size_t)channels;
    for (size_t y = 0, i = 0; y < (size_t)height; ++y) {
        for (size_t x = 0; x < (size_t)width * (size_t)channels; ++x, ++i) {
            out->samples[i] = bytes_per_sample == 2 ? ((uint16_t *)rows[y])[x] : rows[y][x];
        }
    }
    (void)count;
    out->width = width;
    out->height = height;
    out->channels = channels;
    out->bit_depth = bytes_per_sample * 8;
    free(rows);
    free(buffer);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    return 0;
}

void cpng_free(cpng_image *image) {
    free(image->samples);
    image->samples = NULL;
}

/* Fills `row` (width * channels * bytes per sample) with row y of the image. */
typedef void (*row_filler)(const void *image, int width, int y, unsigned char *row);

static void fill_gray8(const void *image, int width, int y, unsigned char *row) {
    const uint16_t *source = (const uint16_t *)image + (size_t)y * (size_t)width;
    for (int x = 0; x < width; ++x) row[x] = (unsigned char)(source[x] > 255 ? 255 : source[x]);
}

static void fill_gray16(const void *image, int width, int y, unsigned char *row) {
    memcpy(row, (const uint16_t *)image + (size_t)y * (size_t)width, (size_t)width * 2);
}

static void fill_rgb8(const void *image, int width, int y, unsigned char *row) {
    memcpy(row, (const uint8_t *)image + (size_t)y * (size_t)width * 3, (size_t)width * 3);
}

/* One PNG writer for every layout: `channels` samples of `bit_depth` bits per pixel, rows from `fill`. */
static int write_png(const char *path, const void *image, int width, int height, int bit_depth, int color_type,
                     int channels, row_filler fill, char *error, size_t error_len) {
    FILE *file = fopen(path, "wb");
    if (!file) {
        set_error(error, error_len, "cannot create the file");
        return -1;
    }
    error_sink sink = {error, error_len};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    unsigned char *volatile row = NULL;
    if (!png || !info) {
        if (png) png_destroy_write_struct(&png, NULL);
        fclose(file);
        set_error(error, error_len, "out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        free(row);
        png_destroy_write_struct(&png, &info);
        fclose(file);
        return -1;
    }
    png_init_io(png, file);
    // Fast deflate, as OpenCV writes PNGs by default: model inputs are written once and read often.
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (bit_depth == 16) png_set_swap(png);
    row = malloc((size_t)width * (size_t)channels * (bit_depth == 16 ? 2 : 1));
    if (!row) png_error(png, "out of memory");
    for (int y = 0; y < height; ++y) {
        fill(image, width, y, row);
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    free(row);
    png_destroy_write_struct(&png, &info);
    if (fclose(file) != 0) {
        set_error(error, error_len, "cannot finish writing the file");
        return -1;
    }
    return 0;
}

int cpng_write_gray(const char *path, const uint16_t *samples, int width, int height, int bit_depth, char *error,
                    size_t error_len) {
    if (bit_depth != 8 && bit_depth != 16) {
        set_error(error, error_len, "bit depth must be 8 or 16");
        return -1;
    }
    return write_png(path, samples, width, height, bit_depth, PNG_COLOR_TYPE_GRAY, 1,
                     bit_depth == 16 ? fill_gray16 : fill_gray8, error, error_len);
}

int cpng_write_rgb8(const char *path, const uint8_t *rgb, int width, int height, char *error, size_t error_len) {
    return write_png(path, rgb, width, height, 8, PNG_COLOR_TYPE_RGB, 3, fill_rgb8, error, error_len);
}
