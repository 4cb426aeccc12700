#include "util/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/digits.h"

bool clock_tsc;

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
    clock_tsc = strcmp(name, "tsc\n") == 0;
#endif
}

void clock_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, clock_decide);
}

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

/* ---- Ticks to time (the writer's side) ---- */

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
        uint64_t a = clock_ticks();
        uint64_t n = now_ns();
        uint64_t b = clock_ticks();
        if (b - a < best) {
            best = b - a;
            *tick = a + (b - a) / 2;
            *ns = n;
        }
    }
}

static struct {
    bool ready;
    uint64_t base_tick, base_ns; /* times are counted from here */
    time_t base_sec;             /* base_ns split */
    int64_t base_nsec;
    double ns_per_tick;
    uint64_t resync_ticks; /* CLOCK_RESYNC_MS in ticks */
} conv;

static void conv_set_base(uint64_t tick, uint64_t ns)
{
    conv.base_tick = tick;
    conv.base_ns = ns;
    conv.base_sec = (time_t)(ns / 1000000000u);
    conv.base_nsec = (int64_t)(ns % 1000000000u);
    conv.resync_ticks = (uint64_t)(CLOCK_RESYNC_MS * 1e6 / conv.ns_per_tick);
}

static void conv_start(void)
{
    uint64_t tick0, ns0, tick, ns;
    read_pair(&tick0, &ns0);
    /* A first rate over 1 ms (an error of about 1e-4 at worst); every
     * re-anchoring measures it again over CLOCK_RESYNC_MS. */
    do
        read_pair(&tick, &ns);
    while (ns - ns0 < 1000000 && ns >= ns0);
    conv.ns_per_tick = tick > tick0 && ns > ns0 ? (double)(ns - ns0) / (double)(tick - tick0) : 1.0;
    conv_set_base(tick, ns);
    conv.ready = true;
}

/* A new anchor; the rate since the last one replaces the old rate unless
 * the two disagree by more than 1%: then the system clock was stepped,
 * and the anchor alone follows it. */
static void conv_resync(void)
{
    uint64_t tick, ns;
    read_pair(&tick, &ns);
    if (tick > conv.base_tick && ns > conv.base_ns) {
        double rate = (double)(ns - conv.base_ns) / (double)(tick - conv.base_tick);
        double ratio = rate / conv.ns_per_tick;
        if (ratio > 0.99 && ratio < 1.01)
            conv.ns_per_tick = rate;
    }
    conv_set_base(tick, ns);
}

void clock_to_timespec(uint64_t ticks, struct timespec *out)
{
    if (!clock_tsc) { /* ticks are CLOCK_REALTIME ns */
        out->tv_sec = (time_t)(ticks / 1000000000u);
        out->tv_nsec = (long)(ticks % 1000000000u);
        return;
    }
    if (!conv.ready)
        conv_start();
    else if (ticks - conv.base_tick > conv.resync_ticks && (int64_t)(ticks - conv.base_tick) > 0)
        conv_resync();
    /* From the anchor's own seconds: a record is rarely more than
     * CLOCK_RESYNC_MS away from it, so a step or two normalises the
     * nanoseconds without a 64-bit division per record. */
    int64_t d = (int64_t)(ticks - conv.base_tick);
    int64_t nsec = conv.base_nsec + (int64_t)((double)d * conv.ns_per_tick);
    time_t sec = conv.base_sec;
    if (nsec < 0 || nsec >= 4 * 1000000000LL) {
        sec += (time_t)(nsec / 1000000000LL);
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
    out->tv_sec = sec;
    out->tv_nsec = (long)nsec;
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
