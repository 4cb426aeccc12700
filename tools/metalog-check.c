/*
 * metalog-check: validates metalog configuration files the way
 * metalog_init would, like "nginx -t": each file is loaded and validated,
 * then every log file it names is checked to be openable for appending.
 *
 * Exit status: 0 all valid, 1 any invalid, 2 usage error or a configuration
 * file that cannot be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "handler/syslog_tls.h"
#include "handler/http_client.h"
#include "util/escape.h"

/* configure passes PACKAGE_VERSION on the command line. */
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

enum { EXIT_VALID = 0, EXIT_INVALID = 1, EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: metalog-check [--print] CONFIG...\n"
    "Validates metalog configuration files and checks that the log files\n"
    "they name can be opened for appending.\n"
    "\n"
    "  --print    write the effective configuration (defaults filled in,\n"
    "             secrets redacted) to standard output as YAML\n"
    "  --help     show this help and exit\n"
    "  --version  show the version and exit\n"
    "\n"
    "Exit status: 0 all valid, 1 any invalid, 2 usage error or unreadable file.\n";


/* Writes one line to f with control characters escaped (C0, DEL and the
 * C1 range U+0080..U+009F, which some terminals obey as well) and bad
 * UTF-8 replaced: the line quotes file names and text from the
 * configuration, and must not steer the terminal it is shown on. */
static void put_line(FILE *f, const char *line)
{
    strbuf esc = STRBUF_INIT;
    escape_text(&esc, line, strlen(line), 0, 0);
    fprintf(f, "%s\n", strbuf_str(&esc));
    strbuf_free(&esc);
}

/* put_line for each line of text (the library's errors, one a line). */
static void put_lines(FILE *f, const char *text)
{
    while (*text != '\0') {
        const char *nl = strchr(text, '\n');
        size_t n = nl != NULL ? (size_t)(nl - text) : strlen(text);
        char *line = strndup(text, n);
        if (line != NULL)
            put_line(f, line);
        free(line);
        text += n + (nl != NULL);
    }
}

static int usage_error(const char *fmt, const char *arg)
{
    strbuf line = STRBUF_INIT;
    strbuf_puts(&line, "metalog-check: ");
    strbuf_printf(&line, fmt, arg);
    put_line(stderr, strbuf_str(&line));
    strbuf_free(&line);
    fputs("usage: metalog-check [--print] CONFIG...\n", stderr);
    return EXIT_USAGE;
}

/* The directory part of path ("." when there is none), in buf. */
static const char *parent_dir(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return ".";
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= size)
        n = size - 1;
    memcpy(buf, path, n);
    buf[n] = '\0';
    return buf;
}

/* Whether the library could open path for appending; on failure, a
 * message in msg naming the file as the configuration wrote it (shown).
 * Nothing is created: an existing file is opened and closed, a missing
 * one needs a writable directory to be created in. O_NONBLOCK keeps a
 * FIFO without a reader from hanging the check. */
static int check_appendable(const char *path, const char *shown, strbuf *msg)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno != ENOENT) {
        strbuf_printf(msg, "cannot open \"%s\" for appending: %s", shown, strerror(errno));
        return -1;
    }
    char buf[4096], shown_buf[4096];
    const char *dir = parent_dir(path, buf, sizeof(buf));
    const char *shown_dir = parent_dir(shown, shown_buf, sizeof(shown_buf));
    struct stat st;
    if (stat(dir, &st) < 0) {
        strbuf_printf(msg, "cannot create \"%s\": directory \"%s\": %s", shown, shown_dir,
                      strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        strbuf_printf(msg, "cannot create \"%s\": \"%s\" is not a directory", shown, shown_dir);
        return -1;
    }
    if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0) {
        strbuf_printf(msg, "cannot create \"%s\": directory \"%s\" is not writable: %s", shown,
                      shown_dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* "path:line:col: label: msg" on stderr. */
static void report_at(const conf *c, const conf_handler *h, conf_mark at, const strbuf *msg)
{
    strbuf line = STRBUF_INIT;
    strbuf_printf(&line, "%s:%u:%u: %s: %s", c->path, at.line, at.col, h->label,
                  strbuf_str(msg));
    put_line(stderr, strbuf_str(&line));
    strbuf_free(&line);
}

/* What metalog_init would find when it opens each handler, short of
 * connecting: a file that cannot be opened (at the key that names it),
 * libcurl that cannot be loaded for a webhook or otlp handler (it is
 * loaded only for a configuration that needs one; at the URL's key), a
 * syslog TLS file that does not load as PEM or a key that is not the
 * certificate's (at that file's key). 0 when nothing was found. */
static int check_handlers(const conf *c)
{
    int rc = 0;
    for (size_t i = 0; i < c->nhandlers; i++) {
        const conf_handler *h = &c->handlers[i];
        strbuf msg = STRBUF_INIT;
        conf_mark at = h->path_mark;
        bool bad = false;
        if (h->type == CONF_HANDLER_FILE) {
            bad = check_appendable(h->resolved, h->path, &msg) < 0;
        } else if (h->type == CONF_HANDLER_WEBHOOK || h->type == CONF_HANDLER_OTLP) {
            bad = http_load(h->type == CONF_HANDLER_OTLP ? "otlp handler" : "webhook handler",
                            &msg) < 0;
        } else if (h->type == CONF_HANDLER_SYSLOG && h->syslog.transport == CONF_SYSLOG_TLS) {
            int key;
            syslog_tls *t = syslog_tls_new_at(&h->syslog, &msg, &key);
            bad = t == NULL;
            syslog_tls_free(t);
            if (key != SYSLOG_TLS_KEY_NONE && h->syslog.tls_at[key].line != 0)
                at = h->syslog.tls_at[key];
        }
        if (bad) {
            report_at(c, h, at, &msg);
            rc = -1;
        }
        strbuf_free(&msg);
    }
    return rc;
}

/* Two handlers on one existing file through a link: the loader compares
 * directories and names, metalog_init compares the files it opens; here
 * the files that exist are compared as metalog_init would. */
static int check_same_files(const conf *c)
{
    int rc = 0;
    struct stat *st = calloc(c->nhandlers + 1, sizeof(*st));
    bool *have = calloc(c->nhandlers + 1, sizeof(*have));
    for (size_t i = 0; st != NULL && have != NULL && i < c->nhandlers; i++) {
        const conf_handler *h = &c->handlers[i];
        have[i] = h->type == CONF_HANDLER_FILE && stat(h->resolved, &st[i]) == 0;
        for (size_t j = 0; have[i] && j < i; j++) {
            if (!have[j] || st[i].st_dev != st[j].st_dev || st[i].st_ino != st[j].st_ino)
                continue;
            strbuf line = STRBUF_INIT;
            strbuf_printf(&line, "%s:%u:%u: %s: names the same file as %s; give each handler "
                          "its own file", c->path, h->path_mark.line, h->path_mark.col,
                          h->label, c->handlers[j].label);
            put_line(stderr, strbuf_str(&line));
            strbuf_free(&line);
            rc = -1;
            break;
        }
    }
    free(st);
    free(have);
    return rc;
}

/* Checks one file; returns its exit status. */
static int check_one(const char *path, bool print, bool many)
{
    strbuf errors = STRBUF_INIT;
    bool io_error = false;
    conf *c = conf_load(path, &errors, &io_error);
    put_lines(stderr, strbuf_str(&errors));
    strbuf_free(&errors);
    if (c == NULL)
        return io_error ? EXIT_USAGE : EXIT_INVALID;
    int status = check_handlers(c) < 0 ? EXIT_INVALID : EXIT_VALID;
    if (status == EXIT_VALID && check_same_files(c) < 0)
        status = EXIT_INVALID;
    if (print) {
        strbuf out = STRBUF_INIT;
        if (many)
            strbuf_puts(&out, "---\n");
        conf_print(c, &out);
        fputs(strbuf_str(&out), stdout);
        strbuf_free(&out);
    } else if (status == EXIT_VALID) {
        strbuf line = STRBUF_INIT;
        strbuf_printf(&line, "%s: ok", path);
        put_line(stdout, strbuf_str(&line));
        strbuf_free(&line);
    }
    conf_free(c);
    return status;
}

int main(int argc, char **argv)
{
    bool print = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
        const char *a = argv[first];
        if (strcmp(a, "--") == 0) {
            first++;
            break;
        } else if (strcmp(a, "--print") == 0) {
            print = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return EXIT_VALID;
        } else if (strcmp(a, "--version") == 0) {
            printf("metalog-check %s\n", PACKAGE_VERSION);
            return EXIT_VALID;
        } else {
            return usage_error("unknown option '%s'", a);
        }
    }
    if (first >= argc)
        return usage_error("%s", "no configuration file given");
    int worst = EXIT_VALID;
    for (int i = first; i < argc; i++) {
        int s = check_one(argv[i], print, argc - first > 1);
        if (s > worst)
            worst = s;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "metalog-check: cannot write the output: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    return worst;
}
