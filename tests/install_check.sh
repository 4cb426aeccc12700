#!/bin/bash
# Builds the program of API.md's "usage at a glance" against an installed
# metalog with nothing but pkg-config, runs it, and checks the files, lines
# and errors DESIGN.md describes. PKG_CONFIG_PATH, LD_LIBRARY_PATH and PATH
# point at the installation.
set -eu
prefix=$1
src=$(cd "$(dirname "$0")/.." && pwd)
deps=$src/scripts/deps.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# The .pc file was made for the configured prefix; point it at this one.
pc() { pkg-config --define-variable=prefix="$prefix" "$@"; }
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

cat > app.c <<'C'
#include <metalog.h>
#include <stdio.h>

int main(void) {
    if (metalog_init("config/metalog.yaml") != 0)
        fprintf(stderr, "%s\n", metalog_last_error());   /* built-in default keeps logging */

    metalog_logger *expert = metalog_get("expert");
    metalog_logger *log = metalog_bind(expert, ml_str("expert_name", "scalper"),
                                               ml_str("symbol", "EURUSD"));
    metalog_context_bind(ml_str("session", "a1b2"));      /* this thread only */

    metalog_info(log, "order placed", ml_int("order_id", 42), ml_f64("price", 1.0842));
    metalog_info(metalog_get("trade"), "filled", ml_int("order_id", 42), ml_int("qty", 100));
    metalog_exception(log, "broker rejected order", ml_int("code", 503));  /* ERROR + stack trace */
    metalog_critical(log, "margin call", ml_f64("equity", 12.5));          /* also the webhook */

    metalog_logger_free(log);
    metalog_shutdown();
}
C
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror app.c -o app $(pc --cflags --libs metalog) && ok || bad "compile with pkg-config"
# The static library through pkg-config alone, as on a machine holding only
# the packages the README installs (scripts/deps.sh): every library that
# `pkg-config --static --libs metalog` names has its archive, from one of
# those packages (glibc's from libc6-dev, which build-essential brings),
# and the program links against the archives. glibc stays shared: linked
# statically it warns that getaddrinfo and dlopen need the shared one at
# run time anyway. libcurl is not among them: it is loaded at run time,
# only for a webhook.
. "$deps"
static_dirs=$(pc --static --libs-only-L metalog | sed 's/-L//g')
for l in $(pc --static --libs-only-l metalog); do
    a=
    for d in $static_dirs; do
        [ -f "$d/lib${l#-l}.a" ] && { a="$d/lib${l#-l}.a"; break; }
    done
    [ -n "$a" ] || a=$(cc -print-file-name="lib${l#-l}.a")
    if [ ! -f "$a" ]; then
        bad "pkg-config --static names $l, which has no lib${l#-l}.a"
    elif [ "$l" = -lmetalog ]; then
        ok
    elif ! command -v dpkg >/dev/null; then
        ok # no package database to ask
    else
        owner=$(dpkg -S "$(readlink -f "$a")" 2>/dev/null | head -n 1 | cut -d: -f1)
        case " $(echo $metalog_build_deps) libc6-dev " in
        *" $owner "*) ok ;;
        *) bad "$l comes from ${owner:-no package} ($a), which the README does not install" ;;
        esac
    fi
done
pc --static --libs metalog | grep -qE -- '(^| )-lcurl( |$)' && bad "pkg-config --static names libcurl" || ok
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror app.c -o app-static $(pc --cflags metalog) \
    -Wl,-Bstatic $(pc --static --libs metalog) -Wl,-Bdynamic \
    && ok || bad "link against libmetalog.a with pkg-config --static"
ldd app-static | grep -E 'lib(metalog|yaml|z|curl)[.-]' && bad "app-static is not static in metalog and its libraries" || ok

mkdir -p config logs
cat > config/metalog.yaml <<'Y'
log_level: INFO
log_file: logs/app.log
trade_log_file: logs/trades.log
error_log_file: logs/errors.log
log_to_console: false
Y
# The static program first, into logs/ it leaves for the shared one.
./app-static && ok || bad "app-static exits 0"
[ "$(wc -l < logs/app.log)" -eq 4 ] && ok || bad "app-static wrote 4 lines to app.log"
grep -q '"event":"order placed"' logs/app.log && ok || bad "app-static logged the order"
rm -f logs/*
./app && ok || bad "app exits 0"
[ "$(wc -l < logs/app.log)" -eq 4 ] && ok || bad "app.log has 4 lines: $(cat logs/app.log)"
[ "$(wc -l < logs/trades.log)" -eq 1 ] && ok || bad "trades.log has 1 line"
[ "$(wc -l < logs/errors.log)" -eq 2 ] && ok || bad "errors.log has 2 lines"
head -1 logs/app.log | grep -Eq '^\{"timestamp":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z","level":"INFO","logger":"expert","event":"order placed","expert_name":"scalper","symbol":"EURUSD","session":"a1b2","order_id":42,"price":1.0842\}$' \
    && ok || bad "first line follows the JSON contract: $(head -1 logs/app.log)"
grep -q '"exception":"Stack trace.*main' logs/errors.log && ok || bad "exception names main"
[ "$(stat -c %a logs/app.log)" = 640 ] && ok || bad "app.log mode 0640"

# A bad config: -1, file:line:col errors, the default keeps logging.
printf 'log_level: LOUD\nrotation_size_mb: ten\n' > config/metalog.yaml
./app > out.txt 2> err.txt && ok || bad "app exits 0 with a bad config"
grep -q '^config/metalog.yaml:1:12: log_level: ' err.txt && ok || bad "level error at 1:12: $(cat err.txt)"
grep -q '^config/metalog.yaml:2:19: rotation_size_mb: ' err.txt && ok || bad "rotation error at 2:19"
grep -q 'order placed' out.txt && ok || bad "default pipeline logs to the console"

# Loaded with dlopen, as a plugin would be, after the program started: the
# library's thread-locals use the initial-exec model, which takes room in
# the static TLS block that glibc keeps in reserve for such a load.
cat > plugin.c <<'C'
#include <dlfcn.h>
#include <metalog.h>
#include <pthread.h>
#include <stdio.h>

static int (*init)(const char *);
static metalog_logger *(*get)(const char *);
static void (*log_n)(const metalog_logger *, metalog_level, const char *,
                     const metalog_field *, size_t);
static void (*stop)(void);

static void *worker(void *arg) {
    for (int i = 0; i < 1000; i++) {
        metalog_field f[2] = {ml_int("i", i), ml_str("from", arg)};
        log_n(get("plugin"), METALOG_INFO, "tick", f, 2);
    }
    return NULL;
}

int main(int argc, char **argv) {
    void *lib = argc > 1 ? dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
    if (lib == NULL) {
        fprintf(stderr, "%s\n", argc > 1 ? dlerror() : "usage: plugin LIBRARY");
        return 1;
    }
    *(void **)&init = dlsym(lib, "metalog_init");
    *(void **)&get = dlsym(lib, "metalog_get");
    *(void **)&log_n = dlsym(lib, "metalog_log_n");
    *(void **)&stop = dlsym(lib, "metalog_shutdown");
    if (!init || !get || !log_n || !stop || init("config/plugin.yaml") != 0)
        return 1;
    pthread_t t[2];
    pthread_create(&t[0], NULL, worker, "a");
    pthread_create(&t[1], NULL, worker, "b");
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    stop();
    return 0;
}
C
printf 'log_file: logs/plugin.log\nlog_to_console: false\nasync_logging: true\n' > config/plugin.yaml
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror plugin.c -o plugin $(pc --cflags metalog) -ldl -pthread \
    && ./plugin "$prefix/lib/libmetalog.so" && ok || bad "a program that loads libmetalog.so with dlopen logs"
[ "$(grep -c '"event":"tick"' logs/plugin.log 2>/dev/null)" = 2000 ] && ok \
    || bad "the dlopen'ed library wrote all 2000 records"

metalog-check config/metalog.yaml 2>/dev/null && bad "metalog-check accepts a bad file" || ok
for page in man1/metalog-check.1 man3/metalog.3 man5/metalog.yaml.5; do
    [ -f "$prefix/share/man/$page" ] && ok || bad "man page $page installed"
done
# Every installed page formats without a groff warning.
for page in "$prefix"/share/man/man*/*; do
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
    [ -z "$out" ] && ok || bad "man --warnings on installed ${page#"$prefix"/}: $out"
done

# The schema, and every example configuration of the source tree, whose
# modeline names the installed schema so that a copy moved to /etc keeps
# one that points somewhere, and which metalog-check accepts as installed
# (run here, where the logs/ directory they name exists).
schema="$prefix/share/metalog/metalog.schema.json"
[ -f "$schema" ] && cmp -s "$schema" "$src/schemas/metalog.schema.json" && ok \
    || bad "the JSON Schema is installed as share/metalog/metalog.schema.json"
for f in "$src"/config/*.yaml; do
    inst="$prefix/share/metalog/examples/${f##*/}"
    if [ ! -f "$inst" ]; then
        bad "example ${f##*/} installed in share/metalog/examples"
        continue
    fi
    ok
    line=$(head -n 1 "$inst")
    target=${line#"# yaml-language-server: \$schema=file://"}
    if [ "$target" = "$line" ]; then
        bad "${f##*/}: installed modeline is not a file:// one: $line"
    elif [ ! -f "$target" ] || [ "$(readlink -f "$target")" != "$(readlink -f "$schema")" ]; then
        bad "${f##*/}: installed modeline points at $target, not the installed schema"
    else
        ok
    fi
    # Apart from its modeline, the example is the source tree's.
    cmp -s <(tail -n +2 "$inst") <(tail -n +2 "$f") && ok || bad "${f##*/}: installed copy differs beyond its modeline"
    out=$(metalog-check "$inst" 2>&1) && ok || bad "metalog-check rejects installed ${f##*/}: $out"
done
ldd "$prefix/lib/libmetalog.so" | grep libcurl && bad "libmetalog.so needs libcurl" || ok
nm -D --defined-only "$prefix/lib/libmetalog.so" | awk '{print $3}' | grep -v '^metalog_' \
    | grep . && bad "the shared library exports only metalog_* symbols" || ok

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
