/*
 * Configuration: the YAML file read into one validated, immutable struct
 * conf. Loading never touches the running pipeline; building a pipeline
 * from a conf happens in pipeline.c.
 */
#ifndef METALOG_CONFIG_H
#define METALOG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/strbuf.h"

/* Where a value came from in the file, 1-based, for errors found later
 * (a log file that cannot be opened is reported at the line naming it). */
typedef struct conf_mark {
    unsigned line;
    unsigned col;
} conf_mark;

typedef enum conf_colors {
    CONF_COLORS_AUTO = 0,
    CONF_COLORS_ALWAYS,
    CONF_COLORS_NEVER
} conf_colors;

typedef enum conf_stream { CONF_STREAM_STDOUT = 0, CONF_STREAM_STDERR } conf_stream;

typedef enum conf_overflow { CONF_OVERFLOW_BLOCK = 0, CONF_OVERFLOW_DROP } conf_overflow;

/* A per-logger level from the "loggers:" mapping. */
typedef struct conf_logger_level {
    char *name; /* dotted logger name; "root" is the root */
    int level;  /* METALOG_DEBUG .. METALOG_CRITICAL */
    conf_mark mark;
} conf_logger_level;

/* One extra header of the webhook POST ("headers:" in the webhook block).
 * The value is a secret (it usually holds a token): it is sent and never
 * printed. */
typedef struct conf_header {
    char *name;
    char *value;
} conf_header;

/* The webhook: "webhook_url: URL" is shorthand for a block with only url.
 * url NULL means no webhook; the other settings hold their defaults
 * either way. */
typedef struct conf_webhook {
    char *url;                  /* http or https; path and query are secret */
    conf_header *headers;       /* in file order */
    size_t nheaders;
    uint64_t timeout_seconds;   /* one attempt, connection included; default 5 */
    uint64_t max_retries;       /* after the first attempt; default 3 */
    uint64_t dedup_window_seconds;     /* default 60; 0 posts every alert */
    uint64_t queue_size;               /* alerts waiting; default 1000 */
    uint64_t shutdown_timeout_seconds; /* metalog_shutdown's deadline; default 5 */
    conf_mark mark;                    /* the key that set url */
} conf_webhook;

/* One validated configuration. Strings are owned by the conf and freed by
 * conf_free; NULL means "not set". Defaults are filled in by the loader. */
typedef struct conf {
    char *path; /* the file it was read from; NULL for the built-in default */

    int log_level;            /* default METALOG_INFO */
    bool log_to_console;      /* default true */
    bool structured_logging;  /* default true */
    bool async_logging;       /* default false */
    char *log_file;           /* every record */
    char *trade_log_file;     /* logger "trade" and "trade.*" */
    char *error_log_file;     /* ERROR and above */
    uint64_t rotation_size_mb;      /* default 10; 0 never rotates */
    uint64_t rotation_backup_count; /* default 5; 0 keeps none */

    conf_colors console_colors; /* default auto */
    conf_stream console_stream; /* default stdout */
    mode_t file_mode;           /* default 0640 */
    bool reload_on_sighup;      /* default true */
    bool crash_handler;         /* default true: see crash.h */
    uint64_t async_queue_size;  /* records; default 65536 */
    conf_overflow async_overflow; /* default block */
    uint64_t file_buffer_kb;      /* sync files: bytes collected per write; default 0 */
    int flush_level;              /* a record at or above it is written at once; ERROR */
    uint64_t flush_interval_ms;   /* buffered records reach the file within it; 1000 */

    conf_webhook webhook; /* CRITICAL only */

    conf_logger_level *loggers; /* per-logger levels, in file order */
    size_t nloggers;

    /* Marks of the keys that name files, for errors found when opening. */
    conf_mark log_file_mark;
    conf_mark trade_log_file_mark;
    conf_mark error_log_file_mark;
} conf;

/* A conf with every default filled in and no file (the built-in default:
 * console, INFO). Returns NULL when out of memory. */
conf *conf_new_default(void);

/* The largest configuration file read, and the most that all the ${VAR}
 * expansions of one file may add up to: far above any real configuration,
 * it keeps "metalog-check /dev/zero"-like inputs and hostile environments
 * from costing unbounded time and memory. */
#define CONF_MAX_BYTES (4u * 1024 * 1024)
/* The most one value may hold after its ${VAR} references are expanded. */
#define CONF_VALUE_MAX (64u * 1024)

/* Reads the configuration file at path, without parsing it. Returns 0 with
 * *text (malloc'd, NUL-terminated, owned by the caller) and *len; or -1
 * with one line "path: cannot read: reason" appended to errors and *text
 * NULL. Only a regular file of at most CONF_MAX_BYTES is read: a FIFO,
 * directory, device or socket is refused at once, naming what it is, and
 * never blocks the caller. *io_error (may be NULL) is set true on failure,
 * false on success. Touches no shared state: callers may read outside any
 * lock of theirs. */
int conf_read_file(const char *path, char **text, size_t *len, strbuf *errors, bool *io_error);

/* Parses and validates text (len bytes, as read from path; path only names
 * the file in errors and in conf.path). On success returns a new conf. On
 * failure returns NULL and appends every error to errors, one per line,
 * each as "path:line:col: key: message". No file is opened. */
conf *conf_parse(const char *path, const char *text, size_t len, strbuf *errors);

/* conf_read_file then conf_parse. *io_error is set true when the file
 * itself could not be read (as opposed to being invalid); it may be NULL. */
conf *conf_load(const char *path, strbuf *errors, bool *io_error);

void conf_free(conf *c);

/* Writes the effective configuration as YAML, with secrets (the webhook
 * URL's path and query, the webhook headers' values) redacted. */
void conf_print(const conf *c, strbuf *out);

/* "scheme://host[:port]/<redacted>" for messages: never the path or query
 * (config_url.c). */
void conf_redact_url(const char *url, strbuf *out);

#endif
