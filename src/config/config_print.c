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
#include "config/config_processors.h"
#include "config/config_rotation.h"
#include "config/config_syslog.h"
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

/* A webhook's keys at the given indent: URL redacted, header values never
 * shown, header names only when they are public words. */
/* "indent key: " for a mapping key of any length: YAML limits an
 * implicit key to 1024 characters, so a longer one is written as an
 * explicit key ("? key" then ": value"), which has no limit, so that the
 * print loads again. */
static void put_key(strbuf *out, const char *indent, const char *key)
{
    strbuf name = STRBUF_INIT;
    put_quoted(&name, key);
    if (name.failed)
        out->failed = true;
    bool explicit_key = name.len > 1000;
    strbuf_printf(out, "%s%s", indent, explicit_key ? "? " : "");
    strbuf_append(out, strbuf_str(&name), name.len);
    strbuf_printf(out, "%s%s", explicit_key ? "\n" : "", explicit_key ? indent : "");
    strbuf_puts(out, ": ");
    strbuf_free(&name);
}

/* The URL (as url or endpoint) redacted and the headers' names only, as
 * the webhook and the otlp handler print them. */
static void put_http_target(strbuf *out, const conf_webhook *w, const char *in, const char *key)
{
    strbuf r = STRBUF_INIT;
    conf_redact_url(w->url, &r);
    strbuf_printf(out, "%s%s: ", in, key);
    put_quoted(out, strbuf_str(&r));
    strbuf_putc(out, '\n');
    strbuf_free(&r);
    strbuf_printf(out, "%sheaders:%s\n", in, w->nheaders == 0 ? " {}" : "");
    for (size_t i = 0; i < w->nheaders; i++) {
        strbuf_printf(out, "%s  ", in);
        put_header_name(out, w, i);
        strbuf_puts(out, ": \"<redacted>\"\n");
    }
}

static void put_webhook(strbuf *out, const conf_webhook *w, const char *in)
{
    put_http_target(out, w, in, "url");
    strbuf_printf(out, "%stimeout_seconds: %llu\n", in, (unsigned long long)w->timeout_seconds);
    strbuf_printf(out, "%smax_retries: %llu\n", in, (unsigned long long)w->max_retries);
    strbuf_printf(out, "%sdedup_window_seconds: %llu\n", in,
                  (unsigned long long)w->dedup_window_seconds);
    strbuf_printf(out, "%squeue_size: %llu\n", in, (unsigned long long)w->queue_size);
    strbuf_printf(out, "%sshutdown_timeout_seconds: %llu\n", in,
                  (unsigned long long)w->shutdown_timeout_seconds);
}

/* Resource values as they were typed: a string quoted, a number or bool
 * bare, so that the print loads back to the same types. */
static void put_otlp(strbuf *out, const conf_handler *h, const char *in)
{
    const conf_webhook *w = &h->webhook;
    const conf_otlp *o = &h->otlp;
    put_http_target(out, w, in, "endpoint");
    strbuf_printf(out, "%sresource:%s\n", in, o->nresource == 0 ? " {}" : "");
    for (size_t i = 0; i < o->nresource; i++) {
        put_key(out, "      ", o->resource[i].key);
        if (o->resource[i].kind == CONF_ATTR_STRING)
            put_quoted(out, o->resource[i].value);
        else
            strbuf_puts(out, o->resource[i].value);
        strbuf_putc(out, '\n');
    }
    strbuf_printf(out, "%sbatch_size: %llu\n", in, (unsigned long long)o->batch_size);
    strbuf_printf(out, "%sbatch_interval_ms: %llu\n", in,
                  (unsigned long long)o->batch_interval_ms);
    strbuf_printf(out, "%squeue_size: %llu\n", in, (unsigned long long)w->queue_size);
    strbuf_printf(out, "%stimeout_seconds: %llu\n", in, (unsigned long long)w->timeout_seconds);
    strbuf_printf(out, "%smax_retries: %llu\n", in, (unsigned long long)w->max_retries);
    strbuf_printf(out, "%sshutdown_timeout_seconds: %llu\n", in,
                  (unsigned long long)w->shutdown_timeout_seconds);
}

static void put_names(strbuf *out, const char *key, char *const *names, size_t n)
{
    if (n == 0)
        return;
    strbuf_printf(out, "    %s:\n", key);
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(out, "      - ");
        put_quoted(out, names[i]);
        strbuf_putc(out, '\n');
    }
}

/* One entry of "handlers:", every setting of its type written out. */
static void put_handler(strbuf *out, const conf_handler *h)
{
    /* An unnamed handler is printed under the name it goes by,
     * "handlers[N]": among the flat keys' handlers its position changes,
     * and errors about the print must name it as they name the file. */
    strbuf_puts(out, "  - name: ");
    put_quoted(out, h->name != NULL ? h->name : h->label);
    strbuf_printf(out, "\n    type: %s\n", conf_handler_type_names[h->type]);
    if (h->type != CONF_HANDLER_SYSLOG && h->type != CONF_HANDLER_OTLP) /* fixed encodings */
        strbuf_printf(out, "    format: %s\n", conf_format_names[h->format]);
    strbuf_printf(out, "    level: %s\n", level_name(h->level));
    strbuf_printf(out, "    max_level: %s\n", level_name(h->max_level));
    put_names(out, "loggers", h->loggers, h->nloggers);
    put_names(out, "exclude_loggers", h->exclude_loggers, h->nexclude);
    if (h->nmatch > 0)
        strbuf_puts(out, "    match:\n");
    for (size_t i = 0; i < h->nmatch; i++) {
        put_key(out, "      ", h->match[i].key);
        put_quoted(out, h->match[i].value);
        strbuf_putc(out, '\n');
    }
    switch (h->type) {
    case CONF_HANDLER_FILE:
        strbuf_puts(out, "    path: ");
        put_quoted(out, h->path);
        strbuf_putc(out, '\n');
        conf_rotation_print(h, out);
        break;
    case CONF_HANDLER_CONSOLE:
        strbuf_printf(out, "    stream: %s\n    colors: %s\n",
                      conf_stream_names[h->stream],
                      conf_colors_names[(unsigned)h->colors < 3 ? h->colors : 0]);
        break;
    case CONF_HANDLER_WEBHOOK: put_webhook(out, &h->webhook, "    "); break;
    case CONF_HANDLER_JOURNALD:
        strbuf_puts(out, "    socket: ");
        put_quoted(out, h->socket_path);
        strbuf_putc(out, '\n');
        break;
    case CONF_HANDLER_SYSLOG: conf_syslog_print(&h->syslog, out, "    ", put_quoted); break;
    case CONF_HANDLER_OTLP: put_otlp(out, h, "    "); break;
    }
}

static void put_loggers(strbuf *out, const conf *c)
{
    if (c->nloggers == 0) {
        strbuf_puts(out, "loggers: {}\n");
        return;
    }
    strbuf_puts(out, "loggers:\n");
    for (size_t i = 0; i < c->nloggers; i++) {
        put_key(out, "  ", c->loggers[i].name);
        strbuf_printf(out, "%s\n", level_name(c->loggers[i].level));
    }
}

void conf_print(const conf *c, strbuf *out)
{
    if (c->path != NULL) {
        strbuf_puts(out, "# effective configuration of ");
        conf_put_path(out, c->path);
        strbuf_putc(out, '\n');
    }
    strbuf_printf(out, "log_level: %s\n", level_name(c->log_level));
    put_bool(out, "async_logging", c->async_logging);
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
    conf_processors_print(c, out);
    /* The flat keys are not printed: they are shorthand for handlers,
     * which are, the flat keys' first. */
    strbuf_puts(out, c->nhandlers == 0 ? "handlers: []\n" : "handlers:\n");
    for (size_t i = 0; i < c->nhandlers; i++)
        put_handler(out, &c->handlers[i]);
}
