/* SPDX-License-Identifier: MIT */
/*
 * ksm_exporter: flags, signals and the serve loop.  The flag parsers here
 * return process exit statuses (2 for a usage error, as getopt programs
 * do) or KEEP_GOING, not errnos: their result is what main() returns.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "exporter.h"
#include "ksm/parse.h"
#include "listen.h"
#include "report.h"
#include "version.h"

#define PROG "ksm_exporter"

enum {
    OPT_LISTEN = 256,
    OPT_PATH,
    OPT_WEB_CONFIG,
    OPT_SYSFS,
    OPT_PROCFS,
    OPT_KSMTUNED_CONFIG,
    OPT_PROCESS,
    OPT_NO_PROCESS,
    OPT_THP_INTERVAL,
    OPT_LOG_LEVEL,
    OPT_REPORT,
    OPT_REPORT_INTERVAL,
    OPT_REPORT_FORMAT,
    OPT_VERSION,
    OPT_HELP,
};

static const struct option options[] = {
    {"web.listen-address", required_argument, NULL, OPT_LISTEN},
    {"web.telemetry-path", required_argument, NULL, OPT_PATH},
    {"web.config.file", required_argument, NULL, OPT_WEB_CONFIG},
    {"path.sysfs", required_argument, NULL, OPT_SYSFS},
    {"path.procfs", required_argument, NULL, OPT_PROCFS},
    {"path.ksmtuned-config", required_argument, NULL, OPT_KSMTUNED_CONFIG},
    {"collector.process", no_argument, NULL, OPT_PROCESS},
    {"no-collector.process", no_argument, NULL, OPT_NO_PROCESS},
    {"collector.process.thp-interval", required_argument, NULL,
     OPT_THP_INTERVAL},
    {"log.level", required_argument, NULL, OPT_LOG_LEVEL},
    {"report", no_argument, NULL, OPT_REPORT},
    {"report.interval", required_argument, NULL, OPT_REPORT_INTERVAL},
    {"report.format", required_argument, NULL, OPT_REPORT_FORMAT},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: " PROG " [<flags>]\n"
        "\n"
        "Prometheus exporter for Linux Kernel Samepage Merging (KSM).\n"
        "\n"
        "Flags:\n"
        "  --web.listen-address=\":10062\"\n"
        "        Address to listen on: host:port, :port (all addresses)\n"
        "        or [ipv6]:port; port 0 picks a free port.\n"
        "  --web.telemetry-path=\"/metrics\"\n"
        "        Path under which to expose metrics.\n"
        "  --web.config.file=\"\"\n"
        "        Configuration file for TLS and basic auth (the Prometheus\n"
        "        exporter-toolkit format); SIGHUP re-reads it.\n"
        "  --path.sysfs=\"/sys\"    sysfs mountpoint.\n"
        "  --path.procfs=\"/proc\"  procfs mountpoint.\n"
        "  --path.ksmtuned-config=\"/etc/ksmtuned.conf\"\n"
        "        Debian's ksmtuned config file, read (never run) to report\n"
        "        its settings and predict its next check; missing means\n"
        "        the script's defaults.\n"
        "  --[no-]collector.process\n"
        "        Per-process and per-VM figures from PID/ksm_stat\n"
        "        (default on; other users' processes need root or\n"
        "        CAP_DAC_READ_SEARCH; the start-up log says how many).\n"
        "  --collector.process.thp-interval=60s\n"
        "        Seconds between two reads of one QEMU guest's\n"
        "        smaps_rollup (its THP share), spread over the scrapes;\n"
        "        1s to 86400s, the 's' optional.\n"
        "  --log.level=info        Only log messages with the given "
        "severity or above:\n"
        "        debug, info, warn, error.\n"
        "  --report                Print whether KSM pays on this host, its\n"
        "        figures, guests and findings, and exit (no server).\n"
        "  --report.interval=5s    Time between the report's two samples,\n"
        "        over which its rates are taken: 1s to 10m.\n"
        "  --report.format=text    text (80 columns) or json.\n"
        "  --version               Show the version and exit.\n"
        "  --help                  Show this help and exit.\n");
}

/* What a flag parser returns when the program should go on. */
#define KEEP_GOING (-1)

/* One clear line and exit status 2, as for any usage error. */
static int bad_flag(const char *flag, const char *value, const char *why)
{
    fprintf(stderr, PROG ": bad value \"%s\" for --%s: %s (see --help)\n",
            value, flag, why);
    return 2;
}

/* A path flag: any value but the empty one. */
static int set_path(const char **dst, const char *flag, const char *value)
{
    if (value[0] == '\0')
        return bad_flag(flag, value, "empty path");
    *dst = value;
    return KEEP_GOING;
}

/*
 * A duration flag: "N", "Ns" or "Nm" (minutes), N strictly decimal; stores
 * the seconds in *dst.  Returns 0, or -EINVAL for anything else and for
 * seconds outside [min, max].
 */
static int parse_seconds(const char *value, uint64_t min, uint64_t max,
                         uint64_t *dst)
{
    size_t n = strlen(value);
    uint64_t v, unit = 1;

    if (n > 0 && (value[n - 1] == 's' || value[n - 1] == 'm')) {
        unit = value[n - 1] == 'm' ? 60 : 1;
        n--;
    }
    if (n == 0 || memchr(value, '\n', n) || ksm_parse_u64(value, n, &v) != 0 ||
        v > max / unit || v * unit < min)
        return -EINVAL;
    *dst = v * unit;
    return 0;
}

/* --collector.process.thp-interval: 1 to KSM_THP_INTERVAL_MAX seconds. */
static int set_thp_interval(uint64_t *dst, const char *value)
{
    if (parse_seconds(value, 1, KSM_THP_INTERVAL_MAX, dst) != 0)
        return bad_flag("collector.process.thp-interval", value,
                        "want N, Ns or Nm, from 1s to 1 day");
    return KEEP_GOING;
}

/* --report.interval and --report.format. */
static int set_report(int c, struct exporter_config *cfg, const char *value)
{
    if (c == OPT_REPORT_INTERVAL) {
        if (parse_seconds(value, REPORT_INTERVAL_MIN, REPORT_INTERVAL_MAX,
                          &cfg->report_interval) != 0)
            return bad_flag("report.interval", value,
                            "want whole seconds or minutes from 1s to 10m");
    } else if (strcmp(value, "text") == 0 || strcmp(value, "json") == 0) {
        cfg->report_json = value[0] == 'j';
    } else {
        return bad_flag("report.format", value, "want text or json");
    }
    return KEEP_GOING;
}

/* What getopt_long() could not take: an unknown flag or a missing value. */
static int bad_usage(int c, char **argv)
{
    if (c == ':')
        fprintf(stderr, PROG ": flag %s needs a value (see --help)\n",
                argv[optind - 1]);
    else if (optopt)
        fprintf(stderr, PROG ": unknown flag -%c (see --help)\n", optopt);
    else
        fprintf(stderr, PROG ": unknown flag %s (see --help)\n",
                argv[optind - 1]);
    return 2;
}

/* Applies one flag that getopt_long() returned as c. */
static int one_flag(int c, char **argv, struct exporter_config *cfg,
                    const char **listen_arg)
{
    switch (c) {
    case OPT_LISTEN:
        *listen_arg = optarg;
        return KEEP_GOING;
    case OPT_PATH:
        if (optarg[0] != '/')
            return bad_flag("web.telemetry-path", optarg,
                            "it must start with '/'");
        cfg->telemetry_path = optarg;
        return KEEP_GOING;
    case OPT_WEB_CONFIG:
        return set_path(&cfg->web_config_path, "web.config.file", optarg);
    case OPT_SYSFS:
        return set_path(&cfg->sysfs, "path.sysfs", optarg);
    case OPT_PROCFS:
        return set_path(&cfg->procfs, "path.procfs", optarg);
    case OPT_KSMTUNED_CONFIG:
        return set_path(&cfg->ksmtuned_config, "path.ksmtuned-config", optarg);
    case OPT_PROCESS:
    case OPT_NO_PROCESS:
        cfg->processes = c == OPT_PROCESS;
        return KEEP_GOING;
    case OPT_THP_INTERVAL:
        return set_thp_interval(&cfg->thp_interval, optarg);
    case OPT_LOG_LEVEL:
        if (log_parse_level(optarg, &cfg->log.min) != 0)
            return bad_flag("log.level", optarg,
                            "want debug, info, warn or error");
        return KEEP_GOING;
    case OPT_REPORT:
        cfg->report = true;
        return KEEP_GOING;
    case OPT_REPORT_INTERVAL:
    case OPT_REPORT_FORMAT:
        return set_report(c, cfg, optarg);
    case OPT_VERSION:
        printf(PROG ", version %s (revision: %s)\n", KSM_VERSION, KSM_REVISION);
        return 0;
    case OPT_HELP:
        usage(stdout);
        return 0;
    default:
        return bad_usage(c, argv);
    }
}

/* Reads every flag into cfg and spec.  KEEP_GOING, or an exit status. */
static int parse_flags(int argc, char **argv, struct exporter_config *cfg,
                       struct listen_spec *spec)
{
    const char *listen_arg = ":10062";
    const char *why;
    int c, rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        rc = one_flag(c, argv, cfg, &listen_arg);
        if (rc != KEEP_GOING)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument \"%s\" (see --help)\n",
                argv[optind]);
        return 2;
    }
    why = listen_parse(listen_arg, spec);
    if (why)
        return bad_flag("web.listen-address", listen_arg, why);
    return KEEP_GOING;
}

/*
 * The per-process collector keeps one descriptor per process between
 * scans; like Go programs, which node_exporter users know, take the hard
 * limit on open files as the soft one.
 */
static void raise_fd_limit(const struct logger *lg)
{
    struct rlimit rl;
    char buf[24];

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)rl.rlim_cur);
    log_kv(lg, KSM_LOG_DEBUG, "raised the open-file limit", 1, "limit", buf);
}

/*
 * Blocks SIGINT, SIGTERM and SIGHUP before the HTTP thread starts, so that
 * only sigwait() sees them: no handler, no flag shared with a thread.
 * Until then SIGTERM simply ends the process.
 */
static void block_signals(sigset_t *sigs)
{
    sigemptyset(sigs);
    sigaddset(sigs, SIGINT);
    sigaddset(sigs, SIGTERM);
    sigaddset(sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, sigs, NULL);
}

/*
 * Waits for signals: SIGHUP reloads the web config, SIGINT and SIGTERM end
 * the loop.  Returns the exit status.
 */
static int serve(struct exporter *e, const sigset_t *sigs)
{
    int sig;

    for (;;) {
        if (sigwait(sigs, &sig) != 0)
            sig = SIGTERM;
        if (sig != SIGHUP)
            break;
        if (exporter_reload(e) == -EIO) {
            log_kv(&e->cfg.log, KSM_LOG_ERROR,
                   "no HTTP server is running: exiting", 0);
            return 1;
        }
    }
    log_kv(&e->cfg.log, KSM_LOG_INFO, "Shutting down", 1, "signal",
           sig == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
}

int main(int argc, char **argv)
{
    struct exporter_config cfg = {
        .telemetry_path = "/metrics",
        .sysfs = "/sys",
        .procfs = "/proc",
        .processes = true,
        .ksmtuned_config = "/etc/ksmtuned.conf",
        .report_interval = REPORT_INTERVAL_DEFAULT,
        .version = KSM_VERSION,
        .revision = KSM_REVISION,
        .log = {.min = KSM_LOG_INFO, .fd = STDERR_FILENO},
    };
    struct listen_spec spec;
    struct exporter e;
    char bound[INET6_ADDRSTRLEN + 16] = "?";
    sigset_t sigs;
    int fd, rc;

    rc = parse_flags(argc, argv, &cfg, &spec);
    if (rc != KEEP_GOING)
        return rc;
    if (cfg.report)
        return report_run(&cfg, stdout, report_color(STDOUT_FILENO));
    signal(SIGPIPE, SIG_IGN);
    /*
     * One malloc arena for all threads: the HTTP thread does nearly all
     * the allocating, so per-thread arenas buy no speed here, and each
     * costs ~40 KiB of private memory that stays.
     */
    mallopt(M_ARENA_MAX, 1);
    log_kv(&cfg.log, KSM_LOG_INFO, "Starting " PROG, 2, "version", KSM_VERSION,
           "revision", KSM_REVISION);
    raise_fd_limit(&cfg.log);
    if (exporter_init(&e, &cfg) != 0)
        return 1;
    fd = listen_open(&spec, &cfg.log, bound, sizeof(bound));
    if (fd < 0) {
        exporter_fini(&e);
        return 1;
    }
    block_signals(&sigs);
    /* From here on e owns fd, started or not: exporter_fini() closes it. */
    rc = 1;
    if (exporter_start(&e, fd) == 0) {
        log_kv(&cfg.log, KSM_LOG_INFO, "Listening on", 4, "address", bound,
               "path", cfg.telemetry_path, "sysfs", ksm_sampler_path(e.sampler),
               "tls", e.web.tls ? "on" : "off");
        rc = serve(&e, &sigs);
    }
    exporter_fini(&e);
    return rc;
}
