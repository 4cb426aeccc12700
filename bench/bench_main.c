/*
 * bench_loggers: metalog against spdlog, log4c, glog and raw write()
 * ceilings. bench/run.sh builds it with whichever peers are installed and
 * runs "all", then "report".
 *
 *   bench_loggers all TSV          the matrix below, each run in a child
 *                                  process; results appended to TSV
 *   bench_loggers run CASE SHAPE MODE THREADS RECORDS DIR   one run (the child)
 *   bench_loggers disabled CASE CALLS DIR          disabled-level ns/call
 *   bench_loggers report TSV MD DAT                RESULTS.md and chart data
 *
 * The matrix: const4 (the constant record) with every case on each thread
 * count; vary4, vary8 and mix with the ceilings, metalog and spdlog on 1
 * thread (vary4 also on the others), the metalog cases twice: linked with
 * the static archive (this binary) and with the installed shared library
 * (BENCH_SO_BIN, a second build of these sources that run.sh links through
 * pkg-config); spread (vary4 with other work between calls) for metalog
 * and spdlog, sync and async, on 1 thread; last, the metalog cases with
 * processors: or handlers: added (bench_lang_cases), vary4 on 1 thread.
 *
 * Environment: BENCH_RECORDS (per thread, default 1000000), BENCH_THREADS
 * ("1 4"), BENCH_REPEAT (runs of each case, default 3: the median is
 * reported), BENCH_DIR (temp dirs go there, default /tmp), BENCH_CASES
 * (only these cases), BENCH_SHAPES (only these of const4 vary4 vary8 mix
 * spread), BENCH_SO_BIN (the .so build; without it those rows are not
 * run), BENCH_DISABLED_CALLS (100000000), BENCH_KEEP=1 keeps logs.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_validate.h"

extern char **environ;

int bench_run(const bench_case *c, int shape, int mode, int threads, long records, const char *dir);
uint32_t bench_timing_overhead_ns(void);
int bench_report(const char *tsv, const char *md, const char *dat);

/* The cases, in the order of the table. run.sh defines BENCH_HAVE_* for
 * each peer it found and compiled; a missing peer is reported by run.sh
 * as skipped, never replaced by anything. */
extern const bench_case bench_ceiling, bench_ceiling_wt, bench_metalog_sync,
    bench_metalog_sync_unbuffered, bench_metalog_async;
#ifdef BENCH_HAVE_SPDLOG
extern const bench_case bench_spdlog_sync, bench_spdlog_async;
#endif
#ifdef BENCH_HAVE_LOG4C
extern const bench_case bench_log4c;
#endif
#ifdef BENCH_HAVE_GLOG
extern const bench_case bench_glog;
#endif

static const bench_case *const cases[] = {
    &bench_ceiling,
    &bench_ceiling_wt,
    &bench_metalog_sync,
    &bench_metalog_sync_unbuffered,
#ifdef BENCH_HAVE_SPDLOG
    &bench_spdlog_sync,
#endif
#ifdef BENCH_HAVE_LOG4C
    &bench_log4c,
#endif
#ifdef BENCH_HAVE_GLOG
    &bench_glog,
#endif
    &bench_metalog_async,
#ifdef BENCH_HAVE_SPDLOG
    &bench_spdlog_async,
#endif
};
#define NCASES (sizeof cases / sizeof *cases)

static const bench_case *find_case(const char *name)
{
    for (size_t i = 0; i < NCASES; i++)
        if (strcmp(cases[i]->name, name) == 0)
            return cases[i];
    for (size_t i = 0; i < BENCH_NLANG; i++)
        if (strcmp(bench_lang_cases[i].name, name) == 0)
            return &bench_lang_cases[i];
    return NULL;
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    long n = v ? strtol(v, NULL, 10) : 0;
    return n > 0 ? n : dflt;
}

/* Whether name is a word of the list in environment variable var (all
 * are when it is unset or empty). */
static int in_list(const char *var, const char *name)
{
    const char *only = getenv(var);
    if (only == NULL || *only == '\0')
        return 1;
    size_t len = strlen(name);
    for (const char *p = only; (p = strstr(p, name)) != NULL; p += len)
        if ((p == only || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' '))
            return 1;
    return 0;
}

/* ---- Child processes ---- */

/* Runs this binary with args, its stdout into out, and waits for it.
 * posix_spawn: a fresh image, no copy of this process's pages. (The
 * child measures its own peak RSS, see bench_harness.c.) */
static int spawn_self(const char *exe, char *const args[], char *out, size_t size,
                      struct rusage *ru)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc != 0) {
        close(fd[0]);
        return -1;
    }
    size_t used = 0;
    ssize_t n;
    while ((n = read(fd[0], out + used, size - 1 - used)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            used += (size_t)n;
    out[used] = '\0';
    close(fd[0]);
    int status;
    while (wait4(pid, &status, 0, ru) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static unsigned long long field(const char *line, const char *key)
{
    const char *p = strstr(line, key);
    return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* Copies the value of key (up to the next space, or the line's end when
 * rest is set) into out. */
static void field_str(const char *line, const char *key, int rest, char *out, size_t size)
{
    const char *p = strstr(line, key);
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen(key);
    size_t n = rest ? strcspn(p, "\n") : strcspn(p, " \n");
    snprintf(out, size, "%.*s", (int)n, p);
}

static void remove_dir(const char *dir)
{
    if (getenv("BENCH_KEEP") && strcmp(getenv("BENCH_KEEP"), "1") == 0) {
        fprintf(stderr, "  kept %s\n", dir);
        return;
    }
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int make_dir(char *out, size_t size)
{
    const char *base = getenv("BENCH_DIR");
    snprintf(out, size, "%s/metalog-bench-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(out) == NULL) {
        perror(out);
        return -1;
    }
    return 0;
}

/* One row of the matrix: a case, the library it is linked with, the
 * shape of its records, the call spacing and the thread count. */
typedef struct entry {
    const bench_case *c;
    int so; /* 1: the installed shared library (BENCH_SO_BIN) */
    int shape, mode, threads;
} entry;

static const char *exe_of(const entry *e)
{
    return e->so ? getenv("BENCH_SO_BIN") : "/proc/self/exe";
}

static void entry_name(const entry *e, char *out, size_t size)
{
    snprintf(out, size, "%s%s", e->c->name, e->so ? " (.so)" : "");
}

/* What one run of one entry gave, after validation. */
typedef struct run_result {
    int ok; /* drained without error and every record valid */
    char status[400], note[256];
    unsigned long long elapsed, produce, bytes, p50, p99, p999, max, peak, base, cpu;
    long lines;
} run_result;

/* Spawns one run, reads its RESULT, validates its file. A failure is
 * printed loudly at once and kept as the run's status. */
static void run_once(const entry *e, long records, run_result *r)
{
    const bench_case *c = e->c;
    char dir[4096], out[8192], tbuf[16], rbuf[32], path[4096], name[64];
    entry_name(e, name, sizeof name);
    memset(r, 0, sizeof *r);
    snprintf(r->status, sizeof r->status, "FAIL: no temp dir");
    if (make_dir(dir, sizeof dir) != 0)
        return;
    snprintf(tbuf, sizeof tbuf, "%d", e->threads);
    snprintf(rbuf, sizeof rbuf, "%ld", records);
    char *args[] = {"bench_loggers",
                    "run",
                    (char *)c->name,
                    (char *)bench_shape_name(e->shape),
                    (char *)bench_mode_name(e->mode),
                    tbuf,
                    rbuf,
                    dir,
                    NULL};
    struct rusage ru;
    sync(); /* earlier runs' dirty pages are not this run's writeback */
    int rc = spawn_self(exe_of(e), args, out, sizeof out, &ru);
    const char *res = strstr(out, "RESULT ");
    long total = (long)e->threads * records;
    bench_check chk;
    memset(&chk, 0, sizeof chk);
    snprintf(r->status, sizeof r->status, "ok");
    if (rc != 0 || res == NULL) {
        snprintf(r->status, sizeof r->status, "FAIL: the case process failed");
    } else {
        field_str(res, "file=", 0, path, sizeof path);
        if (field(res, "drain_rc=") != 0)
            snprintf(r->status, sizeof r->status, "FAIL: flush/shutdown reported an error");
        unsigned check = c->check | (strcmp(c->name, "glog") == 0 ? BENCH_CHECK_GLOG_HEADER : 0);
        if (bench_validate(path, e->shape, total, check, &chk) != 0)
            snprintf(r->status, sizeof r->status,
                     "FAIL: %ld of %ld records valid, %ld missing, %ld duplicated, %ld bad (%s)",
                     chk.lines - chk.bad, bench_enabled_count(e->shape, total), chk.missing,
                     chk.duplicates, chk.bad, chk.first_error);
    }
    if (res == NULL)
        res = "";
    r->ok = strcmp(r->status, "ok") == 0;
    field_str(res, "note=", 1, r->note, sizeof r->note);
    if (chk.header_lines > 0) {
        size_t len = strlen(r->note);
        snprintf(r->note + len, sizeof r->note - len, "%s%ld glog header lines skipped",
                 len ? "; " : "", chk.header_lines);
    }
    r->elapsed = field(res, "elapsed_ns=");
    r->produce = field(res, "produce_ns=");
    r->lines = chk.lines;
    r->bytes = chk.bytes;
    r->p50 = field(res, "p50=");
    r->p99 = field(res, "p99=");
    r->p999 = field(res, "p999=");
    r->max = field(res, "max=");
    r->peak = field(res, "peak_rss_kb=");
    r->base = field(res, "base_rss_kb=");
    r->cpu = field(res, "cpu_ns=");
    if (!r->ok)
        fprintf(stderr, "\n*** %s, %s %s on %d threads: %s ***\n\n", name,
                bench_shape_name(e->shape), bench_mode_name(e->mode), e->threads, r->status);
    double secs = (double)r->elapsed / 1e9;
    fprintf(stderr, "%-6s %-6s %-20s %d thread%s %10.0f records/s  p50 %5llu ns  p99.9 %8llu ns  %s\n",
            bench_shape_name(e->shape), bench_mode_name(e->mode), name, e->threads,
            e->threads > 1 ? "s" : " ", secs > 0 ? (double)total / secs : 0, r->p50, r->p999,
            r->ok ? "ok" : "FAILED");
    remove_dir(dir);
}

/* One row per entry: the run with the median time stands for all (its
 * latencies too) and the fastest and slowest times go along, so the noise
 * of the machine is visible. A failed run fails the row. */
static void write_row(FILE *tsv, const entry *e, long total, run_result *runs, int n)
{
    int order[64] = {0};
    char name[64];
    entry_name(e, name, sizeof name);
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) /* insertion sort by elapsed time: n is tiny */
        for (int j = i; j > 0 && runs[order[j]].elapsed < runs[order[j - 1]].elapsed; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    const run_result *m = &runs[order[(n - 1) / 2]];
    const char *status = m->status;
    for (int i = 0; i < n; i++)
        if (!runs[i].ok)
            status = runs[i].status;
    fprintf(tsv,
            "case\t%s\t%s\t%s\t%s\t%d\t%ld\t%s\t%llu\t%llu\t%ld\t%llu\t%llu\t%llu\t%llu\t%llu\t%llu"
            "\t%llu\t%llu\t%d\t%llu\t%llu\t%s\n",
            name, e->c->kind, bench_shape_name(e->shape), bench_mode_name(e->mode), e->threads,
            total, status, m->elapsed, m->produce, m->lines, m->bytes, m->p50, m->p99, m->p999,
            m->max, m->peak, m->base, m->cpu, n, runs[order[0]].elapsed, runs[order[n - 1]].elapsed,
            m->note[0] ? m->note : "-");
    fflush(tsv);
}

static void drive_disabled(FILE *tsv, const bench_case *c, int so, long calls)
{
    char dir[4096], out[4096], cbuf[32];
    entry e = {c, so, BENCH_CONST4, BENCH_BURST, 1};
    char name[64];
    entry_name(&e, name, sizeof name);
    if (make_dir(dir, sizeof dir) != 0)
        return;
    snprintf(cbuf, sizeof cbuf, "%ld", calls);
    char *args[] = {"bench_loggers", "disabled", (char *)c->name, cbuf, dir, NULL};
    struct rusage ru;
    int rc = spawn_self(exe_of(&e), args, out, sizeof out, &ru);
    const char *res = strstr(out, "RESULT ");
    char med[32] = "", min[32] = "";
    if (rc == 0 && res != NULL) {
        field_str(res, "median_ns=", 0, med, sizeof med);
        field_str(res, "min_ns=", 0, min, sizeof min);
    }
    fprintf(tsv, "disabled\t%s\t%s\t%s\t%ld\n", name, med[0] ? med : "FAIL",
            min[0] ? min : "FAIL", calls);
    fflush(tsv);
    fprintf(stderr, "  %-20s disabled DEBUG call: %s ns (median of 5 x %ld calls)\n", name,
            med[0] ? med : "FAILED", calls);
    remove_dir(dir);
}

/* The cases run on the realistic shapes (the others run const4 only). */
static int realistic(const bench_case *c)
{
    static const char *const names[] = {"ceiling",         "ceiling-wt",    "metalog-sync",
                                        "metalog-sync-wt", "metalog-async", "spdlog-sync",
                                        "spdlog-async"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(c->name, names[i]) == 0)
            return c->shapes != 0;
    return 0;
}

static int metalog_case(const bench_case *c)
{
    return strncmp(c->name, "metalog-", 8) == 0;
}

static int spread_case(const bench_case *c)
{
    return strcmp(c->name, "metalog-async") == 0 || strcmp(c->name, "spdlog-async") == 0 ||
           strcmp(c->name, "metalog-sync") == 0 || strcmp(c->name, "spdlog-sync") == 0;
}

static void add(entry *list, int *n, int max, const bench_case *c, int so, int shape, int mode,
                int threads)
{
    if (*n >= max || !in_list("BENCH_CASES", c->name) ||
        !in_list("BENCH_SHAPES", mode == BENCH_SPREAD ? "spread" : bench_shape_name(shape)))
        return;
    if (so && getenv("BENCH_SO_BIN") == NULL)
        return;
    list[(*n)++] = (entry){c, so, shape, mode, threads};
}

/* The matrix, in the order of RESULTS.md's tables. */
static int build_matrix(entry *list, int max, const int *tcount, int nt)
{
    int n = 0;
    for (size_t i = 0; i < NCASES; i++)
        for (int t = 0; t < nt; t++)
            add(list, &n, max, cases[i], 0, BENCH_CONST4, BENCH_BURST, tcount[t]);
    for (int shape = BENCH_VARY4; shape < BENCH_NSHAPES; shape++)
        for (int so = 0; so < 2; so++)
            for (size_t i = 0; i < NCASES; i++) {
                if (!realistic(cases[i]) || (so && !metalog_case(cases[i])))
                    continue;
                add(list, &n, max, cases[i], so, shape, BENCH_BURST, 1);
                for (int t = 0; t < nt && shape == BENCH_VARY4; t++)
                    if (tcount[t] != 1)
                        add(list, &n, max, cases[i], so, shape, BENCH_BURST, tcount[t]);
            }
    for (size_t i = 0; i < NCASES; i++)
        if (spread_case(cases[i]))
            add(list, &n, max, cases[i], 0, BENCH_VARY4, BENCH_SPREAD, 1);
    /* What processors: and handlers: cost: against metalog-async and
     * metalog-sync on vary4, 1 thread, which the rows above hold. */
    for (size_t i = 0; i < BENCH_NLANG; i++)
        add(list, &n, max, &bench_lang_cases[i], 0, BENCH_VARY4, BENCH_BURST, 1);
    return n;
}

static int drive_all(const char *tsv_path)
{
    FILE *tsv = fopen(tsv_path, "a");
    if (tsv == NULL) {
        perror(tsv_path);
        return 2;
    }
    long records = env_long("BENCH_RECORDS", 1000000);
    int rounds = (int)env_long("BENCH_REPEAT", 3);
    if (rounds > 64)
        rounds = 64;
    const char *threads_env = getenv("BENCH_THREADS");
    char list[64], *save = NULL;
    int tcount[8], nt = 0;
    snprintf(list, sizeof list, "%s", threads_env ? threads_env : "1 4");
    for (char *t = strtok_r(list, " ,", &save); t && nt < 8; t = strtok_r(NULL, " ,", &save))
        tcount[nt++] = atoi(t) > 0 ? atoi(t) : 1;

    enum { MAXENTRIES = 256 };
    static entry matrix[MAXENTRIES];
    int n = build_matrix(matrix, MAXENTRIES, tcount, nt);

    fprintf(tsv, "meta\trecords_per_thread\t%ld\n", records);
    fprintf(tsv, "meta\truns\t%d\n", rounds);
    fprintf(tsv, "meta\tthreads\t%s\n", threads_env ? threads_env : "1 and 4");
    fprintf(tsv, "meta\ttiming_overhead_p50_ns\t%u\n", bench_timing_overhead_ns());
    for (size_t i = 0; i < NCASES; i++)
        fprintf(tsv, "setup\t%s\t%s\n", cases[i]->name, cases[i]->setup);
    for (size_t i = 0; i < BENCH_NLANG; i++)
        fprintf(tsv, "setup\t%s\t%s\n", bench_lang_cases[i].name, bench_lang_cases[i].setup);

    /* Rounds go over every entry before the next round starts, so that a
     * burst of other work on the machine hits one run of many cases
     * rather than every run of one. */
    run_result *res = calloc((size_t)n * (size_t)rounds, sizeof *res);
    if (res == NULL)
        return 2;
    uint64_t t0 = bench_now_ns();
    for (int r = 0; r < rounds; r++) {
        fprintf(stderr, "bench: round %d of %d (%d runs a round, %.1f min so far)\n", r + 1,
                rounds, n, (double)(bench_now_ns() - t0) / 60e9);
        for (int k = 0; k < n; k++) {
            fprintf(stderr, "[%d/%d] ", r * n + k + 1, rounds * n);
            run_once(&matrix[k], records, &res[(size_t)k * (size_t)rounds + (size_t)r]);
        }
    }
    for (int k = 0; k < n; k++)
        write_row(tsv, &matrix[k], (long)matrix[k].threads * records,
                  &res[(size_t)k * (size_t)rounds], rounds);
    free(res);

    long calls = env_long("BENCH_DISABLED_CALLS", 100000000);
    for (size_t i = 0; i < NCASES; i++)
        if (cases[i]->disabled_ns && in_list("BENCH_CASES", cases[i]->name)) {
            drive_disabled(tsv, cases[i], 0, calls);
            if (metalog_case(cases[i]) && getenv("BENCH_SO_BIN"))
                drive_disabled(tsv, cases[i], 1, calls);
        }
    fprintf(stderr, "bench: done in %.1f min\n", (double)(bench_now_ns() - t0) / 60e9);
    fclose(tsv);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int disabled_child(const bench_case *c, long calls, const char *dir)
{
    double ns[5];
    for (int i = 0; i < 5; i++) {
        ns[i] = c->disabled_ns(dir, calls);
        if (ns[i] < 0)
            return 1;
    }
    qsort(ns, 5, sizeof *ns, cmp_double);
    printf("RESULT median_ns=%.3f min_ns=%.3f\n", ns[2], ns[0]);
    return 0;
}

/* Whether dir exists and holds nothing: a run appends to the log files
 * it finds there, so a second run into the same directory would time
 * and validate the first one's records too. */
static bool dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(d)) != NULL)
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    return empty;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_loggers all TSV | run CASE SHAPE MODE THREADS RECORDS DIR |\n"
                    "       disabled CASE CALLS DIR | report TSV MD DAT\n");
    return 2;
}

int main(int argc, char **argv)
{
    bench_shapes_init();
    if (argc == 3 && strcmp(argv[1], "all") == 0)
        return drive_all(argv[2]);
    if (argc == 5 && strcmp(argv[1], "report") == 0)
        return bench_report(argv[2], argv[3], argv[4]);
    if (argc == 8 && strcmp(argv[1], "run") == 0) {
        const bench_case *c = find_case(argv[2]);
        int shape = bench_shape_parse(argv[3]), mode = bench_mode_parse(argv[4]);
        int threads = atoi(argv[5]);
        long records = atol(argv[6]);
        if (c == NULL || shape < 0 || mode < 0 || threads < 1 || records < 1)
            return usage();
        unsigned shapes = c->shapes ? c->shapes : 1u << BENCH_CONST4;
        if (!(shapes & (1u << shape))) {
            fprintf(stderr, "bench: %s does not run the %s shape\n", c->name, argv[3]);
            return 2;
        }
        if (!dir_empty(argv[7])) {
            fprintf(stderr, "bench: %s must be an empty directory (a run appends to its logs)\n",
                    argv[7]);
            return 2;
        }
        return bench_run(c, shape, mode, threads, records, argv[7]);
    }
    if (argc == 5 && strcmp(argv[1], "disabled") == 0) {
        const bench_case *c = find_case(argv[2]);
        long calls = atol(argv[3]);
        if (c == NULL || c->disabled_ns == NULL || calls < 1)
            return usage();
        return disabled_child(c, calls, argv[4]);
    }
    return usage();
}
