#include "testhelp.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

char *th_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl;
    if (asprintf(&tmpl, "%s/metalog-test-XXXXXX", base && *base ? base : "/tmp") < 0)
        ck_abort_msg("out of memory");
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    return tmpl;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void th_tmpdir_remove(char *dir)
{
    if (dir == NULL)
        return;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

char *th_path(const char *dir, const char *name)
{
    char *p;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        ck_abort_msg("out of memory");
    return p;
}

char *th_write_file(const char *dir, const char *name, const char *text)
{
    char *path = th_path(dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

char *th_config(const char *dir, const char *fmt, ...)
{
    va_list ap;
    char *text;
    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    ck_assert_int_ge(n, 0);
    /* Replace every @D@ with the directory. */
    size_t dlen = strlen(dir);
    char *out = malloc(strlen(text) * (dlen + 1) + 1);
    char *o = out;
    for (const char *s = text; *s;) {
        if (strncmp(s, "@D@", 3) == 0) {
            memcpy(o, dir, dlen);
            o += dlen;
            s += 3;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    char *path = th_write_file(dir, "metalog.yaml", out);
    free(text);
    free(out);
    return path;
}

char *th_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

size_t th_count_lines(const char *path)
{
    size_t len;
    char *s = th_read(path, &len);
    if (s == NULL)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\n';
    free(s);
    return n;
}

json_object **th_json_lines(const char *path, size_t *n)
{
    size_t len;
    char *s = th_read(path, &len);
    ck_assert_msg(s != NULL, "cannot read %s", path);
    size_t cap = 16;
    json_object **out = malloc(cap * sizeof *out);
    *n = 0;
    char *line = s;
    for (char *nl; (nl = memchr(line, '\n', (size_t)(s + len - line))) != NULL; line = nl + 1) {
        *nl = '\0';
        enum json_tokener_error err;
        json_object *o = json_tokener_parse_verbose(line, &err);
        ck_assert_msg(o != NULL && json_object_is_type(o, json_type_object),
                      "line %zu of %s is not a JSON object: %.200s", *n + 1, path, line);
        if (*n == cap) {
            cap *= 2;
            out = realloc(out, cap * sizeof *out);
        }
        out[(*n)++] = o;
    }
    ck_assert_msg(line == s + len, "%s ends with a partial line", path);
    free(s);
    return out;
}

void th_json_lines_free(json_object **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_object_put(lines[i]);
    free(lines);
}

json_object *th_json_line(const char *path, size_t i)
{
    size_t n;
    json_object **lines = th_json_lines(path, &n);
    json_object *o = NULL;
    if (i < n)
        o = json_object_get(lines[i]);
    th_json_lines_free(lines, n);
    return o;
}

const char *th_jstr(json_object *obj, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static int saved_stdout = -1;
static char capture_path[64];

void th_capture_begin(void)
{
    fflush(stdout);
    strcpy(capture_path, "/tmp/metalog-capture-XXXXXX");
    int fd = mkstemp(capture_path);
    ck_assert_int_ge(fd, 0);
    saved_stdout = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);
}

char *th_capture_end(void)
{
    fflush(stdout);
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    saved_stdout = -1;
    char *s = th_read(capture_path, NULL);
    unlink(capture_path);
    return s;
}

char **th_lines(const char *path, size_t *n, size_t **lens)
{
    size_t len;
    char *s = th_read(path, &len);
    ck_assert_msg(s != NULL, "cannot read %s", path);
    size_t cap = 16;
    char **out = malloc(cap * sizeof *out);
    size_t *lv = malloc(cap * sizeof *lv);
    *n = 0;
    char *line = s;
    for (char *nl; (nl = memchr(line, '\n', (size_t)(s + len - line))) != NULL; line = nl + 1) {
        if (*n == cap) {
            cap *= 2;
            out = realloc(out, cap * sizeof *out);
            lv = realloc(lv, cap * sizeof *lv);
        }
        size_t l = (size_t)(nl - line);
        out[*n] = malloc(l + 1);
        memcpy(out[*n], line, l);
        out[*n][l] = '\0';
        lv[(*n)++] = l;
    }
    ck_assert_msg(line == s + len, "%s ends with a partial line", path);
    free(s);
    if (lens)
        *lens = lv;
    else
        free(lv);
    return out;
}

void th_lines_free(char **lines, size_t n, size_t *lens)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(lens);
}

json_object *th_json_strict(const char *line, size_t len)
{
    json_tokener *tok = json_tokener_new();
    ck_assert_ptr_nonnull(tok);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, line, (int)len);
    /* Only a complete object that uses every byte counts. */
    if (o != NULL &&
        (json_tokener_get_error(tok) != json_tokener_success ||
         json_tokener_get_parse_end(tok) != len || !json_object_is_type(o, json_type_object))) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

long long th_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_size;
}

int th_jint(json_object *obj, const char *key, long long *out)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return 0;
    *out = (long long)json_object_get_int64(v);
    return 1;
}

int th_jhas(json_object *obj, const char *key)
{
    return json_object_object_get_ex(obj, key, NULL) ? 1 : 0;
}

/* The length of the well-formed UTF-8 sequence at p (n bytes left), or 0
 * (Unicode table 3-7: no overlongs, surrogates or values past U+10FFFF). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    if (len == 0 || len > n)
        return 0;
    unsigned lo = 0x80, hi = 0xbf; /* the second byte's range */
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

char *th_utf8_repair(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_len((const unsigned char *)s + i, n - i);
        if (len == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(o, s + i, len);
            o += len;
            i += len;
        }
    }
    *o = '\0';
    return out;
}

void th_assert_no_controls(const char *s, size_t n, int newline_ok)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        ck_assert_msg(!((c < 0x20 && !(newline_ok && c == '\n')) || c == 0x7f),
                      "raw control byte 0x%02x at offset %zu", c, i);
    }
}

size_t th_count(const char *s, const char *sub)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, sub)) != NULL; p += strlen(sub))
        n++;
    return n;
}

json_object *th_json_line_strict(const char *path, size_t i, char **raw)
{
    size_t n, *lens;
    char **lines = th_lines(path, &n, &lens);
    ck_assert_msg(i < n, "wanted line %zu of %zu in %s", i, n, path);
    json_object *o = th_json_strict(lines[i], lens[i]);
    ck_assert_msg(o != NULL, "line %zu of %s is not strict UTF-8 JSON: %.300s", i + 1, path,
                  lines[i]);
    if (raw != NULL)
        *raw = strdup(lines[i]);
    th_lines_free(lines, n, lens);
    return o;
}

char *th_events(const char *path, int with_logger)
{
    char *out = calloc(1, 1);
    if (th_file_size(path) <= 0)
        return out;
    size_t n, len = 0;
    json_object **r = th_json_lines(path, &n);
    for (size_t i = 0; i < n; i++) {
        const char *lg = th_jstr(r[i], "logger"), *ev = th_jstr(r[i], "event");
        ck_assert(lg != NULL && ev != NULL);
        if (strcmp(lg, "metalog") == 0)
            continue;
        out = realloc(out, len + strlen(lg) + strlen(ev) + 3);
        len += (size_t)sprintf(out + len, "%s%s%s%s", len ? "," : "", with_logger ? lg : "",
                               with_logger ? "/" : "", ev);
    }
    th_json_lines_free(r, n);
    return out;
}

/* A quoted logfmt value at p (p[0] is the quote) unescaped into out;
 * *used gets the bytes read. */
static void read_quoted(const char *p, char *out, size_t *used)
{
    static const char hexd[] = "0123456789abcdef";
    size_t n = 0, i = 1;
    for (; p[i] != '"'; i++) {
        ck_assert_msg(p[i] != '\0', "unterminated quoted value");
        if (p[i] != '\\') {
            out[n++] = p[i];
            continue;
        }
        char e = p[++i];
        if (e == 'n' || e == 'r' || e == 't') {
            out[n++] = e == 'n' ? '\n' : e == 'r' ? '\r' : '\t';
        } else if (e == 'x' || e == 'u') {
            if (e == 'u') { /* only \u00XX, the C1 controls */
                ck_assert(p[i + 1] == '0' && p[i + 2] == '0');
                i += 2;
            }
            const char *h1 = p[i + 1] ? strchr(hexd, p[i + 1]) : NULL;
            const char *h2 = h1 && p[i + 2] ? strchr(hexd, p[i + 2]) : NULL;
            ck_assert_msg(h1 && h2, "bad hex escape");
            unsigned c = (unsigned)(h1 - hexd) * 16 + (unsigned)(h2 - hexd);
            i += 2;
            if (c >= 0x80) /* U+0080..U+009F in UTF-8 */
                out[n++] = (char)0xc2;
            out[n++] = (char)c;
        } else {
            ck_assert_msg(e == '"' || e == '\\', "unknown escape \\%c", e);
            out[n++] = e;
        }
    }
    out[n] = '\0';
    *used = i + 1;
}

size_t th_logfmt_parse(const char *line, th_pair *pairs, size_t max)
{
    size_t np = 0;
    for (const char *p = line; *p;) {
        ck_assert_uint_lt(np, max);
        th_pair *pr = &pairs[np++];
        size_t klen = strcspn(p, "=");
        ck_assert_msg(p[klen] == '=' && klen < sizeof pr->key, "bad key in %.100s", p);
        memcpy(pr->key, p, klen);
        pr->key[klen] = '\0';
        p += klen + 1;
        pr->val = malloc(strlen(p) + 1);
        size_t used;
        if (*p == '"') {
            read_quoted(p, pr->val, &used);
        } else {
            used = strcspn(p, " ");
            memcpy(pr->val, p, used);
            pr->val[used] = '\0';
        }
        p += used;
        ck_assert_msg(*p == ' ' || *p == '\0', "junk after %s: %.40s", pr->key, p);
        if (*p == ' ')
            p++;
    }
    return np;
}

void th_pairs_free(th_pair *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(pairs[i].val);
}

const char *th_pair_get(const th_pair *pairs, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(pairs[i].key, key) == 0)
            return pairs[i].val;
    ck_abort_msg("no pair %s", key);
    return NULL;
}

int th_pty_begin(int *saved)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(m, 0);
    ck_assert_int_eq(grantpt(m), 0);
    ck_assert_int_eq(unlockpt(m), 0);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(s, 0);
    struct termios t;
    ck_assert_int_eq(tcgetattr(s, &t), 0);
    cfmakeraw(&t); /* no "\n" -> "\r\n" */
    ck_assert_int_eq(tcsetattr(s, TCSANOW, &t), 0);
    fflush(stdout);
    *saved = dup(STDOUT_FILENO);
    dup2(s, STDOUT_FILENO);
    close(s);
    return m;
}

char *th_pty_end(int master, int saved)
{
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    struct pollfd pfd = {master, POLLIN, 0};
    while (n < cap - 1 && poll(&pfd, 1, 500) > 0) {
        ssize_t got = read(master, buf + n, cap - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    close(master);
    return buf;
}

int th_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void th_next_path_check(void)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &a);
    do {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
        clock_gettime(CLOCK_MONOTONIC_COARSE, &b);
    } while (b.tv_sec == a.tv_sec);
}

long th_scaled(long n)
{
    const char *s = getenv("METALOG_TEST_SCALE");
    long pct = s ? atol(s) : 100;
    long v = n * (pct > 0 ? pct : 100) / 100;
    return v < 1000 ? 1000 : v;
}
