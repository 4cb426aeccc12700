#include "handler/file_lock.h"

#include <errno.h>
#include <fcntl.h>

/* Open file description locks: unlike classic fcntl locks they also
 * exclude each other within one process, which matters during a reload,
 * when the old and the new pipeline each hold the same file open. They
 * conflict with classic fcntl locks too, so other tools' locks are seen. */
int fileh_lock_fd(int fd, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_pid = 0};
    int rc;
    while ((rc = fcntl(fd, type == F_UNLCK ? F_OFD_SETLK : F_OFD_SETLKW, &fl)) != 0 &&
           errno == EINTR)
        ;
    return rc;
}
