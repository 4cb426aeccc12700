#!/bin/bash
# A C program using every macro and field constructor of metalog.h
# (tests/pedantic.c) compiles without a warning, with gcc and with clang,
# at -std=c99 and -std=c11 -Wall -Wextra -Wpedantic -Wconversion -Werror:
# a warning inside a macro lands at every log call of the program.
set -u
: "${top_srcdir:?}"
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compilers=
for cc in ${CC:-} gcc clang; do
    command -v "${cc%% *}" >/dev/null 2>&1 || continue
    case " $compilers " in *" $cc "*) continue ;; esac
    compilers="$compilers $cc"
done
[ -n "$compilers" ] || { echo "SKIP: no C compiler"; exit 77; }

for cc in $compilers; do
    for std in c99 c11; do
        if $cc -std=$std -Wall -Wextra -Wpedantic -Wconversion -Werror \
            -I"$top_srcdir/include" -c "$top_srcdir/tests/pedantic.c" -o "$tmp/p.o" \
            2>"$tmp/err"; then
            echo "ok: $cc -std=$std: no warning"
            pass=$((pass + 1))
        else
            echo "FAIL: $cc -std=$std:"
            sed 's/^/    /' "$tmp/err" | head -20
            fail=$((fail + 1))
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
