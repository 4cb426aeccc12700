/*
 * The OTLP renderer: the pieces of an ExportLogsServiceRequest in the
 * proto3 JSON mapping that OTLP/HTTP's JSON encoding uses (64-bit
 * integers and times as decimal strings, trace and span ids as lowercase
 * hex, field names in lowerCamelCase):
 *
 *   {"resourceLogs":[{"resource":{"attributes":[KV...]},"scopeLogs":[
 *     {"scope":{"name":LOGGER},"logRecords":[LOGRECORD,...]}, ...]}]}
 *
 * A LogRecord is rendered on the log call's thread, the request around
 * its records by the handler's sender (handler_otlp.c). Every string is
 * JSON-escaped with invalid UTF-8 repaired, so a body is always valid
 * JSON whatever the application logged.
 */
#ifndef METALOG_RENDER_OTLP_H
#define METALOG_RENDER_OTLP_H

#include <stddef.h>

#include "record/record.h"
#include "util/strbuf.h"

/* OpenTelemetry's SeverityNumber: DEBUG 5, INFO 9, WARNING 13, ERROR 17,
 * CRITICAL 21 (the first of each range); a level between two takes the
 * lower one's. */
int render_otlp_severity(int level);

/* The LogRecord object for r (no separator, no newline). */
void render_otlp_record(const record *r, strbuf *out);

typedef enum otlp_value_kind {
    OTLP_STRING = 0,
    OTLP_INT,    /* text: a decimal int64 */
    OTLP_DOUBLE, /* text: a finite decimal */
    OTLP_BOOL    /* text: "true" or "false" */
} otlp_value_kind;

/* A KeyValue, {"key":K,"value":{...}}, for a value given as checked text
 * (the resource's attributes, from the configuration). */
void render_otlp_attr(strbuf *out, const char *key, otlp_value_kind kind, const char *text);

/* {"scope":{"name":LOGGER},"logRecords":[ ... and its end. */
void render_otlp_scope_open(strbuf *out, const char *logger, size_t len);
#define RENDER_OTLP_SCOPE_CLOSE "]}"

#endif
