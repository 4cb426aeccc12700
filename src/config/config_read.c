/*
 * Reading a configuration file, apart from parsing it (config.c), so that
 * a caller can read outside its locks: only a regular file of bounded
 * size, opened so that nothing at the path can block the reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_errs.h"

/* What a file that is not a regular one is, for the message. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "not a regular file";
}

static void read_error(strbuf *errors, const char *path, const char *what)
{
    conf_put_path(errors, path);
    strbuf_printf(errors, ": cannot read: %s\n", what);
}

/* A configuration is a regular file. Anything else can block the reader
 * forever (a FIFO with no writer, a terminal) or never end (/dev/zero), so
 * the file is opened without blocking and refused before the first read
 * unless fstat says it is regular. O_NONBLOCK has no effect on the reads of
 * a regular file. */
int conf_read_file(const char *path, char **text, size_t *len, strbuf *errors, bool *io_error)
{
    *text = NULL;
    *len = 0;
    if (io_error != NULL)
        *io_error = true;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        read_error(errors, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        read_error(errors, path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        strbuf why = STRBUF_INIT;
        strbuf_printf(&why, "%s, not a regular file", file_kind(st.st_mode));
        read_error(errors, path, strbuf_str(&why));
        strbuf_free(&why);
        close(fd);
        return -1;
    }
    /* The size is checked again while reading: the file may grow. */
    strbuf sb = STRBUF_INIT;
    bool too_big = st.st_size > (off_t)CONF_MAX_BYTES;
    while (!too_big) {
        if (strbuf_reserve(&sb, 65536) < 0) {
            errno = ENOMEM;
            break;
        }
        ssize_t n = read(fd, sb.data + sb.len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            close(fd);
            *len = sb.len;
            *text = sb.data != NULL ? sb.data : calloc(1, 1);
            if (*text == NULL) {
                read_error(errors, path, strerror(ENOMEM));
                return -1;
            }
            (*text)[*len] = '\0';
            if (io_error != NULL)
                *io_error = false;
            return 0;
        }
        if (n < 0)
            break;
        sb.len += (size_t)n;
        too_big = sb.len > CONF_MAX_BYTES;
    }
    if (too_big) {
        strbuf why = STRBUF_INIT;
        strbuf_printf(&why, "larger than %u bytes, the limit for a configuration file",
                      CONF_MAX_BYTES);
        read_error(errors, path, strbuf_str(&why));
        strbuf_free(&why);
    } else {
        read_error(errors, path, strerror(errno));
    }
    close(fd);
    strbuf_free(&sb);
    return -1;
}
