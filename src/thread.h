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
 * caller's mask is left as it was. Returns pthread_create's result. */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
