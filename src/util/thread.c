#include "util/thread.h"

#include <signal.h>

int thread_start(pthread_t *t, const char *name, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* inherited by the new thread */
    int rc = pthread_create(t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc == 0)
        pthread_setname_np(*t, name); /* a name is a courtesy: failure is harmless */
    return rc;
}
