/*
 * Runs one case in this process: N threads each log R records of one
 * shape, back to back (burst) or with other work between groups of calls
 * (spread), every call timed with bench_ticks (the time-stamp counter),
 * then the case drains. Prints one line,
 *
 *   RESULT elapsed_ns=.. produce_ns=.. p50=.. p99=.. p999=.. max=..
 *          base_rss_kb=.. peak_rss_kb=.. cpu_ns=.. drain_rc=.. file=PATH note=TEXT
 *
 * which bench_main.c (the parent) reads, before it validates the file.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char bench_note[256]; /* a case's remark on its run, e.g. metalog's stats */

static const bench_case *run_case;
static long run_records;
static int run_shape, run_mode;
static pthread_barrier_t run_go;

/* spread: after every SPREAD_CALLS calls the worker sums over a buffer of
 * its own (SPREAD_BYTES, every word: about 40 us here): the work a
 * program does between log calls, which also pushes the logger's lines
 * and state out of the caches. */
#define SPREAD_CALLS 50
#define SPREAD_BYTES (1024 * 1024)

typedef struct worker {
    pthread_t thread;
    int index;
    uint32_t *lat;  /* ticks per call, preallocated and touched before the clock */
    uint64_t *work; /* spread: the buffer the other work reads */
    uint64_t sum;   /* ... and its result, so that the compiler keeps it */
    uint64_t start; /* CLOCK_MONOTONIC when it passed the starting barrier */
} worker;

static void other_work(worker *w)
{
    const uint64_t *b = w->work;
    uint64_t s = w->sum;
    for (size_t i = 0; i < SPREAD_BYTES / sizeof *b; i++)
        s += b[i];
    w->sum = s;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    void (*log)(const bench_rec *) = run_case->log;
    uint32_t *lat = w->lat;
    long n = run_records;
    int shape = run_shape, spread = run_mode == BENCH_SPREAD;
    int64_t base = (int64_t)w->index * n; /* order_id is unique across threads */
    bench_rec r;
    if (run_case->thread_start)
        run_case->thread_start(w->index);
    pthread_barrier_wait(&run_go);
    w->start = bench_now_ns();
    for (long i = 0; i < n; i++) {
        /* The values are computed outside the timed call, as a program
         * has them at hand when it logs. */
        bench_rec_make(shape, base + i, &r);
        uint64_t a = bench_ticks();
        log(&r);
        uint64_t d = bench_ticks() - a;
        lat[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
        if (spread && i % SPREAD_CALLS == SPREAD_CALLS - 1)
            other_work(w);
    }
    if (run_case->thread_end)
        run_case->thread_end();
    return NULL;
}

/* The k-th smallest of a[0..n) (0-based), moving it to a[k] with nothing
 * larger before it and nothing smaller after it. In place: sorting would
 * need a second array (glibc's qsort allocates one), and the latencies
 * already are the biggest allocation of the process. */
static uint32_t select_kth(uint32_t *a, size_t n, size_t k)
{
    /* Wirth's selection: Hoare partitions around a[k] until k is fenced
     * in. Signed indices, since j may step below the range. */
    long l = 0, r = (long)n - 1, kk = (long)k;
    while (l < r) {
        uint32_t x = a[kk];
        long i = l, j = r;
        do {
            while (a[i] < x)
                i++;
            while (x < a[j])
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            r = j;
    }
    return a[k];
}

/* Nearest-rank percentile q (0..1) of n values. Each call narrows the
 * array from *from on, so ask for increasing q. */
static uint32_t percentile(uint32_t *a, size_t n, double q, size_t *from)
{
    size_t k = (size_t)(q * (double)n);
    if (k >= n)
        k = n - 1;
    if (k < *from)
        k = *from;
    uint32_t v = select_kth(a + *from, n - *from, k - *from);
    *from = k;
    return v;
}

/* A line of /proc/self/status ("VmHWM", "VmRSS") in KiB. Not getrusage's
 * ru_maxrss: after exec that starts from the parent's RSS (the kernel
 * keeps the old image's high-water mark), while VmHWM is this image's. */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t len = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, len) == 0 && line[len] == ':') {
            kb = atol(line + len + 1);
            break;
        }
    if (f)
        fclose(f);
    return kb;
}

/* CPU time of the whole process (every thread, the loggers' own included). */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_run(const bench_case *c, int shape, int mode, int threads, long records, const char *dir)
{
    size_t total = (size_t)threads * (size_t)records;
    uint32_t *lat = malloc(total * sizeof *lat);
    worker *w = calloc((size_t)threads, sizeof *w);
    if (lat == NULL || w == NULL) {
        fprintf(stderr, "bench: out of memory for %zu latencies\n", total);
        return 1;
    }
    /* Fault the pages in now, not while timing. Not with zeros: the
     * compiler turns malloc + memset(0) into calloc, which touches nothing. */
    memset(lat, 0xff, total * sizeof *lat);
    long base_rss = status_kb("VmRSS");

    double tick_ns = bench_tick_ns(); /* before the clock: it takes 50 ms */
    run_case = c;
    run_records = records;
    run_shape = shape;
    run_mode = mode;
    for (int t = 0; t < threads && mode == BENCH_SPREAD; t++) {
        w[t].work = malloc(SPREAD_BYTES);
        if (w[t].work == NULL)
            return 1;
        for (size_t i = 0; i < SPREAD_BYTES / sizeof *w[t].work; i++)
            w[t].work[i] = i * 0x9e3779b97f4a7c15u;
    }
    if (c->start(dir, shape, threads, records) != 0) {
        fprintf(stderr, "bench: %s: setup failed\n", c->name);
        return 1;
    }
    pthread_barrier_init(&run_go, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; t++) {
        w[t].index = t;
        w[t].lat = lat + (size_t)t * (size_t)records;
        if (pthread_create(&w[t].thread, NULL, worker_main, &w[t]) != 0) {
            fprintf(stderr, "bench: cannot start thread %d\n", t);
            return 1;
        }
    }
    uint64_t cpu0 = cpu_ns();
    pthread_barrier_wait(&run_go);
    for (int t = 0; t < threads; t++)
        pthread_join(w[t].thread, NULL);
    uint64_t t1 = bench_now_ns();
    /* The clock starts with the first worker past the barrier, not when
     * this thread gets the CPU back: on a busy machine the workers may
     * be done by then. */
    uint64_t t0 = w[0].start;
    for (int t = 1; t < threads; t++)
        if (w[t].start < t0)
            t0 = w[t].start;
    int drain_rc = c->drain ? c->drain() : 0;
    uint64_t t2 = bench_now_ns();
    uint64_t cpu = cpu_ns() - cpu0;
    long peak_rss = status_kb("VmHWM");
    uint64_t sums = 0;
    for (int t = 0; t < threads; t++)
        sums += w[t].sum;

    uint32_t maxv = 0;
    for (size_t i = 0; i < total; i++)
        if (lat[i] > maxv)
            maxv = lat[i];
    size_t from = 0;
    uint32_t p50 = (uint32_t)(percentile(lat, total, 0.50, &from) * tick_ns + 0.5);
    uint32_t p99 = (uint32_t)(percentile(lat, total, 0.99, &from) * tick_ns + 0.5);
    uint32_t p999 = (uint32_t)(percentile(lat, total, 0.999, &from) * tick_ns + 0.5);
    maxv = (uint32_t)(maxv * tick_ns + 0.5 < UINT32_MAX ? maxv * tick_ns + 0.5 : UINT32_MAX);

    char path[4096] = "";
    if (c->output && c->output(dir, path, sizeof path) != 0)
        path[0] = '\0';
    printf("RESULT elapsed_ns=%llu produce_ns=%llu p50=%u p99=%u p999=%u max=%u "
           "base_rss_kb=%ld peak_rss_kb=%ld cpu_ns=%llu drain_rc=%d work=%llx file=%s note=%s\n",
           (unsigned long long)(t2 - t0), (unsigned long long)(t1 - t0), p50, p99, p999, maxv,
           base_rss, peak_rss, (unsigned long long)cpu, drain_rc, (unsigned long long)sums,
           path[0] ? path : "-", bench_note);
    fflush(stdout);
    for (int t = 0; t < threads; t++)
        free(w[t].work);
    free(lat);
    free(w);
    return 0;
}

/* The cost of the timing itself: two back-to-back reads of the per-call
 * clock, as the worker loop does around every call. Its median is part
 * of every latency figure. */
uint32_t bench_timing_overhead_ns(void)
{
    enum { N = 1000000 };
    uint32_t *d = malloc(N * sizeof *d);
    if (d == NULL)
        return 0;
    for (int i = 0; i < N; i++) {
        uint64_t a = bench_ticks();
        uint64_t b = bench_ticks();
        d[i] = (uint32_t)(b - a);
    }
    size_t from = 0;
    uint32_t p50 = (uint32_t)(percentile(d, N, 0.5, &from) * bench_tick_ns() + 0.5);
    free(d);
    return p50;
}
