/*
 * Helpers shared by the Check suites: scratch directories, config files
 * written on the fly, reading a log back line by line and parsing each
 * line with json-c, and capturing what the library writes to stdout.
 */
#ifndef METALOG_TESTHELP_H
#define METALOG_TESTHELP_H

#include <check.h>
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

/* Waits until CLOCK_MONOTONIC_COARSE has moved to a new second, so that
 * a file handler's next write checks its path (it does so once a second). */
void th_next_path_check(void);

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

/* s with every byte that does not start a well-formed UTF-8 sequence
 * replaced by U+FFFD, as the renderers must repair it (malloc'd). */
char *th_utf8_repair(const char *s);

/* Fails the test on a raw control byte in s: below 0x20 (except '\n'
 * when newline_ok) or 0x7f. */
void th_assert_no_controls(const char *s, size_t n, int newline_ok);

/* How many times sub occurs in s, without overlaps. */
size_t th_count(const char *s, const char *sub);

/* Line i of path, which must be a strict UTF-8 JSON object (the test fails
 * otherwise); its raw text in *raw when raw is not NULL (malloc'd). The
 * caller puts the result. */
json_object *th_json_line_strict(const char *path, size_t i, char **raw);

/* The events of the records in path, joined by ',', the library's own
 * records (logger "metalog") left out; with_logger writes each as
 * "logger/event". "" when the file is missing or empty (malloc'd). */
char *th_events(const char *path, int with_logger);

/* A logfmt key=value pair read back, the value unquoted and unescaped. */
typedef struct th_pair {
    char key[64];
    char *val;
} th_pair;

/* Splits a logfmt line into at most max pairs (the test fails on anything
 * else); returns how many. Free the values with th_pairs_free. */
size_t th_logfmt_parse(const char *line, th_pair *pairs, size_t max);
void th_pairs_free(th_pair *pairs, size_t n);
/* The value of key (the test fails when there is none). */
const char *th_pair_get(const th_pair *pairs, size_t n, const char *key);

/* Points stdout at a new raw-mode pseudo-terminal and returns its master;
 * th_pty_end puts stdout back (from *saved) and returns what was written. */
int th_pty_begin(int *saved);
char *th_pty_end(int master, int saved);

/* n shrunk to METALOG_TEST_SCALE percent (unset: 100), at least 1000:
 * the size of the big runs in slow builds (valgrind, sanitizers). */
long th_scaled(long n);

/* Runs the suite (each test in a process of its own unless CK_FORK=no)
 * and returns main's exit status. */
int th_run_suite(Suite *s);

#endif
