#include "util/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "util/digits.h"

bool clock_tsc;

struct timespec clock_deadline_ms(unsigned ms)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

/* ---- Ticks to time ---- */

#if CLOCK_HAVE_TSC

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A tick value and the wall-clock time read together: the ns reading is
 * bracketed by two tick readings and paired with their middle. The
 * tightest bracket of a few tries wins, so that an interrupt between
 * the readings does not skew the pair. */
static void read_pair(uint64_t *tick, uint64_t *ns)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t a = __rdtsc();
        uint64_t n = now_ns();
        uint64_t b = __rdtsc();
        if (b - a < best) {
            best = b - a;
            *tick = a + (b - a) / 2;
            *ns = n;
        }
    }
}

/* The anchor every thread converts ticks from: a tick value, the time it
 * was, and the rate, in ns per tick as a 32.32 fixed-point number (a
 * multiply and a shift per record, where a double would take three
 * conversions). A seqlock publishes it, so that readers, the logging
 * threads among them, never wait: seq is odd while one thread sets it,
 * and a reader that meets that reads the system clock instead. Every
 * field is an atomic, read and written relaxed; seq orders them. (A
 * child forked while a thread of its parent set the anchor reads the
 * system clock from then on: right, at clock_gettime's speed.) */
static struct {
    atomic_uint seq;
    atomic_uint_fast64_t tick; /* times are counted from here */
    atomic_uint_fast64_t ns;   /* the time at tick */
    atomic_int_fast64_t sec;   /* ... split */
    atomic_int_fast64_t nsec;
    atomic_uint_fast64_t mult;   /* ns per tick << 32 */
    atomic_uint_fast64_t resync; /* CLOCK_RESYNC_MS in ticks */
} anchor;

/* Sets the anchor; only by the thread that moved seq to odd, which this
 * moves on to even again. */
static void anchor_set(unsigned odd, uint64_t tick, uint64_t ns, double rate)
{
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&anchor.tick, tick, memory_order_relaxed);
    atomic_store_explicit(&anchor.ns, ns, memory_order_relaxed);
    atomic_store_explicit(&anchor.sec, (int64_t)(ns / 1000000000u), memory_order_relaxed);
    atomic_store_explicit(&anchor.nsec, (int64_t)(ns % 1000000000u), memory_order_relaxed);
    atomic_store_explicit(&anchor.mult, (uint64_t)(rate * 4294967296.0), memory_order_relaxed);
    atomic_store_explicit(&anchor.resync, (uint64_t)(CLOCK_RESYNC_MS * 1e6 / rate),
                          memory_order_relaxed);
    atomic_store_explicit(&anchor.seq, odd + 1, memory_order_release);
}

/* The first anchor, from clock_decide: a rate over 1 ms (an error of about
 * 1e-4 at worst); every re-anchoring measures it again over
 * CLOCK_RESYNC_MS. */
static void anchor_start(void)
{
    uint64_t tick0, ns0, tick, ns;
    read_pair(&tick0, &ns0);
    do
        read_pair(&tick, &ns);
    while (ns - ns0 < 1000000 && ns >= ns0);
    atomic_store_explicit(&anchor.seq, 1, memory_order_relaxed);
    anchor_set(1, tick, ns,
               tick > tick0 && ns > ns0 ? (double)(ns - ns0) / (double)(tick - tick0) : 1.0);
}

static void tsc_to_timespec(uint64_t ticks, struct timespec *out);

/* ticks is CLOCK_RESYNC_MS past the anchor read at seq: a new anchor, by
 * the one thread that wins the right to set it (the others read the
 * system clock meanwhile). The rate since the last anchor replaces the
 * old rate unless the two disagree by more than 1%: then the system
 * clock was stepped, and the anchor alone follows it. */
static __attribute__((noinline, cold)) void anchor_resync(uint64_t ticks, struct timespec *out,
                                                          unsigned seq)
{
    if (!atomic_compare_exchange_strong_explicit(&anchor.seq, &seq, seq + 1, memory_order_acq_rel,
                                                 memory_order_relaxed)) {
        clock_gettime(CLOCK_REALTIME, out);
        return;
    }
    uint64_t tick0 = atomic_load_explicit(&anchor.tick, memory_order_relaxed);
    uint64_t ns0 = atomic_load_explicit(&anchor.ns, memory_order_relaxed);
    double rate = (double)atomic_load_explicit(&anchor.mult, memory_order_relaxed) / 4294967296.0;
    uint64_t tick, ns;
    read_pair(&tick, &ns);
    if (tick > tick0 && ns > ns0) {
        double r = (double)(ns - ns0) / (double)(tick - tick0);
        if (r > rate * 0.99 && r < rate * 1.01)
            rate = r;
    }
    anchor_set(seq + 1, tick, ns, rate);
    tsc_to_timespec(ticks, out); /* ticks is now just before the anchor */
}

static void tsc_to_timespec(uint64_t ticks, struct timespec *out)
{
    unsigned seq = atomic_load_explicit(&anchor.seq, memory_order_acquire);
    uint64_t tick = atomic_load_explicit(&anchor.tick, memory_order_relaxed);
    int64_t sec = atomic_load_explicit(&anchor.sec, memory_order_relaxed);
    int64_t nsec = atomic_load_explicit(&anchor.nsec, memory_order_relaxed);
    uint64_t mult = atomic_load_explicit(&anchor.mult, memory_order_relaxed);
    uint64_t resync = atomic_load_explicit(&anchor.resync, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if ((seq & 1) || atomic_load_explicit(&anchor.seq, memory_order_relaxed) != seq) {
        clock_gettime(CLOCK_REALTIME, out); /* being set: the system clock, now */
        return;
    }
    int64_t d = (int64_t)(ticks - tick);
    if (d > 0 && (uint64_t)d > resync) {
        anchor_resync(ticks, out, seq);
        return;
    }
    /* A tick before the anchor: another thread set it after this one read
     * the counter, or the writer converts a record queued before. */
    uint64_t mag = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
    int64_t dns = (int64_t)(uint64_t)(((unsigned __int128)mag * mult) >> 32);
    nsec += d < 0 ? -dns : dns;
    /* From the anchor's own seconds: a record is rarely more than
     * CLOCK_RESYNC_MS away from it, so a step or two normalises the
     * nanoseconds without a 64-bit division per record. */
    if (nsec < 0 || nsec >= 4 * 1000000000LL) {
        sec += nsec / 1000000000LL;
        nsec %= 1000000000LL;
    }
    while (nsec < 0) {
        nsec += 1000000000LL;
        sec--;
    }
    while (nsec >= 1000000000LL) {
        nsec -= 1000000000LL;
        sec++;
    }
    out->tv_sec = (time_t)sec;
    out->tv_nsec = (long)nsec;
}
#endif

/* The time-stamp counter is trusted only where the kernel trusts it: a
 * counter that stops in deep sleep, differs between sockets or is
 * emulated badly by a hypervisor makes the kernel pick another clock
 * source, and then so do we. */
static void clock_decide(void)
{
#if CLOCK_HAVE_TSC
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");
    char name[32] = "";
    if (f != NULL) {
        if (fgets(name, sizeof name, f) == NULL)
            name[0] = '\0';
        fclose(f);
    }
    /* The anchor first: clock_tsc tells every other thread it is there. */
    if (strcmp(name, "tsc\n") == 0) {
        anchor_start();
        clock_tsc = true;
    }
#endif
}

void clock_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, clock_decide);
}

void clock_to_timespec(uint64_t ticks, struct timespec *out)
{
#if CLOCK_HAVE_TSC
    if (clock_tsc) {
        tsc_to_timespec(ticks, out);
        return;
    }
#endif
    out->tv_sec = (time_t)(ticks / 1000000000u); /* ticks are CLOCK_REALTIME ns */
    out->tv_nsec = (long)(ticks % 1000000000u);
}

void clock_now(struct timespec *out)
{
    clock_to_timespec(clock_ticks(), out);
}

/* ---- Time as text ---- */

/* Days to a civil date after H. Hinnant's civil_from_days: eras of 400
 * years (146097 days) starting on 1 March, so that the leap day ends the
 * year. */
void clock_utc_seconds(int64_t secs, char *out)
{
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    unsigned y4 = (unsigned)((y % 10000 + 10000) % 10000);
    digits_put2(out, y4 / 100);
    digits_put2(out + 2, y4);
    out[4] = '-';
    digits_put2(out + 5, m);
    out[7] = '-';
    digits_put2(out + 8, d);
    out[10] = 'T';
    digits_put2(out + 11, (unsigned)(rem / 3600));
    out[13] = ':';
    digits_put2(out + 14, (unsigned)(rem / 60 % 60));
    out[16] = ':';
    digits_put2(out + 17, (unsigned)(rem % 60));
}

void clock_utc_fraction(long nsec, char *out)
{
    out[0] = '.';
    long us = nsec / 1000;
    if (us >= 0 && us < 1000000) {
        unsigned u = (unsigned)us, lo = u % 10000;
        digits_put2(out + 1, u / 10000);
        digits_put2(out + 3, lo / 100);
        digits_put2(out + 5, lo);
    } else {
        /* Not a normalized timespec (the library's clocks never give
         * one): the low six digits of |us|, digits whatever comes. */
        unsigned long u = us < 0 ? 0ul - (unsigned long)us : (unsigned long)us;
        for (int i = 6; i >= 1; i--) {
            out[i] = (char)('0' + u % 10);
            u /= 10;
        }
    }
    out[7] = 'Z';
    out[8] = '\0';
}
