#include "util/tls.h"

#include <sched.h>
#include <unistd.h>

/* Not pthread_once: its init function takes no argument, so every key
 * would need one of its own, which is what this replaces. The first
 * caller makes the key; a concurrent one waits the moment that takes. */
static int key_ready(tls_key *k)
{
    int st = atomic_load_explicit(&k->state, memory_order_acquire);
    while (st != 2) {
        if (st == -1)
            return -1;
        int none = 0;
        /* Every thread of a process writes the same pid, so it is stored
         * before the exchange: state 1 never goes with another pid. */
        if (st == 0)
            atomic_store(&k->maker, getpid());
        if (st == 0 && atomic_compare_exchange_strong(&k->state, &none, 1)) {
            st = pthread_key_create(&k->key, k->release) == 0 ? 2 : -1;
            atomic_store_explicit(&k->state, st, memory_order_release);
            continue;
        }
        /* Forked while another thread was making the key: that thread is
         * not in this process, and would never finish. The child has one
         * thread, so it makes the key itself. */
        if (st == 1 && atomic_load(&k->maker) != getpid()) {
            atomic_store(&k->state, 0);
            st = 0;
            continue;
        }
        sched_yield();
        st = atomic_load_explicit(&k->state, memory_order_acquire);
    }
    return 0;
}

int tls_key_set(tls_key *k, void *v)
{
    if (key_ready(k) != 0)
        return -1;
    return pthread_setspecific(k->key, v) == 0 ? 0 : -1;
}
