#!/bin/sh
# metalog-check --print as a translator (CONFIG.md, "--print"): for every
# example config and every valid config of the corpus, F, the printed file
# P = "metalog-check --print F" is itself valid, is written in the
# handlers: language only (no flat handler key at the top level), and
# prints back the same (--print P equals --print F, the first line, a
# comment naming the source, aside). That P logs the same records as F is
# proved by tests/test_handlers_reload (printed_config_logs_the_same_...).
#
# Environment: top_srcdir, top_builddir (the binary is
# $top_builddir/tools/metalog-check). Exit status: 0 all passed, 1 any
# failed.

LC_ALL=C
export LC_ALL
# The corpus relies on these being unset (their defaults are used).
unset METALOG_TEST_UNSET_LOGDIR METALOG_TEST_UNSET_LEVEL METALOG_TEST_UNSET_DIR \
    METALOG_TEST_UNSET_SIZE METALOG_TEST_UNSET_ASYNC LOG_LEVEL ALERT_WEBHOOK_URL \
    ALERT_WEBHOOK_TOKEN ALERT_API_KEY

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
check=$builddir/tools/metalog-check

if [ ! -x "$check" ]; then
    echo "FAIL: $check is not built"
    echo "0 passed, 1 failed"
    exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# The flat keys that stand for handlers; none may be printed.
flat='^(log_file|trade_log_file|error_log_file|log_to_console|webhook_url|webhook)[[:space:]]*:'

for f in "$srcdir"/config/*.yaml "$srcdir"/tests/configs/valid/*.yaml; do
    name=$(basename "$(dirname "$f")")/$(basename "$f")
    # Each file in a directory of its own, with logs/ for relative paths:
    # metalog-check opens (and so creates) the files a config names.
    w=$tmp/$(echo "$name" | tr / _)
    mkdir -p "$w/logs"

    (cd "$w" && exec "$check" --print "$f") >"$w/P.yaml" 2>"$w/err"
    rc=$?
    if [ $rc != 0 ]; then
        fail "$name: --print exits $rc: $(head -n 3 "$w/err")"
        continue
    fi

    (cd "$w" && exec "$check" P.yaml) >/dev/null 2>"$w/err"
    rc=$?
    [ $rc = 0 ] && pass "$name: the printed file is valid" ||
        fail "$name: the printed file exits $rc: $(head -n 3 "$w/err")"

    grep -q '^handlers:' "$w/P.yaml" && pass "$name: the printed file has handlers:" ||
        fail "$name: no handlers: in the printed file"

    if grep -En "$flat" "$w/P.yaml" >"$w/flat"; then
        fail "$name: flat handler keys printed: $(tr '\n' ' ' <"$w/flat")"
    else
        pass "$name: no flat handler key printed"
    fi

    (cd "$w" && exec "$check" --print P.yaml) >"$w/PP.yaml" 2>"$w/err"
    rc=$?
    sed '1{/^#/d;}' "$w/P.yaml" >"$w/want"
    sed '1{/^#/d;}' "$w/PP.yaml" >"$w/got"
    if [ $rc = 0 ] && cmp -s "$w/want" "$w/got"; then
        pass "$name: --print of the printed file prints the same"
    else
        fail "$name: --print of the printed file (exit $rc) differs:"
        diff -u "$w/want" "$w/got" | sed 's/^/    /'
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
