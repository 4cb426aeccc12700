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

/* A syslog handler's destination and queue (config_syslog.c). */
typedef enum conf_syslog_transport {
    CONF_SYSLOG_UNIX = 0, /* a datagram socket, as /dev/log */
    CONF_SYSLOG_UDP,
    CONF_SYSLOG_TCP,      /* octet-counting framing (RFC 6587 3.4.1) */
    CONF_SYSLOG_TLS       /* TCP framing, inside TLS (RFC 5425) */
} conf_syslog_transport;

/* The TLS keys of a syslog entry, in conf_syslog_keys order after the
 * first CONF_SYSLOG_TLS_KEY0 (config_syslog.c). */
#define CONF_SYSLOG_TLS_NKEYS 5

typedef struct conf_syslog {
    char *address;   /* as written; NULL: the default, unix:///dev/log */
    conf_syslog_transport transport;
    char *host;      /* udp, tcp, tls: the host, without IPv6 brackets */
    unsigned port;   /* udp, tcp, tls */
    char *socket;    /* unix: the path, resolved against the anchor */
    int facility;    /* RFC 5424 code, 0..23; default 1 (user) */
    char *app_name;  /* NULL: the program's name */
    uint64_t queue_size;               /* messages waiting; default 10000 */
    uint64_t timeout_seconds;          /* one connect or send; default 5 */
    uint64_t shutdown_timeout_seconds; /* draining at free; default 5 */
    /* tls only. The files as written (for --print and errors), and
     * resolved against the anchor (*_path, what the handler opens),
     * checked readable by the loader. */
    char *ca_file, *ca_path;     /* PEM CAs; NULL: the system's store */
    char *cert_file, *cert_path; /* the client's certificate chain (PEM) */
    char *key_file, *key_path;   /* its private key (PEM): both or neither */
    bool verify;       /* the server's chain and name; default true */
    char *server_name; /* the name verified and sent (SNI); NULL: the host */
    /* The loader's: where each TLS key's value was written (line 0: not
     * written), judged once the address is known, whatever the order. */
    conf_mark tls_at[CONF_SYSLOG_TLS_NKEYS];
} conf_syslog;

/* A resource attribute of an otlp handler, typed as the YAML scalar was
 * written: unquoted integers, doubles and booleans keep their type. */
typedef enum conf_attr_kind {
    CONF_ATTR_STRING = 0,
    CONF_ATTR_INT,
    CONF_ATTR_DOUBLE,
    CONF_ATTR_BOOL
} conf_attr_kind;

typedef struct conf_attr {
    char *key;
    char *value; /* the text; for a bool "true" or "false" */
    conf_attr_kind kind;
} conf_attr;

/* An otlp handler's own settings (config_otlp.c). Its endpoint, headers,
 * timeout, retries, queue and shutdown deadline are a webhook's: they live
 * in the handler's conf_webhook. */
typedef struct conf_otlp {
    conf_attr *resource; /* in file order */
    size_t nresource;
    uint64_t batch_size;        /* records per request; default 512 */
    uint64_t batch_interval_ms; /* longest wait of a partial batch; default 1000 */
} conf_otlp;

/* ---- handlers: ---- */

typedef enum conf_handler_type {
    CONF_HANDLER_FILE = 0,
    CONF_HANDLER_CONSOLE,
    CONF_HANDLER_WEBHOOK,
    CONF_HANDLER_SYSLOG,
    CONF_HANDLER_JOURNALD,
    CONF_HANDLER_OTLP
} conf_handler_type;

/* rotation.every: a file's period, on clock boundaries. */
typedef enum conf_every {
    CONF_EVERY_NONE = 0,
    CONF_EVERY_MINUTE,
    CONF_EVERY_HOURLY,
    CONF_EVERY_DAILY,  /* at midnight, or at every_at ("HH:MM") */
    CONF_EVERY_WEEKLY  /* at midnight between Sunday and Monday */
} conf_every;

typedef enum conf_format {
    CONF_FORMAT_JSON = 0,
    CONF_FORMAT_TEXT,
    CONF_FORMAT_CONSOLE
} conf_format;

/* One "match:" entry: the field must be present and its value render to
 * exactly this text (the YAML scalar as written). */
typedef struct conf_match {
    char *key;
    char *value;
} conf_match;

/* One destination: an entry of "handlers:", or one made from a flat key
 * (log_file, trade_log_file, error_log_file, log_to_console, webhook).
 * Flat handlers come first, in that order, then the listed ones. */
typedef struct conf_handler {
    char *name;       /* as given; NULL: unnamed */
    char *label;      /* what errors, stats and --print call it: the name,
                       * or "handlers[N]" (from 1) */
    bool flat;        /* made from a flat key (name is the key) */
    conf_handler_type type;
    conf_format format;
    int level;        /* lowest level taken; default METALOG_DEBUG */
    int max_level;    /* highest level taken, inclusive; default METALOG_CRITICAL */
    char **loggers;   /* only these and their dotted children; NULL: all */
    size_t nloggers;
    char **exclude_loggers; /* never these nor their children */
    size_t nexclude;
    conf_match *match;
    size_t nmatch;

    /* file */
    char *path;          /* as written (--print shows this) */
    char *resolved;      /* absolute: path against the load's anchor */
    uint64_t size_mb;    /* rotation.size_mb; 0 never rotates */
    uint64_t backups;    /* rotation.backups */
    conf_every every;    /* rotation.every */
    unsigned every_at;   /* CONF_EVERY_DAILY: minutes after midnight ("HH:MM"; 0 for daily) */
    bool every_at_set;   /* every was written "HH:MM" (--print writes it back so) */
    bool utc;            /* rotation.utc: the clock of every and of dates in names; default true */
    bool compress;       /* rotation.compress: gzip */
    uint64_t max_age_days; /* rotation.max_age_days; 0: no limit */
    uint64_t max_total_mb; /* rotation.max_total_mb; 0: no limit */

    /* console */
    conf_stream stream;
    conf_colors colors;

    /* webhook */
    conf_webhook webhook;

    /* syslog */
    conf_syslog syslog;

    /* otlp (with the webhook block above for the HTTP side) */
    conf_otlp otlp;

    /* journald */
    char *socket_path; /* the journal's native socket, absolute; set by the loader */

    conf_mark mark;      /* the entry (a flat handler: its key) */
    conf_mark path_mark; /* the key naming the file, URL or socket */
    conf_mark name_mark; /* the name's value */
    unsigned written;    /* CONF_WROTE_*: settings the entry gave itself */
} conf_handler;

/* conf_handler.written: settings whose default comes from a flat key
 * (rotation_size_mb, console_stream, ...) unless the entry gives them. */
#define CONF_WROTE_SIZE 1u
#define CONF_WROTE_BACKUPS 2u
#define CONF_WROTE_STREAM 4u
#define CONF_WROTE_COLORS 8u

/* The most handlers one configuration may list: a route is a bit of a
 * word on the dispatch path. */
#define CONF_MAX_HANDLERS 56

/* ---- processors: ---- */

typedef enum conf_proc_kind {
    CONF_PROC_CALLSITE = 0,
    CONF_PROC_REDACT,
    CONF_PROC_SAMPLE,
    CONF_PROC_RATE_LIMIT
} conf_proc_kind;

typedef enum conf_rate_key {
    CONF_RATE_EVENT = 0,
    CONF_RATE_LOGGER,
    CONF_RATE_CALLSITE
} conf_rate_key;

/* One entry of "processors:", in list order. Only the members of its kind
 * are set. */
typedef struct conf_processor {
    conf_proc_kind kind;
    conf_mark mark;

    /* redact */
    char **keys;          /* globs on field keys, case-insensitive */
    size_t nkeys;
    char **patterns;      /* POSIX extended regexes, checked to compile */
    size_t npatterns;
    /* Per pattern, "^.*(pattern)" or NULL: for a pattern with a loop,
     * whether it matches anywhere in a text, answered in one pass. */
    char **prefilters;
    char *replacement;    /* default "[REDACTED]" */

    /* sample */
    char **events;        /* globs on the event */
    size_t nevents;
    uint64_t every;       /* keep the 1st, every+1st, ... of each event */

    /* rate_limit */
    conf_rate_key key;
    uint64_t max;         /* records per key per window */
    uint64_t per_seconds; /* the window */
} conf_processor;

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

    /* What the pipeline is built from: every destination, the flat keys'
     * included, and the processors in order. */
    conf_handler *handlers;
    size_t nhandlers;
    bool handlers_listed; /* the file has a "handlers:" key (an empty list too) */
    conf_processor *processors;
    size_t nprocessors;

    /* The directory relative paths were resolved against (absolute). */
    char *anchor;

    /* Marks of the keys that name files, for errors found when opening. */
    conf_mark log_file_mark;
    conf_mark trade_log_file_mark;
    conf_mark error_log_file_mark;
} conf;

/* The YAML names of the enums, indexed by their values: the parser, the
 * printer and the handler stats read these one copy. CONF_HANDLER_TYPES
 * and CONF_FORMATS names each; config_names.c checks both counts. */
#define CONF_HANDLER_TYPES 6
#define CONF_FORMATS 3
extern const char *const conf_handler_type_names[];
extern const char *const conf_format_names[];
extern const char *const conf_colors_names[3];
extern const char *const conf_stream_names[2];

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

/* conf_parse with relative paths resolved against anchor (an absolute
 * directory; NULL: the current directory, read now). */
conf *conf_parse_at(const char *path, const char *anchor, const char *text, size_t len,
                    strbuf *errors);

/* conf_read_file then conf_parse. *io_error is set true when the file
 * itself could not be read (as opposed to being invalid); it may be NULL. */
conf *conf_load(const char *path, strbuf *errors, bool *io_error);

/* conf_load with path itself, and every relative path in the file,
 * resolved against anchor (absolute; NULL: the current directory). */
conf *conf_load_at(const char *path, const char *anchor, strbuf *errors, bool *io_error);

/* The current directory, malloc'd: the anchor of relative paths. NULL
 * when it cannot be read (deleted, or out of memory). */
char *conf_current_dir(void);

/* Frees what a conf_processor owns (not the struct). */
void conf_processor_free(conf_processor *p);

void conf_free(conf *c);

/* Writes the effective configuration as YAML, with secrets (the webhook
 * URL's path and query, the webhook headers' values) redacted. */
void conf_print(const conf *c, strbuf *out);

/* "scheme://host[:port]/<redacted>" for messages: never the path or query
 * (config_url.c). */
void conf_redact_url(const char *url, strbuf *out);

#endif
