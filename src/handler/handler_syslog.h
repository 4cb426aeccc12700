/*
 * The syslog handler: RFC 5424 messages (render/render_syslog.h) to a
 * unix datagram socket, a UDP port or a TCP port (octet-counting framing,
 * RFC 6587 3.4.1), without ever making a log call wait on a socket.
 *
 * A log call formats the message on its own thread and appends it to the
 * handler's bounded queue; a full queue refuses it (the pipeline counts
 * and reports the loss once, and the recovery once). Each handler has a
 * sender thread that connects, sends, and after a failure reconnects with
 * exponential backoff (100 ms doubling to 30 s), reporting an outage once
 * and its end once. Freeing the handler (a reload, metalog_shutdown)
 * delivers what is queued within shutdown_timeout_seconds; what is left
 * then is counted lost (metalog_stats.write_errors) and reported.
 */
#ifndef METALOG_HANDLER_SYSLOG_H
#define METALOG_HANDLER_SYSLOG_H

#include "config/config.h"
#include "handler/handler.h"
#include "util/strbuf.h"

/* The most bytes of one message: a UDP datagram is cut there (RFC 5426
 * asks receivers for at least 2048; 8192 is what rsyslog takes by
 * default); unix and TCP messages may be longer. Cutting is not a loss:
 * the record goes out, shortened at a character boundary. */
#define SYSLOGH_UDP_MAX 8192
#define SYSLOGH_STREAM_MAX 65536

/* Builds the handler of one pipeline entry and starts its sender thread
 * (which connects at the first message). On failure returns NULL with
 * the reason in why. */
handler *syslogh_new(const conf_syslog *s, strbuf *why);

#endif
