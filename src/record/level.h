/*
 * Level names: "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL" for
 * METALOG_DEBUG .. METALOG_CRITICAL, as records show them and as the
 * configuration spells them ("WARN" and "FATAL" are not accepted).
 */
#ifndef METALOG_LEVEL_H
#define METALOG_LEVEL_H

/* The level for name, case-insensitive; -1 on an unknown name. */
int level_parse(const char *name);

/* The name of level, one static string per level (callers may compare
 * the pointers); "UNKNOWN", never NULL, for a number that is not a
 * level. */
const char *level_name(int level);

#endif
