#include "util/image.h"

#include <link.h>
#include <pthread.h>

image_span image_ro;

static bool writable_inside(const struct dl_phdr_info *info, uintptr_t lo, uintptr_t hi)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W) && s < hi && s + ph->p_memsz > lo)
            return true;
    }
    return false;
}

/* The first object dl_iterate_phdr visits is the main program. Its
 * read-only PT_LOAD segments (headers, code, rodata) usually sit side by
 * side below the writable one: one span covers them and one compare
 * tests it. If a writable segment lay between them, the largest single
 * read-only segment is taken instead. */
static int first_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0, big_lo = 0, big_len = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < lo)
            lo = s;
        if (s + ph->p_memsz > hi)
            hi = s + ph->p_memsz;
        if (ph->p_memsz > big_len) {
            big_lo = s;
            big_len = ph->p_memsz;
        }
    }
    if (hi > lo && !writable_inside(info, lo, hi)) {
        image_ro.lo = lo;
        image_ro.len = hi - lo;
    } else {
        image_ro.lo = big_lo;
        image_ro.len = big_len;
    }
    return 1; /* stop: only the main program */
}

static void image_find(void)
{
    dl_iterate_phdr(first_object, NULL);
}

void image_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, image_find);
}
