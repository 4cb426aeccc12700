#!/bin/bash
# The whole test suite: installs what is missing, then builds and tests
# metalog several ways, each in its own tree under build/:
#   gcc     -Werror build, make check (Check suites and script tests)
#   clang   -Werror build, make check
#   asan    clang AddressSanitizer + LeakSanitizer, make check
#   fuzz    libFuzzer targets (tests/fuzz), 60 s each over the seed corpus
#   tsan    gcc ThreadSanitizer, the concurrency suites
#   valgrind  memcheck over the Check suites of the gcc build
#   install   make install, then a program from API.md built with pkg-config
#   distcheck the release tarball builds and passes its own tests
# Ends with one line "metalog: N passed, M failed" and exits non-zero on
# any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/deps.sh"

metalog_install_missing $metalog_build_deps $metalog_test_deps || exit 1

passed=0
failed=0
failures=""

stage() {
    name=$1
    shift
    printf '== %-12s ' "$name"
    start=$(date +%s)
    if out=$("$@" 2>&1); then
        printf 'ok (%ss)\n' $(( $(date +%s) - start ))
        passed=$((passed + 1))
    else
        printf 'FAILED (%ss)\n' $(( $(date +%s) - start ))
        printf '%s\n' "$out" | tail -n 60
        failed=$((failed + 1))
        failures="$failures $name"
    fi
}

# Runs make check in build/$1 and prints the failing logs when it fails.
check_in() {
    (cd "$top/build/$1" && make -j"$(nproc)" check "${@:2}" >check.out 2>&1) && return 0
    cat "$top/build/$1/check.out"
    failed_logs "$top/build/$1/tests"
    return 1
}

# The logs of the tests in directory $1 that failed: the assertions, then
# the end of each.
failed_logs() {
    for log in "$1"/*.log; do
        grep -qE '^:test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null &&
            { echo "--- $log"; grep -E ':[EF]:' "$log" | head -n 20; tail -n 20 "$log"; }
    done
}

# Individual Check tests and script checks of the gcc build, for the total.
count_checks() {
    for log in "$top/build/gcc"/tests/*.log; do
        [ -f "$log" ] || continue
        sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' "$log" |
            while read -r n f e; do echo "$((n - f - e)) $((f + e))"; done
        sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$log"
    done | awk '{p += $1; f += $2} END {print p + 0, f + 0}'
}

# Memcheck over the suites whose subject is memory: parsing, rendering,
# the API, routing, files. Thread and signal storms, async queues and fork
# are covered by ThreadSanitizer and LeakSanitizer above: under valgrind,
# which runs one thread at a time, storms only time out, and a child forked
# from a threaded test holds the other threads' memory with no thread left
# to point at it, which memcheck calls lost.
valgrind_suites() {
    cd "$top/build/gcc" || return 1
    rc=0
    for t in tests/test_config tests/test_render tests/test_api tests/test_routing \
        tests/test_file; do
        CK_TIMEOUT_MULTIPLIER=10 METALOG_TEST_SCALE=1 ./libtool --mode=execute valgrind -q \
            --leak-check=full --errors-for-leak-kinds=definite,indirect \
            --error-exitcode=1 "./$t" >"$t.valgrind" 2>&1 || { cat "$t.valgrind"; rc=1; }
    done
    return $rc
}

install_check() {
    prefix="$top/build/prefix"
    rm -rf "$prefix"
    (cd "$top/build/gcc" && make install prefix="$prefix" >install.out 2>&1) || return 1
    PKG_CONFIG_PATH="$prefix/lib/pkgconfig" LD_LIBRARY_PATH="$prefix/lib" \
        PATH="$prefix/bin:$PATH" bash "$top/tests/install_check.sh" "$prefix"
}

# A failed distcheck leaves its tree behind: the failing tests' logs are
# printed from there, as check_in prints them from a build directory.
distcheck() {
    cd "$top/build/gcc" || return 1
    make distcheck >distcheck.out 2>&1 && return 0
    # Short, so that the failing logs after it stay in what stage shows.
    tail -n 15 distcheck.out
    for d in metalog-*/_build/sub/tests; do
        [ -d "$d" ] && failed_logs "$d"
    done
    return 1
}


stage gcc         metalog_build gcc CC=gcc
stage gcc-check   check_in gcc
stage clang       metalog_build clang CC=clang
stage clang-check check_in clang
stage asan        metalog_build asan CC=clang \
    "CFLAGS=-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
asan_check() { ASAN_OPTIONS=detect_leaks=1 METALOG_TEST_SCALE=10 check_in asan; }
stage asan-check  asan_check
# The libFuzzer targets, both at once for a bounded time over a copy of
# the seed corpus (the checked-in one stays as it is). Any crash, leak,
# sanitizer report, timeout or failed output check fails the stage; the
# inputs that did are kept in build/fuzz/artifacts.
fuzz_run() {
    bash "$top/tests/fuzz/build.sh" "$top/build/fuzz" >/dev/null || return 1
    work=$(mktemp -d) || return 1
    art="$top/build/fuzz/artifacts"
    mkdir -p "$art"
    pids=""
    for t in config render; do
        cp -r "$top/tests/fuzz/corpus/$t" "$work/$t"
        dict=""
        [ -f "$top/tests/fuzz/$t.dict" ] && dict="-dict=$top/tests/fuzz/$t.dict"
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$top/build/fuzz/fuzz_$t" \
            -max_total_time=60 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $dict \
            -artifact_prefix="$art/$t-" "$work/$t" >"$work/$t.log" 2>&1 &
        pids="$pids $!"
    done
    rc=0
    set -- $pids
    for t in config render; do
        if ! wait "$1"; then
            rc=1
            echo "--- fuzz_$t"
            tail -n 40 "$work/$t.log"
        fi
        shift
        grep -E '^stat::number_of_executed_units' "$work/$t.log" | sed "s/^/fuzz_$t: /"
    done
    rm -rf "$work"
    return $rc
}
stage fuzz        fuzz_run
stage tsan        metalog_build tsan CC=gcc "CFLAGS=-g -O1 -fsanitize=thread"
tsan_check() {
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:die_after_fork=0 \
        METALOG_TEST_SCALE=1 check_in tsan \
        "TESTS=tests/test_threads tests/test_api tests/test_reload tests/test_async tests/test_async_caller tests/test_util"
}
stage tsan-check  tsan_check
stage valgrind  valgrind_suites
stage install   install_check
# The quick start after an in-tree ./configure, on a copy of the tree: once
# here rather than in every make check (two configures, about a minute).
stage intree    sh "$top/tests/test_intree_build.sh" "$top"
stage distcheck distcheck

read -r cp cf < <(count_checks)
echo "== tests in the gcc build: $cp passed, $cf failed; stages: $passed passed, $failed failed${failures:+ (failed:$failures)}"
echo "metalog: $((cp + passed)) passed, $((cf + failed)) failed"
[ "$failed" -eq 0 ] && [ "$cf" -eq 0 ]
