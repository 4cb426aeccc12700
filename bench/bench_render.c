/*
 * The JSON rendering that the peers without a structured API (glog, log4c)
 * and the ceiling need: the benchmark writes it once here so that every
 * such case pays the same, reasonable price for the same bytes.
 */
#include "bench.h"

#include <stdio.h>
#include <string.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
uint64_t bench_ticks(void)
{
    return __rdtsc();
}
#else
uint64_t bench_ticks(void)
{
    return bench_now_ns();
}
#endif

/* Counted against CLOCK_MONOTONIC over 50 ms, once per process. */
double bench_tick_ns(void)
{
    static double ns_per_tick;
    if (ns_per_tick == 0) {
        uint64_t n0 = bench_now_ns(), t0 = bench_ticks(), n1, t1;
        do {
            n1 = bench_now_ns();
            t1 = bench_ticks();
        } while (n1 - n0 < 50 * 1000 * 1000);
        ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
    }
    return ns_per_tick;
}

/* gmtime_r and strftime per call would cost more than the rest of the line
 * in these peers; a careful user caches the part that changes once a
 * second, which is what spdlog's pattern formatter does internally. */
static __thread time_t cached_sec = -1;
static __thread char cached_date[20]; /* "2025-10-17T12:34:56" */

void bench_render_time(char out[27], time_t sec, long usec)
{
    if (sec != cached_sec) {
        struct tm tm;
        gmtime_r(&sec, &tm);
        strftime(cached_date, sizeof cached_date, "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = sec;
    }
    memcpy(out, cached_date, 19);
    out[19] = '.';
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + usec % 10);
        usec /= 10;
    }
    out[26] = 'Z';
}

size_t bench_render_line(char *out, size_t size, time_t sec, long usec, int64_t order_id)
{
    char ts[27];
    bench_render_time(ts, sec, usec);
    int n = snprintf(out, size,
                     "{\"timestamp\":\"%.27s\",\"level\":\"INFO\",\"logger\":\"" BENCH_LOGGER
                     "\",\"event\":\"" BENCH_EVENT "\",\"order_id\":%lld,\"price\":%.15g,"
                     "\"symbol\":\"" BENCH_SYMBOL "\",\"hedged\":true}\n",
                     ts, (long long)order_id, BENCH_PRICE);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}
