/*
 * This thread's last error, for metalog_last_error(). Every public entry
 * point clears it first, so the text always describes the latest call.
 */
#ifndef METALOG_ERROR_H
#define METALOG_ERROR_H

/* Replaces this thread's error text with a copy of msg (NULL clears it). */
void error_set(const char *msg);
void error_setf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error_clear(void);
const char *error_get(void);

#endif
