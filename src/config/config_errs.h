/*
 * The errors of one configuration file, and how config code quotes text
 * in them. Errors are collected in a conf_errs and reported sorted by
 * position, so that a file with several problems reads top to bottom
 * whichever stage found them. Every message is escaped: a key or value
 * from the file cannot break the line or steer a terminal.
 */
#ifndef METALOG_CONFIG_ERRS_H
#define METALOG_CONFIG_ERRS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "util/strbuf.h"

/* One error, kept until the file is done so that they can be sorted. */
typedef struct conf_err {
    conf_mark at; /* 0:0 for errors about the whole file */
    size_t seq;   /* keeps equal positions in the order found */
    char *text;   /* "key: message" or "message" */
} conf_err;

typedef struct conf_errs {
    const char *path; /* borrowed; prefixes every line */
    conf_err *v;
    size_t n, cap;
    bool oom;
} conf_errs;

void conf_errs_init(conf_errs *e, const char *path);
/* Adds "key: message" at a mark; key may be NULL for file-level errors. */
void conf_errs_add(conf_errs *e, conf_mark at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Appends every error as "path:line:col: text\n", in file order (sorting
 * e->v in place). */
void conf_errs_flush(conf_errs *e, strbuf *out);
void conf_errs_free(conf_errs *e);

/* The most of a value a message quotes, in bytes, before "...". */
#define CONF_EXCERPT_MAX 40

/* Appends path with control characters escaped: a file name may hold
 * any byte, and a message must not steer the terminal it is shown on. */
void conf_put_path(strbuf *out, const char *path);
/* The one way config code puts text from a file or the environment into a
 * message: at most CONF_EXCERPT_MAX bytes of s (never half a UTF-8
 * character) then "..." when cut, control characters escaped, in double
 * quotes when quote is set, so that a message stays one short line
 * whatever the file held. Callers check secrecy first. */
void conf_excerpt(strbuf *out, const char *s, size_t len, bool quote);
/* conf_excerpt in quotes. */
void conf_quote(strbuf *out, const char *s, size_t len);

#endif
