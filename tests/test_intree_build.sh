#!/bin/sh
# The quick start after an in-tree build: a copy of the tree (generated
# autotools files included, build/ excluded) is configured in place and
# has an object made there, as `./autogen.sh && ./configure && make` at
# the top leaves it; then scripts/deps.sh's metalog_build, which
# scripts/demo.sh and scripts/test.sh build with, must still configure and
# build in build/<name>:
#
#   - it says it runs `make distclean` at the top, and does;
#   - the build directory configures (automake refuses a VPATH build of a
#     tree configured in place) and makes its own object, the tree's
#     in-place object gone (VPATH would have used it instead).
#
# Two configures and one object each: about a minute on a busy machine, so
# scripts/test.sh runs it once as a stage, not in every `make check`.
# Usage: tests/test_intree_build.sh [TREE] (default: this script's tree).
# Exit status: 0 all passed, 1 any failed.

LC_ALL=C
export LC_ALL
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
obj=src/util/libmetalog_internal_la-strbuf.lo

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/tree"
[ -x "$src/configure" ] || (cd "$src" && ./autogen.sh >/dev/null 2>&1) || exit 1
# tar keeps the times, so the copy's generated files stay newer than their
# sources and nothing is regenerated.
tar -C "$src" --exclude=./build --exclude=./.git --exclude=./autom4te.cache -cf - . |
    tar -C "$tmp/tree" -xf - || exit 1

tree=$tmp/tree
if (cd "$tree" && ./configure && make -j2 "$obj") >"$tmp/intree.out" 2>&1 &&
    [ -f "$tree/config.status" ] && [ -f "$tree/$obj" ]; then
    pass "the copy is configured and built in place"
else
    tail -n 30 "$tmp/intree.out"
    fail "the copy is configured and built in place"
fi

out=$(
    top=$tree
    . "$tree/scripts/deps.sh"
    metalog_make_targets=$obj
    metalog_build intree 2>&1
    echo "status $?"
)
printf '%s\n' "$out" | tail -n 30 >"$tmp/build.out"
if grep -q '^status 0$' "$tmp/build.out" && [ -f "$tree/build/intree/$obj" ]; then
    pass "metalog_build configures and builds build/intree after the in-tree build"
else
    cat "$tmp/build.out"
    fail "metalog_build configures and builds build/intree after the in-tree build"
fi
if grep -q "running 'make distclean' there first" "$tmp/build.out" &&
    [ ! -f "$tree/config.status" ] && [ ! -f "$tree/$obj" ] && [ ! -f "$tree/Makefile" ]; then
    pass "it says it runs make distclean at the top, and the in-tree build is gone"
else
    cat "$tmp/build.out"
    fail "it says it runs make distclean at the top, and the in-tree build is gone"
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
