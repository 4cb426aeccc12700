#include "util/error.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/tls.h"

/* The text lives in a heap buffer per thread, released by a key destructor
 * when the thread exits, so error lists of any length fit. */
static __thread strbuf *error_buf;
/* A failure whose text could not be kept (no buffer): still a failure,
 * which metalog_last_error must not report as "". */
static __thread bool error_lost;

static void error_buf_free(void *p)
{
    strbuf_free(p);
    free(p);
}

static tls_key error_key = TLS_KEY_INIT(error_buf_free);


static strbuf *error_buf_get(void)
{
    if (error_buf == NULL) {
        error_buf = calloc(1, sizeof *error_buf);
        if (error_buf != NULL)
            tls_key_set(&error_key, error_buf);
    }
    return error_buf;
}

void error_set(const char *msg)
{
    strbuf *sb = error_buf_get();
    error_lost = sb == NULL;
    if (sb == NULL)
        return;
    strbuf_reset(sb);
    if (msg != NULL)
        strbuf_puts(sb, msg);
}

void error_setf(const char *fmt, ...)
{
    strbuf *sb = error_buf_get();
    error_lost = sb == NULL;
    if (sb == NULL)
        return;
    strbuf_reset(sb);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void error_clear(void)
{
    error_lost = false;
    if (error_buf != NULL)
        strbuf_reset(error_buf);
}

const char *error_get(void)
{
    if (error_lost)
        return "out of memory while describing the error";
    if (error_buf == NULL)
        return "";
    if (error_buf->failed)
        return "out of memory while describing the error";
    return strbuf_str(error_buf);
}
