/*
 * Helpers shared by the Check suites: scratch directories, config files
 * written on the fly, reading a log back line by line and parsing each
 * line with json-c, and capturing what the library writes to stdout.
 */
#ifndef METALOG_TESTHELP_H
#define METALOG_TESTHELP_H

#include <json-c/json.h>
#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp), removed by th_tmpdir_remove. */
char *th_tmpdir(void);
void th_tmpdir_remove(char *dir);

/* dir/name, malloc'd. */
char *th_path(const char *dir, const char *name);

/* Writes text to dir/name and returns the path (malloc'd). */
char *th_write_file(const char *dir, const char *name, const char *text);

/* Writes a config whose text is given printf-style, with every "@D@" in it
 * replaced by dir, and returns its path. */
char *th_config(const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The whole file, NUL-terminated (NULL if it cannot be read). *len may be
 * NULL. */
char *th_read(const char *path, size_t *len);

/* The number of '\n'-terminated lines in a file (0 if it is missing). */
size_t th_count_lines(const char *path);

/* Line i (0-based) of the file parsed with json-c, or NULL if the line is
 * missing or is not a JSON object. The caller puts the result. */
json_object *th_json_line(const char *path, size_t i);

/* Every line parsed; fails the test (ck_abort) on a line that does not
 * parse. Returns the array (caller puts) and sets *n. */
json_object **th_json_lines(const char *path, size_t *n);
void th_json_lines_free(json_object **lines, size_t n);

/* The string member key of obj, or NULL. */
const char *th_jstr(json_object *obj, const char *key);

/* Redirects stdout to a file until th_capture_end, which returns what was
 * written (malloc'd). */
void th_capture_begin(void);
char *th_capture_end(void);

/* ---- Added for the core suites ---- */

/* Every '\n'-terminated line of a file, without its '\n', as malloc'd
 * strings (a line may hold NUL bytes only if the file does; *lens gets
 * the byte lengths when not NULL). Fails the test if the file cannot be
 * read or ends with a partial line. Free with th_lines_free. */
char **th_lines(const char *path, size_t *n, size_t **lens);
void th_lines_free(char **lines, size_t n, size_t *lens);

/* line (len bytes) parsed with json-c in strict mode with UTF-8
 * validation, or NULL if it is not exactly one valid JSON object. */
json_object *th_json_strict(const char *line, size_t len);

/* The size of a file in bytes, or -1 if it does not exist. */
long long th_file_size(const char *path);

/* The integer member key of obj into *out; 0 if missing or not an int. */
int th_jint(json_object *obj, const char *key, long long *out);

/* Whether a member key exists (whatever its value, null included). */
int th_jhas(json_object *obj, const char *key);

#endif
