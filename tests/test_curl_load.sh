#!/bin/sh
# libcurl is loaded only for a configuration that names a webhook: a
# program without one never maps it; with one, metalog_init (or the reload
# that adds it) loads it; and where libcurl cannot be loaded, a webhook is
# refused with the loader's reason by metalog_init, by a reload and by
# metalog-check alike, while a configuration without one keeps working.
#
# The last part hides the real libcurl: as root, in a mount namespace of
# its own, an empty file is bind-mounted over the file libcurl.so.4 names,
# so that dlopen fails as it does on a machine without it. It is skipped,
# saying so, where that cannot be done.
#
# Environment: top_srcdir, top_builddir. Exit status: 0 all passed (or
# skipped), 1 any failed.

LC_ALL=C
export LC_ALL
unset METALOG_CONFIG ALERT_WEBHOOK_URL

self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
builddir=${top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}
probe=$builddir/tests/curl_probe
check=$builddir/tools/metalog-check
init_probe=$builddir/tests/init_probe

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# configs DIR: a configuration without a webhook (plain.yaml) and one with
# (hook.yaml, alerts to a port where nothing listens: nothing is sent, as
# nothing logs CRITICAL), logging to DIR/logs.
configs() {
    mkdir -p "$1/logs"
    printf 'log_file: logs/app.log\nlog_to_console: false\n' >"$1/plain.yaml"
    printf 'log_file: logs/app.log\nlog_to_console: false\nwebhook_url: http://127.0.0.1:9/hook\n' \
        >"$1/hook.yaml"
    printf 'log_to_console: false\nhandlers:\n  - type: otlp\n    endpoint: http://127.0.0.1:9/v1/logs\n' \
        >"$1/otlp.yaml"
}

# The hidden part, run by the outer script in its own mount namespace:
# $2 is the file to hide, $3 the work directory.
if [ "${1:-}" = --hidden ]; then
    lib=$2
    cd "$3" || exit 1
    empty=$3/empty.so
    : >"$empty"
    if ! mount --bind "$empty" "$lib" 2>mount.err; then
        echo "SKIP: cannot bind-mount over $lib: $(cat mount.err)"
        exit 0
    fi
    configs .
    want="hook.yaml:3:1: webhook: the webhook handler needs libcurl (libcurl.so.4): "

    "$init_probe" hook.yaml >/dev/null 2>err
    rc=$?
    if [ "$rc" = 1 ] && grep -qF "$want" err && grep -q 'too short' err; then
        pass "metalog_init refuses a webhook when libcurl cannot be loaded, saying why"
    else
        fail "metalog_init with libcurl hidden: exit $rc, stderr: $(cat err)"
    fi

    "$check" hook.yaml >/dev/null 2>err
    rc=$?
    if [ "$rc" = 1 ] && grep -qF "$want" err; then
        pass "metalog-check refuses the webhook at its line when libcurl cannot be loaded"
    else
        fail "metalog-check with libcurl hidden: exit $rc, stderr: $(cat err)"
    fi

    "$check" otlp.yaml >/dev/null 2>err
    rc=$?
    "$init_probe" otlp.yaml >/dev/null 2>err2
    rc2=$?
    if [ "$rc" = 1 ] && grep -qF "otlp.yaml:4:5: handlers[1]: the otlp handler needs libcurl (libcurl.so.4): " err &&
        [ "$rc2" = 1 ] && grep -qF "otlp handler needs libcurl" err2; then
        pass "metalog_init and metalog-check refuse an otlp handler at its endpoint when libcurl cannot be loaded"
    else
        fail "otlp with libcurl hidden: exit $rc, stderr: $(cat err err2 2>/dev/null)"
    fi

    rm -f logs/app.log
    out=$("$probe" plain.yaml 2>err)
    if [ $? = 0 ] && [ "$out" = "libcurl: not mapped" ] && grep -q '"event":"before"' logs/app.log; then
        pass "a configuration without a webhook logs when libcurl cannot be loaded"
    else
        fail "no webhook, libcurl hidden: '$out', stderr: $(cat err)"
    fi

    rm -f logs/app.log
    cp hook.yaml next.yaml
    out=$("$probe" plain.yaml next.yaml 2>err)
    rc=$?
    if [ "$rc" = 0 ] && printf '%s\n' "$out" | grep -qx 'reload: failed' &&
        grep -qF "plain.yaml:3:1: webhook: the webhook handler needs libcurl" err &&
        grep -q '"event":"after"' logs/app.log; then
        pass "a reload that adds a webhook is refused and the running configuration keeps logging"
    else
        fail "reload to a webhook, libcurl hidden: exit $rc, '$out', stderr: $(cat err)"
    fi
    exit 0
fi

for prog in "$probe" "$check" "$init_probe"; do
    if [ ! -x "$prog" ]; then
        fail "$prog is not built"
        echo "$passed passed, $failed failed"
        exit 1
    fi
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
configs "$tmp"
cd "$tmp" || exit 1

so=$builddir/.libs/libmetalog.so
if [ ! -f "$so" ]; then
    echo "SKIP: no shared library built"
elif ldd "$so" | grep -q libcurl; then
    fail "libmetalog.so needs libcurl: $(ldd "$so" | grep libcurl)"
else
    pass "libmetalog.so needs no libcurl"
fi

out=$("$probe" plain.yaml 2>err)
if [ $? = 0 ] && [ "$out" = "libcurl: not mapped" ] && grep -q '"event":"before"' logs/app.log; then
    pass "a configuration without a webhook logs and never maps libcurl"
else
    fail "no webhook: '$out', stderr: $(cat err)"
fi

out=$("$probe" hook.yaml 2>err)
if [ $? = 0 ] && [ "$out" = "libcurl: mapped" ]; then
    pass "a configuration with a webhook maps libcurl"
else
    fail "webhook: '$out', stderr: $(cat err)"
fi

cp hook.yaml next.yaml
out=$("$probe" plain.yaml next.yaml 2>err)
if [ $? = 0 ] && [ "$out" = "reload: ok
libcurl: mapped" ]; then
    pass "a reload that adds a webhook maps libcurl"
else
    fail "reload to a webhook: '$out', stderr: $(cat err)"
fi

# The file the dynamic loader finds for libcurl.so.4, to hide.
lib=$(ldconfig -p 2>/dev/null | awk '$1 == "libcurl.so.4" { print $NF; exit }')
lib=${lib:+$(readlink -f "$lib")}
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: hiding libcurl needs root (a mount namespace and a bind mount)"
elif [ -z "$lib" ]; then
    echo "SKIP: the loader's cache names no libcurl.so.4"
elif ! command -v unshare >/dev/null; then
    echo "SKIP: no unshare"
else
    mkdir hidden
    unshare -m --propagation private sh "$self" --hidden "$lib" "$tmp/hidden" >hidden.out 2>&1
    cat hidden.out
    passed=$((passed + $(grep -c '^PASS' hidden.out)))
    failed=$((failed + $(grep -c '^FAIL' hidden.out)))
    if ! grep -q '^PASS\|^FAIL\|^SKIP' hidden.out; then
        fail "the mount namespace could not be made: $(cat hidden.out)"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
