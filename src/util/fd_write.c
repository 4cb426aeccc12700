#include "util/fd_write.h"

#include <sys/syscall.h>
#include <unistd.h>

ssize_t fd_write(int fd, const void *buf, size_t len)
{
    return (ssize_t)syscall(SYS_write, fd, buf, len);
}
