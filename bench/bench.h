/*
 * The logger benchmark: metalog against spdlog, log4c, glog and raw
 * write() ceilings. The const4 shape writes the same JSON line per record:
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

/* The record shapes (bench_shape.c). Every value of a record is a
 * function of its id (order_id), so the validator recomputes the record
 * it expects from the id alone and compares every value. */
enum {
    BENCH_CONST4, /* the constant record above: only order_id varies */
    BENCH_VARY4,  /* the same four keys with values that vary as a program's do */
    BENCH_VARY8,  /* vary4 plus four more: wide ints, a ratio, a longer string, an unsigned */
    BENCH_MIX,    /* vary4 through 4 loggers at DEBUG (filtered), INFO, WARNING, ERROR */
    BENCH_NSHAPES
};
#define BENCH_ALL_SHAPES ((1u << BENCH_NSHAPES) - 1)

/* Call spacing: back to back, or other work touching memory between
 * groups of calls (bench_harness.c). */
enum { BENCH_BURST, BENCH_SPREAD, BENCH_NMODES };

enum { BENCH_L_DEBUG, BENCH_L_INFO, BENCH_L_WARNING, BENCH_L_ERROR };

/* One record's values. Strings are indexes into tables (bench_symbol,
 * bench_note) so that a case may pick their pre-escaped JSON form. */
typedef struct bench_rec {
    int64_t id; /* order_id */
    int shape, level, logger;
    double price;
    int symbol;
    int hedged;
    int64_t qty;   /* vary8: 1 to 19 digits, some negative */
    double ratio;  /* vary8 */
    int note;      /* vary8: 10 to 80 bytes */
    uint64_t seq;  /* vary8: an unsigned over the whole range */
} bench_rec;

#define BENCH_NSTRINGS 64
#define BENCH_NLOGGERS 4

/* Builds the string tables; call once before any other bench_shape call. */
void bench_shapes_init(void);
const char *bench_shape_name(int shape);
int bench_shape_parse(const char *name); /* -1 when unknown */
const char *bench_mode_name(int mode);
int bench_mode_parse(const char *name);
void bench_rec_make(int shape, int64_t id, bench_rec *r);
/* The ids in [0, total) whose record is written (mix: not DEBUG). */
int bench_rec_enabled(int shape, int64_t id);
long bench_enabled_count(int shape, long total);
/* The raw bytes (len set) and their JSON escaping (as metalog escapes,
 * without the quotes) of string i. */
const char *bench_symbol(int i, size_t *len);
const char *bench_symbol_json(int i);
/* String i as a redact processor with patterns ['[0-9]{13,19}'] and the
 * default replacement leaves it (len set): the raw bytes for all but the
 * symbol holding a card number. */
const char *bench_symbol_redacted(int i, size_t *len);
const char *bench_note_text(int i, size_t *len);
const char *bench_note_json(int i);
extern const char *const bench_logger_names[BENCH_NLOGGERS];
extern const char *const bench_level_names[4];
/* The whole JSON line of r as metalog writes it ('\n' included), doubles
 * in their shortest round-trip form; returns its length (< size). */
size_t bench_render_rec(char *out, size_t size, time_t sec, long usec, const bench_rec *r);

/* One logger under test. Every hook but log may be NULL. */
typedef struct bench_case {
    const char *name;  /* "metalog-async": the first argument of "run" */
    const char *kind;  /* "sync", "wt", "async", "ceiling" or "ceiling-wt": its yardsticks */
    const char *setup; /* one line for RESULTS.md: how the logger is configured */
    unsigned shapes;   /* 1 << BENCH_* of the shapes it runs; 0 means const4 only */
    /* Builds the logger writing into dir for records of this shape; not
     * timed. 0, or -1 after printing why to stderr. */
    int (*start)(const char *dir, int shape, int threads, long records);
    /* On each worker thread before the clock starts (thread index t). */
    void (*thread_start)(int t);
    /* One record: the call whose latency is measured. */
    void (*log)(const bench_rec *r);
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
    /* BENCH_CHECK_*: what the output holds beyond the record logged. */
    unsigned check;
} bench_case;

/* How bench_validate reads a case's lines. */
#define BENCH_CHECK_GLOG_HEADER 1u /* glog's file header lines come first */
#define BENCH_CHECK_CALLSITE 2u    /* filename, lineno, func_name after event */
#define BENCH_CHECK_REDACT 4u      /* symbol as bench_symbol_redacted gives it */

/* The cases that add processors: or handlers: to the plain metalog ones
 * (bench_metalog.c); vary4 only. */
#define BENCH_NLANG 12
extern const bench_case bench_lang_cases[BENCH_NLANG];

/* The fixed content of every record: only order_id varies. */
#define BENCH_EVENT "order placed"
#define BENCH_LOGGER "bench"
#define BENCH_PRICE 1.0842
#define BENCH_SYMBOL "EURUSD"

/* Renders "2025-10-17T12:34:56.123456Z" (27 characters, no NUL) into out
 * from a UTC time in seconds and microseconds. The date part is cached
 * per thread and redone only when the second changes, as spdlog does. */
void bench_render_time(char out[27], time_t sec, long usec);

/* Renders the const4 record line, '\n' included, for the peers that are
 * given the JSON as their message (glog). Returns its length (< size).
 * The double uses "%.15g": right for 1.0842, not a round-trip format in
 * general (bench_render_rec is). */
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
