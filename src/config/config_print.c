/*
 * The effective configuration as YAML, for "metalog-check --print": every
 * setting, defaults included, null for what is not set, and no secret. The
 * output is itself a valid configuration that loads to the same settings
 * (the webhook URL and header values aside, which are replaced, and header
 * names that are not public words, which are renamed).
 *
 * The webhook URL handling lives here too, in one place: what a valid URL
 * is, and the redacted form that messages and this output show instead.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "util/escape.h"
#include "config/config_yaml.h"
#include "record/level.h"

/* ---- URLs ---- */

const char *conf_url_host(const char *url, size_t *scheme_len, size_t *host_len)
{
    size_t i = 0;
    if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
        return NULL;
    while (url[i] && url[i] != ':' && url[i] != '/' && url[i] != '?' && url[i] != '#')
        i++;
    if (strncmp(url + i, "://", 3) != 0)
        return NULL;
    *scheme_len = i;
    /* The userinfo before an '@' is a secret too: the host starts after
     * the last '@' of the authority. */
    const char *auth = url + i + 3;
    size_t end = strcspn(auth, "/?#");
    const char *host = auth;
    for (size_t j = 0; j < end; j++)
        if (auth[j] == '@')
            host = auth + j + 1;
    *host_len = end - (size_t)(host - auth);
    return host;
}

bool conf_url_userinfo_unsure(const char *url)
{
    size_t sl, hl;
    const char *h = conf_url_host(url, &sl, &hl);
    return h != NULL && strchr(h + hl, '@') != NULL;
}

/* A scheme as RFC 3986 spells one, and short: anything else before "://"
 * may be the start of a token. */
static bool scheme_shown(const char *s, size_t n)
{
    if (n == 0 || n > 16 || !isalpha((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && strchr("+.-", s[i]) == NULL)
            return false;
    return true;
}

/* A DNS name or an address, [IPv6] included: text that can only name a
 * host. Anything else in the host's place is not shown. */
static bool host_shown(const char *h, size_t n)
{
    bool bracket = n >= 2 && h[0] == '[' && h[n - 1] == ']';
    const char *ok = bracket ? "0123456789abcdefABCDEF:." : "-._~";
    if (n > 253)
        return false;
    for (size_t i = bracket; i < n - bracket; i++)
        if ((bracket || !isalnum((unsigned char)h[i])) && strchr(ok, h[i]) == NULL)
            return false;
    return true;
}

/* Up to five digits: a port, or at least nothing a token could be. */
static bool port_shown(const char *p, size_t n)
{
    if (n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

static bool port_ok(const char *p, size_t n)
{
    unsigned long v = 0;
    if (n == 0 || n > 5 || p[0] == '0') /* 1..65535, written plainly */
        return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/* http(s), a host, an optional numeric port, and nothing a request line
 * could not carry (spaces, control characters). */
bool conf_url_ok(const char *u)
{
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return false;
    size_t sl, hl;
    const char *h = conf_url_host(u, &sl, &hl);
    if (h == NULL || !((sl == 4 && strncasecmp(u, "http", 4) == 0) ||
                       (sl == 5 && strncasecmp(u, "https", 5) == 0)))
        return false;
    size_t name_end = 0;
    if (hl > 0 && h[0] == '[') { /* [IPv6] */
        const char *close = memchr(h, ']', hl);
        if (close == NULL || close == h + 1)
            return false;
        name_end = (size_t)(close - h) + 1;
    } else {
        while (name_end < hl && h[name_end] != ':')
            name_end++;
        if (name_end == 0)
            return false;
    }
    if (name_end == hl)
        return true;
    return h[name_end] == ':' && port_ok(h + name_end + 1, hl - name_end - 1);
}

/* Always appends "/<redacted>", even to a URL with no path, so that the
 * output does not tell whether there was one. Each part is shown only when
 * it is well formed (a scheme, a host name, a port number), so that a
 * secret in the wrong place ("https://host:TOKEN/", a password holding a
 * '/') is never shown as if it were a host or a port. */
void conf_redact_url(const char *url, strbuf *out)
{
    size_t sl = 0, hl = 0;
    const char *host = url ? conf_url_host(url, &sl, &hl) : NULL;
    if (host == NULL || !scheme_shown(url, sl)) {
        strbuf_puts(out, "<redacted>");
        return;
    }
    strbuf_append(out, url, sl);
    strbuf_puts(out, "://");
    if (conf_url_userinfo_unsure(url)) {
        strbuf_puts(out, "<redacted>/<redacted>");
        return;
    }
    size_t name_end = 0;
    if (hl > 0 && host[0] == '[') {
        const char *close = memchr(host, ']', hl);
        name_end = close != NULL ? (size_t)(close - host) + 1 : hl;
    } else {
        while (name_end < hl && host[name_end] != ':')
            name_end++;
    }
    if (host_shown(host, name_end))
        strbuf_append(out, host, name_end);
    else
        strbuf_puts(out, "<redacted>");
    if (name_end < hl) {
        const char *port = host + name_end + 1;
        size_t plen = hl - name_end - 1;
        strbuf_putc(out, ':');
        if (host[name_end] == ':' && port_shown(port, plen))
            strbuf_append(out, port, plen);
        else
            strbuf_puts(out, "<redacted>");
    }
    strbuf_puts(out, "/<redacted>");
}

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
