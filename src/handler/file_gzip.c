#include "handler/file_gzip.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "handler/handler.h"

#define GZIP_BLOCK (128 * 1024)

/* Writes what deflate produced since out's buffer was last emptied. */
static int gzip_put(z_stream *zs, int out, unsigned char *obuf)
{
    size_t n = GZIP_BLOCK - zs->avail_out;
    if (n > 0 && handler_write_all(out, (const char *)obuf, n) != 0)
        return -1;
    zs->next_out = obuf;
    zs->avail_out = GZIP_BLOCK;
    return 0;
}

int fileh_gzip(int in, int out, const char *name, time_t mtime, bool (*stop)(void))
{
    unsigned char *ibuf = malloc(GZIP_BLOCK), *obuf = malloc(GZIP_BLOCK);
    z_stream zs = {0};
    /* 15 + 16: a gzip wrapper rather than zlib's; 8: zlib's default
     * memory level. Level 6 is gzip(1)'s default: logs compress ~10:1
     * at it, and higher levels cost much more time for little. */
    if (ibuf == NULL || obuf == NULL ||
        deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(ibuf);
        free(obuf);
        errno = ENOMEM;
        return -1;
    }
    gz_header head = {.time = mtime > 0 ? (uLong)mtime : 0, .os = 3 /* Unix */,
                      .name = (Bytef *)name};
    deflateSetHeader(&zs, &head);
    zs.next_out = obuf;
    zs.avail_out = GZIP_BLOCK;
    int rc = 0, flush = Z_NO_FLUSH;
    while (rc == 0 && flush != Z_FINISH) {
        if (stop != NULL && stop()) {
            errno = ECANCELED;
            rc = -1;
            break;
        }
        ssize_t n = read(in, ibuf, GZIP_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -1;
            break;
        }
        flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = ibuf;
        zs.avail_in = (uInt)n;
        int z;
        do {
            z = deflate(&zs, flush);
            if (zs.avail_out == 0 || z == Z_STREAM_END)
                rc = gzip_put(&zs, out, obuf);
        } while (rc == 0 && (zs.avail_in > 0 || (flush == Z_FINISH && z != Z_STREAM_END)));
    }
    deflateEnd(&zs);
    free(ibuf);
    free(obuf);
    return rc;
}
