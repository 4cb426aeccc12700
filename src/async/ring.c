#include "async/ring.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define SLOT_BYTES 64 /* async_queue_size counts records of this size */
#define MIN_RING_BYTES 1024

_Atomic(ring *) ring_list;
pthread_mutex_t ring_list_lock = PTHREAD_MUTEX_INITIALIZER;
__thread ring *ring_mine TLS_FAST;
atomic_uint_fast64_t ring_dropped_retired;

pthread_mutex_t ring_w_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t ring_w_wake = PTHREAD_COND_INITIALIZER;
pthread_cond_t ring_w_done = PTHREAD_COND_INITIALIZER;
pthread_cond_t ring_w_room = PTHREAD_COND_INITIALIZER;
ring_flag ring_w_running, ring_w_sleeping;

/* At the exit of a thread that has a ring: the writer frees it once it
 * is empty. */
static void ring_release(void *v)
{
    ring *r = v;
    atomic_store_explicit(&r->orphan, true, memory_order_release);
    ring_mine = NULL;
    if (atomic_load(&ring_w_sleeping.v))
        ring_wake_writer();
}

static tls_key ring_key = TLS_KEY_INIT(ring_release);

#define HUGE_PAGE_BYTES ((size_t)2 << 20)

/* A ring's bytes, faulted in now, once: otherwise the first pass through
 * the ring takes a page fault every 4 KiB, in the callers' latency. A
 * ring of 2 MiB or more is also asked to sit on huge pages: the producer
 * walks through the whole ring, and every 4 KiB page it enters again
 * costs a TLB miss (measured: several microseconds per page, one call in
 * about 25 of a 180-byte record, where the page walk is expensive, as
 * under a hypervisor). For that the mapping must be aligned to 2 MiB:
 * map that much more and give the ends back. NULL when out of memory. */
static unsigned char *ring_map(size_t cap)
{
    size_t align = cap >= HUGE_PAGE_BYTES ? HUGE_PAGE_BYTES : 0;
    unsigned char *raw = mmap(NULL, cap + align, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    unsigned char *buf = raw;
    if (align > 0) {
        buf = (unsigned char *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
        if (buf > raw)
            munmap(raw, (size_t)(buf - raw));
        if (buf + cap < raw + cap + align)
            munmap(buf + cap, (size_t)(raw + cap + align - (buf + cap)));
        /* Advice only: without transparent huge pages it changes nothing. */
        (void)madvise(buf, cap, MADV_HUGEPAGE);
    }
    /* MAP_POPULATE's work, after the advice, so that it faults in huge
     * pages where it can; by hand on a kernel older than 5.14. */
    if (madvise(buf, cap, MADV_POPULATE_WRITE) != 0)
        for (size_t i = 0; i < cap; i += 4096)
            buf[i] = 0;
    return buf;
}

ring *ring_new(uint64_t queue_size)
{
    uint64_t want = queue_size * SLOT_BYTES;
    size_t cap = MIN_RING_BYTES;
    while (cap < want)
        cap *= 2;
    ring *r = aligned_alloc(64, sizeof *r);
    unsigned char *buf = ring_map(cap);
    if (r == NULL || buf == NULL) {
        free(r);
        if (buf != NULL)
            munmap(buf, cap);
        return NULL;
    }
    memset(r, 0, sizeof *r);
    r->queue_size = queue_size;
    r->cap = cap;
    r->buf = buf;
    ring *head = atomic_load(&ring_list);
    do
        r->next = head;
    while (!atomic_compare_exchange_weak(&ring_list, &head, r));
    tls_key_set(&ring_key, r);
    ring_mine = r;
    return r;
}

void ring_keep(ring *rg)
{
    ring_mine = rg;
    tls_key_set(&ring_key, rg);
}

/* The room is checked again under ring_w_lock, which the writer takes to
 * wake us: it cannot free it unseen between the check and the sleep. */
void ring_wait_for_room(ring *rg, uint64_t head)
{
    pthread_mutex_lock(&ring_w_lock);
    pthread_cond_signal(&ring_w_wake);
    size_t want = atomic_load(&rg->want_free);
    if (want > 0 && ring_free(rg, head) < want) {
        struct timespec until = clock_deadline_ms(1);
        pthread_cond_timedwait(&ring_w_room, &ring_w_lock, &until);
    }
    pthread_mutex_unlock(&ring_w_lock);
}

/* The tail is stored before want_free is read, and the producer stores
 * want_free before it reads the tail (both sequentially consistent), so
 * one of the two sees the other's write. */
void ring_give_room(ring *rg, uint64_t tail)
{
    atomic_store(&rg->tail, tail);
    size_t want = atomic_load(&rg->want_free);
    /* The head as it is now, not as this pass found it: the producer
     * has written past that, and would wake only to sleep again. */
    if (want == 0 || ring_free(rg, atomic_load(&rg->head)) < want)
        return;
    if (atomic_compare_exchange_strong(&rg->want_free, &want, 0)) {
        pthread_mutex_lock(&ring_w_lock);
        pthread_cond_broadcast(&ring_w_room);
        pthread_mutex_unlock(&ring_w_lock);
    }
}

/* In the child only the forking thread exists: the other threads' rings
 * become orphans, and every ring forgets what it held (the parent writes
 * it). */
void ring_fork_child(void)
{
    pthread_mutex_init(&ring_w_lock, NULL);
    pthread_mutex_init(&ring_list_lock, NULL);
    pthread_cond_init(&ring_w_wake, NULL);
    pthread_cond_init(&ring_w_done, NULL);
    pthread_cond_init(&ring_w_room, NULL);
    atomic_store(&ring_w_running.v, false);
    atomic_store(&ring_w_sleeping.v, false);
    for (ring *r = atomic_load(&ring_list); r != NULL; r = r->next) {
        atomic_store(&r->tail, atomic_load(&r->head));
        r->tail_seen = atomic_load(&r->head);
        /* Its drops so far are the parent's to report, and it does:
         * counted here still, as the child's other counters are. */
        r->dropped_reported = atomic_load(&r->dropped);
        if (r != ring_mine)
            atomic_store(&r->orphan, true);
    }
}
