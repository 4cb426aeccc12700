/*
 * The keys of a syslog entry of "handlers:" (config_syslog.c), judged by
 * config_handlers.c:
 *
 *   - type: syslog
 *     address: tls://logs.example.com:6514   # unix://PATH | udp:// | tcp:// | tls://HOST:PORT
 *     facility: local0
 *     app_name: trading_bot
 *     queue_size: 10000
 *     timeout_seconds: 5
 *     shutdown_timeout_seconds: 5
 *     ca_file: ca.pem          # tls:// only, as are the four below
 *     cert_file: client.pem    # with key_file, or neither
 *     key_file: client.key
 *     verify: true
 *     server_name: logs.example.com
 */
#ifndef METALOG_CONFIG_SYSLOG_H
#define METALOG_CONFIG_SYSLOG_H

#include "config/config.h"
#include "config/config_check.h"
#include "config/config_node.h"

#define CONF_SYSLOG_NKEYS 11
#define CONF_SYSLOG_TLS_KEY0 6 /* the first of the CONF_SYSLOG_TLS_NKEYS TLS keys */
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

/* Once the entry's keys are read (address may come after the TLS keys):
 * a TLS key without a tls:// address, a certificate without its key or
 * the reverse, and a file that cannot be read are errors at the key's
 * value. label names the entry ("handlers[N]"). */
void conf_syslog_finish(conf_ctx *x, conf_syslog *s, const char *label);

/* "user" for 1, ...; "?" out of range. */
const char *conf_syslog_facility_name(int code);

/* The entry's syslog keys, one per line at indent, strings written by
 * quote (YAML double-quoted). app_name only when written: its default is
 * the name of whichever program loads the file. The TLS keys only for
 * tls://, the files as written (and only those written). */
void conf_syslog_print(const conf_syslog *s, strbuf *out, const char *indent,
                       void (*quote)(strbuf *, const char *));

#endif
