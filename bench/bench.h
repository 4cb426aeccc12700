/*
 * The logger benchmark: metalog against spdlog, log4c, glog and a raw
 * write() ceiling, every case writing the same JSON line per record:
 *
 *   {"timestamp":"2025-10-17T12:34:56.123456Z","level":"INFO","logger":"bench",
 *    "event":"order placed","order_id":42,"price":1.0842,"symbol":"EURUSD",
 *    "hedged":true}
 *
 * One case is one logger; it is run on N threads in a process of its own
 * (bench_main.c forks and execs the binary per case), so that peak RSS and
 * global state belong to that case alone. This header is shared by the C
 * cases and the C++ ones (spdlog, glog).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One logger under test. Every hook but log may be NULL. */
typedef struct bench_case {
    const char *name;  /* "metalog-async": the first argument of "run" */
    const char *kind;  /* "sync", "async" or "ceiling": what it is compared with */
    const char *setup; /* one line for RESULTS.md: how the logger is configured */
    /* Builds the logger writing into dir; not timed. 0, or -1 after
     * printing why to stderr. */
    int (*start)(const char *dir, int threads, long records);
    /* On each worker thread before the clock starts (thread index t). */
    void (*thread_start)(int t);
    /* One record with this order_id: the call whose latency is measured. */
    void (*log)(int64_t order_id);
    /* On each worker thread after its last record; timed (it is part of
     * getting the lines out, e.g. the ceiling's last partial chunk). */
    void (*thread_end)(void);
    /* After every worker returned: flush and shut down until every line
     * is in the kernel's page cache. Timed. 0, or -1 on a failure. */
    int (*drain)(void);
    /* The file the lines went to, written into path (after the clock). */
    int (*output)(const char *dir, char *path, size_t size);
    /* ns per call of a disabled-level (DEBUG under INFO) call in a tight
     * loop of calls; NULL when the case has no such figure. */
    double (*disabled_ns)(const char *dir, long calls);
} bench_case;

/* The fixed content of every record: only order_id varies. */
#define BENCH_EVENT "order placed"
#define BENCH_LOGGER "bench"
#define BENCH_PRICE 1.0842
#define BENCH_SYMBOL "EURUSD"

/* Renders "2025-10-17T12:34:56.123456Z" (27 characters, no NUL) into out
 * from a UTC time in seconds and microseconds. The date part is cached
 * per thread and redone only when the second changes, as spdlog does. */
void bench_render_time(char out[27], time_t sec, long usec);

/* Renders the whole record line, '\n' included, for the peers that are
 * given the JSON as their message (glog) and for the ceiling. Returns its
 * length (< size). The double uses "%.15g": right for 1.0842, not a
 * round-trip format in general (metalog and fmt render the shortest
 * round-trip form, which costs more). */
size_t bench_render_line(char *out, size_t size, time_t sec, long usec, int64_t order_id);

/* CLOCK_MONOTONIC in ns. */
uint64_t bench_now_ns(void);

/* The per-call clock: the CPU's time-stamp counter where there is one
 * (about 10 ns a read here, against about 23 ns for clock_gettime, so the
 * timing adds less to every figure), else bench_now_ns. bench_tick_ns
 * gives ns per tick, measured against CLOCK_MONOTONIC. */
uint64_t bench_ticks(void);
double bench_tick_ns(void);

#ifdef __cplusplus
}
#endif

#endif
