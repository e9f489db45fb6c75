/* SPDX-License-Identifier: MIT */
/* Unit tests of the gzip bodies: each inflates, with zlib, to its text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <check.h>

#include "body.h"

/* Sizes around the edges: empty, one byte, one segment, typical, > 64 KiB. */
static const size_t sizes[] = {0, 1, 1400, 12000, 70000, 300000};

/*
 * Fills b->text with n bytes of metric-like lines whose values come from a
 * fixed pseudo-random sequence, so that matches are neither absent nor
 * trivial; when noise is set, with bytes that do not compress at all.
 */
static void fill(struct body *b, size_t n, bool noise)
{
    unsigned int x = 12345;
    char line[96];

    b->text.len = 0;
    ck_assert_int_eq(ksm_buf_reserve(&b->text, n), 0);
    while (b->text.len < n) {
        size_t len, room = n - b->text.len;

        x = x * 1103515245U + 12345U;
        if (noise) {
            b->text.data[b->text.len++] = (char)(x >> 16);
            continue;
        }
        len = (size_t)snprintf(line, sizeof(line),
                               "ksm_process_merging_pages{pid=\"%u\"} %u\n",
                               x % 40000, x >> 8);
        len = len < room ? len : room;
        memcpy(b->text.data + b->text.len, line, len);
        b->text.len += len;
    }
}

/* Inflates b->gz as gzip only and checks that it gives back b->text. */
static void check_inflates(const struct body *b)
{
    size_t cap = b->text.len + 1;
    unsigned char *out = malloc(cap);
    z_stream z = {0};

    ck_assert_ptr_nonnull(out);
    ck_assert_uint_ge(b->gz.len, 18);
    ck_assert_uint_eq((unsigned char)b->gz.data[0], 0x1f);
    ck_assert_uint_eq((unsigned char)b->gz.data[1], 0x8b);
    ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)b->gz.data;
    z.avail_in = (uInt)b->gz.len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
    /* One member, nothing after it, and exactly the text. */
    ck_assert_uint_eq(z.avail_in, 0);
    ck_assert_uint_eq(z.total_out, b->text.len);
    ck_assert(b->text.len == 0 || memcmp(out, b->text.data, b->text.len) == 0);
    inflateEnd(&z);
    free(out);
}

START_TEST(test_gzip_inflates)
{
    struct body_pool p;
    struct body *b;

    body_pool_init(&p);
    b = body_take(&p);
    ck_assert_ptr_nonnull(b);
    /* No compressor until a body is compressed. */
    ck_assert_ptr_null(p.gzip);
    fill(b, sizes[_i], false);
    ck_assert_int_eq(body_compress(&p, b), 0);
    check_inflates(b);
    /* Text compresses well; the typical body to a third or less. */
    if (sizes[_i] >= 12000)
        ck_assert_uint_lt(b->gz.len * 3, b->text.len);
    fill(b, sizes[_i], true);
    ck_assert_int_eq(body_compress(&p, b), 0);
    check_inflates(b);
    body_return(b);
    body_pool_fini(&p);
}
END_TEST

/* A pooled body reused for a smaller text: nothing of the last one stays. */
START_TEST(test_reuse)
{
    struct body_pool p;
    struct body *b;

    body_pool_init(&p);
    for (int round = 0; round < 2; round++) {
        for (size_t i = sizeof(sizes) / sizeof(sizes[0]); i-- > 0;) {
            b = body_take(&p);
            ck_assert_ptr_nonnull(b);
            fill(b, sizes[i], round == 1);
            ck_assert_int_eq(body_compress(&p, b), 0);
            check_inflates(b);
            body_return(b);
        }
    }
    body_pool_fini(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("body");
    TCase *tc = tcase_create("gzip");
    SRunner *sr;
    int failed;

    tcase_add_loop_test(tc, test_gzip_inflates, 0,
                        (int)(sizeof(sizes) / sizeof(sizes[0])));
    tcase_add_test(tc, test_reuse);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
