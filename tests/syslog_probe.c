/*
 * Drives the syslog handler for tests/test_syslog.sh, through whatever
 * configuration CONFIG gives:
 *
 *   syslog_probe CONFIG seq N PAUSE_US
 *       logs records "rec" seq=0..N-1 (logger "probe"), then shuts down
 *   syslog_probe CONFIG levels
 *       one record per level, field lvl=<its name>
 *   syslog_probe CONFIG hostile
 *       one record per hostile value (field v), numbered by field i
 *   syslog_probe CONFIG phases N1 N2 DIR
 *       logs seq 0..N1-1, prints "phase1", waits for DIR/go1, logs
 *       N1..N1+N2-1, prints "phase2", waits for DIR/go2, shuts down
 *   syslog_probe CONFIG fork N
 *       logs seq 0..N-1, forks; the child logs N..2N-1 and shuts down,
 *       then the parent logs 2N..3N-1 (its queue may still hold records
 *       when it forks: the child must not send them again)
 *   syslog_probe CONFIG forks N
 *       N times, in a new process that had no TLS session before (its
 *       OpenSSL starts cold, as a program's does): initializes, logs
 *       "parent" seq=i, and forks while its sender makes the first
 *       session, at a different moment each time; the child logs "child"
 *       seq=i and shuts down. A process that has not exited within its
 *       time is reported on stderr and killed, and the probe exits 1
 *   syslog_probe CONFIG flood N BATCH
 *       logs N records in batches of BATCH, timing each; prints the
 *       slowest batch in microseconds and metalog_stats.write_errors
 *
 * Prints "done" after metalog_shutdown returns, then
 * "write_errors_after_shutdown N" (what shutdown gave up is counted by
 * then).
 */
#include <metalog.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static void say(const char *s)
{
    printf("%s\n", s);
    fflush(stdout);
}

static void wait_for(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    while (access(path, F_OK) != 0)
        usleep(20000);
}

/* The ASan runtime of Debian 12's clang does not lock its allocator
 * around fork: a fork while another thread is inside malloc leaves the
 * child's allocator locked forever. The
 * sender thread allocates heavily during a TLS handshake, so under ASan the
 * fork waits until the sender has sent what was logged and gone idle; the
 * plain build forks with records still queued. */
#if defined(__SANITIZE_ADDRESS__)
#define PROBE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROBE_ASAN 1
#endif
#endif

static void quiesce_before_fork(long n)
{
#ifdef PROBE_ASAN
    for (int tries = 0; tries < 3000; tries++) {
        metalog_handler_stats hs[8];
        size_t k = metalog_get_handler_stats(hs, 8), idle = 0;
        for (size_t i = 0; i < k && i < 8; i++)
            if (strcmp(hs[i].type, "syslog") == 0 && hs[i].sent >= (uint64_t)n && hs[i].queued == 0)
                idle = 1;
        if (idle)
            break;
        usleep(10000);
    }
    usleep(100000);
#else
    (void)n;
#endif
}

/* Whether the process exited 0 within the seconds given; else it is
 * killed and the reason printed. */
static bool exited(pid_t pid, const char *what, long i, int seconds)
{
    int st = 0;
    for (int tries = 0; tries < seconds * 100; tries++) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return true;
            fprintf(stderr, "%s %ld failed (wait status %d)\n", what, i, st);
            return false;
        }
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    fprintf(stderr, "%s %ld did not exit within %d s\n", what, i, seconds);
    return false;
}

/* One round of forks: the exit status of the process that runs it. */
static int fork_during_handshake(const char *config, long i)
{
    if (metalog_init(config) != 0) {
        fprintf(stderr, "%s\n", metalog_last_error());
        return 1;
    }
    metalog_logger *log = metalog_get("probe");
    metalog_info(log, "parent", ml_int("seq", i));
    usleep((useconds_t)(i % 10) * 500); /* the handshake takes a few ms */
    quiesce_before_fork(1);
    pid_t child = fork();
    if (child == 0) {
        metalog_info(log, "child", ml_int("seq", i));
        metalog_shutdown();
        _exit(0);
    }
    bool ok = exited(child, "child", i, 20);
    metalog_shutdown();
    return ok ? 0 : 1;
}

static int forks(const char *config, long n)
{
    long bad = 0;
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0)
            _exit(fork_during_handshake(config, i));
        bad += !exited(p, "parent", i, 30);
    }
    return bad > 0 ? 1 : 0;
}

static void seq(metalog_logger *log, long from, long to, long pause_us)
{
    for (long i = from; i < to; i++) {
        metalog_info(log, "rec", ml_int("seq", i));
        if (pause_us > 0)
            usleep((useconds_t)pause_us);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: syslog_probe CONFIG MODE ARGS...\n");
        return 2;
    }
    if (strcmp(argv[2], "forks") == 0 && argc == 4)
        return forks(argv[1], atol(argv[3])); /* before any initialization */
    if (metalog_init(argv[1]) != 0) {
        fprintf(stderr, "%s\n", metalog_last_error());
        return 1;
    }
    metalog_logger *log = metalog_get("probe");
    const char *mode = argv[2];
    if (strcmp(mode, "seq") == 0 && argc == 5) {
        seq(log, 0, atol(argv[3]), atol(argv[4]));
    } else if (strcmp(mode, "levels") == 0) {
        metalog_debug(log, "lvl", ml_str("lvl", "DEBUG"));
        metalog_info(log, "lvl", ml_str("lvl", "INFO"));
        metalog_warning(log, "lvl", ml_str("lvl", "WARNING"));
        metalog_error(log, "lvl", ml_str("lvl", "ERROR"));
        metalog_critical(log, "lvl", ml_str("lvl", "CRITICAL"));
    } else if (strcmp(mode, "hostile") == 0) {
        static const char *const values[] = {
            "plain",        "a\"quote",    "back\\slash", "close]bracket", "all\"\\]three",
            "]\"\\",        "eq=sign",     "sp ace",      "caf\xc3\xa9",   "\\]",
        };
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
            metalog_info(log, "hostile", ml_int("i", (int64_t)i), ml_str("v", values[i]));
        metalog_info(log, "keys", ml_str("a=b", "1"), ml_str("c]d", "2"), ml_str("e\"f", "3"),
                     ml_str("g h", "4"));
        metalog_info(log, "types", ml_bool("t", true), ml_bool("f", false), ml_f64("d", 0.1),
                     ml_f64("e", 1e21), ml_int("n", -5), ml_null("z"));
    } else if (strcmp(mode, "phases") == 0 && argc == 6) {
        long n1 = atol(argv[3]), n2 = atol(argv[4]);
        seq(log, 0, n1, 0);
        say("phase1");
        wait_for(argv[5], "go1");
        seq(log, n1, n1 + n2, 0);
        say("phase2");
        wait_for(argv[5], "go2");
    } else if (strcmp(mode, "fork") == 0 && argc == 4) {
        long n = atol(argv[3]);
        seq(log, 0, n, 0);
        quiesce_before_fork(n);
        pid_t child = fork();
        if (child == 0) {
            seq(log, n, 2 * n, 0);
            metalog_shutdown();
            _exit(0);
        }
        int st = 0;
        waitpid(child, &st, 0);
        seq(log, 2 * n, 3 * n, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return 1;
    } else if (strcmp(mode, "flood") == 0 && argc == 5) {
        long n = atol(argv[3]), batch = atol(argv[4]), slowest = 0;
        for (long i = 0; i < n; i += batch) {
            long t0 = now_us();
            for (long j = i; j < i + batch && j < n; j++)
                metalog_info(log, "rec", ml_int("seq", j));
            long dt = now_us() - t0;
            if (dt > slowest)
                slowest = dt;
        }
        metalog_stats st;
        metalog_get_stats(&st);
        printf("slowest_batch_us %ld\nwrite_errors %llu\n", slowest,
               (unsigned long long)st.write_errors);
    } else {
        fprintf(stderr, "syslog_probe: bad mode or arguments\n");
        return 2;
    }
    metalog_shutdown();
    say("done");
    metalog_stats st;
    metalog_get_stats(&st);
    printf("write_errors_after_shutdown %llu\n", (unsigned long long)st.write_errors);
    return 0;
}
