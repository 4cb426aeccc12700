/*
 * Webhook URLs: checking one, and finding its parts without showing any
 * secret (see config_url.c). conf_redact_url is in config.h.
 */
#ifndef METALOG_CONFIG_URL_H
#define METALOG_CONFIG_URL_H

#include <stdbool.h>
#include <stddef.h>

/* The host[:port] of a "scheme://[userinfo@]host[:port]/..." URL, or
 * NULL when url does not start with a scheme and "://". *scheme_len and
 * *host_len get the lengths of the scheme and of the returned
 * host[:port]. */
const char *conf_url_host(const char *url, size_t *scheme_len, size_t *host_len);
/* Whether an '@' follows the authority of url: then what looks like the
 * host may be the start of a user name and password holding a '/', '?'
 * or '#', and nothing of it may be shown. */
bool conf_url_userinfo_unsure(const char *url);
/* An http or https URL with a host, an optional port 1..65535, and no
 * space or control character. */
bool conf_url_ok(const char *url);

#endif
