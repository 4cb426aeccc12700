#include "util/diag.h"

#include <stdatomic.h>

static _Atomic(diag_sink_fn) sink;

/* Set while this thread is inside the sink: a handler that fails while
 * writing a note must not raise another, which could fail again. */
static __thread bool delivering;

void diag_sink_set(diag_sink_fn fn)
{
    atomic_store_explicit(&sink, fn, memory_order_release);
}

diag_sink_fn diag_sink_get(void)
{
    return atomic_load_explicit(&sink, memory_order_acquire);
}

void diag_report(const diag_note *note)
{
    diag_sink_fn fn = atomic_load_explicit(&sink, memory_order_acquire);
    if (fn == NULL || delivering)
        return;
    delivering = true;
    fn(note);
    delivering = false;
}
