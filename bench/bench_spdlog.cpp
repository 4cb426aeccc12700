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

// One logger per name of the mix shape, all on one sink (one file); the
// other shapes use the first ("bench").
std::shared_ptr<spdlog::logger> sp_logs[BENCH_NLOGGERS];
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

// One worker thread and spdlog's default queue (8192 messages) unless
// BENCH_SPDLOG_QUEUE says otherwise; async_factory's policy is block.
size_t spdlog_queue_size()
{
    const char *q = std::getenv("BENCH_SPDLOG_QUEUE");
    long n = q ? std::atol(q) : 0;
    return n > 0 ? static_cast<size_t>(n) : spdlog::details::default_async_q_size;
}

// The loggers, as basic_logger_mt (or its async_factory form) builds
// them, but sharing one basic_file_sink_mt so that mix's four loggers
// write one file as metalog's do.
int spdlog_start_with(const char *dir, bool async)
{
    try {
        auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path_in(dir), true);
        if (async)
            spdlog::init_thread_pool(spdlog_queue_size(), 1);
        for (int i = 0; i < BENCH_NLOGGERS; i++) {
            if (async)
                sp_logs[i] = std::make_shared<spdlog::async_logger>(bench_logger_names[i], sink,
                    spdlog::thread_pool(), spdlog::async_overflow_policy::block);
            else
                sp_logs[i] = std::make_shared<spdlog::logger>(bench_logger_names[i], sink);
            set_json_pattern(*sp_logs[i]);
            spdlog::register_logger(sp_logs[i]);
        }
        sp_log = sp_logs[0];
    } catch (const spdlog::spdlog_ex &e) {
        std::fprintf(stderr, "spdlog: %s\n", e.what());
        return -1;
    }
    return 0;
}

int spdlog_sync_start(const char *dir, int, int, long)
{
    return spdlog_start_with(dir, false);
}

int spdlog_async_start(const char *dir, int, int, long)
{
    return spdlog_start_with(dir, true);
}

const spdlog::level::level_enum sp_levels[4] = {spdlog::level::debug, spdlog::level::info,
    spdlog::level::warn, spdlog::level::err};

// fmt writes doubles shortest round-trip ({}), as metalog does. spdlog has
// no JSON escaping: the strings come pre-escaped from a table built before
// the clock (bench_symbol_json), work a real caller would have to do.
#define SP_VARY4 R"("event":"{}","order_id":{},"price":{},"symbol":"{}","hedged":{})"

void spdlog_bench_log(const bench_rec *r)
{
    switch (r->shape) {
    case BENCH_CONST4:
        sp_log->info(SP_VARY4, BENCH_EVENT, r->id, BENCH_PRICE, BENCH_SYMBOL, true);
        break;
    case BENCH_VARY4:
        sp_log->info(SP_VARY4, BENCH_EVENT, r->id, r->price, bench_symbol_json(r->symbol),
            r->hedged != 0);
        break;
    case BENCH_VARY8:
        sp_log->info(SP_VARY4 R"(,"qty":{},"ratio":{},"note":"{}","seq":{})", BENCH_EVENT, r->id,
            r->price, bench_symbol_json(r->symbol), r->hedged != 0, r->qty, r->ratio,
            bench_note_json(r->note), r->seq);
        break;
    case BENCH_MIX:
        sp_logs[r->logger]->log(sp_levels[r->level], SP_VARY4, BENCH_EVENT, r->id, r->price,
            bench_symbol_json(r->symbol), r->hedged != 0);
        break;
    }
}

// flush() on an async logger only queues a flush request, so the drain
// also drops every reference and shuts the registry down: the thread pool's
// destructor waits for its worker to handle everything queued, and the
// last reference to the logger closes the file.
int spdlog_drain()
{
    sp_log->flush();
    sp_log.reset();
    for (auto &l : sp_logs)
        l.reset();
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
    if (spdlog_sync_start(dir, BENCH_CONST4, 1, 0) != 0)
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

bench_case make_case(const char *name, const char *kind, const char *setup,
    int (*start)(const char *, int, int, long), double (*disabled)(const char *, long))
{
    bench_case c{};
    c.name = name;
    c.shapes = BENCH_ALL_SHAPES;
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
    "an upper-case level flag, fields formatted by fmt into the payload (doubles with {}: shortest "
    "round-trip); strings given PRE-ESCAPED for JSON from a table built before the clock, since "
    "spdlog does not escape (this favours spdlog: metalog escapes inside the timed call); mix: "
    "4 loggers on one shared sink, levels at info",
    spdlog_sync_start, spdlog_disabled_ns);

extern "C" const bench_case bench_spdlog_async = make_case("spdlog-async", "async",
    "as spdlog-sync with spdlog::async_logger (async_overflow_policy::block, as async_factory), one worker "
    "thread, queue of 8192 messages (spdlog's default; BENCH_SPDLOG_QUEUE overrides)",
    spdlog_async_start, nullptr);
