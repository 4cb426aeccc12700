#!/bin/sh
# make bench: builds bench_loggers with the peers that are installed, runs
# every case, writes bench/RESULTS.md and bench/results.png.
#
# The peers are found here, not by configure, so that ./configure works on
# machines without them: a peer whose headers are missing (or that does
# not compile) is listed as skipped in RESULTS.md, never stood in for.
#
# Environment (make passes the first group):
#   top_srcdir top_builddir CC CXX YAML_LIBS CURL_LIBS JSONC_CFLAGS JSONC_LIBS
#   BENCH_RECORDS (per thread, default 1000000)  BENCH_THREADS ("1 4")
#   BENCH_DIR (temp dirs, default /tmp)  BENCH_CASES (only these cases)
#   BENCH_SHAPES (only these of: const4 vary4 vary8 mix spread)
#   BENCH_DISABLED_CALLS (100000000)  BENCH_SPDLOG_QUEUE (8192)
#   BENCH_CFLAGS (-O2 -g)  BENCH_KEEP=1 (keep the log files)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${top_srcdir:-$here/..}" && pwd)
build=$(cd "${top_builddir:-.}" && pwd)
out="$build/bench/build"
mkdir -p "$out"
CC=${CC:-cc}
CXX=${CXX:-g++}
cflags=${BENCH_CFLAGS:--O2 -g}
pkgs() { pkg-config "$@" 2>/dev/null || true; }
YAML_LIBS=${YAML_LIBS:-$(pkgs --libs yaml-0.1)}
CURL_LIBS=${CURL_LIBS:-$(pkgs --libs libcurl) $(pkgs --libs zlib)}
JSONC_CFLAGS=${JSONC_CFLAGS:-$(pkgs --cflags json-c)}
JSONC_LIBS=${JSONC_LIBS:-$(pkgs --libs json-c)}

# metalog itself: the static archive libtool built (no LD_LIBRARY_PATH,
# and the same code the shared library holds), else the shared one.
if [ -f "$build/.libs/libmetalog.a" ]; then
    metalog_lib="$build/.libs/libmetalog.a"
elif [ -f "$build/.libs/libmetalog.so" ]; then
    metalog_lib="-L$build/.libs -Wl,-rpath,$build/.libs -lmetalog"
else
    echo "bench: libmetalog is not built (run make first)" >&2
    exit 2
fi

log="$out/build.log"
: >"$log"
tsv="$out/results.tsv"
: >"$tsv"
defs="" objs="" libs="" linker=$CC peers=""

cc_obj() { # compiler, source, extra flags...
    comp=$1 file=$2
    shift 2
    obj="$out/$(basename "$file" | sed 's/\.[a-z]*$//').o"
    echo "$comp $cflags -c $file $*" >>"$log"
    $comp $cflags -Wall -Wextra -I"$src/include" -c "$file" -o "$obj" "$@" >>"$log" 2>&1 &&
        objs="$objs $obj"
}

skip() { # name, reason
    printf 'skip\t%s\t%s\n' "$1" "$2" >>"$tsv"
    echo "bench: skipping $1: $2" >&2
}

for f in bench_harness bench_validate bench_report bench_render bench_shape bench_metalog; do
    cc_obj "$CC" "$here/$f.c" $JSONC_CFLAGS || { cat "$log" >&2; exit 2; }
done

if ! command -v "$CXX" >/dev/null 2>&1; then
    skip "spdlog-sync, spdlog-async" "no C++ compiler ($CXX)"
    skip glog "no C++ compiler ($CXX)"
else
    if pkg-config --exists spdlog 2>/dev/null; then
        if cc_obj "$CXX" "$here/bench_spdlog.cpp" -std=c++17 $(pkg-config --cflags spdlog); then
            defs="$defs -DBENCH_HAVE_SPDLOG" libs="$libs $(pkg-config --libs spdlog)" linker=$CXX
            peers="$peers, spdlog $(pkg-config --modversion spdlog)"
        else
            skip "spdlog-sync, spdlog-async" "installed but bench_spdlog.cpp did not compile (bench/build/build.log)"
        fi
    else
        skip "spdlog-sync, spdlog-async" "not installed (pkg-config spdlog: Debian libspdlog-dev)"
    fi
    if pkg-config --exists libglog 2>/dev/null; then
        if cc_obj "$CXX" "$here/bench_glog.cpp" -std=c++17 $(pkg-config --cflags libglog); then
            defs="$defs -DBENCH_HAVE_GLOG" libs="$libs $(pkg-config --libs libglog)" linker=$CXX
            peers="$peers, glog $(pkg-config --modversion libglog)"
        else
            skip glog "installed but bench_glog.cpp did not compile (bench/build/build.log)"
        fi
    else
        skip glog "not installed (pkg-config libglog: Debian libgoogle-glog-dev)"
    fi
fi
if [ -f /usr/include/log4c.h ] || [ -f /usr/local/include/log4c.h ]; then
    if cc_obj "$CC" "$here/bench_log4c.c"; then
        defs="$defs -DBENCH_HAVE_LOG4C" libs="$libs -llog4c"
        v=$(log4c-config --version 2>/dev/null || echo "?")
        peers="$peers, log4c $v"
    else
        skip log4c "installed but bench_log4c.c did not compile (bench/build/build.log)"
    fi
else
    skip log4c "not installed (/usr/include/log4c.h: Debian liblog4c-dev)"
fi

# bench_main.c lists the cases: rebuild it with the peers that compiled.
cc_obj "$CC" "$here/bench_main.c" $defs $JSONC_CFLAGS || { cat "$log" >&2; exit 2; }
objs=$(echo "$objs" | tr ' ' '\n' | sort -u | tr '\n' ' ')
bin="$out/bench_loggers"
echo "$linker -o $bin $objs $metalog_lib ..." >>"$log"
# shellcheck disable=SC2086
$linker $cflags -o "$bin" $objs $metalog_lib $YAML_LIBS $CURL_LIBS $JSONC_LIBS $libs -pthread -ldl \
    >>"$log" 2>&1 || { cat "$log" >&2; exit 2; }

# The same benchmark against the INSTALLED shared library, linked as the
# README tells applications to: installed into a private DESTDIR, found
# through its metalog.pc, with an rpath (no LD_LIBRARY_PATH). Only the
# metalog cases and the ceilings are in it; bench_loggers runs it as the
# child of the "(.so)" rows (BENCH_SO_BIN).
so_bin="$out/bench_loggers_so"
so_note=""
inst="$out/inst"
rm -rf "$inst" "$so_bin"
mkdir -p "$out/so"
if make -C "$build" install DESTDIR="$inst" >>"$log" 2>&1 &&
    pc=$(find "$inst" -name metalog.pc | head -1) && [ -n "$pc" ]; then
    prefix=$(sed -n 's/^prefix=//p' "$pc")
    pcq() { PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --define-variable=prefix="$inst$prefix" "$@" metalog; }
    so_cflags=$(pcq --cflags)
    so_libs=$(pcq --libs)
    so_libdir=$(pcq --variable=libdir)
    echo "pkg-config: cflags $so_cflags libs $so_libs" >>"$log"
    so_objs=""
    for f in bench_metalog bench_main; do
        echo "$CC $cflags -c $here/$f.c $so_cflags" >>"$log"
        # shellcheck disable=SC2086
        $CC $cflags -Wall -Wextra $so_cflags $JSONC_CFLAGS -c "$here/$f.c" -o "$out/so/$f.o" \
            >>"$log" 2>&1 && so_objs="$so_objs $out/so/$f.o"
    done
    # shellcheck disable=SC2086
    if $CC $cflags -o "$so_bin" $so_objs "$out/bench_harness.o" "$out/bench_validate.o" \
        "$out/bench_report.o" "$out/bench_render.o" "$out/bench_shape.o" \
        $so_libs -Wl,-rpath,"$so_libdir" $JSONC_LIBS -pthread >>"$log" 2>&1; then
        linked=$(ldd "$so_bin" | grep 'libmetalog' | sed 's/^[[:space:]]*//')
        case "$linked" in
        *"=> $inst/"*)
            # Relative to the build directory: RESULTS.md is committed.
            so_note=$(printf '%s' "$linked" | sed "s|$build/|build dir/|; s| (0x[0-9a-f]*)||")
            export BENCH_SO_BIN="$so_bin" ;;
        *)
            echo "bench: $so_bin does not load the installed libmetalog.so: $linked" >&2
            exit 2 ;;
        esac
    else
        skip "metalog (.so)" "the build against the installed library failed (bench/build/build.log)"
    fi
else
    skip "metalog (.so)" "make install DESTDIR=$inst failed or installed no metalog.pc (bench/build/build.log)"
fi

rev=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo "?")
if [ -n "$(git -C "$src" status --porcelain -- src include 2>/dev/null)" ]; then
    rev="$rev with uncommitted changes in src/ or include/"
fi
{
    printf 'meta\tmetalog\t%s (%s)\n' "$rev" "$(basename "$metalog_lib" | sed 's/^-L.*/libmetalog.so/')"
    [ -n "$so_note" ] && printf 'meta\tmetalog .so (ldd)\t%s\n' "$so_note"
    printf 'meta\tpeers\t%s\n' "${peers#, }"
    printf 'meta\tcompilers\t%s; %s; bench flags %s\n' "$($CC --version | head -1)" \
        "$($CXX --version 2>/dev/null | head -1)" "$cflags"
    printf 'meta\tdisabled_calls\t%s\n' "${BENCH_DISABLED_CALLS:-100000000}"
    [ -n "${BENCH_SPDLOG_QUEUE:-}" ] && printf 'meta\tspdlog async queue\t%s (BENCH_SPDLOG_QUEUE)\n' "$BENCH_SPDLOG_QUEUE"
    true
} >>"$tsv"

printf 'meta\tload average before the run\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$tsv"
echo "bench: $(( ${BENCH_RECORDS:-1000000} )) records per thread, threads: ${BENCH_THREADS:-1 4}," \
    "shapes: ${BENCH_SHAPES:-const4 vary4 vary8 mix spread}" >&2
"$bin" all "$tsv"
# Other work on the machine shows here: the run shares its CPUs.
printf 'meta\tload average after the run\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$tsv"

status=0
"$bin" report "$tsv" "$here/RESULTS.md" "$out/results.dat" || status=$?
if command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "datafile='$out/results.dat'; outfile='$here/results.png'; records='${BENCH_RECORDS:-1000000}'" \
        "$here/plot.gp" || echo "bench: gnuplot failed; no chart" >&2
else
    echo "bench: gnuplot not installed (Debian gnuplot-nox): no chart" >&2
fi
echo "bench: wrote $here/RESULTS.md and $here/results.png" >&2
if [ "$status" -ne 0 ]; then
    echo "bench: *** SOME CASES FAILED: see the check column of $here/RESULTS.md ***" >&2
fi
exit "$status"
