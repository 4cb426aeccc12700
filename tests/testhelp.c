#include "testhelp.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
