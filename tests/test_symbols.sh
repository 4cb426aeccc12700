#!/bin/bash
# Only public names leave the library, from the .so and the .a alike:
#   - every defined global symbol of .libs/libmetalog.a and of
#     .libs/libmetalog.so carries a public prefix (metalog_, ml_, METALOG_)
#     and is declared METALOG_API in include/metalog.h; and every name the
#     header declares METALOG_API is there (so the check is not passed by
#     a library that hides everything);
#   - an application that defines its own error_set and strbuf_free (names
#     of internal modules) links against the static archive and runs, and
#     the library keeps calling its own functions, not the application's.
# Arguments (optional): the archive and the shared library to check instead
# of the build tree's.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
archive=${1:-$top_builddir/.libs/libmetalog.a}
shared=${2:-$top_builddir/.libs/libmetalog.so}
header=$top_srcdir/include/metalog.h
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

command -v nm >/dev/null || { echo "SKIP: nm is not installed (binutils)"; exit 77; }
[ -f "$archive" ] || [ -f "$shared" ] ||
    { echo "SKIP: neither $archive nor $shared is built"; exit 77; }

# The names the header declares METALOG_API: the last identifier before
# the "(" of a function or the ";"/"[" of an object (the #define lines
# that make METALOG_API are not declarations).
public=$(grep -v '^[[:space:]]*#' "$header" | tr '\n' ' ' | grep -o 'METALOG_API[^;(\[]*' |
    sed 's/[[:space:]]*$//' | grep -o '[A-Za-z_][A-Za-z0-9_]*$' | sort -u)
[ -n "$public" ] || { echo "FAIL: no METALOG_API declaration found in $header"; exit 1; }

# $1: label, $2: "name" lines of the defined globals.
check_exports() {
    label=$1
    names=$2
    leaked=$(echo "$names" | while read -r s; do
        [ -n "$s" ] || continue
        case $s in
        metalog_* | ml_* | METALOG_*)
            echo "$public" | grep -qx "$s" || echo "$s (public prefix, but not METALOG_API in metalog.h)"
            ;;
        *) echo "$s" ;;
        esac
    done)
    if [ -z "$leaked" ]; then
        ok "$label: every defined global is public API ($(echo "$names" | grep -c .) symbols)"
    else
        bad "$label defines $(echo "$leaked" | grep -c .) non-public global symbols:"
        echo "$leaked" | sed 's/^/    /'
    fi
    missing=$(echo "$public" | while read -r s; do
        echo "$names" | grep -qx "$s" || echo "$s"
    done)
    if [ -z "$missing" ]; then
        ok "$label: defines every METALOG_API name of metalog.h"
    else
        bad "$label lacks API names:" $missing
    fi
}

if [ -f "$archive" ]; then
    # nm -g on an archive prints "file:" headers and blank lines: keep the
    # symbol lines only (value, type, name; an undefined has no value).
    names=$(nm -g --defined-only "$archive" | awk 'NF == 3 { print $3 }' | sort -u)
    check_exports "$(basename "$archive")" "$names"
else
    echo "no $archive (--disable-static): archive not checked"
fi
if [ -f "$shared" ]; then
    # What the dynamic linker sees, and what the symbol table calls global.
    names=$( (nm -D --defined-only "$shared"; nm -g --defined-only "$shared" 2>/dev/null) |
        awk 'NF == 3 { print $3 }' | sort -u)
    check_exports "$(basename "$shared")" "$names"
else
    echo "no $shared (--disable-shared): shared library not checked"
fi

# An application whose own functions share names with metalog's internal
# modules. With internals global in the archive, the link either fails
# (multiple definition) or the library silently calls the application's
# functions (the counters below catch that).
if [ -f "$archive" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cat >"$work/app.c" <<'C'
#include <metalog.h>
#include <stdio.h>
#include <string.h>

static int app_error_set_calls;
static int app_strbuf_free_calls;

/* The application's own functions, unrelated to metalog's. */
void error_set(int code);
void strbuf_free(void *buf);
void error_set(int code) { app_error_set_calls += code; }
void strbuf_free(void *buf) { (void)buf; app_strbuf_free_calls++; }

int main(void) {
    /* A missing file: metalog sets its error and keeps the default. */
    if (metalog_init("does-not-exist/metalog.yaml") == 0) {
        fprintf(stderr, "metalog_init accepted a missing file\n");
        return 1;
    }
    if (strstr(metalog_last_error(), "does-not-exist") == NULL) {
        fprintf(stderr, "metalog_last_error: \"%s\"\n", metalog_last_error());
        return 1;
    }
    metalog_info(metalog_get("app"), "started", ml_int("pid", 1));
    metalog_shutdown();
    if (app_error_set_calls != 0 || app_strbuf_free_calls != 0) {
        fprintf(stderr, "metalog called the application's error_set %d times, strbuf_free %d times\n",
                app_error_set_calls, app_strbuf_free_calls);
        return 1;
    }
    error_set(1);
    strbuf_free(NULL);
    if (app_error_set_calls != 1 || app_strbuf_free_calls != 1) {
        fprintf(stderr, "the application's own calls did not reach its functions\n");
        return 1;
    }
    puts("app ok");
    return 0;
}
C
    # shellcheck disable=SC2086
    if ${CC:-cc} ${CFLAGS:-} -std=c11 -Wall -Wextra -Werror -I"$top_srcdir/include" \
        "$work/app.c" -o "$work/app" "$archive" \
        $(pkg-config --libs yaml-0.1 zlib openssl) -pthread >"$work/link.out" 2>&1; then
        ok "an application defining error_set and strbuf_free links against $(basename "$archive")"
        if (cd "$work" && ./app >run.out 2>&1) && grep -q '^app ok$' "$work/run.out"; then
            ok "that application runs, and metalog calls its own functions, not the application's"
        else
            bad "that application failed:"
            sed 's/^/    /' "$work/run.out"
        fi
    else
        bad "an application defining error_set and strbuf_free does not link against $archive:"
        grep -v '^collect2' "$work/link.out" | head -n 20 | sed 's/^/    /'
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
