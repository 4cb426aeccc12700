/*
 * The metalog cases (sync and async, through the public API and a config
 * file, exactly as an application uses it) and the raw write() ceiling.
 *
 * This file is C because metalog.h's macros build the field array with a
 * compound literal, which C++ rejects ("taking address of temporary array").
 */
#include "bench.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <metalog.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

extern char bench_note[256]; /* bench_harness.c: one line carried into RESULTS.md */

/* ---- metalog ---- */

static metalog_logger *ml_log, *ml_logs[BENCH_NLOGGERS];
static const metalog_level ml_levels[4] = {METALOG_DEBUG, METALOG_INFO, METALOG_WARNING,
                                           METALOG_ERROR};

/* The config is written to a file and loaded by metalog_init, so the
 * benchmark measures the pipeline a real configuration builds. body holds
 * where records go (a flat log_file, or a handlers: list) and any
 * processors:, with "%1$s" for dir. */
static int metalog_start_yaml(const char *dir, const char *level, int async, int buffer_kb,
                              const char *body)
{
    char cfg[4096];
    snprintf(cfg, sizeof cfg, "%s/metalog.yaml", dir);
    FILE *f = fopen(cfg, "w");
    if (f == NULL) {
        perror(cfg);
        return -1;
    }
    fprintf(f,
            "log_level: %s\n"
            "log_to_console: false\n"
            "rotation_size_mb: 0\n"
            "async_logging: %s\n"
            "async_overflow: block\n"
            "file_buffer_kb: %d\n",
            level, async ? "true" : "false", buffer_kb);
    fprintf(f, body, dir);
    if (fclose(f) != 0) {
        perror(cfg);
        return -1;
    }
    if (metalog_init(cfg) != 0) {
        fprintf(stderr, "metalog_init: %s\n", metalog_last_error());
        return -1;
    }
    for (int i = 0; i < BENCH_NLOGGERS; i++)
        ml_logs[i] = metalog_get(bench_logger_names[i]);
    ml_log = ml_logs[0];
    return 0;
}

#define METALOG_PLAIN "log_file: %1$s/metalog.log\n"

static int metalog_start_with(const char *dir, const char *level, int async, int buffer_kb)
{
    return metalog_start_yaml(dir, level, async, buffer_kb, METALOG_PLAIN);
}

static int metalog_sync_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    (void)threads;
    (void)records;
    return metalog_start_with(dir, "INFO", 0, 64);
}

static int metalog_sync_unbuffered_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    (void)threads;
    (void)records;
    return metalog_start_with(dir, "INFO", 0, 0);
}

static int metalog_async_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    (void)threads;
    (void)records;
    return metalog_start_with(dir, "INFO", 1, 0);
}

/* One call as a program writes it: the fields from its variables. The
 * switch on the shape costs every case alike (spdlog's has one too). */
static void metalog_bench_log(const bench_rec *r)
{
    size_t len;
    switch (r->shape) {
    case BENCH_CONST4:
        metalog_info(ml_log, BENCH_EVENT, ml_int("order_id", r->id), ml_f64("price", BENCH_PRICE),
                     ml_str("symbol", BENCH_SYMBOL), ml_bool("hedged", true));
        break;
    case BENCH_VARY4:
        metalog_info(ml_log, BENCH_EVENT, ml_int("order_id", r->id), ml_f64("price", r->price),
                     ml_str("symbol", bench_symbol(r->symbol, &len)),
                     ml_bool("hedged", r->hedged));
        break;
    case BENCH_VARY8:
        metalog_info(ml_log, BENCH_EVENT, ml_int("order_id", r->id), ml_f64("price", r->price),
                     ml_str("symbol", bench_symbol(r->symbol, &len)),
                     ml_bool("hedged", r->hedged), ml_int("qty", r->qty),
                     ml_f64("ratio", r->ratio), ml_str("note", bench_note_text(r->note, &len)),
                     ml_uint("seq", r->seq));
        break;
    case BENCH_MIX:
        metalog_log(ml_logs[r->logger], ml_levels[r->level], BENCH_EVENT,
                    ml_int("order_id", r->id), ml_f64("price", r->price),
                    ml_str("symbol", bench_symbol(r->symbol, &len)),
                    ml_bool("hedged", r->hedged));
        break;
    }
}

/* metalog_flush returns once every record is written (for async: the
 * writer has drained every queue); shutdown then closes the file. Both
 * are inside the clock. The stats are read before shutdown resets them. */
static int metalog_bench_drain(void)
{
    int rc = metalog_flush();
    metalog_stats st;
    metalog_get_stats(&st);
    snprintf(bench_note, sizeof bench_note,
             "metalog_get_stats: records=%llu dropped=%llu write_errors=%llu",
             (unsigned long long)st.records, (unsigned long long)st.dropped,
             (unsigned long long)st.write_errors);
    metalog_shutdown();
    return rc == 0 && st.dropped == 0 && st.write_errors == 0 ? 0 : -1;
}

static int metalog_output(const char *dir, char *path, size_t size)
{
    snprintf(path, size, "%s/metalog.log", dir);
    return 0;
}

/* A disabled call is the macro's inline gate: one load and a compare.
 * The loop's field arguments are never evaluated when the gate is shut. */
static double metalog_disabled_ns(const char *dir, long calls)
{
    if (metalog_start_with(dir, "INFO", 0, 0) != 0)
        return -1;
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < calls; i++)
        metalog_debug(ml_log, BENCH_EVENT, ml_int("order_id", i), ml_f64("price", BENCH_PRICE),
                      ml_str("symbol", BENCH_SYMBOL), ml_bool("hedged", true));
    uint64_t t1 = bench_now_ns();
    metalog_shutdown();
    return (double)(t1 - t0) / (double)calls;
}

const bench_case bench_metalog_sync = {
    .name = "metalog-sync",
    .kind = "sync",
    .setup = "metalog_info through a YAML config: async_logging false, file_buffer_kb 64 "
             "(flush_level ERROR, flush_interval_ms 1000: mix's ERROR records flush the "
             "buffer, as documented), log_to_console false, rotation_size_mb 0, log_file in "
             "the temp dir; mix logs through 4 loggers from metalog_get",
    .shapes = BENCH_ALL_SHAPES,
    .start = metalog_sync_start,
    .log = metalog_bench_log,
    .drain = metalog_bench_drain,
    .output = metalog_output,
    .disabled_ns = metalog_disabled_ns,
};

/* Every record in the kernel when its call returns: what a crash of the
 * process cannot take back. No peer here offers that by default. */
const bench_case bench_metalog_sync_unbuffered = {
    .name = "metalog-sync-wt",
    .kind = "wt",
    .shapes = BENCH_ALL_SHAPES,
    .setup = "as metalog-sync with file_buffer_kb 0: one write(2) per record (write-through)",
    .start = metalog_sync_unbuffered_start,
    .log = metalog_bench_log,
    .drain = metalog_bench_drain,
    .output = metalog_output,
};

const bench_case bench_metalog_async = {
    .name = "metalog-async",
    .kind = "async",
    .shapes = BENCH_ALL_SHAPES,
    .setup = "as metalog-sync-wt with async_logging true, async_overflow block, "
             "async_queue_size default (65536 x 64 B = 4 MiB ring per thread)",
    .start = metalog_async_start,
    .log = metalog_bench_log,
    .drain = metalog_bench_drain,
    .output = metalog_output,
};

/* ---- What processors: and handlers: cost ----
 *
 * The plain cases above with one piece of the configuration language
 * added, run on vary4 with 1 thread next to the plain ones (bench_main.c),
 * so that the report gives each one's cost per record as a ratio to the
 * plain case of the same mode. Their kind, "lang-async" or "lang-sync",
 * names that plain case. */

#define LANG_CALLSITE METALOG_PLAIN "processors:\n  - callsite\n"

/* vary4 has nothing the keys match; the pattern scans every string value
 * and the event, and finds the card number of one symbol in 64
 * (bench_shape.c), so most records pay for looking, a few for replacing. */
#define LANG_REDACT                                                                                \
    METALOG_PLAIN "processors:\n"                                                                  \
                  "  - redact:\n"                                                                  \
                  "      keys: [password, \"*token*\"]\n"                                          \
                  "      patterns: ['[0-9]{13,19}']\n"

/* Five file handlers, each with a filter: every record goes to "all",
 * about half of them also to "hedged" (the match), none to the other
 * three (vary4 logs INFO through the logger "bench"). Only "all" is
 * checked line by line; lang_output checks the others' counts. */
#define LANG_5HANDLERS                                                                             \
    "handlers:\n"                                                                                  \
    "  - {name: all, type: file, path: %1$s/metalog.log, level: INFO}\n"                           \
    "  - {name: errors, type: file, path: %1$s/errors.log, level: ERROR}\n"                        \
    "  - {name: trade, type: file, path: %1$s/trade.log, loggers: [trade]}\n"                      \
    "  - {name: hedged, type: file, path: %1$s/hedged.log, match: {hedged: true}}\n"               \
    "  - {name: debug, type: file, path: %1$s/debug.log, max_level: DEBUG}\n"

/* Rotation: the file rotates at 1 GiB (never within a run), so both
 * cases measure what the triggers cost a record that does not rotate:
 * size alone (the file lock and a size check per write, as today's
 * default rotation_size_mb) against size, daily, gzip and retention
 * (the same lock, one more comparison of the record's time). */
#define LANG_ROTATE_SIZE                                                                           \
    "handlers:\n"                                                                                  \
    "  - {name: all, type: file, path: %1$s/metalog.log,\n"                                        \
    "     rotation: {size_mb: 1024, backups: 5}}\n"
#define LANG_ROTATE_DAILY                                                                          \
    "handlers:\n"                                                                                  \
    "  - {name: all, type: file, path: %1$s/metalog.log,\n"                                        \
    "     rotation: {size_mb: 1024, every: daily, compress: gzip, backups: 7,\n"                   \
    "                max_age_days: 30, max_total_mb: 4096}}\n"

static long lang_total; /* threads x records of the run, for lang_output */

static int lang_start(const char *dir, int threads, long records, int async, const char *body)
{
    lang_total = (long)threads * records;
    return metalog_start_yaml(dir, "INFO", async, async ? 0 : 64, body);
}

static int callsite_async_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 1, LANG_CALLSITE);
}

static int callsite_sync_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 0, LANG_CALLSITE);
}

static int redact_async_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 1, LANG_REDACT);
}

static int redact_sync_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 0, LANG_REDACT);
}

static int handlers_async_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 1, LANG_5HANDLERS);
}

static int handlers_sync_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 0, LANG_5HANDLERS);
}

static int size_async_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 1, LANG_ROTATE_SIZE);
}

static int size_sync_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 0, LANG_ROTATE_SIZE);
}

static int daily_async_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 1, LANG_ROTATE_DAILY);
}

static int daily_sync_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return lang_start(dir, threads, records, 0, LANG_ROTATE_DAILY);
}

/* A collector that hangs: a loopback listener never accepted from, with
 * a small receive buffer. The kernel completes the handshake, takes the
 * first bytes and then nothing more; an HTTP request gets no answer, a
 * syslog stream stops draining. Left open until the process exits. */
static int hung_listener(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int small = 4096, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("bench: hung listener");
        return -1;
    }
    return ntohs(a.sin_port);
}

/* A file as metalog-sync's (metalog's own failure note kept out of it),
 * beside a network handler (type, then its
 * address around the port) pointed at a hung collector: the caller's
 * latency is what the handler's queue costs. */
static int hung_start(const char *dir, int threads, long records, const char *pre,
                      const char *post)
{
    char body[1024];
    int port = hung_listener();
    if (port < 0)
        return -1;
    snprintf(body, sizeof body,
             "handlers:\n  - {type: file, path: %%1$s/metalog.log, exclude_loggers: [metalog]}\n"
             "  - {type: %s%d%s, timeout_seconds: 1,\n"
             "     shutdown_timeout_seconds: 1, level: INFO}\n",
             pre, port, post);
    return lang_start(dir, threads, records, 0, body);
}

static int otlp_hung_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return hung_start(dir, threads, records, "otlp, endpoint: \"http://127.0.0.1:", "/v1/logs\"");
}

static int syslog_hung_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    return hung_start(dir, threads, records, "syslog, address: \"tcp://127.0.0.1:", "\"");
}

/* As metalog_bench_drain, but the network handler's losses are the point:
 * they are noted, not failed (the file's lines are still checked). */
static int hung_drain(void)
{
    (void)metalog_flush();
    metalog_stats st;
    metalog_get_stats(&st);
    snprintf(bench_note, sizeof bench_note, "records=%llu; lost at the hung collector "
             "(write_errors, by the flush): %llu", (unsigned long long)st.records,
             (unsigned long long)st.write_errors);
    metalog_shutdown();
    return st.dropped == 0 ? 0 : -1;
}

/* Lines in dir/name; 0 when it does not exist (a handler may open its
 * file lazily). */
static long count_lines(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    long n = 0;
    int c;
    if (f == NULL)
        return 0;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* After the clock: the side handlers got what their filters let through,
 * or the run measured the wrong thing and fails (no file to check). */
static int handlers_output(const char *dir, char *path, size_t size)
{
    long want = 0;
    for (int64_t id = 0; id < lang_total; id++) {
        bench_rec r;
        bench_rec_make(BENCH_VARY4, id, &r);
        want += r.hedged;
    }
    long hedged = count_lines(dir, "hedged.log");
    long others = count_lines(dir, "errors.log") + count_lines(dir, "trade.log") +
                  count_lines(dir, "debug.log");
    if (hedged != want || others != 0) {
        fprintf(stderr, "bench: hedged.log has %ld lines (want %ld), the other side files %ld "
                        "(want 0)\n", hedged, want, others);
        return -1;
    }
    return metalog_output(dir, path, size);
}

#define LANG_CASE(n, k, s, st, out, chk)                                                           \
    {                                                                                              \
        .name = n, .kind = k, .setup = s, .shapes = 1u << BENCH_VARY4, .check = chk,               \
        .start = st, .log = metalog_bench_log, .drain = metalog_bench_drain, .output = out,        \
    }

const bench_case bench_lang_cases[BENCH_NLANG] = {
    LANG_CASE("metalog-callsite-async", "lang-async",
              "as metalog-async with processors: [callsite] (filename, lineno, func_name added "
              "to every record)",
              callsite_async_start, metalog_output, BENCH_CHECK_CALLSITE),
    LANG_CASE("metalog-callsite-sync", "lang-sync", "as metalog-sync with processors: [callsite]",
              callsite_sync_start, metalog_output, BENCH_CHECK_CALLSITE),
    LANG_CASE("metalog-redact-async", "lang-async",
              "as metalog-async with a redact processor: keys [password, \"*token*\"] (no vary4 "
              "key matches), patterns ['[0-9]{13,19}'] (matches the symbol of 1 record in 64, "
              "a card number; the other 63 have nothing to redact)",
              redact_async_start, metalog_output, BENCH_CHECK_REDACT),
    LANG_CASE("metalog-redact-sync", "lang-sync",
              "as metalog-sync with the redact processor of metalog-redact-async",
              redact_sync_start, metalog_output, BENCH_CHECK_REDACT),
    LANG_CASE("metalog-5handlers-async", "lang-async",
              "as metalog-async with five file handlers instead of log_file: all (level INFO), "
              "errors (level ERROR), trade (loggers [trade]), hedged (match hedged: true), "
              "debug (max_level DEBUG); each record goes to all, about half also to hedged",
              handlers_async_start, handlers_output, 0),
    LANG_CASE("metalog-5handlers-sync", "lang-sync",
              "as metalog-sync with the five handlers of metalog-5handlers-async",
              handlers_sync_start, handlers_output, 0),
    LANG_CASE("metalog-size-async", "lang-async",
              "as metalog-async with size rotation (size_mb 1024, backups 5; no rotation "
              "within the run): the file lock and the size check per write",
              size_async_start, metalog_output, 0),
    LANG_CASE("metalog-size-sync", "lang-sync", "as metalog-sync with the rotation of "
              "metalog-size-async", size_sync_start, metalog_output, 0),
    LANG_CASE("metalog-daily-async", "lang-async",
              "as metalog-size-async with every daily, compress gzip, backups 7, "
              "max_age_days 30, max_total_mb 4096: what the time trigger adds per record",
              daily_async_start, metalog_output, 0),
    LANG_CASE("metalog-daily-sync", "lang-sync", "as metalog-sync with the rotation of "
              "metalog-daily-async", daily_sync_start, metalog_output, 0),
    {.name = "metalog-otlp-hung-sync", .kind = "lang-sync",
     .setup = "log-call latency against a hung collector: as metalog-sync plus an otlp handler "
              "(defaults: batch 512, queue 10000) posting to a loopback listener that never "
              "accepts nor answers",
     .shapes = 1u << BENCH_VARY4, .start = otlp_hung_start, .log = metalog_bench_log,
     .drain = hung_drain, .output = metalog_output},
    {.name = "metalog-syslog-hung-sync", .kind = "lang-sync",
     .setup = "as metalog-otlp-hung-sync with a syslog tcp:// handler instead, to a listener "
              "that never reads",
     .shapes = 1u << BENCH_VARY4, .start = syslog_hung_start, .log = metalog_bench_log,
     .drain = hung_drain, .output = metalog_output},
};

/* ---- The ceilings: pre-rendered lines, raw write() ----
 *
 * What no logger can beat on this machine: the lines exist before the
 * clock starts (bench_render_rec: the bytes metalog writes, doubles in
 * their shortest round-trip form, strings escaped as metalog does), and a
 * "call" only hands the next one to the kernel. `ceiling` copies it into
 * a 64 KiB chunk, written with one write() whenever the next line would
 * not fit: the yardstick for buffered and async loggers. `ceiling-wt`
 * writes each line with a write() of its own, as a write-through logger
 * must: the yardstick for metalog-sync-wt. Every thread has its own
 * lines and chunk; O_APPEND keeps the threads' writes whole. */

#define CHUNK (64 * 1024)

typedef struct ceil_thread {
    char *lines;   /* this thread's lines, back to back */
    size_t *ends;  /* ends[i]: end of line i in lines */
    long next;     /* the next line to "log" */
    size_t used;   /* bytes in chunk */
    char chunk[CHUNK];
} ceil_thread;

static int ceil_fd = -1;
static ceil_thread *ceil_threads;
static __thread ceil_thread *ceil_me;
static int ceil_failed;

/* The most a line of any shape takes (vary8's longest is under 500). */
#define LINE_MAX_BYTES 1024

/* Thread t's lines, rendered: the records of its ids that are written.
 * One mapping with room for the longest lines, never moved, asked for
 * huge pages: the ceiling must be the best this machine does, and
 * walking through hundreds of MB of 4 KiB pages costs a TLB miss every
 * few lines (under a hypervisor, microseconds each). */
static int ceiling_render(ceil_thread *ct, int shape, int t, long records, time_t sec, long usec)
{
    size_t cap = (size_t)records * LINE_MAX_BYTES, off = 0;
    long n = 0;
    void *m = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    ct->lines = m == MAP_FAILED ? NULL : m;
    ct->ends = malloc((size_t)records * sizeof *ct->ends);
    if (ct->lines == NULL || ct->ends == NULL)
        return -1;
    (void)madvise(ct->lines, cap, MADV_HUGEPAGE);
    for (long i = 0; i < records; i++) {
        bench_rec r;
        int64_t id = (int64_t)t * records + i;
        if (!bench_rec_enabled(shape, id))
            continue;
        bench_rec_make(shape, id, &r);
        off += bench_render_rec(ct->lines + off, LINE_MAX_BYTES, sec, usec, &r);
        ct->ends[n++] = off;
    }
    return 0;
}

static int ceiling_start(const char *dir, int shape, int threads, long records)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/ceiling.log", dir);
    ceil_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
    if (ceil_fd < 0) {
        perror(path);
        return -1;
    }
    ceil_threads = calloc((size_t)threads, sizeof *ceil_threads);
    if (ceil_threads == NULL)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    for (int t = 0; t < threads; t++)
        if (ceiling_render(&ceil_threads[t], shape, t, records, now.tv_sec, now.tv_nsec / 1000) != 0)
            return -1;
    return 0;
}

static void ceiling_thread_start(int t)
{
    ceil_me = &ceil_threads[t];
}

static void ceiling_write(const char *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(ceil_fd, p + done, len - done);
        if (n <= 0) {
            __atomic_store_n(&ceil_failed, 1, __ATOMIC_RELAXED);
            break;
        }
        done += (size_t)n;
    }
}

/* The record's line was rendered before the clock: the call takes the
 * next one. A record at a disabled level has no line and costs nothing. */
static void ceiling_log(const bench_rec *r)
{
    if (r->level == BENCH_L_DEBUG)
        return;
    ceil_thread *ct = ceil_me;
    long i = ct->next++;
    size_t start = i > 0 ? ct->ends[i - 1] : 0;
    size_t len = ct->ends[i] - start;
    if (ct->used + len > CHUNK) {
        ceiling_write(ct->chunk, ct->used);
        ct->used = 0;
    }
    memcpy(ct->chunk + ct->used, ct->lines + start, len);
    ct->used += len;
}

static void ceiling_wt_log(const bench_rec *r)
{
    if (r->level == BENCH_L_DEBUG)
        return;
    ceil_thread *ct = ceil_me;
    long i = ct->next++;
    size_t start = i > 0 ? ct->ends[i - 1] : 0;
    ceiling_write(ct->lines + start, ct->ends[i] - start);
}

static void ceiling_thread_end(void)
{
    ceiling_write(ceil_me->chunk, ceil_me->used);
    ceil_me->used = 0;
}

static int ceiling_drain(void)
{
    int rc = close(ceil_fd);
    return rc == 0 && !ceil_failed ? 0 : -1;
}

static int ceiling_output(const char *dir, char *path, size_t size)
{
    snprintf(path, size, "%s/ceiling.log", dir);
    return 0;
}

const bench_case bench_ceiling = {
    .name = "ceiling",
    .kind = "ceiling",
    .setup = "raw write() of lines rendered before the clock starts (the bytes metalog writes), "
             "64 KiB chunks per thread, O_APPEND (its RSS includes every pre-rendered line)",
    .shapes = BENCH_ALL_SHAPES,
    .start = ceiling_start,
    .thread_start = ceiling_thread_start,
    .log = ceiling_log,
    .thread_end = ceiling_thread_end,
    .drain = ceiling_drain,
    .output = ceiling_output,
};

const bench_case bench_ceiling_wt = {
    .name = "ceiling-wt",
    .kind = "ceiling-wt",
    .setup = "as ceiling, but one write() per line (O_APPEND): what a write-through logger "
             "cannot beat, but for glibc's write() itself, which in a process with threads "
             "switches cancellation on and off around the system call (about 35 ns here; "
             "metalog's handlers make the bare system call)",
    .shapes = BENCH_ALL_SHAPES,
    .start = ceiling_start,
    .thread_start = ceiling_thread_start,
    .log = ceiling_wt_log,
    .drain = ceiling_drain,
    .output = ceiling_output,
};
