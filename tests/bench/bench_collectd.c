/* SPDX-License-Identifier: MIT */
/* Microseconds per read callback of ksm.so (sampler + dispatch of every
 * value, dispatch stubbed), next to the sampler alone, in one run. */
#include "collectd_stubs.h" /* first: it includes collectd.h */

#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "ksm/sampler.h"

#define ROUNDS 7

int main(int argc, char **argv)
{
    char root[4096];
    long iters = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
    oconfig_value_t v = {.type = OCONFIG_TYPE_STRING};
    oconfig_item_t opt = {
        .key = (char[]){"SysfsRoot"}, .values = &v, .values_num = 1};
    oconfig_item_t block = {
        .key = (char[]){"Plugin"}, .children = &opt, .children_num = 1};
    struct ksm_sampler_config sc = {.sysfs_root = root};
    double t_plugin[ROUNDS], t_sampler[ROUNDS];
    struct ksm_sampler *sampler;
    struct ksm_sample sample;
    int dispatched = 0;

    snprintf(root, sizeof(root), "%s", argc > 1 ? argv[1] : "/sys");
    v.value.string = root;
    module_register();
    if (iters <= 0 || config_cb(&block) != 0 || init_cb() != 0 ||
        read_cb(&read_ud) != 0 || ksm_sampler_new(&sc, &sampler) != 0) {
        fprintf(stderr, "bench_collectd: cannot read %s/kernel/mm/ksm\n", root);
        return 1;
    }
    dispatched = nvalues;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = bench_now_us();

        for (long i = 0; i < iters; i++) {
            nvalues = 0;
            read_cb(&read_ud);
        }
        t_plugin[r] = (bench_now_us() - t0) / (double)iters;
        t0 = bench_now_us();
        for (long i = 0; i < iters; i++)
            ksm_sampler_read(sampler, &sample);
        t_sampler[r] = (bench_now_us() - t0) / (double)iters;
    }
    printf("collectd plugin on %s: %ld reads x %d rounds, medians\n", root,
           iters, ROUNDS);
    printf("  %-36s %8.2f us/read (%d values dispatched)\n",
           "read callback (sampler + dispatch)", bench_median(t_plugin, ROUNDS),
           dispatched);
    printf("  %-36s %8.2f us/read\n", "sampler alone",
           bench_median(t_sampler, ROUNDS));
    ksm_sampler_free(sampler);
    stub_unregister_read();
    shutdown_cb();
    return 0;
}
