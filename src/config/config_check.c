/*
 * The value checks of the configuration: each reports its own error and
 * returns -1 (or NULL / false); see config_check.h.
 */
#include "config/config_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_url.h"
#include "record/level.h"

#define LEVEL_LIST "DEBUG, INFO, WARNING, ERROR or CRITICAL"
#define MODE_EXPECTED "expected an octal file mode such as 0640"
#define BOOL_EXPECTED "expected a boolean (true/false, yes/no, on/off)"

void conf_got(conf_ctx *x, const conf_node *v, const char *key, const char *what)
{
    strbuf d = STRBUF_INIT;
    conf_node_describe(v, &d);
    conf_errs_add(x->e, v->mark, key, "%s, got %s", what, strbuf_str(&d));
    strbuf_free(&d);
}

/* A node whose expansion failed was reported already and is skipped. */
const conf_node *conf_want_scalar(conf_ctx *x, const conf_node *v, const char *key,
                                  const char *expected)
{
    if (v->bad)
        return NULL;
    if (v->kind == CONF_NODE_SCALAR && !v->is_null)
        return v;
    conf_got(x, v, key, expected);
    return NULL;
}

/* An error that quotes the value: "unknown level "LOUD" (...)" */
static void bad_scalar(conf_ctx *x, const conf_node *v, const char *key, const char *before,
                       const char *after)
{
    strbuf d = STRBUF_INIT;
    conf_node_describe(v, &d);
    conf_errs_add(x->e, v->mark, key, "%s%s%s", before, strbuf_str(&d), after);
    strbuf_free(&d);
}

/* Whether the scalar's text is all of s (a NUL inside never matches). */
static bool text_is(const conf_node *v, const char *s)
{
    return strlen(v->text) == v->len && strcasecmp(v->text, s) == 0;
}

int conf_get_level(conf_ctx *x, const conf_node *v, const char *key, int *out)
{
    if ((v = conf_want_scalar(x, v, key, "expected a level name (" LEVEL_LIST ")")) == NULL)
        return -1;
    int lv = strlen(v->text) == v->len ? level_parse(v->text) : -1;
    if (lv < 0) {
        bad_scalar(x, v, key, "unknown level ", " (expected " LEVEL_LIST ")");
        return -1;
    }
    *out = lv;
    return 0;
}

int conf_get_bool(conf_ctx *x, const conf_node *v, const char *key, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    if ((v = conf_want_scalar(x, v, key, BOOL_EXPECTED)) == NULL)
        return -1;
    for (int i = 0; i < 3; i++) {
        if (text_is(v, yes[i]) || text_is(v, no[i])) {
            *out = text_is(v, yes[i]);
            return 0;
        }
    }
    conf_got(x, v, key, BOOL_EXPECTED);
    return -1;
}

/* One of names (case-insensitive); returns its index or -1. */
int conf_get_choice(conf_ctx *x, const conf_node *v, const char *key, const char *const *names,
                    int n, const char *list)
{
    char what[80];
    snprintf(what, sizeof(what), "expected one of %s", list);
    if ((v = conf_want_scalar(x, v, key, what)) == NULL)
        return -1;
    for (int i = 0; i < n; i++)
        if (text_is(v, names[i]))
            return i;
    snprintf(what, sizeof(what), " (expected %s)", list);
    bad_scalar(x, v, key, "unknown value ", what);
    return -1;
}

/* "must be between MIN and MAX, got -1": the text as written, unquoted
 * since it is known to be a number, and cut like any other. */
static void got_number(conf_ctx *x, const conf_node *v, const char *key, const char *what)
{
    strbuf d = STRBUF_INIT;
    if (v->secret)
        strbuf_puts(&d, CONF_NOT_SHOWN_VALUE);
    else
        conf_excerpt(&d, v->text, v->len, false);
    conf_errs_add(x->e, v->mark, key, "%s, got %s", what, strbuf_str(&d));
    strbuf_free(&d);
}

static void range_error(conf_ctx *x, const conf_node *v, const char *key, uint64_t min,
                        uint64_t max)
{
    char what[80];
    snprintf(what, sizeof(what), "must be between %llu and %llu", (unsigned long long)min,
             (unsigned long long)max);
    got_number(x, v, key, what);
}

/* Decimal digits with an optional sign; quoted numbers are accepted too,
 * since a value from ${VAR} is always text. */
int conf_get_uint(conf_ctx *x, const conf_node *v, const char *key, uint64_t min, uint64_t max,
                  uint64_t *out)
{
    if ((v = conf_want_scalar(x, v, key, "expected an integer")) == NULL)
        return -1;
    const char *s = v->text;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    size_t digits = strspn(s, "0123456789");
    if (digits == 0 || s + digits != v->text + v->len) {
        conf_got(x, v, key, "expected an integer");
        return -1;
    }
    uint64_t n = 0;
    bool over = false;
    for (size_t i = 0; i < digits; i++) {
        if (n > (UINT64_MAX - 9) / 10)
            over = true;
        n = n * 10 + (uint64_t)(s[i] - '0');
    }
    if (over || (neg && n != 0) || n < min || n > max) {
        range_error(x, v, key, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

/* Octal whatever the YAML version: YAML 1.1 reads 0640 as octal, 1.2 as
 * decimal 640, and people write both meaning rw-r-----. "0o640" is the
 * YAML 1.2 spelling. */
int conf_get_mode(conf_ctx *x, const conf_node *v, const char *key, mode_t *out)
{
    if ((v = conf_want_scalar(x, v, key, MODE_EXPECTED)) == NULL)
        return -1;
    const char *s = v->text;
    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        s += 2;
    size_t digits = strspn(s, "01234567");
    if (digits == 0 || s + digits != v->text + v->len) {
        conf_got(x, v, key, MODE_EXPECTED);
        return -1;
    }
    unsigned long m = 0;
    for (size_t i = 0; i < digits && m <= 0777; i++)
        m = m * 8 + (unsigned long)(s[i] - '0');
    if (m > 0777) {
        got_number(x, v, key, "must be between 0 and 0777");
        return -1;
    }
    *out = (mode_t)m;
    return 0;
}

int conf_get_string(conf_ctx *x, const conf_node *v, const char *key, const char *expected,
                    char **out)
{
    if (!v->bad && v->kind == CONF_NODE_SCALAR && v->is_null) {
        free(*out);
        *out = NULL;
        return 0;
    }
    if ((v = conf_want_scalar(x, v, key, expected)) == NULL)
        return -1;
    if (v->len == 0) {
        conf_errs_add(x->e, v->mark, key, "must not be empty");
        return -1;
    }
    if (strlen(v->text) != v->len) {
        conf_errs_add(x->e, v->mark, key, "must not contain a NUL character");
        return -1;
    }
    char *s = strdup(v->text);
    if (s == NULL) {
        x->e->oom = true;
        return -1;
    }
    free(*out);
    *out = s;
    return 0;
}

/* Never quotes the URL itself: its userinfo, path and query often hold a
 * token. The redacted form shows at most a well-formed scheme, host and
 * port. */
int conf_get_url(conf_ctx *x, const conf_node *v, const char *key, char **out)
{
    char *url = NULL;
    if (conf_get_string(x, v, key, "expected an http:// or https:// URL", &url) < 0)
        return -1;
    if (url != NULL && !conf_url_ok(url)) {
        strbuf r = STRBUF_INIT;
        conf_redact_url(url, &r);
        conf_errs_add(x->e, v->mark, key,
                      "must be an http:// or https:// URL with a host, got \"%s\"%s",
                      strbuf_str(&r),
                      conf_url_userinfo_unsure(url)
                          ? " (a '/', '?' or '#' in a user name or password must be written "
                            "%2F, %3F or %23)"
                          : "");
        strbuf_free(&r);
        free(url);
        return -1;
    }
    free(*out);
    *out = url;
    return 0;
}

/* Keys that are not plain text (a "? [a, b]" key) cannot name anything. */
bool conf_key_ok(conf_ctx *x, const conf_node *k, const char *parent)
{
    if (k->bad)
        return false;
    if (k->kind == CONF_NODE_SCALAR && strlen(k->text) == k->len)
        return true;
    conf_got(x, k, parent, "keys must be strings");
    return false;
}

static int tolower_ascii(char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : (unsigned char)c;
}

/* Edit distance with transpositions (optimal string alignment), ignoring
 * case: "log_levle" is one edit from "log_level". Names longer than the
 * buffer are too far from every setting anyway. */
size_t conf_name_distance(const char *a, const char *b)
{
    enum { MAXN = 40 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXN || lb >= MAXN)
        return (size_t)-1;
    size_t d[MAXN][MAXN];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower_ascii(a[i - 1]), cb = tolower_ascii(b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower_ascii(b[j - 2]) && tolower_ascii(a[i - 2]) == cb &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}
