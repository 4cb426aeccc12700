#!/bin/bash
# metalog.h from C++: tests/cpp_api.cc is built for C++11, 14, 17 and 20
# with $CXX (g++ by default) and clang++ when installed, at -O2 -Wall -Wextra
# -pedantic -Werror, linked with the shared library and run. The program
# checks its own log: every macro with and without fields, ml_kv of every
# overload (std::string, and std::string_view from C++17), bound loggers,
# thread context and a demangled namespaced method in a trace.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
lib=$top_builddir/.libs
[ -f "$lib/libmetalog.so" ] || { echo "FAIL: $lib/libmetalog.so is not built"; exit 1; }
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A sanitizer build's library needs its compiler's sanitizer runtime: the
# program is built with the same flags, by that compiler's C++ driver only.
sanitize=
for f in ${LIB_CFLAGS:-}; do
    case $f in -fsanitize=* | -fno-sanitize* | -fno-omit-frame-pointer) sanitize="$sanitize $f" ;; esac
done
candidates="${CXX:-g++} g++ clang++"
if [ -n "$sanitize" ]; then
    case ${LIB_CC:-gcc} in *clang*) candidates=clang++ ;; *) candidates=g++ ;; esac
    echo "note: sanitizer build ($sanitize): $candidates only"
fi
compilers=
for cxx in $candidates; do
    command -v "${cxx%% *}" >/dev/null 2>&1 || continue
    case " $compilers " in *" $cxx "*) continue ;; esac
    compilers="$compilers $cxx"
done
[ -n "$compilers" ] || { echo "SKIP: no C++ compiler (g++ comes with build-essential)"; exit 77; }
jsonc_cflags=${JSONC_CFLAGS-$(pkg-config --cflags json-c)}
jsonc_libs=${JSONC_LIBS-$(pkg-config --libs json-c)}

n=0
for cxx in $compilers; do
    for std in 11 14 17 20; do
        n=$((n + 1))
        exe=$tmp/cpp_api_$n
        label="$cxx -std=c++$std"
        # shellcheck disable=SC2086
        if ! $cxx -std=c++$std -O2 $sanitize -Wall -Wextra -pedantic -Werror -I"$top_srcdir/include" \
            $jsonc_cflags "$top_srcdir/tests/cpp_api.cc" -o "$exe" \
            -L"$lib" -lmetalog -Wl,-rpath,"$lib" $jsonc_libs 2>"$tmp/err"; then
            echo "FAIL: $label does not compile:"
            sed 's/^/    /' "$tmp/err" | head -20
            fail=$((fail + 1))
            continue
        fi
        mkdir "$tmp/run$n"
        if "$exe" "$tmp/run$n" >"$tmp/out" 2>&1; then
            echo "ok: $label: every check of cpp_api passed"
            pass=$((pass + 1))
        else
            echo "FAIL: $label:"
            sed 's/^/    /' "$tmp/out" | head -20
            fail=$((fail + 1))
        fi
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
