/* The fork guard (fork_guard.h). */
#include "handler/fork_guard.h"

#include <pthread.h>
#include <stdbool.h>

static pthread_rwlock_t guard = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

void fork_guard_enter(void)
{
    pthread_rwlock_rdlock(&guard);
}

void fork_guard_leave(void)
{
    pthread_rwlock_unlock(&guard);
}

void fork_guard_hold(void)
{
    pthread_rwlock_wrlock(&guard);
}

void fork_guard_release(bool child)
{
    if (!child) {
        pthread_rwlock_unlock(&guard);
        return;
    }
    /* glibc's unlock tells a writer's unlock from a reader's by the
     * thread id it recorded, and the child's thread has a new one: the
     * child, alone with no other thread, starts the lock afresh. */
    static const pthread_rwlock_t unlocked = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
    guard = unlocked;
}
