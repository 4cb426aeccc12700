/*
 * The syslog handler's keys: where messages go (address), the facility of
 * their PRI, the APP-NAME, the sender's queue and deadlines, and for
 * tls:// the files and names of the TLS session. Every check reports at
 * the value's line and column and the walk goes on.
 */
#include "config/config_syslog.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/config_errs.h"
#include "config/config_node.h"

const char *const conf_syslog_keys[CONF_SYSLOG_NKEYS] = {
    "address",    "facility",        "app_name",
    "queue_size", "timeout_seconds", "shutdown_timeout_seconds",
    /* CONF_SYSLOG_TLS_KEY0: tls:// only */
    "ca_file",    "cert_file",       "key_file", "verify", "server_name",
};

enum { TLS_CA, TLS_CERT, TLS_KEY, TLS_VERIFY, TLS_SERVER_NAME };

/* RFC 5424 table 1, by code. */
static const char *const facility_names[] = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};
#define NFACILITIES ((int)(sizeof(facility_names) / sizeof(facility_names[0])))

/* APP-NAME is at most 48 printable US-ASCII characters (RFC 5424 6.2.5). */
#define APP_NAME_MAX 48

static const struct {
    const char *name;
    size_t off;
    uint64_t min, max;
} numbers[] = {
    {"queue_size", offsetof(conf_syslog, queue_size), 1, 100000},
    {"timeout_seconds", offsetof(conf_syslog, timeout_seconds), 1, 300},
    {"shutdown_timeout_seconds", offsetof(conf_syslog, shutdown_timeout_seconds), 0, 300},
};

void conf_syslog_defaults(conf_syslog *s)
{
    memset(s, 0, sizeof(*s));
    s->transport = CONF_SYSLOG_UNIX;
    s->facility = 1;
    s->queue_size = 10000;
    s->timeout_seconds = 5;
    s->shutdown_timeout_seconds = 5;
    s->verify = true;
}

void conf_syslog_free(conf_syslog *s)
{
    free(s->address);
    free(s->host);
    free(s->socket);
    free(s->app_name);
    free(s->ca_file);
    free(s->ca_path);
    free(s->cert_file);
    free(s->cert_path);
    free(s->key_file);
    free(s->key_path);
    free(s->server_name);
    s->address = s->host = s->socket = s->app_name = NULL;
    s->ca_file = s->ca_path = s->cert_file = s->cert_path = s->key_file = s->key_path = NULL;
    s->server_name = NULL;
}

const char *conf_syslog_facility_name(int code)
{
    return code >= 0 && code < NFACILITIES ? facility_names[code] : "?";
}

static void bad_value(conf_ctx *x, const conf_node *v, const char *path, const char *what)
{
    strbuf d = STRBUF_INIT;
    conf_quote(&d, v->text, v->len);
    conf_errs_add(x->e, v->mark, path, "%s, got %s", what, strbuf_str(&d));
    strbuf_free(&d);
}

#define ADDRESS_FORMS "unix://PATH, udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT"

/* A host as the schema takes it: a name or IPv4 address without the
 * characters that delimit a URL, or an IPv6 address in brackets. */
static bool host_ok(const char *h, size_t n)
{
    if (n == 0)
        return false;
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']')
            return false;
        for (size_t i = 1; i + 1 < n; i++)
            if (strchr("0123456789abcdefABCDEF:.", h[i]) == NULL || h[i] == '\0')
                return false;
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c <= 0x20 || c == 0x7f || strchr("/?#:@[]", c) != NULL)
            return false;
    }
    return true;
}

/* 1..65535, decimal, no leading zero. */
static bool port_ok(const char *p, unsigned *out)
{
    if (p[0] < '1' || p[0] > '9' || strlen(p) > 5)
        return false;
    unsigned v = 0;
    for (const char *q = p; *q != '\0'; q++) {
        if (*q < '0' || *q > '9')
            return false;
        v = v * 10 + (unsigned)(*q - '0');
    }
    if (v > 65535)
        return false;
    *out = v;
    return true;
}

static void get_address(conf_ctx *x, conf_syslog *s, const conf_node *v, const char *path)
{
    char *text = NULL;
    if (conf_get_string(x, v, path, "expected an address (" ADDRESS_FORMS ")", &text) < 0 ||
        text == NULL)
        return;
    const char *sep = strstr(text, "://");
    size_t slen = sep != NULL ? (size_t)(sep - text) : 0;
    const char *rest = sep != NULL ? sep + 3 : NULL;
    conf_syslog parsed = {0};
    if (sep != NULL && slen == 4 && strncasecmp(text, "unix", 4) == 0) {
        bool ctl = false;
        for (const char *q = rest; *q != '\0'; q++)
            ctl |= (unsigned char)*q < 0x20 || *q == 0x7f;
        if (rest[0] == '\0' || ctl) {
            bad_value(x, v, path, "expected unix://PATH with a socket path");
        } else if (strlen(rest) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            conf_errs_add(x->e, v->mark, path, "a socket path is at most %zu bytes",
                          sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        } else {
            parsed.transport = CONF_SYSLOG_UNIX;
            if ((parsed.socket = conf_resolve(x->c->anchor, rest)) == NULL)
                x->e->oom = true;
            else if (strlen(parsed.socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                conf_errs_add(x->e, v->mark, path,
                              "the socket path, resolved against the directory at start, is "
                              "over %zu bytes",
                              sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
            else
                goto accept;
        }
    } else if (sep != NULL && slen == 3 &&
               (strncasecmp(text, "udp", 3) == 0 || strncasecmp(text, "tcp", 3) == 0 ||
                strncasecmp(text, "tls", 3) == 0)) {
        const char *colon = strrchr(rest, ':');
        unsigned port = 0;
        if (colon == NULL || !host_ok(rest, (size_t)(colon - rest))) {
            bad_value(x, v, path, "expected HOST:PORT after the scheme (IPv6 in brackets)");
        } else if (!port_ok(colon + 1, &port)) {
            bad_value(x, v, path, "expected a port from 1 to 65535 after the host");
        } else {
            int c0 = tolower((unsigned char)text[0]), c1 = tolower((unsigned char)text[1]);
            parsed.transport = c0 == 'u'   ? CONF_SYSLOG_UDP
                               : c1 == 'l' ? CONF_SYSLOG_TLS
                                           : CONF_SYSLOG_TCP;
            parsed.port = port;
            const char *h = rest;
            size_t hn = (size_t)(colon - rest);
            if (h[0] == '[') {
                h++;
                hn -= 2;
            }
            if ((parsed.host = strndup(h, hn)) == NULL)
                x->e->oom = true;
            else
                goto accept;
        }
    } else {
        bad_value(x, v, path, "expected " ADDRESS_FORMS);
    }
    conf_syslog_free(&parsed);
    free(text);
    return;
accept:
    conf_syslog_free(&(conf_syslog){.address = s->address, .host = s->host, .socket = s->socket});
    s->address = text;
    s->transport = parsed.transport;
    s->host = parsed.host;
    s->port = parsed.port;
    s->socket = parsed.socket;
}

static void get_facility(conf_ctx *x, conf_syslog *s, const conf_node *v, const char *path)
{
    if ((v = conf_want_scalar(x, v, path, "expected a facility name (user, local0, ...)")) == NULL)
        return;
    const char *best = NULL;
    size_t best_d = 3; /* suggest only within two edits */
    for (int i = 0; i < NFACILITIES; i++) {
        if (strcasecmp(v->text, facility_names[i]) == 0 && strlen(v->text) == v->len) {
            s->facility = i;
            return;
        }
        size_t d = conf_name_distance(v->text, facility_names[i]);
        if (d < best_d) {
            best_d = d;
            best = facility_names[i];
        }
    }
    strbuf d = STRBUF_INIT;
    conf_quote(&d, v->text, v->len);
    if (best != NULL)
        conf_errs_add(x->e, v->mark, path, "unknown facility %s (did you mean '%s'?)",
                      strbuf_str(&d), best);
    else
        conf_errs_add(x->e, v->mark, path,
                      "unknown facility %s (expected kern, user, mail, daemon, auth, syslog, "
                      "lpr, news, uucp, cron, authpriv, ftp, ntp, audit, alert, clock or "
                      "local0 to local7)",
                      strbuf_str(&d));
    strbuf_free(&d);
}

static void get_app_name(conf_ctx *x, conf_syslog *s, const conf_node *v, const char *path)
{
    char *text = NULL;
    if (conf_get_string(x, v, path, "expected an application name", &text) < 0)
        return;
    bool ok = text == NULL || (strlen(text) >= 1 && strlen(text) <= APP_NAME_MAX);
    for (const char *q = text; ok && *q != '\0'; q++)
        ok = *q >= '!' && *q <= '~';
    if (!ok) {
        bad_value(x, v, path,
                  "an app_name is 1 to 48 printable ASCII characters, without spaces");
        free(text);
        return;
    }
    free(s->app_name);
    s->app_name = text;
}

/* A name the server's certificate must carry: a DNS name or an IP
 * address, at most 253 printable ASCII characters without spaces. */
static void get_server_name(conf_ctx *x, conf_syslog *s, const conf_node *v, const char *path)
{
    char *text = NULL;
    if (conf_get_string(x, v, path, "expected a server name", &text) < 0)
        return;
    bool ok = text == NULL || strlen(text) <= 253;
    for (const char *q = text; ok && *q != '\0'; q++)
        ok = *q >= '!' && *q <= '~' && strchr("/?#@[]\"\\", *q) == NULL;
    if (!ok) {
        bad_value(x, v, path, "expected a DNS name or an IP address");
        free(text);
        return;
    }
    free(s->server_name);
    s->server_name = text;
}

/* A PEM file's path as written and resolved against the anchor like a
 * log file's; its readability is judged in conf_syslog_finish, for
 * tls:// only. */
static void get_pem_path(conf_ctx *x, char **written, char **resolved, const conf_node *v,
                         const char *path)
{
    char *text = NULL;
    if (conf_get_string(x, v, path, "expected the path of a PEM file", &text) < 0)
        return;
    free(*written);
    free(*resolved);
    *written = text;
    *resolved = NULL;
    if (text != NULL && (*resolved = conf_resolve(x->c->anchor, text)) == NULL)
        x->e->oom = true;
}

/* One TLS key; its mark is kept for conf_syslog_finish. */
static void tls_key(conf_ctx *x, conf_syslog *s, int k, const conf_node *v, const char *path)
{
    s->tls_at[k] = v->mark;
    if (s->tls_at[k].line == 0)
        s->tls_at[k].line = 1; /* "written", whatever libyaml said */
    switch (k) {
    case TLS_CA: get_pem_path(x, &s->ca_file, &s->ca_path, v, path); break;
    case TLS_CERT: get_pem_path(x, &s->cert_file, &s->cert_path, v, path); break;
    case TLS_KEY: get_pem_path(x, &s->key_file, &s->key_path, v, path); break;
    case TLS_VERIFY: conf_get_bool(x, v, path, &s->verify); break;
    default: get_server_name(x, s, v, path); break;
    }
}

int conf_syslog_key(conf_ctx *x, conf_syslog *s, const conf_pair *p, const char *path,
                    conf_mark *addr_mark)
{
    const char *name = p->key->text;
    const conf_node *v = p->value;
    if (strcmp(name, "address") == 0) {
        *addr_mark = p->key->mark;
        get_address(x, s, v, path);
    } else if (strcmp(name, "facility") == 0) {
        get_facility(x, s, v, path);
    } else if (strcmp(name, "app_name") == 0) {
        get_app_name(x, s, v, path);
    } else {
        for (int k = 0; k < CONF_SYSLOG_TLS_NKEYS; k++) {
            if (strcmp(name, conf_syslog_keys[CONF_SYSLOG_TLS_KEY0 + k]) == 0) {
                tls_key(x, s, k, v, path);
                return 1;
            }
        }
        for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
            if (strcmp(name, numbers[i].name) == 0) {
                uint64_t *field = (uint64_t *)(void *)((char *)s + numbers[i].off);
                conf_get_uint(x, v, path, numbers[i].min, numbers[i].max, field);
                return 1;
            }
        }
        return 0;
    }
    return 1;
}

/* The error of a TLS key: "handlers[1].ca_file: ...". */
static void tls_error(conf_ctx *x, const conf_syslog *s, int k, const char *label, const char *msg)
{
    strbuf key = STRBUF_INIT;
    strbuf_printf(&key, "%s.%s", label, conf_syslog_keys[CONF_SYSLOG_TLS_KEY0 + k]);
    conf_errs_add(x->e, s->tls_at[k], strbuf_str(&key), "%s", msg);
    strbuf_free(&key);
}

/* The handler reads the file when it is built; a file it could not read
 * is said here, at the key's line, by metalog-check as by metalog_init.
 * O_NONBLOCK: a FIFO in its place must not hang the loader. */
static void check_readable(conf_ctx *x, const conf_syslog *s, int k, const char *written,
                           const char *resolved, const char *label)
{
    int fd = open(resolved, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int err = fd < 0 ? errno : 0;
    struct stat st;
    bool regular = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (fd >= 0)
        close(fd);
    if (regular)
        return;
    strbuf why = STRBUF_INIT;
    strbuf_puts(&why, "cannot read ");
    conf_quote(&why, written, strlen(written));
    strbuf_printf(&why, ": %s", err != 0 ? strerror(err) : "not a regular file");
    tls_error(x, s, k, label, strbuf_str(&why));
    strbuf_free(&why);
}

void conf_syslog_finish(conf_ctx *x, conf_syslog *s, const char *label)
{
    bool tls = s->transport == CONF_SYSLOG_TLS;
    for (int k = 0; k < CONF_SYSLOG_TLS_NKEYS; k++) {
        if (s->tls_at[k].line != 0 && !tls)
            tls_error(x, s, k, label, "only with a tls:// address");
    }
    if (!tls)
        return;
    if ((s->cert_file != NULL) != (s->key_file != NULL)) {
        int k = s->cert_file != NULL ? TLS_CERT : TLS_KEY;
        tls_error(x, s, k, label,
                  k == TLS_CERT ? "needs key_file (a client certificate needs its key)"
                                : "needs cert_file (a client key needs its certificate)");
    }
    if (s->ca_path != NULL)
        check_readable(x, s, TLS_CA, s->ca_file, s->ca_path, label);
    if (s->cert_path != NULL)
        check_readable(x, s, TLS_CERT, s->cert_file, s->cert_path, label);
    if (s->key_path != NULL)
        check_readable(x, s, TLS_KEY, s->key_file, s->key_path, label);
}

void conf_syslog_print(const conf_syslog *s, strbuf *out, const char *in,
                       void (*quote)(strbuf *, const char *))
{
    strbuf_printf(out, "%saddress: ", in);
    quote(out, s->address != NULL ? s->address : CONF_SYSLOG_DEFAULT_ADDRESS);
    strbuf_printf(out, "\n%sfacility: %s\n", in, conf_syslog_facility_name(s->facility));
    if (s->app_name != NULL) {
        strbuf_printf(out, "%sapp_name: ", in);
        quote(out, s->app_name);
        strbuf_putc(out, '\n');
    }
    strbuf_printf(out, "%squeue_size: %llu\n", in, (unsigned long long)s->queue_size);
    strbuf_printf(out, "%stimeout_seconds: %llu\n", in, (unsigned long long)s->timeout_seconds);
    strbuf_printf(out, "%sshutdown_timeout_seconds: %llu\n", in,
                  (unsigned long long)s->shutdown_timeout_seconds);
    if (s->transport != CONF_SYSLOG_TLS)
        return;
    const char *const files[] = {s->ca_file, s->cert_file, s->key_file};
    for (int k = TLS_CA; k <= TLS_KEY; k++) {
        if (files[k] == NULL)
            continue;
        strbuf_printf(out, "%s%s: ", in, conf_syslog_keys[CONF_SYSLOG_TLS_KEY0 + k]);
        quote(out, files[k]);
        strbuf_putc(out, '\n');
    }
    strbuf_printf(out, "%sverify: %s\n", in, s->verify ? "true" : "false");
    if (s->server_name != NULL) {
        strbuf_printf(out, "%sserver_name: ", in);
        quote(out, s->server_name);
        strbuf_putc(out, '\n');
    }
}
