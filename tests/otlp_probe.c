/*
 * Drives the otlp handler for tests/test_otlp.sh through whatever
 * configuration CONFIG gives:
 *
 *   otlp_probe CONFIG N [-t THREADS] [-p PAUSE_US] [--phase K DIR] [--reload]
 *              [--settle]
 *
 * Logs records seq=0..N-1 from THREADS threads (thread t logs the seqs
 * with seq % THREADS == t), then calls metalog_shutdown. Every value of a
 * record is a function of its seq, so that tests/otlp_check.py recomputes
 * what each record must hold (keep the tables below and its tables in
 * step):
 *
 *   level      DEBUG INFO WARNING ERROR CRITICAL by seq % 5
 *   logger     "probe" or "probe.sub" by (seq / 10) % 2, bound with
 *              app="probe"; thread context worker=t
 *   fields     seq, ival (int64 incl. both ends), uval (uint64 incl. max),
 *              dval (doubles incl. NaN, infinities, -0.0, subnormal),
 *              flag (bool), text (quotes, newline, control bytes, UTF-8,
 *              an invalid byte), then by seq % 7 trace_id / span_id:
 *              0 lowercase hex, 1 uppercase hex, 2 malformed, 3 trace_id
 *              an integer, 4 trace_id alone, 5 and 6 none
 *   event      "rec"; the last record (seq N-1) goes through
 *              metalog_exception with event "boom" (ERROR, a stack trace)
 *
 * --phase K DIR (one thread): after seq K-1 prints "phase1" and waits for
 * DIR/go1 (then, with --reload, calls metalog_reload and prints
 * "reload_rc=R"); after the last record prints "phase2" and waits for
 * DIR/go2. -p pauses between records. --settle: before shutting down,
 * waits (10 s at most) until the handler named "collector" has sent or
 * lost every record and prints handler_sent= handler_lost=.
 *
 * Prints, after metalog_shutdown returned: start_ns= end_ns= (wall clock
 * around the run), records= write_errors= dropped= (metalog_get_stats
 * before shutdown, write_errors again after it as final_write_errors=),
 * slowest_call_us= (the slowest single log call), total_log_us= (first
 * call to last), shutdown_ms=, and "done".
 */
#include <inttypes.h>
#include <math.h>
#include <metalog.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const int64_t ints[] = {0, -1, 42, INT64_MAX, INT64_MIN, -1234567890123};
static const uint64_t uints[] = {0, 7, (uint64_t)INT64_MAX, UINT64_MAX};
static const char *const texts[] = {
    "plain",         "quo\"te",    "back\\slash", "new\nline",
    "tab\there",     "ctl\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac", "\xf0\x9f\x98\x80",
    "",              ("bad\xff" "byte"), "</script>", "NaN",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static double dval(long i)
{
    static const double d[] = {1.5, -0.25, 0.1, 1e300, -1e-300, 0.0, 0.0, 0.0, 0.0, 0.0, 5e-324};
    switch (i % 11) {
    case 5: return NAN;
    case 6: return INFINITY;
    case 7: return -INFINITY;
    case 9: return -0.0;
    default: return d[i % 11];
    }
}

static long nrecords, nthreads = 1, pause_us, phase_at = -1;
static const char *phase_dir;
static int do_reload;
static int settle;
static long slowest_ns;
static pthread_mutex_t slowest_lock = PTHREAD_MUTEX_INITIALIZER;

static long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static long long wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void say(const char *s)
{
    printf("%s\n", s);
    fflush(stdout);
}

static void wait_for(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", phase_dir, name);
    while (access(path, F_OK) != 0)
        usleep(20000);
}

/* The site of every record, for the callsite processor (printed as
 * site_line= so that the check knows the line). */
static const metalog_site log_one_site = {__FILE__, "log_one", __LINE__};

/* One record: the fields by seq, the ids by seq % 7. */
static void log_one(const metalog_logger *lg, long i)
{
    static const metalog_level levels[] = {METALOG_DEBUG, METALOG_INFO, METALOG_WARNING,
                                           METALOG_ERROR, METALOG_CRITICAL};
    char trace[40], span[24];
    metalog_field f[9];
    size_t n = 0;
    f[n++] = ml_int("seq", i);
    f[n++] = ml_int("ival", ints[i % (long)COUNT(ints)]);
    f[n++] = ml_uint("uval", uints[i % (long)COUNT(uints)]);
    f[n++] = ml_f64("dval", dval(i));
    f[n++] = ml_bool("flag", i % 3 == 0);
    f[n++] = ml_str("text", texts[i % (long)COUNT(texts)]);
    snprintf(trace, sizeof trace, "%016" PRIx64 "%016" PRIx64, (uint64_t)0xabcdef0123456789u,
             (uint64_t)i + 1);
    snprintf(span, sizeof span, "%016" PRIx64, (uint64_t)i + 1);
    switch (i % 7) {
    case 0:
        f[n++] = ml_str("trace_id", trace);
        f[n++] = ml_str("span_id", span);
        break;
    case 1:
        snprintf(trace, sizeof trace, "%016" PRIX64 "%016" PRIX64, (uint64_t)0xabcdef0123456789u,
                 (uint64_t)i + 1);
        snprintf(span, sizeof span, "%016" PRIX64, (uint64_t)i + 1);
        f[n++] = ml_str("trace_id", trace);
        f[n++] = ml_str("span_id", span);
        break;
    case 2:
        trace[31] = '\0'; /* 31 digits */
        span[15] = 'g';   /* not hex */
        f[n++] = ml_str("trace_id", trace);
        f[n++] = ml_str("span_id", span);
        break;
    case 3:
        f[n++] = ml_int("trace_id", i);
        break;
    case 4:
        f[n++] = ml_str("trace_id", trace);
        break;
    default:
        break;
    }
    if (i == nrecords - 1)
        metalog_exception_site(lg, &log_one_site, "boom", f, n);
    else
        metalog_log_site(lg, levels[i % 5], &log_one_site, "rec", f, n);
}

static void *worker(void *arg)
{
    long t = (long)(intptr_t)arg, mine = 0;
    metalog_context_bind(ml_int("worker", t));
    metalog_logger *lg[2] = {metalog_bind(metalog_get("probe"), ml_str("app", "probe")),
                             metalog_bind(metalog_get("probe.sub"), ml_str("app", "probe"))};
    for (long i = t; i < nrecords; i += nthreads) {
        long t0 = mono_ns();
        log_one(lg[(i / 10) % 2], i);
        long dt = mono_ns() - t0;
        if (dt > mine)
            mine = dt;
        if (phase_at >= 0 && i == phase_at - 1) {
            say("phase1");
            wait_for("go1");
            if (do_reload) {
                printf("reload_rc=%d\n", metalog_reload());
                fflush(stdout);
            }
        }
        if (pause_us > 0)
            usleep((useconds_t)pause_us);
    }
    metalog_logger_free(lg[0]);
    metalog_logger_free(lg[1]);
    metalog_context_clear();
    pthread_mutex_lock(&slowest_lock);
    if (mine > slowest_ns)
        slowest_ns = mine;
    pthread_mutex_unlock(&slowest_lock);
    return NULL;
}

/* --settle: the collector handler's counts once every record is sent or
 * lost (or after 10 s). */
static void settle_collector(uint64_t want)
{
    metalog_handler_stats hs[8];
    uint64_t sent = 0, lost = 0;
    metalog_flush();
    for (int tries = 0; tries < 1000; tries++) {
        size_t n = metalog_get_handler_stats(hs, 8);
        for (size_t i = 0; i < n && i < 8; i++)
            if (strcmp(hs[i].name, "collector") == 0) {
                sent = hs[i].sent;
                lost = hs[i].lost;
            }
        if (sent + lost >= want)
            break;
        usleep(10000);
    }
    printf("handler_sent=%" PRIu64 "\nhandler_lost=%" PRIu64 "\n", sent, lost);
}

static int usage(void)
{
    fprintf(stderr, "usage: otlp_probe CONFIG N [-t THREADS] [-p PAUSE_US] [--phase K DIR] "
                    "[--reload] [--settle]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    nrecords = atol(argv[2]);
    for (int a = 3; a < argc; a++) {
        if (strcmp(argv[a], "-t") == 0 && a + 1 < argc)
            nthreads = atol(argv[++a]);
        else if (strcmp(argv[a], "-p") == 0 && a + 1 < argc)
            pause_us = atol(argv[++a]);
        else if (strcmp(argv[a], "--phase") == 0 && a + 2 < argc) {
            phase_at = atol(argv[++a]);
            phase_dir = argv[++a];
        } else if (strcmp(argv[a], "--reload") == 0)
            do_reload = 1;
        else if (strcmp(argv[a], "--settle") == 0)
            settle = 1;
        else
            return usage();
    }
    if (nrecords < 1 || nthreads < 1 || nthreads > 64 || (phase_at >= 0 && nthreads != 1))
        return usage();
    printf("site_line=%d\n", log_one_site.line);
    long long start = wall_ns();
    if (metalog_init(argv[1]) != 0) {
        fprintf(stderr, "%s\n", metalog_last_error());
        return 1;
    }
    pthread_t th[64];
    long t0 = mono_ns();
    for (long t = 0; t < nthreads; t++)
        if (pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) != 0)
            return 1;
    for (long t = 0; t < nthreads; t++)
        pthread_join(th[t], NULL);
    long logged = mono_ns() - t0;
    if (phase_at >= 0) {
        say("phase2");
        wait_for("go2");
    }
    if (settle)
        settle_collector((uint64_t)nrecords);
    metalog_stats st;
    metalog_get_stats(&st);
    long s0 = mono_ns();
    metalog_shutdown();
    long shut = mono_ns() - s0;
    metalog_stats fin;
    metalog_get_stats(&fin);
    printf("start_ns=%lld\nend_ns=%lld\nrecords=%" PRIu64 "\nwrite_errors=%" PRIu64
           "\ndropped=%" PRIu64 "\nfinal_write_errors=%" PRIu64 "\nslowest_call_us=%ld\n"
           "total_log_us=%ld\nshutdown_ms=%ld\n",
           start, wall_ns(), st.records, st.write_errors, st.dropped, fin.write_errors,
           slowest_ns / 1000, logged / 1000, shut / 1000000);
    say("done");
    return 0;
}
