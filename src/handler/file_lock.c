#include "handler/file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

/* Open file description locks: unlike classic fcntl locks they also
 * exclude each other within one process, which matters during a reload,
 * when the old and the new pipeline each hold the same file open, and
 * for the archive thread's commits. They conflict with classic fcntl
 * locks too, so other tools' locks are seen.
 *
 * Taken with the non-waiting F_OFD_SETLK, retried after naps growing
 * from 20 us to 1 ms, rather than with F_OFD_SETLKW: a holder keeps it
 * for a few system calls, and a thread asleep in nanosleep lets every
 * other thread of the process run under any scheduler, where one blocked
 * inside fcntl need not (valgrind runs one thread at a time and does not
 * know this fcntl blocks: the holder never got to let go). */
int fileh_lock_fd(int fd, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_pid = 0};
    long nap_ns = 20000;
    for (;;) {
        if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (type == F_UNLCK || (errno != EAGAIN && errno != EACCES))
            return -1;
        struct timespec nap = {0, nap_ns};
        nanosleep(&nap, NULL);
        if (nap_ns < 1000000)
            nap_ns *= 2;
    }
}

void fileh_lock_own(int fd)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return;
    /* Opening the descriptor's /proc entry opens the very file it is on,
     * renamed or deleted as it may be, as a new description. */
    char path[32] = "/proc/self/fd/";
    char digits[12];
    size_t n = 0;
    for (unsigned v = (unsigned)fd; n == 0 || v > 0; v /= 10)
        digits[n++] = (char)('0' + v % 10);
    size_t at = sizeof "/proc/self/fd/" - 1;
    while (n > 0)
        path[at++] = digits[--n];
    path[at] = '\0';
    int own = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
    if (own < 0)
        return;
    dup3(own, fd, O_CLOEXEC);
    close(own);
}
