/*
 * The double formatter (src/f64.c through num_format_f64): every text reads
 * back as its double, no shorter text does, and the text is the one the
 * old printf-based formatter wrote wherever that one was already the
 * shortest. tests/f64_check.c holds the checks; make check-f64 runs them
 * on 10^8 random doubles (tests/f64_sweep.c).
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "render/f64.h"
#include "f64_check.h"
#include "render/format.h"
#include "render/number.h"
#include "testhelp.h"

#define SAMPLES 100000 /* per kind of random double */

static void check_random(unsigned kind, uint64_t seed)
{
    f64_check_stats st = {0};
    uint64_t state = seed;
    for (int i = 0; i < SAMPLES; i++) {
        const char *err = f64_check(f64_random(&state, kind), &st);
        ck_assert_msg(err == NULL, "%s", err);
    }
    ck_assert_uint_eq(st.values, SAMPLES);
}

START_TEST(random_bits_read_back_shortest_nearest_and_as_before)
{
    check_random(0, 1);
}
END_TEST

START_TEST(short_decimals_read_back_shortest_nearest_and_as_before)
{
    check_random(1, 2);
}
END_TEST

START_TEST(computed_prices_read_back_shortest_nearest_and_as_before)
{
    check_random(2, 3);
}
END_TEST

START_TEST(integers_read_back_shortest_nearest_and_as_before)
{
    check_random(3, 4);
}
END_TEST

START_TEST(notation_edges_read_back_shortest_nearest_and_as_before)
{
    check_random(4, 5);
}
END_TEST

START_TEST(edge_doubles_read_back_shortest_nearest_and_as_before)
{
    f64_check_stats st = {0};
    const char *err = f64_check_edges(&st);
    ck_assert_msg(err == NULL, "%s", err);
}
END_TEST

/* The layout rules written down in number.c, one example each. */
START_TEST(texts_keep_the_layout_of_the_old_formatter)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {-2.5, "-2.5"},
        {1.0842, "1.0842"},
        {1.0842019999999999, "1.0842019999999999"},
        {0.0001, "0.0001"},
        {0.00012345678901234567, "0.00012345678901234567"},
        {1e-5, "0.00001"},
        {1.2345678901234e-5, "1.2345678901234e-05"},
        {1e-7, "0.0000001"},
        {1.2345678901e-7, "0.00000012345678901"},
        {1.23456789012e-7, "1.23456789012e-07"},
        {9.9e-8, "9.9e-08"},
        {123456789012345.0, "123456789012345.0"},
        {1e15, "1e+15"},
        {1234567890123456.0, "1234567890123456.0"},
        {9007199254740993.0, "9007199254740992.0"},
        {12345678901234568.0, "12345678901234568.0"},
        {1e16, "1e+16"},
        {1.2345678901234567e17, "1.2345678901234566e+17"},
        {1e21, "1e+21"},
        {1e100, "1e+100"},
        {-1.5e-300, "-1.5e-300"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {DBL_MIN, "2.2250738585072014e-308"},
        {5e-324, "5e-324"},
        {-4.9406564584124654e-323, "-5e-323"},
        {NAN, "NaN"},
        {INFINITY, "Infinity"},
        {-INFINITY, "-Infinity"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[NUM_TEXT_MAX];
        size_t n = num_format_f64(buf, cases[i].v);
        ck_assert_str_eq(buf, cases[i].text);
        ck_assert_uint_eq(n, strlen(cases[i].text));
    }
}
END_TEST

/* The digits and the exponent of the first, for values whose answer is
 * known: no leading or trailing zeros, every one of the 17 places. */
START_TEST(digits_are_the_significant_ones)
{
    static const struct {
        double v;
        const char *digits;
        int x;
    } cases[] = {
        {5e-324, "5", -324},
        {DBL_MAX, "17976931348623157", 308},
        {0.3, "3", -1},
        {100.0, "1", 2},
        {1e23, "1", 23},
        {0.0, "0", 0},
        {9007199254740992.0, "9007199254740992", 15},
        {2.0e-7, "2", -7},
        {1.0842019999999999, "10842019999999999", 0},
        {12345678901234567e-30, "12345678901234567", -14},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f64_text t = f64_shortest_text(cases[i].v);
        char dig[17];
        f64_text_store(dig, &t);
        ck_assert_int_eq(t.n, (int)strlen(cases[i].digits));
        ck_assert_mem_eq(dig, cases[i].digits, (size_t)t.n);
        ck_assert_int_eq(t.x, cases[i].x);
    }
}
END_TEST

/* Integers are written eight digits at a time: every width, both sides
 * of every power of ten, the extremes and random values, against printf,
 * with nothing written past the text's NUL beyond the buffer's room. */
static void expect_integer(uint64_t u, int64_t i)
{
    char got[40], want[40];
    memset(got, 'x', sizeof got);
    size_t n = num_format_u64(got, u);
    snprintf(want, sizeof want, "%llu", (unsigned long long)u);
    ck_assert_str_eq(got, want);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_msg(got[FMT_SCALAR_MAX] == 'x', "wrote past FMT_SCALAR_MAX for %s", want);
    memset(got, 'x', sizeof got);
    n = num_format_i64(got, i);
    snprintf(want, sizeof want, "%lld", (long long)i);
    ck_assert_str_eq(got, want);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_msg(got[FMT_SCALAR_MAX] == 'x', "wrote past FMT_SCALAR_MAX for %s", want);
}

START_TEST(integers_match_printf_at_every_width)
{
    uint64_t p = 1;
    for (int k = 0; k < 20; k++, p *= 10) {
        for (int64_t d = -2; d <= 2; d++) {
            uint64_t u = p + (uint64_t)d;
            expect_integer(u, (int64_t)u);
            expect_integer(u, -(int64_t)(u & INT64_MAX));
        }
    }
    expect_integer(0, 0);
    expect_integer(UINT64_MAX, INT64_MIN);
    expect_integer(UINT64_MAX - 1, INT64_MAX);
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int k = 0; k < 200000; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t u = x >> (x % 64); /* every width, not only 20 digits */
        expect_integer(u, (int64_t)u);
    }
}
END_TEST

static Suite *f64_suite(void)
{
    Suite *s = suite_create("f64");
    TCase *tc = tcase_create("f64");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, random_bits_read_back_shortest_nearest_and_as_before);
    tcase_add_test(tc, short_decimals_read_back_shortest_nearest_and_as_before);
    tcase_add_test(tc, computed_prices_read_back_shortest_nearest_and_as_before);
    tcase_add_test(tc, integers_read_back_shortest_nearest_and_as_before);
    tcase_add_test(tc, notation_edges_read_back_shortest_nearest_and_as_before);
    tcase_add_test(tc, edge_doubles_read_back_shortest_nearest_and_as_before);
    tcase_add_test(tc, texts_keep_the_layout_of_the_old_formatter);
    tcase_add_test(tc, digits_are_the_significant_ones);
    tcase_add_test(tc, integers_match_printf_at_every_width);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return th_run_suite(f64_suite());
}
