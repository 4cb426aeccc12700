/*
 * The syslog renderer: one RFC 5424 message per record,
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [metalog@32473 k="v" ...] MSG
 *
 * without framing and without a trailing newline (the transport delimits
 * messages: a datagram, or an octet count). Header fields are sanitised to
 * their printable US-ASCII alphabets and lengths, the record's fields
 * become one SD-ELEMENT, MSG is the event (then a newline and the
 * exception's text, when there is one), UTF-8 without a BOM. Invalid UTF-8
 * is repaired as U+FFFD in PARAM-VALUE and MSG, as every renderer does.
 */
#ifndef METALOG_RENDER_SYSLOG_H
#define METALOG_RENDER_SYSLOG_H

#include <stddef.h>

#include "record/record.h"
#include "util/strbuf.h"

/* The enterprise number in SD-ID metalog@32473 is the one RFC 5612
 * reserves for documentation and examples. */
#define RENDER_SYSLOG_SD_ID "metalog@32473"

typedef struct syslog_fmt {
    int facility;         /* 0..23 */
    const char *hostname; /* as given; sanitised when rendered */
    const char *app_name;
    /* The most bytes one message takes: a PARAM-VALUE is cut at an
     * eighth of it, parameters stop once the SD passes half of it, MSG
     * is cut at the rest; always at a character boundary, so what goes
     * out stays well-formed. */
    size_t max_len;
} syslog_fmt;

/* DEBUG 7, INFO 6, WARNING 4, ERROR 3, CRITICAL 2. */
int render_syslog_severity(int level);

/* Appends the message for r, from process pid, to out. */
void render_syslog(const syslog_fmt *f, long pid, const record *r, strbuf *out);

#endif
