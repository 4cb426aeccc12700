/*
 * log4c (Debian liblog4c-dev) writing the benchmark's JSON line: the
 * fields go through log4c's printf-style message, a layout of our own
 * wraps them with the event's timestamp, priority and category, and an
 * appender of our own writes the line to a fopen'd file with stdio
 * buffering. (log4c's stream and stream2 appenders put "[appender name] "
 * in front of every line, which would not be JSON.)
 *
 * Compiled only when /usr/include/log4c.h exists (bench/run.sh).
 */
#include "bench.h"

#include <log4c.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *l4_file;
static log4c_category_t *l4_cat;

/* log4c hands the layout a per-call buffer in the event (evt_buffer), so
 * formatting here is safe from many threads at once. */
static const char *json_layout_format(const log4c_layout_t *layout,
                                      const log4c_logging_event_t *e)
{
    (void)layout;
    char ts[27];
    bench_render_time(ts, e->evt_timestamp.tv_sec, (long)e->evt_timestamp.tv_usec);
    snprintf(e->evt_buffer.buf_data, e->evt_buffer.buf_size,
             "{\"timestamp\":\"%.27s\",\"level\":\"%s\",\"logger\":\"%s\",%s}\n", ts,
             log4c_priority_to_string(e->evt_priority), e->evt_category, e->evt_msg);
    return e->evt_buffer.buf_data;
}

static const log4c_layout_type_t json_layout_type = {"bench_json", json_layout_format};

/* The appender: the rendered line as it is, through stdio (whose FILE
 * lock keeps lines from different threads whole). */
static int file_open(log4c_appender_t *app)
{
    return log4c_appender_get_udata(app) != NULL ? 0 : -1;
}

static int file_append(log4c_appender_t *app, const log4c_logging_event_t *e)
{
    return fputs(e->evt_rendered_msg, log4c_appender_get_udata(app)) < 0 ? -1 : 0;
}

/* log4c_fini closes every appender: the file is closed here, once. */
static int file_close(log4c_appender_t *app)
{
    FILE *f = log4c_appender_set_udata(app, NULL);
    return f != NULL && fclose(f) != 0 ? -1 : 0;
}

static const log4c_appender_type_t file_appender_type = {"bench_file", file_open, file_append,
                                                         file_close};

static int log4c_start(const char *dir, int shape, int threads, long records)
{
    (void)shape;
    (void)threads;
    (void)records;
    /* Look for a log4crc in the empty temp dir only: no system or user
     * configuration changes what is measured. */
    setenv("LOG4C_RCPATH", dir, 1);
    if (log4c_init() != 0) {
        fprintf(stderr, "log4c_init failed\n");
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/log4c.log", dir);
    l4_file = fopen(path, "w");
    if (l4_file == NULL) {
        perror(path);
        return -1;
    }
    log4c_layout_type_set(&json_layout_type);
    log4c_layout_t *layout = log4c_layout_get("bench_json");
    log4c_layout_set_type(layout, &json_layout_type);

    log4c_appender_t *app = log4c_appender_get("bench_file");
    log4c_appender_type_set(&file_appender_type);
    log4c_appender_set_type(app, &file_appender_type);
    log4c_appender_set_udata(app, l4_file);
    log4c_appender_set_layout(app, layout);
    /* Opened here, not lazily by the first append of whichever thread
     * comes first: log4c's lazy open is not thread-safe. */
    log4c_appender_open(app);

    l4_cat = log4c_category_get(BENCH_LOGGER);
    log4c_category_set_appender(l4_cat, app);
    log4c_category_set_priority(l4_cat, LOG4C_PRIORITY_INFO);
    log4c_category_set_additivity(l4_cat, 0);
    return 0;
}

static void log4c_bench_log(const bench_rec *r)
{
    bool hedged = true;
    log4c_category_info(l4_cat,
                        "\"event\":\"%s\",\"order_id\":%lld,\"price\":%.15g,"
                        "\"symbol\":\"%s\",\"hedged\":%s",
                        BENCH_EVENT, (long long)r->id, BENCH_PRICE, BENCH_SYMBOL,
                        hedged ? "true" : "false");
}

/* The flush pushes stdio's buffer to the kernel; log4c_fini then closes
 * the appender and with it the file. */
static int log4c_drain(void)
{
    int rc = fflush(l4_file);
    log4c_fini();
    return rc == 0 ? 0 : -1;
}

static int log4c_output(const char *dir, char *path, size_t size)
{
    snprintf(path, size, "%s/log4c.log", dir);
    return 0;
}

const bench_case bench_log4c = {
    .name = "log4c",
    .kind = "sync",
    .setup = "log4c 1.2 category at INFO, a custom JSON layout (fields through log4c's "
             "printf-style message, %.15g for the double), a custom appender writing "
             "each line to a fopen'd file, stdio-buffered; const4 only (keeps the run short)",
    .start = log4c_start,
    .log = log4c_bench_log,
    .drain = log4c_drain,
    .output = log4c_output,
};
