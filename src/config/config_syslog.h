/*
 * The keys of a syslog entry of "handlers:" (config_syslog.c), judged by
 * config_handlers.c:
 *
 *   - type: syslog
 *     address: tcp://127.0.0.1:601   # unix://PATH | udp://HOST:PORT | tcp://HOST:PORT
 *     facility: local0
 *     app_name: trading_bot
 *     queue_size: 10000
 *     timeout_seconds: 5
 *     shutdown_timeout_seconds: 5
 */
#ifndef METALOG_CONFIG_SYSLOG_H
#define METALOG_CONFIG_SYSLOG_H

#include "config/config.h"
#include "config/config_check.h"
#include "config/config_node.h"

#define CONF_SYSLOG_NKEYS 6
extern const char *const conf_syslog_keys[CONF_SYSLOG_NKEYS];

/* The address used when none is written. */
#define CONF_SYSLOG_DEFAULT_ADDRESS "unix:///dev/log"

void conf_syslog_defaults(conf_syslog *s);
void conf_syslog_free(conf_syslog *s);

/* One key of a syslog entry into s: 1 when it was a syslog key (judged,
 * errors reported), 0 when not (nothing reported). A relative unix://
 * path is resolved against x->c->anchor, like a log file's. *addr_mark
 * gets the mark of the address key. */
int conf_syslog_key(conf_ctx *x, conf_syslog *s, const conf_pair *p, const char *path,
                    conf_mark *addr_mark);

/* "user" for 1, ...; "?" out of range. */
const char *conf_syslog_facility_name(int code);

/* The entry's syslog keys, one per line at indent, strings written by
 * quote (YAML double-quoted). app_name only when written: its default is
 * the name of whichever program loads the file. */
void conf_syslog_print(const conf_syslog *s, strbuf *out, const char *indent,
                       void (*quote)(strbuf *, const char *));

#endif
