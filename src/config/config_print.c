/*
 * The effective configuration as YAML, for "metalog-check --print": every
 * setting, defaults included, null for what is not set, and no secret. The
 * output is itself a valid configuration that loads to the same settings
 * (the webhook URL and header values aside, which are replaced, and header
 * names that are not public words, which are renamed).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/config_errs.h"
#include "record/level.h"
#include "util/escape.h"

/* ---- YAML output ---- */

/* A double-quoted YAML scalar: the one style that can hold any text. */
/* escape_text's escapes (\\ \" \n \t \r \xNN \u00NN) are all valid in a
 * YAML double-quoted scalar. A "${" in a value (from the environment) is
 * written "$${", the language's literal "${": printed as it is, loading
 * the print would expand it again. */
static void put_quoted(strbuf *out, const char *s)
{
    if (strstr(s, "${") == NULL) {
        escape_text(out, s, strlen(s), 1, 0);
        return;
    }
    strbuf lit = STRBUF_INIT;
    for (const char *ref; (ref = strstr(s, "${")) != NULL; s = ref + 1) {
        strbuf_append(&lit, s, (size_t)(ref - s));
        strbuf_append(&lit, "$$", 2); /* and the '{' starts the next piece */
    }
    strbuf_puts(&lit, s);
    if (lit.failed)
        out->failed = true;
    else
        escape_text(out, lit.data, lit.len, 1, 0);
    strbuf_free(&lit);
}

static void put_string(strbuf *out, const char *key, const char *value)
{
    strbuf_printf(out, "%s: ", key);
    if (value == NULL)
        strbuf_puts(out, "null");
    else
        put_quoted(out, value);
    strbuf_putc(out, '\n');
}

static void put_bool(strbuf *out, const char *key, bool value)
{
    strbuf_printf(out, "%s: %s\n", key, value ? "true" : "false");
}

static void put_uint(strbuf *out, const char *key, uint64_t value)
{
    strbuf_printf(out, "%s: %llu\n", key, (unsigned long long)value);
}

/* Header names that are public words: a name in this list is printed in
 * the spelling here, never the file's text. Any other name may be a token
 * pasted in the wrong place, so it is printed as X-Redacted-N. */
static const char *const public_headers[] = {
    "Accept", "Accept-Language", "Authorization", "Cache-Control", "Content-Type", "Cookie",
    "Origin", "Proxy-Authorization", "Referer", "User-Agent", "X-Api-Key", "X-Auth-Token",
    "X-Request-Id",
};

/* The name --print shows for header i: a public name once, else generic,
 * so that the output stays a configuration that loads (no duplicate). */
static void put_header_name(strbuf *out, const conf_webhook *w, size_t i)
{
    for (size_t k = 0; k < sizeof(public_headers) / sizeof(public_headers[0]); k++) {
        if (strcasecmp(w->headers[i].name, public_headers[k]) != 0)
            continue;
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = strcasecmp(w->headers[j].name, public_headers[k]) != 0;
        if (first) {
            put_quoted(out, public_headers[k]);
            return;
        }
    }
    strbuf_printf(out, "\"X-Redacted-%zu\"", i + 1);
}

/* The block, whichever way the file gave it (webhook_url is its
 * shorthand): URL redacted, header values never shown, header names only
 * when they are public words. */
static void put_webhook(strbuf *out, const conf_webhook *w)
{
    if (w->url == NULL) {
        strbuf_puts(out, "webhook: null\n");
        return;
    }
    strbuf r = STRBUF_INIT;
    conf_redact_url(w->url, &r);
    strbuf_puts(out, "webhook:\n");
    put_string(out, "  url", strbuf_str(&r));
    strbuf_free(&r);
    if (w->nheaders == 0)
        strbuf_puts(out, "  headers: {}\n");
    else
        strbuf_puts(out, "  headers:\n");
    for (size_t i = 0; i < w->nheaders; i++) {
        strbuf_puts(out, "    ");
        put_header_name(out, w, i);
        strbuf_puts(out, ": \"<redacted>\"\n");
    }
    put_uint(out, "  timeout_seconds", w->timeout_seconds);
    put_uint(out, "  max_retries", w->max_retries);
    put_uint(out, "  dedup_window_seconds", w->dedup_window_seconds);
    put_uint(out, "  queue_size", w->queue_size);
    put_uint(out, "  shutdown_timeout_seconds", w->shutdown_timeout_seconds);
}

static void put_loggers(strbuf *out, const conf *c)
{
    if (c->nloggers == 0) {
        strbuf_puts(out, "loggers: {}\n");
        return;
    }
    strbuf_puts(out, "loggers:\n");
    for (size_t i = 0; i < c->nloggers; i++) {
        /* YAML limits an implicit key to 1024 characters; a longer name
         * is written as an explicit key ("? name" then ": level"), which
         * has no limit, so that the print loads again. */
        strbuf name = STRBUF_INIT;
        put_quoted(&name, c->loggers[i].name);
        if (name.failed)
            out->failed = true;
        bool explicit_key = name.len > 1000;
        strbuf_puts(out, explicit_key ? "  ? " : "  ");
        strbuf_append(out, strbuf_str(&name), name.len);
        strbuf_puts(out, explicit_key ? "\n  : " : ": ");
        strbuf_free(&name);
        strbuf_printf(out, "%s\n", level_name(c->loggers[i].level));
    }
}

void conf_print(const conf *c, strbuf *out)
{
    static const char *const colors[] = {"auto", "always", "never"};
    if (c->path != NULL) {
        strbuf_puts(out, "# effective configuration of ");
        conf_put_path(out, c->path);
        strbuf_putc(out, '\n');
    }
    strbuf_printf(out, "log_level: %s\n", level_name(c->log_level));
    put_bool(out, "log_to_console", c->log_to_console);
    put_bool(out, "structured_logging", c->structured_logging);
    put_bool(out, "async_logging", c->async_logging);
    put_string(out, "log_file", c->log_file);
    put_string(out, "trade_log_file", c->trade_log_file);
    put_string(out, "error_log_file", c->error_log_file);
    put_webhook(out, &c->webhook);
    put_uint(out, "rotation_size_mb", c->rotation_size_mb);
    put_uint(out, "rotation_backup_count", c->rotation_backup_count);
    strbuf_printf(out, "console_colors: %s\n",
                  colors[(unsigned)c->console_colors < 3 ? c->console_colors : 0]);
    strbuf_printf(out, "console_stream: %s\n",
                  c->console_stream == CONF_STREAM_STDERR ? "stderr" : "stdout");
    /* Quoted, so that YAML 1.1 and 1.2 readers agree on what it is. */
    strbuf_printf(out, "file_mode: \"0%03o\"\n", (unsigned)c->file_mode & 0777u);
    put_bool(out, "reload_on_sighup", c->reload_on_sighup);
    put_bool(out, "crash_handler", c->crash_handler);
    put_uint(out, "async_queue_size", c->async_queue_size);
    strbuf_printf(out, "async_overflow: %s\n",
                  c->async_overflow == CONF_OVERFLOW_DROP ? "drop" : "block");
    put_uint(out, "file_buffer_kb", c->file_buffer_kb);
    strbuf_printf(out, "flush_level: %s\n", level_name(c->flush_level));
    put_uint(out, "flush_interval_ms", c->flush_interval_ms);
    put_loggers(out, c);
}
