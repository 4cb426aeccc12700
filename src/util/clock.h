/*
 * Time for records. clock_utc_seconds and clock_utc_fraction write the
 * UTC text of every timestamp the library writes (records on both paths,
 * the crash report), without libc's time functions.
 *
 * Timestamps read a tick counter: the CPU's time-stamp counter where the
 * kernel itself keeps time with it (about 10 ns a read, against about
 * 23 ns for clock_gettime on the machines we measured, whose vDSO orders
 * its read with rdtscp), else CLOCK_REALTIME in ns. An async caller only
 * reads the counter; the writer thread turns ticks into wall-clock time.
 * A sync caller does both at once (clock_now). The conversion re-anchors
 * on CLOCK_REALTIME as it goes, so that the error stays within a few
 * microseconds and a step of the system clock is followed within
 * CLOCK_RESYNC_MS.
 */
#ifndef METALOG_CLOCK_H
#define METALOG_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* x86-64: the conversion multiplies in 128 bits. */
#if defined(__x86_64__)
#include <x86intrin.h>
#define CLOCK_HAVE_TSC 1
#else
#define CLOCK_HAVE_TSC 0
#endif

#define CLOCK_RESYNC_MS 100

/* Whether ticks are the time-stamp counter; decided by clock_init. */
extern bool clock_tsc;

/* Decides the tick source, once; call before the first clock_ticks. */
void clock_init(void);

static inline uint64_t clock_ticks(void)
{
#if CLOCK_HAVE_TSC
    if (clock_tsc)
        return __rdtsc();
#endif
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_REALTIME ms from now: the deadline pthread_cond_timedwait takes. */
struct timespec clock_deadline_ms(unsigned ms);

/* The wall-clock time of a tick value read at most a few seconds ago.
 * Any thread; never waits for another. */
void clock_to_timespec(uint64_t ticks, struct timespec *out);

/* The wall-clock time now: clock_to_timespec(clock_ticks()). */
void clock_now(struct timespec *out);

/* "2025-10-17T12:34:56" for secs since the epoch, UTC, into out (19
 * bytes, no NUL), from arithmetic alone: gmtime_r takes glibc's time zone
 * lock, which a signal handler must not take and which a child forked
 * while another thread held it would wait for forever. A year outside
 * 0..9999 is written as the year mod 10000. */
void clock_utc_seconds(int64_t secs, char *out);

/* ".123456Z" and a NUL for nsec into out (9 bytes): microseconds, the
 * fraction every timestamp the library writes carries. */
void clock_utc_fraction(long nsec, char *out);

#endif
