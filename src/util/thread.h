/*
 * The library's own threads (the async writer, the flusher, the SIGHUP
 * control thread, the webhook sender) start with every signal blocked:
 * the application's signals must go to the application's threads, and
 * none may reach one of ours before it sets its own mask.
 */
#ifndef METALOG_THREAD_H
#define METALOG_THREAD_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread; the
 * caller's mask is left as it was. The thread is named (at most 15
 * bytes) so that top -H, ps -L, gdb and perf tell an operator which of
 * the process's threads is the library's, and what it does. Returns
 * pthread_create's result. */
int thread_start(pthread_t *t, const char *name, void *(*fn)(void *), void *arg);

#endif
