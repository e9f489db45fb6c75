/* SPDX-License-Identifier: MIT */
/* Prints one rendered sample of a sysfs tree: for goldens and quick looks. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksm/render.h"
#include "ksm/sampler.h"

static int usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--page-size=N] [--samples=N] [--openmetrics] "
            "[--procfs=ROOT [--processes]] [SYSFS_ROOT]\n",
            prog);
    return 2;
}

static int parse_arg(const char *opt, const char *arg, uint64_t *out)
{
    int err = ksm_parse_u64(arg, strlen(arg), out);

    if (err)
        fprintf(stderr, "ksm_dump: --%s=%s: %s\n", opt, arg, strerror(-err));
    return err;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"page-size", required_argument, NULL, 'p'},
        {"samples", required_argument, NULL, 'n'},
        {"openmetrics", no_argument, NULL, 'o'},
        {"procfs", required_argument, NULL, 'P'},
        {"processes", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    struct ksm_sampler_config cfg = {0};
    enum ksm_format fmt = KSM_FORMAT_TEXT;
    struct ksm_sampler *sampler = NULL;
    struct ksm_sample sample;
    struct ksm_buf buf = {0};
    uint64_t samples = 1;
    int c, err, rc = 1;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_arg("page-size", optarg, &cfg.page_size))
                return 2;
            break;
        case 'n':
            if (parse_arg("samples", optarg, &samples) || samples == 0)
                return 2;
            break;
        case 'o':
            fmt = KSM_FORMAT_OPENMETRICS;
            break;
        case 'P':
            cfg.procfs_root = optarg;
            cfg.ticks = 100; /* the fixtures' USER_HZ */
            break;
        case 'r':
            cfg.processes = true;
            break;
        default:
            return usage(argv[0]);
        }
    }
    if (argc - optind > 1)
        return usage(argv[0]);
    if (optind < argc)
        cfg.sysfs_root = argv[optind];

    err = ksm_sampler_new(&cfg, &sampler);
    if (err) {
        fprintf(stderr, "ksm_dump: %s\n", strerror(-err));
        return 1;
    }
    while (samples-- > 0) {
        err = ksm_sampler_read(sampler, &sample);
        if (err)
            fprintf(stderr, "ksm_dump: %s: %s\n", ksm_sampler_path(sampler),
                    strerror(-err));
    }
    for (int f = 0; f < KSM_FIELD_COUNT; f++)
        if (sample.failed & KSM_FIELD_BIT(f))
            fprintf(stderr, "ksm_dump: %s/%s: %s\n", ksm_sampler_path(sampler),
                    ksm_field_names[f], strerror(-sample.error[f]));
    if (ksm_render(&buf, &sample, fmt) == 0 && ksm_render_end(&buf, fmt) == 0 &&
        fwrite(buf.data, 1, buf.len, stdout) == buf.len && fflush(stdout) == 0)
        rc = 0;
    ksm_buf_free(&buf);
    ksm_sampler_free(sampler);
    return rc;
}
