/*
 * libFuzzer target: the configuration loader (config.c, config_yaml.c,
 * config_webhook.c) and the --print output (config_print.c).
 *
 * The input is a YAML file. It is loaded through conf_load, the function
 * metalog_init, reload and metalog-check call, from a memfd that holds the
 * input (conf_load reads a path; /proc/self/fd/N names the memfd), with a
 * few environment variables set so that ${VAR} and ${VAR:-default} expand
 * to long text, to '$', '}' and newlines, to control bytes and invalid
 * UTF-8. Nothing here opens a log file: the loader only names them.
 *
 * What must hold:
 *   - an invalid file: every error is one line "path:line:col: ..." (or
 *     "path: ..."), with no raw control character;
 *   - a valid file: --print's output is one YAML file of plain lines; it
 *     loads again, and prints again to the same text (config_print.c says
 *     it is a configuration that loads to the same settings), a value
 *     holding "${" included;
 *   - --print does not depend on the secrets: with the webhook URL's path,
 *     query and userinfo and the header values replaced, it is the same.
 * Any difference aborts, so libFuzzer keeps the input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/config.h"
#include "fuzz_common.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Two files, made once: the input, and the printed configuration. */
static int in_fd = -1, out_fd = -1;
static char in_path[64], out_path[64];

static int make_file(const char *name, char *path, size_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(path, size, "/proc/self/fd/%d", fd);
    return fd;
}

static void put_file(int fd, const char *text, size_t len)
{
    if (ftruncate(fd, 0) < 0 || (len > 0 && pwrite(fd, text, len, 0) != (ssize_t)len)) {
        perror("writing the memfd");
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    in_fd = make_file("metalog-fuzz-in", in_path, sizeof in_path);
    out_fd = make_file("metalog-fuzz-out", out_path, sizeof out_path);

    /* Short names, so that the fuzzer finds them quickly. */
    static char big[6000];
    memset(big, 'x', sizeof big - 1);
    memcpy(big + 100, "${L}", 4); /* not expanded again */
    setenv("L", "warning", 1);
    setenv("N", "42", 1);
    setenv("B", "yes", 1);
    setenv("P", "/var/log/app.log", 1);
    setenv("U", "https://user:s3cret@hooks.example.com/T/s3cret-path?token=s3cret", 1);
    setenv("H", "Bearer s3cret-header", 1);
    setenv("D", "a${L}b$$c$", 1);
    setenv("R", "}", 1);
    setenv("NL", "line1\nline2\r\n", 1);
    setenv("C", "\x1b[31m\t\x7f\xc2\x9b", 1);
    setenv("I", "\xff\xfe invalid", 1);
    setenv("Q", "\"'\\: #{}[],&*!|>%@`", 1);
    setenv("X", big, 1);
    setenv("E", "", 1);
    unsetenv("Z");
    return 0;
}

static void check_errors(const char *path, const strbuf *errors)
{
    const char *s = errors->data ? errors->data : "";
    size_t len = errors->len, plen = strlen(path);
    if (len == 0 || s[len - 1] != '\n')
        fz_fail(s, len, "an invalid file's errors are empty or do not end a line");
    /* Messages quote the file's bytes: conf_quote repairs nothing, so
     * only control characters are checked, not UTF-8. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f)
            fz_fail(s, len, "raw control byte 0x%02x at %zu in the errors", c, i);
    }
    for (const char *line = s; line < s + len;) {
        const char *nl = memchr(line, '\n', (size_t)(s + len - line));
        if ((size_t)(nl - line) <= plen + 1 || memcmp(line, path, plen) != 0 ||
            line[plen] != ':')
            fz_fail(s, len, "error line at %zu does not start with \"%s:\"",
                    (size_t)(line - s), path);
        line = nl + 1;
    }
}

/* The print without its first line, the comment naming the file. */
static const char *body(const strbuf *out)
{
    const char *nl = strchr(out->data, '\n');
    if (out->data[0] != '#' || nl == NULL)
        fz_fail(out->data, out->len, "--print does not start with the file's name");
    return nl + 1;
}

static void check_print(conf *c)
{
    strbuf out = STRBUF_INIT;
    conf_print(c, &out);
    if (out.failed || out.len == 0 || out.data[out.len - 1] != '\n')
        fz_fail(out.data, out.len, "--print output is empty or does not end a line");
    size_t bad = fz_find_bad(out.data, out.len, true, false, false);
    if (bad != (size_t)-1)
        fz_fail(out.data, out.len, "--print: raw control byte or bad UTF-8 at %zu", bad);

    /* The secrets replaced, the output must not change. */
    if (c->webhook.url != NULL) {
        strbuf red = STRBUF_INIT, again = STRBUF_INIT;
        conf_redact_url(c->webhook.url, &red);
        free(c->webhook.url);
        c->webhook.url = strbuf_detach(&red);
        if (c->webhook.url == NULL)
            abort();
        /* The redacted form ends in "/<redacted>" (the host may hold
         * that text too): keep the scheme and host, and a path of another
         * length. */
        size_t ulen = strlen(c->webhook.url), tail = strlen("/<redacted>");
        if (ulen >= tail && strcmp(c->webhook.url + ulen - tail, "/<redacted>") == 0)
            memcpy(c->webhook.url + ulen - tail, "/xyz\0", 5);
        for (size_t i = 0; i < c->webhook.nheaders; i++) {
            free(c->webhook.headers[i].value);
            c->webhook.headers[i].value = strdup("another value");
        }
        conf_print(c, &again);
        if (again.len != out.len || memcmp(again.data, out.data, out.len) != 0)
            fz_fail(again.data, again.len, "--print changes with the secrets; before: %s",
                    out.data);
        strbuf_free(&again);
    }

    /* Printed, loaded, printed: the same text. A "${" in a value (one that
     * came from the environment) is printed as "$${", which loads as a
     * literal "${". */
    {
        put_file(out_fd, out.data, out.len);
        strbuf errors = STRBUF_INIT, out2 = STRBUF_INIT;
        conf *c2 = conf_load(out_path, &errors, NULL);
        if (c2 == NULL)
            fz_fail(out.data, out.len, "--print output does not load: %s",
                    errors.data ? errors.data : "");
        conf_print(c2, &out2);
        const char *b1 = body(&out), *b2 = body(&out2);
        if (strcmp(b1, b2) != 0)
            fz_fail(out2.data, out2.len, "--print of the printed file differs; first: %s",
                    out.data);
        conf_free(c2);
        strbuf_free(&errors);
        strbuf_free(&out2);
    }
    strbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) /* conf_load refuses files over 4 MiB as an I/O error */
        return 0;
    put_file(in_fd, (const char *)data, size);
    strbuf errors = STRBUF_INIT;
    bool io_error = true;
    conf *c = conf_load(in_path, &errors, &io_error);
    if (io_error)
        fz_fail(errors.data ? errors.data : "", errors.len, "the memfd could not be read");
    if (c == NULL)
        check_errors(in_path, &errors);
    else if (errors.len != 0)
        fz_fail(errors.data, errors.len, "a valid file with errors");
    else
        check_print(c);
    conf_free(c);
    strbuf_free(&errors);
    return 0;
}
