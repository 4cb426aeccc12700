/* Every macro and field constructor of metalog.h, for tests/test_pedantic.sh:
 * a program using the header must compile without a warning at -std=c99
 * and -std=c11 with -Wall -Wextra -Wpedantic -Wconversion. Compiled only,
 * never run. */
#include <metalog.h>

#include <stdint.h>

int pedantic_every_macro(void);

int pedantic_every_macro(void)
{
    metalog_logger *lg = metalog_get("pedantic");
    metalog_level level = METALOG_WARNING;
    char text[] = "mutable";
    signed char sc = -1;
    short sh = -2;
    long lo = -3;
    long long ll = -4;
    unsigned char uc = 1;
    unsigned short us = 2;
    unsigned long ul = 3;
    unsigned long long ull = 4;
    float fl = 0.5f;
    bool yes = true;

    metalog_debug(lg, "debug");
    metalog_debug(lg, "debug", ml_int("n", 1));
    metalog_info(lg, "info");
    metalog_info(lg, "info", ml_str("s", "x"), ml_uint("u", 2u));
    metalog_warning(lg, "warning");
    metalog_warning(lg, "warning", ml_f64("f", 1.5));
    metalog_error(lg, "error");
    metalog_error(lg, "error", ml_bool("b", true), ml_null("z"));
    metalog_critical(lg, "critical");
    metalog_critical(lg, "critical", ml_int("n", INT64_MIN));
    metalog_log(lg, level, "log");
    metalog_log(lg, METALOG_INFO, "log", ml_uint("u", UINT64_MAX));
    metalog_exception(lg, "exception");
    metalog_exception(lg, "exception", ml_int("code", 503));
    metalog_info(NULL, "kinds", ml_kv("str", "x"), ml_kv("mut", text), ml_kv("bool", yes),
                 ml_kv("sc", sc), ml_kv("short", sh), ml_kv("int", -5), ml_kv("long", lo),
                 ml_kv("ll", ll), ml_kv("uc", uc), ml_kv("us", us), ml_kv("uint", 6u),
                 ml_kv("ul", ul), ml_kv("ull", ull), ml_kv("float", fl),
                 ml_kv("double", 2.5));

    metalog_logger *bound = metalog_bind(lg, ml_kv("symbol", "EURUSD"));
    metalog_logger *plain = metalog_bind(lg);
    int rc = metalog_context_bind(ml_kv("session", "a1b2"), ml_int("n", 1));
    rc |= metalog_context_bind(ml_str("only", "one"));
    metalog_context_unbind("only");
    metalog_logger_free(bound);
    metalog_logger_free(plain);
    metalog_context_clear();
    return rc;
}
