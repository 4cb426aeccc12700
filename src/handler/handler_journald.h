/*
 * The journald handler: each record as one entry of the systemd journal,
 * sent over the journal's native protocol (no libsystemd).
 */
#ifndef METALOG_HANDLER_JOURNALD_H
#define METALOG_HANDLER_JOURNALD_H

#include <stddef.h>

#include "handler/handler.h"
#include "record/record.h"
#include "util/strbuf.h"

/* Sends to the journal's socket at path (absolute). Opening never needs
 * journald: a socket that is missing now is looked up again at every
 * record, so records flow once journald (re)starts, without reload. On
 * failure returns NULL and appends the reason to err. */
handler *journaldh_new(const char *path, strbuf *err);

/* The native-protocol payload of r: "KEY=value\n" fields, a value holding
 * a newline as "KEY\n<64-bit LE length><bytes>\n". Appended to out (its
 * failed flag set when out of memory). */
void journald_payload(const record *r, strbuf *out);

/* A field key as a journal field name, into name (at least
 * JOURNALD_NAME_MAX + 1 bytes, NUL-terminated); returns its length.
 * Uppercased, bytes outside [A-Z0-9_] made '_', a name starting with '_'
 * or a digit (or empty) prefixed "F_", cut at JOURNALD_NAME_MAX (journald
 * drops longer names, and the field with them). */
#define JOURNALD_NAME_MAX 64
size_t journald_field_name(const char *key, char *name);

#endif
