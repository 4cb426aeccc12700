/*
 * A journald entry of "handlers:":
 *
 *   - type: journald
 *     socket: /run/systemd/journal/socket   # the default
 *
 * The socket must be an absolute path that fits a unix socket address:
 * a relative one would be resolved against whatever directory the
 * program is in when it sends, which is not what anyone means.
 */
#include "config/config_journald.h"

#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

const char *const conf_journald_keys[CONF_JOURNALD_NKEYS] = {"socket"};

/* sun_path holds the path and its NUL. */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

int conf_journald_key(conf_ctx *x, conf_handler *h, const conf_pair *p, const char *path)
{
    if (strcmp(p->key->text, "socket") != 0)
        return 0;
    char *s = NULL;
    h->path_mark = p->key->mark;
    if (conf_get_string(x, p->value, path, "expected the journal's socket path", &s) != 0)
        return 1;
    if (s == NULL) { /* null: the default */
        free(h->socket_path);
        h->socket_path = NULL;
        return 1;
    }
    if (s[0] != '/') {
        conf_errs_add(x->e, p->value->mark, path,
                      "must be an absolute path (journald's is " CONF_JOURNALD_SOCKET ")");
        free(s);
    } else if (strlen(s) > SOCKET_PATH_MAX) {
        conf_errs_add(x->e, p->value->mark, path,
                      "too long for a unix socket address (at most %zu bytes)", SOCKET_PATH_MAX);
        free(s);
    } else {
        free(h->socket_path);
        h->socket_path = s;
    }
    return 1;
}

void conf_journald_finish(conf_ctx *x, conf_handler *h)
{
    if (h->socket_path == NULL && (h->socket_path = strdup(CONF_JOURNALD_SOCKET)) == NULL)
        x->e->oom = true;
}
