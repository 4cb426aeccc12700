/*
 * The fork guard (fork_guard.h): a reader-writer lock of a mutex, two
 * counts and two conditions, rather than a pthread_rwlock_t, for the child's
 * sake. glibc's rwlock unlock tells a writer's unlock from a reader's by
 * the thread id it recorded, which the child's only thread does not
 * have, so the child could not let go of the rwlock fork took; a plain
 * mutex it can, like every other lock fork takes.
 */
#include "handler/fork_guard.h"

#include <pthread.h>

static pthread_mutex_t guard = PTHREAD_MUTEX_INITIALIZER;
/* inside reached 0, for a fork waiting; the forks are done, for those
 * waiting to enter. */
static pthread_cond_t guard_idle = PTHREAD_COND_INITIALIZER;
static pthread_cond_t guard_open = PTHREAD_COND_INITIALIZER;
/* Threads between enter and leave; forks waiting or under way (while
 * there is one, no one enters). */
static unsigned inside, forking;

void fork_guard_enter(void)
{
    pthread_mutex_lock(&guard);
    while (forking) /* it waits for those inside: no more come in */
        pthread_cond_wait(&guard_open, &guard);
    inside++;
    pthread_mutex_unlock(&guard);
}

void fork_guard_leave(void)
{
    pthread_mutex_lock(&guard);
    if (--inside == 0 && forking > 0)
        pthread_cond_broadcast(&guard_idle);
    pthread_mutex_unlock(&guard);
}

/* Returns with the mutex held: a thread that would enter waits on it
 * until fork_guard_release. */
void fork_guard_hold(void)
{
    pthread_mutex_lock(&guard);
    forking++;
    while (inside > 0)
        pthread_cond_wait(&guard_idle, &guard);
}

void fork_guard_release(bool child)
{
    if (child) {
        /* The parent's threads are not here: none is inside or forking,
         * and none waits on the conditions, which are made afresh. */
        inside = 0;
        forking = 0;
        pthread_cond_init(&guard_idle, NULL);
        pthread_cond_init(&guard_open, NULL);
    } else if (--forking == 0) {
        pthread_cond_broadcast(&guard_open);
    }
    pthread_mutex_unlock(&guard);
}
