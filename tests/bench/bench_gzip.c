/* SPDX-License-Identifier: MIT */
/*
 * gzip of one /metrics body, in one run: zlib level 1 with its default
 * window and memory level, with the exporter's former 8 KiB window and
 * memLevel 6, with the fastest of every window (9..15) and memLevel (1..9),
 * and libdeflate level 1 in one shot (what the exporter uses).  Prints the
 * median microseconds per body and the compressed size of each.
 * Usage: bench_gzip BODY_FILE
 */
/* zlib's next_in points to const: the body is only read. */
#define ZLIB_CONST
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench_util.h"

#define ROUNDS    9
#define PER_ROUND 100

struct input {
    const unsigned char *text;
    size_t len;
    unsigned char *out;
    size_t cap;
};

/* Median µs of one zlib gzip at level 1; *size gets the output size. */
static double time_zlib(const struct input *in, int wbits, int memlevel,
                        size_t *size)
{
    double t[ROUNDS];
    z_stream z = {0};

    if (deflateInit2(&z, 1, Z_DEFLATED, wbits + 16, memlevel,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now_us();

        for (int i = 0; i < PER_ROUND; i++) {
            deflateReset(&z);
            z.next_in = in->text;
            z.avail_in = (uInt)in->len;
            z.next_out = in->out;
            z.avail_out = (uInt)in->cap;
            if (deflate(&z, Z_FINISH) != Z_STREAM_END)
                return -1;
        }
        t[r] = (bench_now_us() - t0) / PER_ROUND;
    }
    *size = z.total_out;
    deflateEnd(&z);
    return bench_median(t, ROUNDS);
}

/* The same for libdeflate level 1, its compressor kept across bodies. */
static double time_libdeflate(const struct input *in, size_t *size)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
    double t[ROUNDS];

    if (!c)
        return -1;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now_us();

        for (int i = 0; i < PER_ROUND; i++)
            *size = libdeflate_gzip_compress(c, in->text, in->len, in->out,
                                             in->cap);
        t[r] = (bench_now_us() - t0) / PER_ROUND;
    }
    libdeflate_free_compressor(c);
    return *size ? bench_median(t, ROUNDS) : -1;
}

/* The whole file at path into in; 0 or -1. */
static int load(const char *path, struct input *in)
{
    static unsigned char text[1 << 20];
    FILE *fp = fopen(path, "rb");

    if (!fp)
        return -1;
    in->len = fread(text, 1, sizeof(text), fp);
    fclose(fp);
    in->text = text;
    in->cap = compressBound((uLong)in->len) + 64;
    in->out = malloc(in->cap);
    return in->out ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct input in;
    double us, best = 1e9;
    int best_w = 0, best_m = 0;
    size_t size = 0, best_size = 0;

    if (argc != 2 || load(argv[1], &in) != 0) {
        fprintf(stderr, "usage: bench_gzip BODY_FILE\n");
        return 2;
    }
    printf("gzip of a %zu-byte body, median of %d rounds\n", in.len, ROUNDS);
    printf("%-40s %9s %9s\n", "compressor", "us/body", "bytes");
    us = time_zlib(&in, 15, 8, &size);
    printf("%-40s %9.1f %9zu\n", "zlib 1, window 32 KiB, memLevel 8", us, size);
    us = time_zlib(&in, 13, 6, &size);
    printf("%-40s %9.1f %9zu\n", "zlib 1, window 8 KiB, memLevel 6", us, size);
    for (int w = 9; w <= 15; w++) {
        for (int m = 1; m <= 9; m++) {
            us = time_zlib(&in, w, m, &size);
            if (us >= 0 && us < best) {
                best = us;
                best_w = w;
                best_m = m;
                best_size = size;
            }
        }
    }
    printf("zlib 1, fastest: windowBits %-2d memLevel %d %9.1f %9zu\n", best_w,
           best_m, best, best_size);
    us = time_libdeflate(&in, &size);
    printf("%-40s %9.1f %9zu\n", "libdeflate 1 (ksm_exporter)", us, size);
    free(in.out);
    return 0;
}
