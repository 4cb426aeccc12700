// metalog.h from C++, for tests/test_cpp.sh, which builds this file for
// each C++ standard and compiler at -Wall -Wextra -pedantic -Werror and
// runs it with a scratch directory: every logging macro with and without
// fields, ml_kv of every overload, bound loggers and thread context, and
// a trace through a namespaced method that names it demangled. The log is
// read back as JSON; every failed check prints a line, and the exit
// status is the number of failures.
#include <metalog.h>

#include <json-c/json.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#if __cplusplus >= 201703L
#include <string_view>
#endif

namespace {

int failures;

void check(bool ok, const char *what, const char *detail = "")
{
    if (!ok) {
        std::printf("FAIL: %s %s\n", what, detail);
        failures++;
    }
}

json_object *records[64];
size_t nrecords;

void read_log(const std::string &path)
{
    std::FILE *f = std::fopen(path.c_str(), "r");
    check(f != nullptr, "open log", path.c_str());
    if (f == nullptr)
        return;
    char *line = nullptr;
    size_t cap = 0;
    while (nrecords < 64 && getline(&line, &cap, f) > 0) {
        json_object *o = json_tokener_parse(line);
        check(o != nullptr, "parse line", std::string(line).substr(0, 200).c_str());
        if (o != nullptr)
            records[nrecords++] = o;
    }
    std::free(line);
    std::fclose(f);
}

json_object *record(const char *event)
{
    for (size_t i = 0; i < nrecords; i++) {
        json_object *e = json_object_object_get(records[i], "event");
        if (e != nullptr && std::strcmp(json_object_get_string(e), event) == 0)
            return records[i];
    }
    check(false, "no record with event", event);
    return nullptr;
}

json_object *get(const char *event, const char *key)
{
    json_object *r = record(event), *v = nullptr;
    if (r != nullptr && !json_object_object_get_ex(r, key, &v)) {
        std::printf("FAIL: %s has no %s\n", event, key);
        failures++;
    }
    return v;
}

void expect_str(const char *event, const char *key, const char *want)
{
    json_object *v = get(event, key);
    check(v != nullptr && json_object_is_type(v, json_type_string) &&
              std::strcmp(json_object_get_string(v), want) == 0,
          key, v ? json_object_to_json_string(v) : "(missing)");
}

void expect_int(const char *event, const char *key, int64_t want)
{
    json_object *v = get(event, key);
    check(v != nullptr && json_object_is_type(v, json_type_int) &&
              json_object_get_int64(v) == want,
          key, v ? json_object_to_json_string(v) : "(missing)");
}

void expect_uint(const char *event, const char *key, uint64_t want)
{
    json_object *v = get(event, key);
    check(v != nullptr && json_object_is_type(v, json_type_int) &&
              json_object_get_uint64(v) == want,
          key, v ? json_object_to_json_string(v) : "(missing)");
}

void expect_double(const char *event, const char *key, double want)
{
    json_object *v = get(event, key);
    check(v != nullptr && json_object_is_type(v, json_type_double) &&
              json_object_get_double(v) == want,
          key, v ? json_object_to_json_string(v) : "(missing)");
}

void expect_bool(const char *event, const char *key, bool want)
{
    json_object *v = get(event, key);
    check(v != nullptr && json_object_is_type(v, json_type_boolean) &&
              (json_object_get_boolean(v) != 0) == want,
          key, v ? json_object_to_json_string(v) : "(missing)");
}

void expect_null(const char *event, const char *key)
{
    json_object *v = reinterpret_cast<json_object *>(1);
    json_object *r = record(event);
    check(r != nullptr && json_object_object_get_ex(r, key, &v) && v == nullptr, key,
          "is not null");
}

std::string name_of_user() { return "ada"; }

} // namespace

namespace broker {
class Client {
public:
    explicit Client(metalog_logger *lg) : lg_(lg) {}
    // Out of line, so that the trace has a frame with this name.
    __attribute__((noinline)) void submit(int code)
    {
        metalog_exception(lg_, "rejected", ml_kv("code", code));
        __asm__ volatile("" ::: "memory");
    }

private:
    metalog_logger *lg_;
};
} // namespace broker

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: cpp_api DIR\n");
        return 99;
    }
    std::string dir = argv[1], log = dir + "/app.log", cfg = dir + "/metalog.yaml";
    std::FILE *f = std::fopen(cfg.c_str(), "w");
    if (f == nullptr)
        return 99;
    std::fprintf(f, "log_level: DEBUG\nlog_to_console: false\nrotation_size_mb: 0\nlog_file: %s\n",
                 log.c_str());
    std::fclose(f);
    if (metalog_init(cfg.c_str()) != 0) {
        std::printf("FAIL: init: %s\n", metalog_last_error());
        return 99;
    }
    metalog_logger *lg = metalog_get("cpp");

    metalog_debug(lg, "debug0");
    metalog_debug(lg, "debug1", ml_int("n", 1));
    metalog_info(lg, "info0");
    metalog_info(lg, "info1", ml_str("s", "x"), ml_uint("u", 2));
    metalog_warning(lg, "warning0");
    metalog_warning(lg, "warning1", ml_f64("f", 1.5));
    metalog_error(lg, "error0");
    metalog_error(lg, "error1", ml_bool("b", true), ml_null("z"));
    metalog_critical(lg, "critical0");
    metalog_critical(lg, "critical1", ml_int("n", INT64_MIN));
    metalog_log(lg, METALOG_WARNING, "log0");
    metalog_log(lg, METALOG_INFO, "log1", ml_uint("u", UINT64_MAX));
    metalog_exception(lg, "exception0");
    metalog_exception(lg, "exception1", ml_kv("code", 503));

    char mut[] = "mutable";
    std::string s = "string";
    const std::string cs = "const string";
    metalog_info(lg, "kinds", ml_kv("str", "x"), ml_kv("mut", static_cast<char *>(mut)),
                 ml_kv("null", nullptr), ml_kv("bool", false),
                 ml_kv("sc", static_cast<signed char>(-1)), ml_kv("short", static_cast<short>(-2)),
                 ml_kv("int", INT_MIN), ml_kv("long", LONG_MIN), ml_kv("ll", LLONG_MIN),
                 ml_kv("uc", static_cast<unsigned char>(255)),
                 ml_kv("us", static_cast<unsigned short>(65535)), ml_kv("uint", UINT_MAX),
                 ml_kv("ul", ULONG_MAX), ml_kv("ull", ULLONG_MAX), ml_kv("float", 0.5f),
                 ml_kv("double", 2.25), ml_kv("ld", 4.5L), ml_kv("s", s), ml_kv("cs", cs),
                 ml_kv("tmp", name_of_user()), ml_kv("i64", INT64_C(-7)),
                 ml_kv("u64", UINT64_C(8)));
#if __cplusplus >= 201703L
    std::string_view whole = "abcdef";
    std::string big(100000, 'x');
    metalog_info(lg, "views", ml_kv("view", whole), ml_kv("middle", whole.substr(1, 3)),
                 ml_kv("empty", std::string_view()), ml_int("after", 9));
    metalog_info(lg, "bigview", ml_kv("big", std::string_view(big)));
#endif

    // Bound loggers and this thread's context, with and without fields.
    metalog_logger *bound = metalog_bind(lg, ml_kv("symbol", std::string("EURUSD")), ml_kv("lot", 2));
    metalog_logger *plain = metalog_bind(lg);
    check(bound != nullptr && plain != nullptr, "bind");
    check(metalog_context_bind(ml_kv("session", s), ml_kv("seq", 1u)) == 0, "context_bind");
    check(metalog_context_bind() == 0, "context_bind with no fields");
    metalog_info(bound, "bound");
    metalog_info(plain, "plain");
    metalog_context_clear();
    metalog_info(lg, "unbound");
    metalog_logger_free(bound);
    metalog_logger_free(plain);

    broker::Client(lg).submit(503);
    check(metalog_flush() == 0, "flush");
    metalog_shutdown();

    read_log(log);
    const char *events[] = {"debug0", "info0", "warning0", "error0", "critical0", "log0",
                            "exception0"};
    const char *levels[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "WARNING", "ERROR"};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        expect_str(events[i], "level", levels[i]);
    expect_int("debug1", "n", 1);
    expect_str("info1", "s", "x");
    expect_uint("info1", "u", 2);
    expect_double("warning1", "f", 1.5);
    expect_bool("error1", "b", true);
    expect_null("error1", "z");
    expect_int("critical1", "n", INT64_MIN);
    expect_uint("log1", "u", UINT64_MAX);
    expect_int("exception1", "code", 503);
    get("exception0", "exception");

    expect_str("kinds", "str", "x");
    expect_str("kinds", "mut", "mutable");
    expect_null("kinds", "null");
    expect_bool("kinds", "bool", false);
    expect_int("kinds", "sc", -1);
    expect_int("kinds", "short", -2);
    expect_int("kinds", "int", INT_MIN);
    expect_int("kinds", "long", LONG_MIN);
    expect_int("kinds", "ll", LLONG_MIN);
    expect_uint("kinds", "uc", 255);
    expect_uint("kinds", "us", 65535);
    expect_uint("kinds", "uint", UINT_MAX);
    expect_uint("kinds", "ul", ULONG_MAX);
    expect_uint("kinds", "ull", ULLONG_MAX);
    expect_double("kinds", "float", 0.5);
    expect_double("kinds", "double", 2.25);
    expect_double("kinds", "ld", 4.5);
    expect_str("kinds", "s", "string");
    expect_str("kinds", "cs", "const string");
    expect_str("kinds", "tmp", "ada");
    expect_int("kinds", "i64", -7);
    expect_uint("kinds", "u64", 8);
#if __cplusplus >= 201703L
    expect_str("views", "view", "abcdef");
    expect_str("views", "middle", "bcd");
    expect_str("views", "empty", "");
    expect_int("views", "after", 9);
    json_object *bigv = get("bigview", "big");
    size_t biglen = bigv ? std::strlen(json_object_get_string(bigv)) : 0;
    check(biglen == 65535, "a view past 64 KiB is cut to 65535 bytes",
          std::to_string(biglen).c_str());
#endif

    expect_str("bound", "symbol", "EURUSD");
    expect_int("bound", "lot", 2);
    expect_str("bound", "session", "string");
    expect_uint("bound", "seq", 1);
    expect_str("plain", "logger", "cpp");
    json_object *unused;
    check(record("unbound") != nullptr &&
              !json_object_object_get_ex(record("unbound"), "session", &unused),
          "context cleared");

    json_object *exc = get("rejected", "exception");
    const char *trace = exc ? json_object_get_string(exc) : "";
    check(std::strstr(trace, "broker::Client::submit") != nullptr,
          "trace names broker::Client::submit:", trace);
    expect_int("rejected", "code", 503);

    for (size_t i = 0; i < nrecords; i++)
        json_object_put(records[i]);
    std::printf("%s: %d failed\n", argv[0], failures);
    return failures > 125 ? 125 : failures;
}
