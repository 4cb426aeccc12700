/*
 * The renderers, through the public API: records are logged into a real
 * file (or captured from stdout) and read back. JSON lines are parsed with
 * json-c and compared with what was logged; text lines with a small logfmt
 * reader; console output byte by byte.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <metalog.h>

#include "record/level.h"
#include "util/clock.h"
#include "util/image.h"
#include "render/render.h"
#include "render/render_json.h"
#include "render/render_lit.h"
#include "render/format.h"
#include "render/json_string.h"
#include "testhelp.h"

static char *dir;
static char *logpath;
/* The record last loaded and its raw line; the next load (or the
 * teardown) frees them. */
static json_object *rec;
static char *raw;

static void setup(void)
{
    dir = th_tmpdir();
    logpath = th_path(dir, "app.log");
}

static void teardown(void)
{
    metalog_context_clear(); /* CK_FORK=no runs every test in one thread */
    metalog_shutdown();
    json_object_put(rec);
    rec = NULL;
    free(raw);
    raw = NULL;
    free(logpath);
    logpath = NULL;
    th_tmpdir_remove(dir);
    dir = NULL;
}

/* Every level, no console, one never-rotating file: JSON or text lines. */
static void init_file(bool structured)
{
    char *cfg = th_config(dir,
                          "log_level: debug\nlog_to_console: false\nrotation_size_mb: 0\n"
                          "structured_logging: %s\nlog_file: @D@/app.log\n",
                          structured ? "true" : "false");
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
}

/* Console only, on stdout, with the given console_colors. */
static void init_console(const char *colors)
{
    char *cfg =
        th_config(dir, "log_level: debug\nlog_to_console: true\nconsole_colors: %s\n", colors);
    ck_assert_msg(metalog_init(cfg) == 0, "init: %s", metalog_last_error());
    free(cfg);
}

/* Loads record i of the log, which must be strict UTF-8 JSON. */
static json_object *load(size_t i)
{
    ck_assert_int_eq(metalog_flush(), 0);
    json_object_put(rec);
    free(raw);
    rec = th_json_line_strict(logpath, i, &raw);
    return rec;
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v = NULL;
    ck_assert_msg(json_object_object_get_ex(o, key, &v), "no member '%s'", key);
    return v;
}

static void assert_jstr(json_object *o, const char *key, const char *logged)
{
    char *want = th_utf8_repair(logged);
    json_object *v = member(o, key);
    ck_assert_msg(json_object_is_type(v, json_type_string), "'%s' is not a string", key);
    ck_assert_int_eq((long)json_object_get_string_len(v), (long)strlen(want));
    ck_assert_msg(memcmp(json_object_get_string(v), want, strlen(want)) == 0,
                  "'%s' differs from what was logged", key);
    free(want);
}

/* Kept out of line so that the stack trace names it. */
__attribute__((noinline)) static void raise_from_render_test(metalog_logger *lg)
{
    metalog_exception(lg, "it broke", ml_int("a", 1), ml_str("b", "two"));
    __asm__ volatile("" ::: "memory"); /* no tail call: keep this frame */
}

/* The same with a field of the caller's. */
__attribute__((noinline)) static void raise_from_render_test_with(metalog_logger *lg,
                                                                  metalog_field f)
{
    metalog_exception(lg, "it broke", f);
    __asm__ volatile("" ::: "memory");
}

/* ---- JSON: layout ---- */

START_TEST(json_keys_in_contract_order)
{
    init_file(true);
    metalog_context_bind(ml_int("ctx", 3));
    metalog_logger *lg = metalog_bind(metalog_get("expert"), ml_str("bound", "b"));
    raise_from_render_test(lg);
    metalog_logger_free(lg);
    json_object *o = load(0);
    const char *order[] = {"timestamp", "level", "logger", "event",    "bound",
                           "ctx",       "a",     "b",      "exception"};
    size_t k = 0;
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        ck_assert_msg(k < 9 && strcmp(key, order[k]) == 0, "key %zu is '%s'", k, key);
        k++;
    }
    ck_assert_int_eq(k, 9);
    /* The same order in the bytes themselves. */
    const char *prev = raw;
    for (size_t i = 0; i < 9; i++) {
        char pat[32];
        snprintf(pat, sizeof pat, "%s\"%s\":", i == 0 ? "{" : ",", order[i]);
        const char *at = strstr(raw, pat);
        ck_assert_msg(at != NULL && at >= prev, "'%s' out of place in %s", order[i], raw);
        prev = at;
    }
    ck_assert_int_eq(raw[strlen(raw) - 1], '}');
    ck_assert_ptr_eq(strstr(raw, "{\"timestamp\":"), raw);
}
END_TEST

START_TEST(json_timestamp_is_utc_microseconds_taken_at_the_call)
{
    init_file(true);
    struct timespec before, after;
    clock_gettime(CLOCK_REALTIME, &before);
    metalog_info(NULL, "tick");
    clock_gettime(CLOCK_REALTIME, &after);
    json_object *o = load(0);
    const char *ts = th_jstr(o, "timestamp");
    ck_assert_ptr_nonnull(ts);
    ck_assert_uint_eq(strlen(ts), 27);
    const char *shape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    for (size_t i = 0; i < 27; i++)
        ck_assert_msg(shape[i] == 'd' ? (ts[i] >= '0' && ts[i] <= '9') : ts[i] == shape[i],
                      "timestamp %s: byte %zu", ts, i);
    struct tm tm = {0};
    long us;
    ck_assert_int_eq(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%6ldZ", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us),
                     7);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    long long at = (long long)timegm(&tm) * 1000000 + us;
    long long lo = (long long)before.tv_sec * 1000000 + before.tv_nsec / 1000;
    long long hi = (long long)after.tv_sec * 1000000 + after.tv_nsec / 1000;
    ck_assert_msg(at >= lo && at <= hi, "%s is not between the clock reads", ts);
}
END_TEST

/* The timestamp's date is arithmetic, not gmtime_r (whose time zone lock a
 * forked child can inherit held): it agrees with gmtime_r on every day of
 * 1970 to 2400, the leap days and century years among them, at midnight
 * and at the day's last second, and before 1970. */
START_TEST(utc_text_agrees_with_gmtime_on_every_day_from_1970_to_2400)
{
    for (int64_t day = -800; day < 157420; day++) { /* to 2400-12-31 */
        for (int k = 0; k < 2; k++) {
            time_t t = (time_t)(day * 86400 + (k ? 86399 : 0));
            struct tm tm;
            ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
            char want[32], got[20] = {0};
            strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
            clock_utc_seconds(t, got);
            ck_assert_msg(memcmp(got, want, 19) == 0, "%lld: %.19s, gmtime_r says %s", (long long)t,
                          got, want);
        }
    }
    char frac[9];
    clock_utc_fraction(123456789, frac);
    ck_assert_str_eq(frac, ".123456Z");
    clock_utc_fraction(999, frac);
    ck_assert_str_eq(frac, ".000000Z");
}
END_TEST

START_TEST(json_level_logger_and_event_match_the_call)
{
    init_file(true);
    metalog_logger *lg = metalog_get("expert.scalper");
    const metalog_level lv[] = {METALOG_DEBUG, METALOG_INFO, METALOG_WARNING, METALOG_ERROR,
                                METALOG_CRITICAL};
    const char *names[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"};
    for (int i = 0; i < 5; i++)
        metalog_log(lg, lv[i], names[i]);
    for (size_t i = 0; i < 5; i++) {
        json_object *o = load(i);
        ck_assert_str_eq(th_jstr(o, "level"), names[i]);
        ck_assert_str_eq(th_jstr(o, "logger"), "expert.scalper");
        ck_assert_str_eq(th_jstr(o, "event"), names[i]);
    }
}
END_TEST

/* ---- JSON: value types ---- */

START_TEST(json_strings_bools_and_nulls_render_by_type)
{
    init_file(true);
    metalog_info(NULL, "e", ml_str("s", "EURUSD"), ml_str("empty", ""), ml_bool("yes", true),
                 ml_bool("no", false), ml_str("nul", NULL), ml_null("z"));
    json_object *o = load(0);
    assert_jstr(o, "s", "EURUSD");
    assert_jstr(o, "empty", "");
    ck_assert(json_object_is_type(member(o, "yes"), json_type_boolean));
    ck_assert(json_object_get_boolean(member(o, "yes")));
    ck_assert(json_object_is_type(member(o, "no"), json_type_boolean));
    ck_assert(!json_object_get_boolean(member(o, "no")));
    ck_assert_ptr_null(member(o, "nul"));
    ck_assert_ptr_null(member(o, "z"));
    ck_assert_ptr_nonnull(strstr(raw, ",\"nul\":null,\"z\":null}"));
}
END_TEST

START_TEST(json_integers_keep_the_full_64_bit_range)
{
    init_file(true);
    metalog_info(NULL, "e", ml_int("min", INT64_MIN), ml_int("max", INT64_MAX), ml_int("neg", -1),
                 ml_int("zero", 0), ml_uint("umax", UINT64_MAX), ml_uint("u0", 0));
    json_object *o = load(0);
    ck_assert_ptr_nonnull(strstr(raw, "\"min\":-9223372036854775808,"));
    ck_assert_ptr_nonnull(strstr(raw, "\"max\":9223372036854775807,"));
    ck_assert_ptr_nonnull(strstr(raw, "\"umax\":18446744073709551615,"));
    ck_assert(json_object_get_int64(member(o, "min")) == INT64_MIN);
    ck_assert(json_object_get_int64(member(o, "max")) == INT64_MAX);
    ck_assert(json_object_get_int64(member(o, "neg")) == -1);
    ck_assert(json_object_get_int64(member(o, "zero")) == 0);
    ck_assert(json_object_get_uint64(member(o, "umax")) == UINT64_MAX);
    ck_assert(json_object_is_type(member(o, "u0"), json_type_int));
}
END_TEST

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

#define NDOUBLES 256

/* Fixed edge cases first, then random bit patterns (finite only). */
static void double_samples(double *d)
{
    /* clang-format off */
    const double fixed[] = {
        0.1, 0.2, 0.3, 1.0 / 3, 1e300, -1e300, 5e-324, -5e-324, 1e-310, DBL_MIN, DBL_MAX,
        -DBL_MAX, -0.0, 0.0, 1.0, DBL_EPSILON, 1.0842, 100.0, 1e21, 1e22, 1e-7,
        3.141592653589793, 0.30000000000000004, 9007199254740993.0, 123456789012345678.0,
        2.5, -2.5, 1e15, 1e16, 1e17};
    /* clang-format on */
    size_t nf = sizeof fixed / sizeof fixed[0];
    memcpy(d, fixed, sizeof fixed);
    /* Every other sample a short decimal, m / 10^k, as prices and rates
     * are; the rest any finite bit pattern. */
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6, 1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    for (size_t i = nf; i < NDOUBLES;) {
        uint64_t bits = rng_next();
        double v;
        if (i % 2 == 0) {
            uint64_t m = (bits >> 8) % (uint64_t)pow10[1 + (bits & 0xff) % 15];
            v = (double)m / pow10[(bits >> 4) % 16];
            if (bits & 0x8)
                v = -v;
        } else {
            memcpy(&v, &bits, sizeof v);
        }
        if (isfinite(v))
            d[i++] = v;
    }
}

/* Logs the samples 16 to a record, keys d0..d15. */
static void log_doubles(const double *d)
{
    static char keys[16][8];
    metalog_field f[16];
    for (size_t r = 0; r < NDOUBLES / 16; r++) {
        for (size_t i = 0; i < 16; i++) {
            snprintf(keys[i], sizeof keys[i], "d%zu", i);
            f[i] = ml_f64(keys[i], d[r * 16 + i]);
        }
        metalog_log_n(NULL, METALOG_INFO, "doubles", f, 16);
    }
}

/* The text of member key's value in a raw line (up to ',' or '}'). */
static void raw_value(const char *line, const char *key, char *out, size_t cap)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    ck_assert_ptr_nonnull(p);
    p += strlen(pat);
    size_t n = strcspn(p, ",}");
    ck_assert_uint_lt(n, cap);
    memcpy(out, p, n);
    out[n] = '\0';
}

START_TEST(json_doubles_round_trip_exactly)
{
    init_file(true);
    double d[NDOUBLES];
    double_samples(d);
    log_doubles(d);
    for (size_t r = 0; r < NDOUBLES / 16; r++) {
        json_object *o = load(r);
        for (size_t i = 0; i < 16; i++) {
            char key[8];
            snprintf(key, sizeof key, "d%zu", i);
            double want = d[r * 16 + i];
            json_object *v = member(o, key);
            ck_assert_msg(json_object_is_type(v, json_type_double), "%.17g is not a double", want);
            double got = json_object_get_double(v);
            ck_assert_msg(memcmp(&got, &want, sizeof got) == 0, "%.17g came back as %.17g", want,
                          got);
        }
    }
}
END_TEST

START_TEST(json_doubles_use_the_shortest_round_trip_text)
{
    init_file(true);
    double d[NDOUBLES];
    double_samples(d);
    log_doubles(d);
    for (size_t r = 0; r < NDOUBLES / 16; r++) {
        load(r);
        for (size_t i = 0; i < 16; i++) {
            char key[8], text[64], best[40];
            snprintf(key, sizeof key, "d%zu", i);
            raw_value(raw, key, text, sizeof text);
            double v = d[r * 16 + i];
            int shortest;
            for (shortest = 1; shortest < 17; shortest++) {
                snprintf(best, sizeof best, "%.*g", shortest, v);
                if (strtod(best, NULL) == v)
                    break;
            }
            /* Significant digits of the rendered text. */
            char digits[64];
            size_t nd = 0;
            for (const char *p = text; *p && *p != 'e' && *p != 'E'; p++)
                if (*p >= '0' && *p <= '9' && (nd > 0 || *p != '0'))
                    digits[nd++] = *p;
            while (nd > 1 && digits[nd - 1] == '0')
                nd--;
            ck_assert_msg((int)nd <= shortest, "%s has %zu digits; %s would do", text, nd, best);
        }
    }
}
END_TEST

START_TEST(json_integral_doubles_stay_doubles)
{
    init_file(true);
    metalog_info(NULL, "e", ml_f64("one", 1.0), ml_f64("hundred", 100.0), ml_f64("negzero", -0.0),
                 ml_f64("big", 1e300));
    json_object *o = load(0);
    ck_assert_ptr_nonnull(strstr(raw, "\"one\":1.0,"));
    ck_assert_ptr_nonnull(strstr(raw, "\"hundred\":100.0,"));
    const char *keys[] = {"one", "hundred", "negzero", "big"};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(json_object_is_type(member(o, keys[i]), json_type_double), "%s", keys[i]);
    ck_assert(signbit(json_object_get_double(member(o, "negzero"))));
}
END_TEST

/* Decimals whose digits end in every count of zeros the formatter strips
 * (in steps of 8, 4, 2 and 1), and the largest and smallest it takes. */
START_TEST(json_short_decimals_lose_every_trailing_zero)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {1.0842, "1.0842"},
        {0.5, "0.5"},
        {12.25, "12.25"},
        {100.125, "100.125"},
        {-7.75, "-7.75"},
        {123456789.5, "123456789.5"},
        {1234567.125, "1234567.125"},
        {99999999999999.9, "99999999999999.9"},
        {0.1, "0.1"},
        {0.01, "0.01"},
        {0.000123, "0.000123"},
        {1e-7, "0.0000001"},
        {3.000000001, "3.000000001"},
        {2.0000000000001, "2.0000000000001"},
        {1e14, "100000000000000.0"},
        {120000.0, "120000.0"},
        {45.6789012345, "45.6789012345"},
    };
    init_file(true);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        metalog_info(NULL, "e", ml_f64("v", cases[i].v));
        load(i);
        char text[64];
        raw_value(raw, "v", text, sizeof text);
        ck_assert_str_eq(text, cases[i].text);
    }
}
END_TEST

START_TEST(json_non_finite_doubles_are_strings)
{
    init_file(true);
    metalog_info(NULL, "e", ml_f64("nan", NAN), ml_f64("inf", INFINITY), ml_f64("ninf", -INFINITY));
    json_object *o = load(0);
    ck_assert_str_eq(th_jstr(o, "nan"), "NaN");
    ck_assert_str_eq(th_jstr(o, "inf"), "Infinity");
    ck_assert_str_eq(th_jstr(o, "ninf"), "-Infinity");
}
END_TEST

START_TEST(ml_kv_picks_the_type_from_the_value)
{
    init_file(true);
    const char *cs = "const";
    char buf[] = "mutable";
    metalog_info(NULL, "e", ml_kv("cs", cs), ml_kv("ms", buf), ml_kv("i", -7),
                 ml_kv("ll", -3000000000LL), ml_kv("u", 7u), ml_kv("ull", 18446744073709551615ULL),
                 ml_kv("d", 2.5), ml_kv("f", 0.5f), ml_kv("b", (bool)true),
                 ml_kv("sc", (signed char)-2), ml_kv("uc", (unsigned char)200));
    json_object *o = load(0);
    assert_jstr(o, "cs", "const");
    assert_jstr(o, "ms", "mutable");
    ck_assert(json_object_get_int64(member(o, "i")) == -7);
    ck_assert(json_object_get_int64(member(o, "ll")) == -3000000000LL);
    ck_assert(json_object_get_int64(member(o, "u")) == 7);
    ck_assert(json_object_get_uint64(member(o, "ull")) == UINT64_MAX);
    ck_assert(json_object_get_double(member(o, "d")) == 2.5);
    ck_assert(json_object_is_type(member(o, "f"), json_type_double));
    ck_assert(json_object_get_double(member(o, "f")) == 0.5);
    ck_assert(json_object_is_type(member(o, "b"), json_type_boolean));
    ck_assert(json_object_get_int64(member(o, "sc")) == -2);
    ck_assert(json_object_get_int64(member(o, "uc")) == 200);
    ck_assert_ptr_nonnull(strstr(raw, "\"u\":7,"));
}
END_TEST

/* ---- JSON: merging ---- */

START_TEST(json_call_site_beats_bound_beats_thread_context)
{
    init_file(true);
    metalog_context_bind(ml_str("a", "ctx"), ml_str("b", "ctx"), ml_str("c", "ctx"));
    metalog_logger *lg = metalog_bind(NULL, ml_str("b", "bound"), ml_str("c", "bound"));
    metalog_info(lg, "e", ml_str("c", "site"));
    metalog_logger_free(lg);
    json_object *o = load(0);
    ck_assert_str_eq(th_jstr(o, "a"), "ctx");
    ck_assert_str_eq(th_jstr(o, "b"), "bound");
    ck_assert_str_eq(th_jstr(o, "c"), "site");
    ck_assert_uint_eq(th_count(raw, "\"a\":"), 1);
    ck_assert_uint_eq(th_count(raw, "\"b\":"), 1);
    ck_assert_uint_eq(th_count(raw, "\"c\":"), 1);
}
END_TEST

START_TEST(json_repeated_call_site_key_appears_once_last_value_wins)
{
    init_file(true);
    metalog_info(NULL, "e", ml_int("k", 1), ml_int("k", 2));
    json_object *o = load(0);
    ck_assert_uint_eq(th_count(raw, "\"k\":"), 1);
    ck_assert(json_object_get_int64(member(o, "k")) == 2);
}
END_TEST

/* ---- Fields named like the record's own keys ---- */

/* The record's keys, and the names a field named like one goes out under. */
static const char *const record_keys[5] = {"timestamp", "level", "logger", "event", "exception"};
static const char *const renamed_keys[5] = {"fields.timestamp", "fields.level", "fields.logger",
                                            "fields.event", "fields.exception"};

/* One record holding a field named like each record key, from every
 * source (thread context, bound context, call site), with values of
 * several types, between two ordinary fields. */
static void log_record_keys_as_fields(const char *const keys[5])
{
    metalog_context_bind(ml_str(keys[0], "ctx \"ts\""));
    metalog_logger *lg = metalog_bind(metalog_get("real"), ml_int(keys[2], -7));
    metalog_info(lg, "real event", ml_str("a", "first"), ml_str(keys[1], "forged"),
                 ml_f64(keys[3], 1.5), ml_bool(keys[4], true), ml_str("m", "middle"));
    metalog_logger_free(lg);
    metalog_flush();
    metalog_context_clear();
}

/* The record twice: with literal keys (the literal cache and, for JSON,
 * the record shapes), then with the keys copied to the heap (the long
 * way). */
static void log_record_keys_literal_and_copied(void)
{
    log_record_keys_as_fields(record_keys);
    char *copies[5];
    for (size_t i = 0; i < 5; i++)
        copies[i] = strdup(record_keys[i]);
    log_record_keys_as_fields((const char *const *)copies);
    for (size_t i = 0; i < 5; i++)
        free(copies[i]);
}

START_TEST(json_fields_named_like_record_keys_are_kept_renamed)
{
    init_file(true);
    log_record_keys_literal_and_copied();
    char *first = NULL;
    for (size_t i = 0; i < 2; i++) {
        json_object *o = load(i);
        /* The record's own keys, first, once, and meaning what they did. */
        const char *head[] = {"timestamp", "level", "logger", "event"};
        size_t k = 0;
        json_object_object_foreach(o, key, val)
        {
            (void)val;
            if (k < 4)
                ck_assert_msg(strcmp(key, head[k]) == 0, "key %zu is '%s' in %s", k, key, raw);
            k++;
        }
        ck_assert_uint_eq(k, 4 + 5 + 2);
        for (size_t j = 0; j < 5; j++) {
            char pat[32];
            snprintf(pat, sizeof pat, "\"%s\":", record_keys[j]);
            ck_assert_msg(th_count(raw, pat) == (j < 4), "%s in %s", pat, raw);
        }
        const char *ts = th_jstr(o, "timestamp");
        ck_assert_msg(strlen(ts) == 27 && ts[26] == 'Z', "timestamp %s", ts);
        ck_assert_str_eq(th_jstr(o, "level"), "INFO");
        ck_assert_str_eq(th_jstr(o, "logger"), "real");
        ck_assert_str_eq(th_jstr(o, "event"), "real event");
        ck_assert(!th_jhas(o, "exception"));
        /* Each field under its new name, its value and type kept. */
        assert_jstr(o, renamed_keys[0], "ctx \"ts\"");
        ck_assert(json_object_get_int64(member(o, renamed_keys[2])) == -7);
        assert_jstr(o, renamed_keys[1], "forged");
        json_object *ev = member(o, renamed_keys[3]);
        ck_assert(json_object_is_type(ev, json_type_double) && json_object_get_double(ev) == 1.5);
        json_object *ex = member(o, renamed_keys[4]);
        ck_assert(json_object_is_type(ex, json_type_boolean) && json_object_get_boolean(ex));
        /* Literal keys and copied ones: the same bytes after the time. */
        const char *rest = strstr(raw, "\",\"level\":");
        ck_assert_ptr_nonnull(rest);
        if (i == 0)
            first = strdup(rest);
        else
            ck_assert_msg(strcmp(first, rest) == 0, "literal %s\ncopied  %s", first, rest);
    }
    free(first);
}
END_TEST

START_TEST(json_field_named_exception_is_kept_beside_the_trace)
{
    init_file(true);
    raise_from_render_test_with(metalog_get("svc"), ml_str("exception", "mine"));
    json_object *o = load(0);
    assert_jstr(o, "fields.exception", "mine");
    ck_assert_ptr_nonnull(strstr(th_jstr(o, "exception"), "raise_from_render_test"));
    ck_assert_uint_eq(th_count(raw, "\"exception\":"), 1);
    /* The trace is still the record's last key. */
    const char *mine = strstr(raw, "\"fields.exception\":"), *trace = strstr(raw, "\"exception\":");
    ck_assert(mine != NULL && trace != NULL && mine < trace);
}
END_TEST

/* ---- JSON: hostile strings ---- */

START_TEST(json_escapes_quotes_backslashes_and_newlines)
{
    init_file(true);
    const char *v = "say \"hi\"\\ C:\\path\nsecond line\r\ttab";
    metalog_info(NULL, v, ml_str("v", v), ml_str("k\"\\\n", "key"));
    json_object *o = load(0);
    assert_jstr(o, "v", v);
    assert_jstr(o, "event", v);
    assert_jstr(o, "k\"\\\n", "key");
    ck_assert_ptr_nonnull(strstr(raw, "say \\\"hi\\\"\\\\ C:\\\\path\\nsecond line\\r\\ttab"));
    ck_assert_uint_eq(th_count_lines(logpath), 1);
}
END_TEST

START_TEST(json_escapes_every_c0_control_and_del)
{
    init_file(true);
    char v[40];
    size_t n = 0;
    for (int c = 1; c < 0x20; c++)
        v[n++] = (char)c;
    v[n++] = 0x7f;
    v[n++] = 'x';
    v[n] = '\0';
    metalog_info(NULL, "controls", ml_str("v", v), ml_str("esc", "\x1b[31mred\x1b[0m"));
    json_object *o = load(0);
    th_assert_no_controls(raw, strlen(raw), false);
    assert_jstr(o, "v", v);
    assert_jstr(o, "esc", "\x1b[31mred\x1b[0m");
    ck_assert_ptr_nonnull(strstr(raw, "\\u001b[31mred"));
}
END_TEST

START_TEST(json_invalid_utf8_bytes_become_replacement_characters)
{
    init_file(true);
    /* clang-format off */
    const char *bad[] = {"lone \x80 continuation", "\xbf\xbf", "overlong \xc0\xaf slash",
                         "\xe0\x80\xaf", "surrogate \xed\xa0\x80", "past max \xf4\x90\x80\x80",
                         "\xf5\xf8\xfe\xff", "truncated \xe2\x82", "\xe2\x82 truncated mid",
                         "\xf0\x9f\x98 cut emoji", "\xc3"};
    /* clang-format on */
    size_t nbad = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < nbad; i++)
        metalog_info(NULL, bad[i], ml_str("v", bad[i]), ml_str(bad[i], "as key"));
    for (size_t i = 0; i < nbad; i++) {
        json_object *o = load(i);
        assert_jstr(o, "v", bad[i]);
        assert_jstr(o, "event", bad[i]);
        char *key = th_utf8_repair(bad[i]);
        assert_jstr(o, key, "as key");
        free(key);
    }
    /* The expectation itself: one U+FFFD per bad byte. */
    char *r = th_utf8_repair("a\xe2\x82z");
    ck_assert_str_eq(r, "a\xef\xbf\xbd\xef\xbf\xbdz");
    free(r);
}
END_TEST

START_TEST(json_valid_multibyte_utf8_is_preserved)
{
    init_file(true);
    const char *v = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf "
                    "\xe4\xb8\xad\xe6\x96\x87 \xc2\x85";
    metalog_info(NULL, "utf8", ml_str("v", v));
    json_object *o = load(0);
    ck_assert_str_eq(th_jstr(o, "v"), v);
    ck_assert_ptr_nonnull(strstr(raw, "\xf0\x9f\x98\x80"));
}
END_TEST

/* One byte of a JSON string that is not plain, and what it becomes. */
static const struct {
    const char *in, *out;
} json_bad_bytes[] = {
    /* clang-format off */
    {"\"", "\\\""}, {"\\", "\\\\"}, {"\n", "\\n"}, {"\x01", "\\u0001"},
    {"\x1f", "\\u001f"}, {"\x7f", "\\u007f"}, {"\xc3\xbc", "\xc3\xbc"}, {"\xff", "\xef\xbf\xbd"},
    /* clang-format on */
};

/* s, as n bytes that end at a page that cannot be read, in JSON: a scan
 * that read past a string's end would fault here. */
static void assert_json_string(const char *s, size_t n, const char *want)
{
    static unsigned char *pages;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (pages == NULL) {
        pages = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(pages, MAP_FAILED);
        ck_assert_int_eq(mprotect(pages + page, page, PROT_NONE), 0);
    }
    strbuf b = {0};
    jstr_write(&b, memcpy(pages + page - n, s, n), n);
    ck_assert_str_eq(strbuf_str(&b), want);
    strbuf_free(&b);
}

START_TEST(json_strings_of_every_short_length_escape_each_byte_in_place)
{
    char s[80], want[128];
    for (size_t n = 0; n < sizeof s - 4; n++) {
        for (size_t i = 0; i < n; i++)
            s[i] = (char)('a' + i % 26);
        snprintf(want, sizeof want, "\"%.*s\"", (int)n, s);
        assert_json_string(s, n, want);
        /* one byte that needs work, at the start, the middle, the end */
        for (size_t b = 0; b < sizeof json_bad_bytes / sizeof json_bad_bytes[0]; b++) {
            size_t len = strlen(json_bad_bytes[b].in);
            size_t at[] = {0, n / 2, n};
            for (size_t k = 0; k < 3; k++) {
                char t[80];
                memcpy(t, s, at[k]);
                memcpy(t + at[k], json_bad_bytes[b].in, len);
                memcpy(t + at[k] + len, s + at[k], n - at[k]);
                snprintf(want, sizeof want, "\"%.*s%s%.*s\"", (int)at[k], s, json_bad_bytes[b].out,
                         (int)(n - at[k]), s + at[k]);
                assert_json_string(t, n + len, want);
            }
        }
    }
}
END_TEST

START_TEST(json_megabyte_value_renders_as_one_valid_line)
{
    init_file(true);
    size_t n = 1024 * 1024;
    char *v = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        v[i] = "ab\"\\\n\x1b\x7f\xff"[i % 8];
    v[n] = '\0';
    metalog_info(NULL, "big", ml_str("v", v), ml_int("after", 1));
    metalog_info(NULL, "next");
    ck_assert_int_eq(metalog_flush(), 0);
    ck_assert_uint_eq(th_count_lines(logpath), 2);
    json_object *o = load(0);
    th_assert_no_controls(raw, strlen(raw), false);
    assert_jstr(o, "v", v);
    ck_assert(json_object_get_int64(member(o, "after")) == 1);
    o = load(1);
    ck_assert_str_eq(th_jstr(o, "event"), "next");
    free(v);
}
END_TEST

START_TEST(json_logger_name_is_escaped)
{
    init_file(true);
    const char *name = "we\"ird\n\x1bname\xff";
    metalog_info(metalog_get(name), "e");
    json_object *o = load(0);
    assert_jstr(o, "logger", name);
}
END_TEST

/* ---- Text (structured_logging: false) ---- */

/* Line i of the text log, checked for raw controls (caller frees). */
static char *text_line(size_t i)
{
    ck_assert_int_eq(metalog_flush(), 0);
    size_t n, *lens;
    char **lines = th_lines(logpath, &n, &lens);
    ck_assert_uint_lt(i, n);
    th_assert_no_controls(lines[i], lens[i], false);
    char *s = strdup(lines[i]);
    th_lines_free(lines, n, lens);
    return s;
}

START_TEST(text_line_starts_with_timestamp_level_logger_event)
{
    init_file(false);
    metalog_warning(metalog_get("trade.fx"), "filled", ml_int("qty", 100));
    char *line = text_line(0);
    ck_assert_msg(strncmp(line, "timestamp=", 10) == 0 && line[36] == 'Z', "%s", line);
    ck_assert_str_eq(line + 37, " level=WARNING logger=trade.fx event=filled qty=100");
    ck_assert(th_json_strict(line, strlen(line)) == NULL);
    free(line);
}
END_TEST

START_TEST(text_quotes_only_values_that_need_it)
{
    init_file(false);
    metalog_info(NULL, "e", ml_str("plain", "abc"), ml_int("n", -4), ml_f64("f", 1.5),
                 ml_bool("b", true), ml_null("z"), ml_str("sp", "a b"), ml_str("eq", "a=b"),
                 ml_str("q", "a\"b"), ml_str("empty", ""), ml_str("nl", "a\nb"));
    char *line = text_line(0);
    const char *want = " plain=abc n=-4 f=1.5 b=true z=null sp=\"a b\" eq=\"a=b\" q=\"a\\\"b\" "
                       "empty=\"\" nl=\"a\\nb\"";
    ck_assert_msg(strstr(line, want) != NULL, "%s", line);
    free(line);
}
END_TEST

START_TEST(text_one_line_per_record_whatever_the_values_hold)
{
    init_file(false);
    char controls[40];
    size_t n = 0;
    for (int c = 1; c < 0x20; c++)
        controls[n++] = (char)c;
    controls[n++] = 0x7f;
    controls[n] = '\0';
    /* clang-format off */
    const char *vals[] = {controls, "line1\nlevel=CRITICAL event=forged", "\r\n\r\n",
                          "\x1b[2J\x1b]0;title\x07", "bad \xff\xc0 utf8", "back\\slash \"q\"",
                          "caf\xc3\xa9 \xc2\x85"};
    /* clang-format on */
    size_t nv = sizeof vals / sizeof vals[0];
    for (size_t i = 0; i < nv; i++)
        metalog_info(NULL, vals[i], ml_str("v", vals[i]));
    ck_assert_int_eq(metalog_flush(), 0);
    ck_assert_uint_eq(th_count_lines(logpath), nv);
    for (size_t i = 0; i < nv; i++) {
        char *line = text_line(i);
        th_pair pairs[16];
        size_t np = th_logfmt_parse(line, pairs, 16);
        ck_assert_uint_eq(np, 5);
        char *want = th_utf8_repair(vals[i]);
        ck_assert_str_eq(th_pair_get(pairs, np, "v"), want);
        ck_assert_str_eq(th_pair_get(pairs, np, "event"), want);
        ck_assert_str_eq(th_pair_get(pairs, np, "level"), "INFO");
        free(want);
        th_pairs_free(pairs, np);
        free(line);
    }
}
END_TEST

START_TEST(text_exception_stays_on_one_line)
{
    init_file(false);
    raise_from_render_test(metalog_get("svc"));
    ck_assert_int_eq(metalog_flush(), 0);
    ck_assert_uint_eq(th_count_lines(logpath), 1);
    char *line = text_line(0);
    th_pair pairs[16];
    size_t np = th_logfmt_parse(line, pairs, 16);
    ck_assert_str_eq(pairs[np - 1].key, "exception");
    ck_assert_ptr_nonnull(strstr(pairs[np - 1].val, "raise_from_render_test"));
    ck_assert_ptr_nonnull(strchr(pairs[np - 1].val, '\n'));
    ck_assert_str_eq(th_pair_get(pairs, np, "level"), "ERROR");
    th_pairs_free(pairs, np);
    free(line);
}
END_TEST

START_TEST(text_fields_named_like_record_keys_are_kept_renamed)
{
    init_file(false);
    log_record_keys_literal_and_copied();
    ck_assert_int_eq(metalog_flush(), 0);
    ck_assert_uint_eq(th_count_lines(logpath), 2);
    char *first = NULL;
    for (size_t i = 0; i < 2; i++) {
        char *line = text_line(i);
        th_pair pairs[16];
        size_t np = th_logfmt_parse(line, pairs, 16);
        ck_assert_uint_eq(np, 4 + 5 + 2);
        const char *head[] = {"timestamp", "level", "logger", "event"};
        for (size_t j = 0; j < 4; j++)
            ck_assert_str_eq(pairs[j].key, head[j]);
        for (size_t j = 4; j < np; j++)
            for (size_t k = 0; k < 5; k++)
                ck_assert_msg(strcmp(pairs[j].key, record_keys[k]) != 0, "%s", line);
        ck_assert_str_eq(th_pair_get(pairs, np, "level"), "INFO");
        ck_assert_str_eq(th_pair_get(pairs, np, "logger"), "real");
        ck_assert_str_eq(th_pair_get(pairs, np, "event"), "real event");
        ck_assert_str_eq(th_pair_get(pairs, np, renamed_keys[0]), "ctx \"ts\"");
        ck_assert_str_eq(th_pair_get(pairs, np, renamed_keys[1]), "forged");
        ck_assert_str_eq(th_pair_get(pairs, np, renamed_keys[2]), "-7");
        ck_assert_str_eq(th_pair_get(pairs, np, renamed_keys[3]), "1.5");
        ck_assert_str_eq(th_pair_get(pairs, np, renamed_keys[4]), "true");
        th_pairs_free(pairs, np);
        const char *rest = strstr(line, " level=");
        ck_assert_ptr_nonnull(rest);
        if (i == 0)
            first = strdup(rest);
        else
            ck_assert_msg(strcmp(first, rest) == 0, "literal %s\ncopied  %s", first, rest);
        free(line);
    }
    free(first);
}
END_TEST

/* ---- Console ---- */

/* What the console wrote for the records logged by fn. */
static char *console_output(const char *colors, void (*fn)(void))
{
    th_capture_begin();
    init_console(colors);
    fn();
    metalog_flush();
    return th_capture_end();
}

static void log_layout_record(void)
{
    metalog_context_bind(ml_str("m", "ctx"));
    metalog_logger *lg = metalog_bind(metalog_get("expert"), ml_int("z", 2));
    metalog_info(lg, "order placed", ml_int("a", 1), ml_str("q", "two words"));
    metalog_logger_free(lg);
}

START_TEST(console_layout_matches_structlog)
{
    char *out = console_output("never", log_layout_record);
    /* timestamp, level padded to 8, event padded to 30, logger, sorted pairs. */
    ck_assert_msg(strlen(out) > 28 && out[26] == 'Z' && out[27] == ' ', "%s", out);
    char want[128];
    snprintf(want, sizeof want, " [info    ] %-30s [expert] a=1 m=ctx q=\"two words\" z=2\n",
             "order placed");
    ck_assert_str_eq(out + 27, want);
    free(out);
}
END_TEST

static void log_every_level(void)
{
    metalog_debug(NULL, "d");
    metalog_info(NULL, "i");
    metalog_warning(NULL, "w");
    metalog_error(NULL, "e");
    metalog_critical(NULL, "c");
}

START_TEST(console_pads_every_level_name_to_eight)
{
    char *out = console_output("never", log_every_level);
    const char *want[] = {"[debug   ] d", "[info    ] i", "[warning ] w", "[error   ] e",
                          "[critical] c"};
    char *line = out;
    for (int i = 0; i < 5; i++) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        ck_assert_msg(strncmp(line + 28, want[i], strlen(want[i])) == 0, "%s", line);
        ck_assert_ptr_nonnull(strstr(line, " [root]"));
        line = nl + 1;
    }
    ck_assert_str_eq(line, "");
    free(out);
}
END_TEST

static void log_long_and_wide_events(void)
{
    metalog_info(NULL, "an event that is longer than thirty columns");
    metalog_info(NULL, "h\xc3\xa9llo \xe2\x82\xac");
}

START_TEST(console_pads_events_by_characters_and_never_cuts_them)
{
    char *out = console_output("never", log_long_and_wide_events);
    ck_assert_ptr_nonnull(strstr(out, "] an event that is longer than thirty columns [root]\n"));
    /* 7 characters in 11 bytes: 23 spaces of padding, then one separator. */
    char want[64];
    snprintf(want, sizeof want, "] h\xc3\xa9llo \xe2\x82\xac%23s [root]\n", "");
    ck_assert_msg(strstr(out, want) != NULL, "%s", out);
    free(out);
}
END_TEST

static void log_hostile_console_record(void)
{
    metalog_info(metalog_get("log\x1b[8m"), "ev\x1b[31mil\nnext",
                 ml_str("v", "x\x1b]0;title\x07y\x1b[999mz\r\x7f\x01"), ml_str("k\x1b[1m", "key"));
    metalog_warning(NULL, "second");
}

/* Every ESC in s starts one of the renderer's own SGR codes, ESC [ n;n m,
 * and no other control byte but '\n' appears. */
static void assert_only_own_escapes(const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == 0x1b) {
            ck_assert_msg(p[1] == '[', "ESC not starting a CSI at %.20s", p);
            size_t n = strspn(p + 2, "0123456789;");
            ck_assert_msg(n > 0 && n <= 5 && p[2 + n] == 'm', "foreign sequence %.20s", p + 1);
            ck_assert_msg(strncmp(p + 2, "999m", 4) != 0 && strncmp(p + 2, "8m", 2) != 0,
                          "a value's sequence reached the output");
            continue;
        }
        ck_assert_msg(!((c < 0x20 && c != '\n') || c == 0x7f), "raw control 0x%02x", c);
    }
}

START_TEST(console_values_cannot_inject_controls_without_colours)
{
    char *out = console_output("never", log_hostile_console_record);
    ck_assert_ptr_null(strchr(out, 0x1b));
    th_assert_no_controls(out, strlen(out), true);
    ck_assert_uint_eq(th_count(out, "\n"), 2);
    ck_assert_ptr_nonnull(strstr(out, "\\x1b]0;title\\x07y\\x1b[999mz"));
    free(out);
}
END_TEST

START_TEST(console_values_cannot_inject_controls_with_colours)
{
    char *out = console_output("always", log_hostile_console_record);
    assert_only_own_escapes(out);
    ck_assert_uint_eq(th_count(out, "\n"), 2);
    ck_assert_ptr_nonnull(strstr(out, "\\x1b[999m"));
    ck_assert_ptr_nonnull(strstr(out, "\\x1b[31mil\\nnext"));
    free(out);
}
END_TEST

START_TEST(console_always_colours_with_ansi_codes)
{
    char *out = console_output("always", log_layout_record);
    ck_assert_ptr_nonnull(strstr(out, "\x1b["));
    ck_assert_ptr_nonnull(strstr(out, "order placed"));
    ck_assert_ptr_nonnull(strstr(out, "\x1b[0m"));
    assert_only_own_escapes(out);
    free(out);
}
END_TEST

START_TEST(console_auto_without_a_terminal_has_no_colour)
{
    unsetenv("NO_COLOR");
    char *out = console_output("auto", log_every_level);
    ck_assert_uint_gt(strlen(out), 0);
    ck_assert_ptr_null(strchr(out, 0x1b));
    free(out);
}
END_TEST

/* Sorted by the name each field shows: fields.timestamp before m. */
static const char console_renamed_fields[] =
    " [real] a=first fields.event=1.5 fields.exception=true fields.level=forged "
    "fields.logger=-7 fields.timestamp=\"ctx \\\"ts\\\"\" m=middle\n";

START_TEST(console_fields_named_like_record_keys_are_kept_renamed)
{
    char *out = console_output("never", log_record_keys_literal_and_copied);
    char *second = strchr(out, '\n');
    ck_assert_ptr_nonnull(second);
    *second++ = '\0';
    char *lines[2] = {out, second};
    for (size_t i = 0; i < 2; i++) {
        char want[256];
        snprintf(want, sizeof want, " [info    ] %-30s%s", "real event", console_renamed_fields);
        want[strlen(want) - 1] = '\0'; /* the first line lost its newline above */
        ck_assert_msg(strlen(lines[i]) > 27, "%s", lines[i]);
        ck_assert_msg(strncmp(lines[i] + 27, want, strlen(want)) == 0, "line %zu: %s", i, lines[i]);
    }
    free(out);
}
END_TEST

START_TEST(console_colours_fields_named_like_record_keys_under_their_new_names)
{
    char *out = console_output("always", log_record_keys_literal_and_copied);
    ck_assert_uint_eq(th_count(out, "\x1b[36mfields.level\x1b[0m=\x1b[35mforged\x1b[0m"), 2);
    ck_assert_uint_eq(th_count(out, "\x1b[36mfields.event\x1b[0m=\x1b[35m1.5\x1b[0m"), 2);
    ck_assert_uint_eq(th_count(out, "\x1b[36mfields.logger\x1b[0m=\x1b[35m-7\x1b[0m"), 2);
    ck_assert_uint_eq(th_count(out, "\x1b[36mfields.exception\x1b[0m=\x1b[35mtrue\x1b[0m"), 2);
    ck_assert_uint_eq(th_count(out, "\x1b[36mfields.timestamp\x1b[0m="), 2);
    ck_assert_uint_eq(th_count(out, "\x1b[36mlevel"), 0);
    free(out);
}
END_TEST

/* ---- Literals: kept text against the long way ---- */

/* Keys, events and values that test every branch of the escapers, in the
 * executable's read-only memory, where the renderers keep their text. */
static const char *const tricky[] = {
    "plain", "", "with space", "quote\"d", "back\\slash", "new\nline", "tab\t", "\x01ctl",
    "del\x7f", "caf\xc3\xa9", "bad\xff\xfe", "=eq", "a=b", "level", "event", "timestamp",
    /* 44 to 49 bytes: kept text is at most 48 bytes, and a JSON key adds
     * 4 (,"":), a JSON value 2, a logfmt key 2: each form meets its limit
     * exactly, and just passes it. */
    "k-3456789-123456789-123456789-123456789-1234",
    "k-3456789-123456789-123456789-123456789-12345",
    "k-3456789-123456789-123456789-123456789-123456",
    "k-3456789-123456789-123456789-123456789-1234567",
    "k-3456789-123456789-123456789-123456789-12345678",
    "k-3456789-123456789-123456789-123456789-123456789",
    "x-23456789-123456789-123456789-123456789-123456789-123456789-123456789-123456789", /* 80 */
};
#define NTRICKY (sizeof tricky / sizeof tricky[0])

/* Each tricky string as event, key and value, logged as the literal and
 * again as a copy on the heap; returns the lines, timestamps cut off. */
static char **log_literals_and_copies(bool structured, size_t *n)
{
    init_file(structured);
    for (size_t i = 0; i < NTRICKY; i++) {
        ck_assert_msg(image_const(tricky[i]), "tricky[%zu] is not a literal", i);
        char *copy = strdup(tricky[i]);
        ck_assert(!image_const(copy));
        metalog_info(NULL, tricky[i], ml_str(tricky[i], tricky[i]), ml_int("n", 1));
        metalog_info(NULL, copy, ml_str(copy, copy), ml_int("n", 1));
        free(copy);
    }
    ck_assert_int_eq(metalog_flush(), 0);
    size_t *lens;
    char **lines = th_lines(logpath, n, &lens);
    ck_assert_uint_eq(*n, 2 * NTRICKY);
    const char *after_ts = structured ? "\",\"level\":" : " level=";
    for (size_t i = 0; i < *n; i++) {
        char *rest = strstr(lines[i], after_ts);
        ck_assert_ptr_nonnull(rest);
        memmove(lines[i], rest, strlen(rest) + 1);
    }
    free(lens);
    return lines;
}

static void assert_literals_render_like_copies(bool structured)
{
    size_t n;
    char **lines = log_literals_and_copies(structured, &n);
    for (size_t i = 0; i < NTRICKY; i++)
        ck_assert_msg(strcmp(lines[2 * i], lines[2 * i + 1]) == 0,
                      "tricky[%zu]:\nliteral %s\ncopy    %s", i, lines[2 * i], lines[2 * i + 1]);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

/* ---- Record shapes: the line of a known shape against the long way ---- */

/* Logs the record twice: as given (literal event and keys: the shape
 * path), then with its event and keys copied to the heap (never shaped). */
static void log_shaped_and_long(const metalog_logger *lg, metalog_level level, const char *event,
                                const metalog_field *f, size_t n)
{
    metalog_log_n(lg, level, event, f, n);
    metalog_field copy[16];
    char *keys[16];
    ck_assert_uint_le(n, 16);
    for (size_t i = 0; i < n; i++) {
        copy[i] = f[i];
        copy[i].key = keys[i] = strdup(f[i].key);
    }
    char *ev = strdup(event);
    metalog_log_n(lg, level, ev, copy, n);
    free(ev);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
}

START_TEST(json_records_of_one_shape_render_like_the_long_way)
{
    init_file(true);
    metalog_logger *a = metalog_get("shapes.a");
    metalog_logger *b = metalog_get("shapes.\"b\"");
    char heap[] = "heap \"value\"\n";
    const metalog_field one[] = {ml_int("id", 1), ml_f64("px", 1.25), ml_str("sym", "EURUSD"),
                                 ml_bool("ok", true), ml_null("none"), ml_uint("u", 7)};
    const metalog_field two[] = {ml_int("id", -99), ml_f64("px", -0.001), ml_str("sym", heap),
                                 ml_bool("ok", false), ml_null("none"), ml_uint("u", 0)};
    /* The same keys with other types, another order, fewer, and record
     * keys among them, which the line renames. */
    const metalog_field typed[] = {ml_str("id", "x"),  ml_int("px", 3), ml_int("sym", 4),
                                   ml_str("ok", "yes"), ml_null("none"), ml_uint("u", 7)};
    const metalog_field reordered[] = {ml_str("sym", "GBPUSD"), ml_int("id", 2)};
    const metalog_field reserved[] = {ml_int("level", 5), ml_int("id", 3), ml_str("event", "e"),
                                      ml_int("timestamp", 1)};
    const metalog_field many[] = {ml_int("k0", 0), ml_int("k1", 1), ml_int("k2", 2),
                                  ml_int("k3", 3), ml_int("k4", 4), ml_int("k5", 5),
                                  ml_int("k6", 6), ml_int("k7", 7), ml_int("k8", 8),
                                  ml_int("k9", 9), ml_int("k10", 10), ml_int("k11", 11),
                                  ml_int("k12", 12), ml_int("k13", 13)};
    for (int round = 0; round < 2; round++) {
        log_shaped_and_long(a, METALOG_INFO, "order placed", one, 6);
        log_shaped_and_long(a, METALOG_INFO, "order placed", two, 6);
        log_shaped_and_long(a, METALOG_WARNING, "order placed", one, 6);
        log_shaped_and_long(b, METALOG_INFO, "order placed", two, 6);
        log_shaped_and_long(a, METALOG_INFO, "order placed", typed, 6);
        log_shaped_and_long(a, METALOG_INFO, "order placed", reordered, 2);
        log_shaped_and_long(a, METALOG_ERROR, "order placed", reserved, 4);
        log_shaped_and_long(a, METALOG_INFO, "order placed", NULL, 0);
        log_shaped_and_long(a, METALOG_INFO, "wide", many, 14);
        log_shaped_and_long(b, METALOG_CRITICAL, "wide", many, 12);
    }
    ck_assert_int_eq(metalog_flush(), 0);
    size_t n, *lens;
    char **lines = th_lines(logpath, &n, &lens);
    ck_assert_uint_eq(n, 40);
    for (size_t i = 0; i < n; i += 2) {
        /* The timestamps differ; everything after them must not. */
        const char *x = strstr(lines[i], "\",\"level\":"), *y = strstr(lines[i + 1], "\",\"level\":");
        ck_assert_ptr_nonnull(x);
        ck_assert_ptr_nonnull(y);
        ck_assert_msg(strcmp(x, y) == 0, "line %zu:\nshaped %s\nlong   %s", i, x, y);
    }
    ck_assert_ptr_nonnull(strstr(lines[0], "\"id\":1,\"px\":1.25,\"sym\":\"EURUSD\",\"ok\":true"));
    ck_assert_ptr_nonnull(strstr(lines[12], "\"level\":\"ERROR\""));
    ck_assert_ptr_null(strstr(lines[12], "\"level\":5"));
    ck_assert_ptr_nonnull(strstr(lines[12], "\"fields.level\":5,\"id\":3,\"fields.event\":\"e\""));
    th_lines_free(lines, n, lens);
}
END_TEST

START_TEST(json_literals_render_the_same_bytes_as_copies)
{
    assert_literals_render_like_copies(true);
}
END_TEST

START_TEST(text_literals_render_the_same_bytes_as_copies)
{
    assert_literals_render_like_copies(false);
}
END_TEST

/* The long way for one form, as render/line.h writes it. */
static void render_form(strbuf *b, const char *s, lit_form form)
{
    size_t n = strlen(s);
    bool key = form == LIT_JSON_KEY || form == LIT_TEXT_KEY;
    bool json = form == LIT_JSON_KEY || form == LIT_JSON_VALUE;
    if (key)
        strbuf_putc(b, json ? ',' : ' ');
    if (json)
        jstr_write(b, s, n);
    else
        lfmt_write(b, s, n);
    if (key)
        strbuf_putc(b, json ? ':' : '=');
}

START_TEST(literal_cache_keeps_each_strings_own_text_when_its_sets_overflow)
{
    /* 400 addresses in one string, each the start of a different suffix:
     * 1600 entries over 512 slots, so entries are evicted and refilled
     * all the time, and every lookup must still find its own text. */
    static const char pool[] = "abcdefghijklmnopqrstuvwxyz0123456789\"\\ \n=ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789\"\\ \n=ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789\"\\ \n=ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789\"\\ \n=ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789\"\\ \n=ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789\"\\ \n=ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    ck_assert_uint_ge(sizeof pool, 400);
    lit_cache *c = lit_cache_new();
    ck_assert_ptr_nonnull(c);
    strbuf want = STRBUF_INIT;
    size_t kept = 0, long_way = 0;
    for (int round = 0; round < 3; round++) {
        for (size_t k = 0; k < 400; k++) {
            /* Forward, backward, then strided: different orders of eviction. */
            size_t i = round == 0 ? k : round == 1 ? 399 - k : (k * 7) % 400;
            const char *s = pool + sizeof pool - 1 - i;
            for (int form = LIT_JSON_KEY; form <= LIT_TEXT_VALUE; form++) {
                const lit_slot *e = lit_get(c, s, (lit_form)form);
                ck_assert_ptr_eq(e->s, s);
                strbuf_reset(&want);
                render_form(&want, s, (lit_form)form);
                if (e->len == LIT_NONE) {
                    ck_assert_uint_gt(want.len, LIT_TEXT_MAX);
                    long_way++;
                    continue;
                }
                kept++;
                ck_assert_uint_eq(e->len, want.len);
                ck_assert_msg(memcmp(e->text, want.data, want.len) == 0, "form %d of '%s'", form,
                              s);
            }
        }
    }
    ck_assert_uint_gt(kept, 0);
    ck_assert_uint_gt(long_way, 0);
    strbuf_free(&want);
    lit_cache_free(c);
}
END_TEST

/* A record of logger name with the two fields, at INFO, event "order
 * placed": the shape tests' record. */
static void shape_record(record *r, const char *name, const metalog_field *const *fields)
{
    memset(r, 0, sizeof *r);
    r->level = METALOG_INFO;
    r->level_name = level_name(METALOG_INFO);
    r->logger = name;
    r->logger_len = strlen(name);
    r->event = "order placed";
    memcpy(r->timestamp, "2025-10-17T12:34:56.123456Z", 27);
    r->timestamp_len = 27;
    r->fields = fields;
    r->nfields = 2;
}

/* Renders records of the n loggers at names in turn, each name rounds
 * times, through one cache; returns how many shapes the cache built. */
static size_t shapes_built_in_turn(const char *const *names, size_t n, int rounds,
                                   const metalog_field *const *fields)
{
    lit_cache *c = lit_cache_new();
    ck_assert_ptr_nonnull(c);
    strbuf out = STRBUF_INIT;
    for (size_t i = 0; i < n * (size_t)rounds; i++) {
        record r;
        shape_record(&r, names[i % n], fields);
        strbuf_reset(&out);
        render_record(RENDER_JSON, &r, &out, c);
        ck_assert_ptr_nonnull(strstr(strbuf_str(&out), names[i % n]));
    }
    size_t built = c->shapes_built;
    strbuf_free(&out);
    lit_cache_free(c);
    return built;
}

/* Four shapes that fall in one set of the cache, logged in turn: all four
 * are kept, so none is built again at every record. The loggers are
 * picked from many names for their set. */
START_TEST(json_shapes_of_four_loggers_in_one_cache_set_are_all_kept)
{
    enum { NAMES = 512 };
    static char names[NAMES][16];
    image_init();
    metalog_field f[2] = {ml_int("order_id", 1), ml_str("symbol", "EURUSD")};
    const metalog_field *fields[2] = {&f[0], &f[1]};
    const char *same[4];
    size_t found = 0, set = 0;
    record r;
    for (size_t i = 0; i < NAMES && found < 4; i++) {
        snprintf(names[i], sizeof names[i], "logger%zu", i);
        shape_record(&r, names[i], fields);
        size_t s = render_json_shape_set(&r);
        if (found == 0)
            set = s;
        if (s == set)
            same[found++] = names[i];
    }
    ck_assert_uint_eq(found, 4);
    ck_assert_uint_eq(shapes_built_in_turn(same, 4, 100, fields), 4);
}
END_TEST

/* Two loggers logging one event with the same keys, in turn, as a
 * program's modules do: both shapes are kept, whichever set they fall in,
 * so neither is built again at every record. */
START_TEST(json_shapes_of_two_loggers_logging_one_event_in_turn_are_both_kept)
{
    static const char *const names[2] = {"orders", "risk.limits"};
    image_init();
    metalog_field f[2] = {ml_int("order_id", 1), ml_str("symbol", "EURUSD")};
    const metalog_field *fields[2] = {&f[0], &f[1]};
    ck_assert_uint_eq(shapes_built_in_turn(names, 2, 100, fields), 2);
}
END_TEST

START_TEST(literal_cache_keeps_record_keys_renamed_and_values_as_they_are)
{
    lit_cache *c = lit_cache_new();
    ck_assert_ptr_nonnull(c);
    for (size_t i = 0; i < 5; i++) {
        char want[64];
        const lit_slot *e = lit_get(c, record_keys[i], LIT_JSON_KEY);
        snprintf(want, sizeof want, ",\"%s\":", renamed_keys[i]);
        ck_assert_uint_eq(e->len, strlen(want));
        ck_assert(memcmp(e->text, want, e->len) == 0);
        e = lit_get(c, record_keys[i], LIT_TEXT_KEY);
        snprintf(want, sizeof want, " %s=", renamed_keys[i]);
        ck_assert_uint_eq(e->len, strlen(want));
        ck_assert(memcmp(e->text, want, e->len) == 0);
        /* An event or a value named so is no key: it stays as it is. */
        e = lit_get(c, record_keys[i], LIT_JSON_VALUE);
        snprintf(want, sizeof want, "\"%s\"", record_keys[i]);
        ck_assert_uint_eq(e->len, strlen(want));
        ck_assert(memcmp(e->text, want, e->len) == 0);
        e = lit_get(c, record_keys[i], LIT_TEXT_VALUE);
        ck_assert_uint_eq(e->len, strlen(record_keys[i]));
        ck_assert(memcmp(e->text, record_keys[i], e->len) == 0);
    }
    const lit_slot *e = lit_get(c, "levels", LIT_JSON_KEY);
    ck_assert(e->len == 10 && memcmp(e->text, ",\"levels\":", 10) == 0);
    lit_cache_free(c);
}
END_TEST

/* A record straight to a renderer: level INFO, logger svc, event e, and a
 * field named like each record key, keys taken from keys. */
static void render_record_keys(render_kind kind, const char *const keys[5], strbuf *out,
                               lit_cache *lits)
{
    metalog_field f[5] = {ml_str(keys[0], "t"), ml_int(keys[1], 1), ml_str(keys[2], "l"),
                          ml_bool(keys[3], true), ml_null(keys[4])};
    const metalog_field *fields[5] = {&f[0], &f[1], &f[2], &f[3], &f[4]};
    record r;
    memset(&r, 0, sizeof r);
    r.level = METALOG_INFO;
    r.level_name = level_name(METALOG_INFO);
    r.logger = "svc";
    r.logger_len = 3;
    r.event = "e";
    memcpy(r.timestamp, "2025-10-17T12:34:56.123456Z", 27);
    r.timestamp_len = 27;
    r.fields = fields;
    r.nfields = 5;
    render_record(kind, &r, out, lits);
}

/* Every renderer, every way it has to render a record: the literal cache
 * (and JSON's record shapes, from the second record on), keys copied to
 * the heap, and no cache at all into fixed memory, as the crash handler
 * renders. Each writes the same line, with the fields renamed. */
START_TEST(every_way_to_render_renames_record_keys_alike)
{
    static const char *const want[RENDER_KINDS] = {
        "{\"timestamp\":\"2025-10-17T12:34:56.123456Z\",\"level\":\"INFO\",\"logger\":\"svc\","
        "\"event\":\"e\",\"fields.timestamp\":\"t\",\"fields.level\":1,\"fields.logger\":\"l\","
        "\"fields.event\":true,\"fields.exception\":null}\n",
        "timestamp=2025-10-17T12:34:56.123456Z level=INFO logger=svc event=e fields.timestamp=t "
        "fields.level=1 fields.logger=l fields.event=true fields.exception=null\n",
        "2025-10-17T12:34:56.123456Z [info    ] e                              [svc] "
        "fields.event=true fields.exception=null fields.level=1 fields.logger=l "
        "fields.timestamp=t\n",
        NULL, /* colours: checked below */
    };
    image_init();
    char *copies[5];
    for (size_t i = 0; i < 5; i++)
        copies[i] = strdup(record_keys[i]);
    for (int kind = 0; kind < RENDER_KINDS; kind++) {
        lit_cache *c = lit_cache_new();
        ck_assert_ptr_nonnull(c);
        strbuf ways[5] = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
        for (int w = 0; w < 3; w++)
            render_record_keys((render_kind)kind, record_keys, &ways[w], c);
        if (kind == RENDER_JSON)
            ck_assert_uint_eq(c->shapes_built, 1); /* the later records took the shape */
        render_record_keys((render_kind)kind, (const char *const *)copies, &ways[3], c);
        static char mem[4096];
        ways[4] = (strbuf){mem, 0, sizeof mem, false, true};
        mem[0] = '\0';
        render_record_keys((render_kind)kind, record_keys, &ways[4], NULL);
        ck_assert(!ways[4].failed);
        for (int w = 0; w < 5; w++) {
            const char *got = strbuf_str(&ways[w]);
            if (want[kind] != NULL)
                ck_assert_msg(strcmp(got, want[kind]) == 0, "kind %d way %d: %s", kind, w, got);
            else
                ck_assert_msg(strstr(got, "\x1b[36mfields.level\x1b[0m=\x1b[35m1\x1b[0m") &&
                                  strcmp(got, strbuf_str(&ways[0])) == 0,
                              "kind %d way %d: %s", kind, w, got);
        }
        if (kind == RENDER_JSON) {
            json_object *o = th_json_strict(ways[0].data, ways[0].len - 1);
            ck_assert_ptr_nonnull(o);
            ck_assert_str_eq(th_jstr(o, "level"), "INFO");
            json_object_put(o);
        }
        for (int w = 0; w < 4; w++)
            strbuf_free(&ways[w]);
        lit_cache_free(c);
    }
    for (size_t i = 0; i < 5; i++)
        free(copies[i]);
}
END_TEST

static char *console_on_terminal(void)
{
    int saved, m = th_pty_begin(&saved);
    init_console("auto");
    log_every_level();
    metalog_flush();
    metalog_shutdown(); /* the console handler must be done with the terminal */
    return th_pty_end(m, saved);
}

START_TEST(console_auto_colours_a_terminal)
{
    unsetenv("NO_COLOR");
    char *out = console_on_terminal();
    ck_assert_ptr_nonnull(strstr(out, "critical"));
    ck_assert_ptr_nonnull(strstr(out, "\x1b["));
    free(out);
}
END_TEST

START_TEST(console_auto_respects_no_color_on_a_terminal)
{
    setenv("NO_COLOR", "1", 1);
    char *out = console_on_terminal();
    unsetenv("NO_COLOR");
    ck_assert_ptr_nonnull(strstr(out, "critical"));
    ck_assert_ptr_null(strchr(out, 0x1b));
    free(out);
}
END_TEST

static void log_console_exception(void)
{
    raise_from_render_test(metalog_get("svc"));
    metalog_info(NULL, "after");
}

START_TEST(console_exception_follows_on_its_own_lines)
{
    char *out = console_output("never", log_console_exception);
    char *first_nl = strchr(out, '\n');
    ck_assert_ptr_nonnull(first_nl);
    *first_nl = '\0';
    ck_assert_ptr_nonnull(strstr(out, "[error   ] it broke"));
    ck_assert_ptr_nonnull(strstr(out, "[svc] a=1 b=two"));
    ck_assert_ptr_null(strstr(out, "exception="));
    char *trace = first_nl + 1;
    char *after = strstr(trace, "[info    ] after");
    ck_assert_ptr_nonnull(after);
    ck_assert_ptr_nonnull(strstr(trace, "Stack trace"));
    char *fn = strstr(trace, "raise_from_render_test");
    ck_assert_msg(fn != NULL && fn < after, "trace lacks the caller: %s", trace);
    th_assert_no_controls(trace, strlen(trace), true);
    free(out);
}
END_TEST

#define TESTS_PER_GROUP 32

static Suite *render_suite(void)
{
    Suite *s = suite_create("render");
    struct {
        const char *name;
        const TTest *tests[TESTS_PER_GROUP];
    } groups[] = {
        {"json",
         {json_keys_in_contract_order, json_timestamp_is_utc_microseconds_taken_at_the_call,
          utc_text_agrees_with_gmtime_on_every_day_from_1970_to_2400,
          json_level_logger_and_event_match_the_call, json_strings_bools_and_nulls_render_by_type,
          json_integers_keep_the_full_64_bit_range, json_doubles_round_trip_exactly,
          json_doubles_use_the_shortest_round_trip_text, json_integral_doubles_stay_doubles,
          json_short_decimals_lose_every_trailing_zero,
          json_records_of_one_shape_render_like_the_long_way,
          json_non_finite_doubles_are_strings, ml_kv_picks_the_type_from_the_value,
          json_call_site_beats_bound_beats_thread_context,
          json_repeated_call_site_key_appears_once_last_value_wins,
          json_fields_named_like_record_keys_are_kept_renamed,
          json_field_named_exception_is_kept_beside_the_trace,
          json_escapes_quotes_backslashes_and_newlines, json_escapes_every_c0_control_and_del,
          json_invalid_utf8_bytes_become_replacement_characters,
          json_valid_multibyte_utf8_is_preserved,
          json_strings_of_every_short_length_escape_each_byte_in_place,
          json_megabyte_value_renders_as_one_valid_line,
          json_logger_name_is_escaped, json_literals_render_the_same_bytes_as_copies,
          literal_cache_keeps_each_strings_own_text_when_its_sets_overflow,
          literal_cache_keeps_record_keys_renamed_and_values_as_they_are,
          every_way_to_render_renames_record_keys_alike,
          json_shapes_of_two_loggers_logging_one_event_in_turn_are_both_kept,
          json_shapes_of_four_loggers_in_one_cache_set_are_all_kept}},
        {"text",
         {text_line_starts_with_timestamp_level_logger_event, text_quotes_only_values_that_need_it,
          text_one_line_per_record_whatever_the_values_hold, text_exception_stays_on_one_line,
          text_literals_render_the_same_bytes_as_copies,
          text_fields_named_like_record_keys_are_kept_renamed}},
        {"console",
         {console_layout_matches_structlog, console_pads_every_level_name_to_eight,
          console_pads_events_by_characters_and_never_cuts_them,
          console_values_cannot_inject_controls_without_colours,
          console_values_cannot_inject_controls_with_colours,
          console_always_colours_with_ansi_codes, console_auto_without_a_terminal_has_no_colour,
          console_auto_colours_a_terminal, console_auto_respects_no_color_on_a_terminal,
          console_exception_follows_on_its_own_lines,
          console_fields_named_like_record_keys_are_kept_renamed,
          console_colours_fields_named_like_record_keys_under_their_new_names}},
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        TCase *tc = tcase_create(groups[g].name);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        for (size_t i = 0; i < TESTS_PER_GROUP && groups[g].tests[i] != NULL; i++)
            tcase_add_test(tc, groups[g].tests[i]);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return th_run_suite(render_suite());
}
