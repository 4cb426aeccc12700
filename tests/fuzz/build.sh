#!/bin/bash
# Builds the libFuzzer targets of tests/fuzz in build/fuzz (or in the
# directory given as $1): the library is configured there once with clang
# and the fuzzer, address and undefined-behaviour sanitizers, apart from
# any other build tree, and each target links its convenience library.
# Needs clang and libclang-rt-14-dev (scripts/deps.sh installs both).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build/fuzz}
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
cflags="-g -O1 -fno-omit-frame-pointer $san"

[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1)
mkdir -p "$out"
cd "$out"
if [ ! -f Makefile ]; then
    "$top/configure" --enable-werror CC=clang CFLAGS="$cflags -fsanitize=fuzzer-no-link" \
        >configure.out 2>&1 || { cat configure.out; exit 1; }
fi
make -j"$(nproc)" libmetalog-internal.la >make.out 2>&1 || { cat make.out; exit 1; }

for t in fuzz_config fuzz_render; do
    clang $cflags -fsanitize=fuzzer -Wall -Wextra -Werror -D_GNU_SOURCE \
        -I"$top/include" -I"$top/src" -o "$t" "$top/tests/fuzz/$t.c" \
        .libs/libmetalog-internal.a $(pkg-config --libs yaml-0.1 json-c zlib) -pthread
done
echo "built $out/fuzz_config $out/fuzz_render"
