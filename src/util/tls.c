#include "util/tls.h"

#include <sched.h>

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
        if (st == 0 && atomic_compare_exchange_strong(&k->state, &none, 1)) {
            st = pthread_key_create(&k->key, k->release) == 0 ? 2 : -1;
            atomic_store_explicit(&k->state, st, memory_order_release);
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
