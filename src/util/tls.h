/*
 * Thread-locals that every log call reads. In the shared library the
 * default (dynamic) TLS model reaches each through a call to
 * __tls_get_addr; initial-exec reads it at a fixed offset from the thread
 * pointer, as an executable does. The price is a few bytes of the
 * process's static TLS block, of which glibc keeps a reserve for
 * libraries loaded later with dlopen: keep what carries this small.
 */
#ifndef METALOG_TLS_H
#define METALOG_TLS_H

#include <pthread.h>
#include <sys/types.h>
#include <stdatomic.h>

#define TLS_FAST __attribute__((tls_model("initial-exec")))

/* Per-thread state made on first use, kept in a __thread pointer for
 * speed and handed to release when its thread exits (a thread-specific
 * key does that; a __thread pointer alone would leak it). The key is made
 * the first time any thread sets a value, so a module that is never used
 * takes none of the process's keys. */
typedef struct tls_key {
    void (*release)(void *);
    atomic_int state; /* 0: no key yet, 1: being made, 2: made, -1: none to be had */
    pthread_key_t key;
    _Atomic pid_t maker; /* the process whose thread is making it (state 1) */
} tls_key;

#define TLS_KEY_INIT(release_fn) {.release = (release_fn)}

/* Has v released by k's function when this thread exits (v NULL: nothing
 * any more). 0, or -1 when no key could be made, or the value not set: v
 * then stays the caller's and is not released at exit. */
int tls_key_set(tls_key *k, void *v);

#endif
