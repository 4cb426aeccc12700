/*
 * The value checks (config_check.c) used by config.c (the top-level
 * settings) and config_webhook.c (the webhook block). Each check reports its own error,
 * "path:line:col: key: message", and returns -1 (or NULL / false); the
 * setting then keeps its default and the walk goes on, so that every error
 * of a file is reported.
 */
#ifndef METALOG_CONFIG_CHECK_H
#define METALOG_CONFIG_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "config/config_errs.h"
#include "config/config_node.h"

/* The walk of one file: the conf being filled and its errors. */
typedef struct conf_ctx {
    conf *c;
    conf_errs *e;
    /* Where webhook_url and the webhook block were given, for the error
     * when a file gives both (line 0: not given). */
    conf_mark webhook_url_key;
    conf_mark webhook_block_key;
    conf_mark handlers_key;       /* line 0: no "handlers:" */
    conf_mark log_to_console_key; /* line 0: not written */
    uint64_t pattern_elements;    /* what the redact patterns so far expand to */
} conf_ctx;

/* "<what>, got <the value>", at the value. */
void conf_got(conf_ctx *x, const conf_node *v, const char *key, const char *what);

/* The scalar to judge, or NULL after reporting "expected ..., got ...". */
const conf_node *conf_want_scalar(conf_ctx *x, const conf_node *v, const char *key,
                                  const char *expected);

/* An integer in min..max (quoted digits accepted: ${VAR} gives text). */
int conf_get_uint(conf_ctx *x, const conf_node *v, const char *key, uint64_t min, uint64_t max,
                  uint64_t *out);

/* A non-empty string without NUL into *out (replacing it), or null for
 * "not set" (*out becomes NULL). */
int conf_get_string(conf_ctx *x, const conf_node *v, const char *key, const char *expected,
                    char **out);

/* An http(s) URL; its path and query never appear in the error. */
int conf_get_url(conf_ctx *x, const conf_node *v, const char *key, char **out);

/* A level name, case-insensitive, into *out (METALOG_DEBUG ..). */
int conf_get_level(conf_ctx *x, const conf_node *v, const char *key, int *out);

/* true/false, yes/no or on/off, in any case. */
int conf_get_bool(conf_ctx *x, const conf_node *v, const char *key, bool *out);

/* One of the n names (case-insensitive); returns its index, or -1 after
 * reporting the value and list ("auto, always or never"). */
int conf_get_choice(conf_ctx *x, const conf_node *v, const char *key, const char *const *names,
                    int n, const char *list);

/* An octal file mode up to 0777 ("0640" or "0o640"). */
int conf_get_mode(conf_ctx *x, const conf_node *v, const char *key, mode_t *out);

/* Whether a mapping key is plain text; reports it when not. */
bool conf_key_ok(conf_ctx *x, const conf_node *k, const char *parent);

/* Edit distance ignoring case, for "did you mean" suggestions; (size_t)-1
 * for names too long to be close to anything. */
size_t conf_name_distance(const char *a, const char *b);

#endif
