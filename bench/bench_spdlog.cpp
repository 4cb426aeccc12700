/*
 * spdlog (Debian libspdlog-dev 1.10, compiled library, external fmt) writing
 * the benchmark's JSON line: a pattern renders the timestamp (UTC,
 * microseconds), the level (a custom flag: spdlog's own %l is lower case)
 * and the logger name; fmt formats the event and fields into the payload.
 *
 * Compiled only when `pkg-config --exists spdlog` (bench/run.sh).
 */
#include "bench.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#define BENCH_STR2(x) #x
#define BENCH_STR(x) BENCH_STR2(x)

namespace {

std::shared_ptr<spdlog::logger> sp_log;

// "INFO" where %l would print "info": the level names of the JSON contract.
class upper_level_flag final : public spdlog::custom_flag_formatter
{
public:
    void format(const spdlog::details::log_msg &msg, const std::tm &, spdlog::memory_buf_t &dest) override
    {
        static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "OFF"};
        const char *n = names[msg.level];
        dest.append(n, n + std::char_traits<char>::length(n));
    }
    std::unique_ptr<custom_flag_formatter> clone() const override
    {
        return std::make_unique<upper_level_flag>();
    }
};

void set_json_pattern(spdlog::logger &l)
{
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc, "\n");
    f->add_flag<upper_level_flag>('*').set_pattern(
        R"({"timestamp":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%*","logger":"%n",%v})");
    l.set_formatter(std::move(f));
    l.set_level(spdlog::level::info);
    // No flush_on: spdlog's default is to flush when asked (and at close).
}

std::string path_in(const char *dir)
{
    return std::string(dir) + "/spdlog.log";
}

int spdlog_sync_start(const char *dir, int, long)
{
    try {
        sp_log = spdlog::basic_logger_mt(BENCH_LOGGER, path_in(dir), true);
        set_json_pattern(*sp_log);
    } catch (const spdlog::spdlog_ex &e) {
        std::fprintf(stderr, "spdlog: %s\n", e.what());
        return -1;
    }
    return 0;
}

// One worker thread and spdlog's default queue (8192 messages) unless
// BENCH_SPDLOG_QUEUE says otherwise; async_factory is the block policy.
size_t spdlog_queue_size()
{
    const char *q = std::getenv("BENCH_SPDLOG_QUEUE");
    long n = q ? std::atol(q) : 0;
    return n > 0 ? static_cast<size_t>(n) : spdlog::details::default_async_q_size;
}

int spdlog_async_start(const char *dir, int, long)
{
    try {
        spdlog::init_thread_pool(spdlog_queue_size(), 1);
        sp_log = spdlog::basic_logger_mt<spdlog::async_factory>(BENCH_LOGGER, path_in(dir), true);
        set_json_pattern(*sp_log);
    } catch (const spdlog::spdlog_ex &e) {
        std::fprintf(stderr, "spdlog: %s\n", e.what());
        return -1;
    }
    return 0;
}

void spdlog_bench_log(int64_t order_id)
{
    sp_log->info(R"("event":"{}","order_id":{},"price":{},"symbol":"{}","hedged":{})", BENCH_EVENT, order_id,
        BENCH_PRICE, BENCH_SYMBOL, true);
}

// flush() on an async logger only queues a flush request, so the drain
// also drops every reference and shuts the registry down: the thread pool's
// destructor waits for its worker to handle everything queued, and the
// last reference to the logger closes the file.
int spdlog_drain()
{
    sp_log->flush();
    sp_log.reset();
    spdlog::shutdown();
    return 0;
}

int spdlog_output(const char *dir, char *path, size_t size)
{
    std::snprintf(path, size, "%s", path_in(dir).c_str());
    return 0;
}

// The disabled call: spdlog's inline should_log (a relaxed atomic load).
double spdlog_disabled_ns(const char *dir, long calls)
{
    if (spdlog_sync_start(dir, 1, 0) != 0)
        return -1;
    spdlog::logger *l = sp_log.get();
    uint64_t t0 = bench_now_ns();
    for (long i = 0; i < calls; i++)
        l->debug(R"("event":"{}","order_id":{},"price":{},"symbol":"{}","hedged":{})", BENCH_EVENT,
            static_cast<int64_t>(i), BENCH_PRICE, BENCH_SYMBOL, true);
    uint64_t t1 = bench_now_ns();
    spdlog_drain();
    return static_cast<double>(t1 - t0) / static_cast<double>(calls);
}

bench_case make_case(const char *name, const char *kind, const char *setup, int (*start)(const char *, int, long),
    double (*disabled)(const char *, long))
{
    bench_case c{};
    c.name = name;
    c.kind = kind;
    c.setup = setup;
    c.start = start;
    c.log = spdlog_bench_log;
    c.drain = spdlog_drain;
    c.output = spdlog_output;
    c.disabled_ns = disabled;
    return c;
}

} // namespace

extern "C" const bench_case bench_spdlog_sync = make_case("spdlog-sync", "sync",
    "spdlog " BENCH_STR(SPDLOG_VER_MAJOR) "." BENCH_STR(SPDLOG_VER_MINOR) "." BENCH_STR(SPDLOG_VER_PATCH)
    " basic_file_sink_mt, pattern with %Y-%m-%dT%H:%M:%S.%fZ in UTC, "
    "an upper-case level flag, fields formatted by fmt into the payload",
    spdlog_sync_start, spdlog_disabled_ns);

extern "C" const bench_case bench_spdlog_async = make_case("spdlog-async", "async",
    "as spdlog-sync through spdlog::async_factory (async_overflow_policy::block), one worker "
    "thread, queue of 8192 messages (spdlog's default; BENCH_SPDLOG_QUEUE overrides)",
    spdlog_async_start, nullptr);
