#!/bin/sh
# metalog-check validates "as metalog_init would" (API.md): on every file of
# the corpus (tests/configs/valid, tests/configs/invalid, config/*.yaml)
# both accept it or both refuse it. metalog_init is asked through
# tests/init_probe.
#
# Both run in a copy of the file's directory, with a logs/ directory beside
# it (where the valid files put their logs): relative paths resolve as they
# do in test_metalog_check.sh, and the files metalog_init creates stay out
# of the source tree.
#
# Environment: top_srcdir, top_builddir (the programs are
# $top_builddir/tools/metalog-check and $top_builddir/tests/init_probe).
# Exit status: 0 all passed, 1 any failed.

LC_ALL=C
export LC_ALL
# The corpus relies on these being unset.
unset METALOG_TEST_UNSET_LOGDIR METALOG_TEST_UNSET_LEVEL METALOG_TEST_UNSET_DIR \
    METALOG_TEST_UNSET_SIZE METALOG_TEST_UNSET_ASYNC LOG_LEVEL ALERT_WEBHOOK_URL \
    METALOG_CONFIG

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
check=$builddir/tools/metalog-check
probe=$builddir/tests/init_probe

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

for prog in "$check" "$probe"; do
    if [ ! -x "$prog" ]; then
        fail "$prog is not built"
        echo "$passed passed, $failed failed"
        exit 1
    fi
done

tmp=$(mktemp -d) || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

for d in valid invalid; do
    cp -R "$srcdir/tests/configs/$d" "$tmp/$d"
done
mkdir "$tmp/config"
cp "$srcdir"/config/*.yaml "$tmp/config/"
mkdir "$tmp/valid/logs" "$tmp/config/logs"

# verdict RC: what an exit status says of the file.
verdict() {
    case $1 in
    0) echo accepts ;;
    1) echo refuses ;;
    *) echo "fails with exit $1" ;;
    esac
}

start=$(date +%s)
for f in "$tmp"/valid/*.yaml "$tmp"/config/*.yaml "$tmp"/invalid/*.yaml; do
    case $f in
    "$tmp"/config/*) n=config/${f##*/} ;;
    *) n=tests/configs/${f#"$tmp"/} ;;
    esac
    dir=${f%/*}
    base=${f##*/}
    (cd "$dir" && exec "$check" "$base") >/dev/null 2>"$tmp/check.err"
    check_v=$(verdict $?)
    # A timeout: metalog_init or metalog_shutdown must not hang on any file.
    (cd "$dir" && exec timeout 20 "$probe" "$base") >/dev/null 2>"$tmp/probe.err"
    probe_v=$(verdict $?)
    if [ "$check_v" = "$probe_v" ] && [ "$check_v" != "${check_v#[ar]}" ]; then
        pass "$n: metalog-check and metalog_init both ${check_v%s}"
    else
        fail "$n: metalog-check $check_v ($(head -n 1 "$tmp/check.err")), metalog_init $probe_v ($(head -n 1 "$tmp/probe.err"))"
    fi
done
echo "# seconds: $(($(date +%s) - start))"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
