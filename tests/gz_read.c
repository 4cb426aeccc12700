/*
 * Reads gzip files back for tests/test_rotation_time.sh: writes what each
 * FILE decompresses to on stdout, and fails on anything that is not a
 * whole gzip stream, so that a truncated or half-written .gz (a missing
 * trailer, a bad CRC, a file that is not gzip at all) can never pass for
 * a good one.
 *
 *   gz_read FILE...
 *
 * Exits 0 when every file was complete, 1 (with the reason on stderr)
 * otherwise, 2 on usage.
 */
#include <stdio.h>
#include <zlib.h>

static int read_one(const char *path)
{
    gzFile gz = gzopen(path, "rb");
    if (gz == NULL) {
        perror(path);
        return -1;
    }
    char buf[65536];
    int n;
    int first = 1;
    while ((n = gzread(gz, buf, sizeof buf)) > 0) {
        /* zlib reads a file without a gzip header as plain bytes; a
         * rotated file named .gz that holds plain text is a failure. */
        if (first && gzdirect(gz)) {
            fprintf(stderr, "%s: not gzip data\n", path);
            gzclose(gz);
            return -1;
        }
        first = 0;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
            perror("stdout");
            gzclose(gz);
            return -1;
        }
    }
    int err;
    const char *msg = gzerror(gz, &err);
    if (n < 0 || (err != Z_OK && err != Z_STREAM_END)) {
        fprintf(stderr, "%s\n", msg); /* zlib puts the path first */
        gzclose(gz);
        return -1;
    }
    if (first && gzdirect(gz)) {
        fprintf(stderr, "%s: empty, not even a gzip header\n", path);
        gzclose(gz);
        return -1;
    }
    /* gzclose reports a stream that ended before its trailer. */
    int rc = gzclose(gz);
    if (rc != Z_OK) {
        fprintf(stderr, "%s: %s\n", path, rc == Z_BUF_ERROR ? "truncated gzip stream" : "gzclose failed");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gz_read FILE...\n");
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (read_one(argv[i]) != 0)
            rc = 1;
    if (fflush(stdout) != 0)
        rc = 1;
    return rc;
}
