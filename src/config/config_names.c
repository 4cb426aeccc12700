/*
 * The YAML names of the configuration's enums (config.h), one copy for
 * the parsers, the printer and the handler stats. Here rather than in
 * config.c so that the handlers: parser, which config.c calls, does not
 * call back into it.
 */
#include "config/config.h"

const char *const conf_handler_type_names[] = {"file",   "console",  "webhook",
                                                "syslog", "journald", "otlp"};
const char *const conf_format_names[] = {"json", "text", "console"};

/* As many names as the enums have values. */
_Static_assert(CONF_HANDLER_OTLP + 1 == CONF_HANDLER_TYPES, "a handler type not counted");
_Static_assert(sizeof conf_handler_type_names / sizeof *conf_handler_type_names ==
                   CONF_HANDLER_TYPES,
               "a handler type without a name");
_Static_assert(CONF_FORMAT_CONSOLE + 1 == CONF_FORMATS, "a format not counted");
_Static_assert(sizeof conf_format_names / sizeof *conf_format_names == CONF_FORMATS,
               "a format without a name");

const char *const conf_colors_names[3] = {"auto", "always", "never"};
const char *const conf_stream_names[2] = {"stdout", "stderr"};
