/*
 * The webhook URL, in one place: what a valid URL is, and the redacted
 * form that messages and "metalog-check --print" show instead of it
 * (conf_redact_url, declared in config.h for the webhook handler). A URL
 * often carries a token in its userinfo, path or query.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/config_url.h"

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
