# What the shell tests share, sourced (POSIX sh) by a test as
#
#     . "$(dirname "$0")/lib.sh"
#
# $0 is the path make check runs the test by: the source tree's copy,
# whether the build is in the tree, in a build directory (VPATH) or in
# make distcheck's, so lib.sh is found beside it in each.
#
# It sets LC_ALL=C (a test wanting another locale sets it after), srcdir
# and builddir (from top_srcdir and top_builddir, which make check
# exports, or the test's own tree when it is run by hand), python, and
# the pass/fail counters. Variables of its own start with lib_, so that a
# test's i, pid or rest are never overwritten.

LC_ALL=C
export LC_ALL
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
python=${PYTHON3:-python3}

# ---- Verdicts ----
passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

# finish: the counts, then exit 0 when nothing failed, 1 otherwise. It
# ends a test, and stops one early after a fail that leaves nothing else
# to check.
finish() {
    printf '%d passed, %d failed\n' "$passed" "$failed"
    [ "$failed" -eq 0 ] && exit 0
    exit 1
}

# skip WHY: exit 77, which make check counts as skipped, saying why.
skip() {
    printf 'SKIP: %s\n' "$*"
    exit 77
}

# ---- The temporary directory, and what runs in the background ----
lib_pids=

# track PID: a background process the cleanup stops, should the test end
# (or be interrupted) with it still running.
track() { lib_pids="$lib_pids $1"; }

# untrack PID: one the test stopped itself, whose pid may be reused.
untrack() {
    lib_rest=
    for lib_p in $lib_pids; do
        [ "$lib_p" = "$1" ] || lib_rest="$lib_rest $lib_p"
    done
    lib_pids=$lib_rest
}

lib_cleanup() {
    for lib_p in $lib_pids; do
        kill "$lib_p" 2>/dev/null
    done
    wait 2>/dev/null
    [ -n "${tmp:-}" ] && rm -rf "$tmp"
}

# make_tmp: a new directory in $tmp, removed when the test exits, after
# every tracked process is stopped. A test interrupted (make check's ^C,
# a timeout's TERM) exits through the same cleanup: no rsyslogd is left
# holding a port.
make_tmp() {
    tmp=$(mktemp -d) || exit 1
    trap lib_cleanup EXIT
    trap 'exit 1' HUP INT TERM
}

# ---- Loopback ports ----

# free_ports KIND...: a free 127.0.0.1 port of each KIND (tcp or udp),
# all different, separated by spaces.
free_ports() {
    "$python" -c '
import socket, sys
kinds = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}
ss = []
for kind in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, kinds[kind])
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$@"
}

# port_listening PORT: a TCP socket listens on PORT (the kernel's table,
# /proc/net/tcp and tcp6, says so). No connection is made to find out:
# to a TLS server, one that closes at once is a failed handshake, which
# Debian 12's rsyslogd (8.2302) reports, and ends like every TLS session
# by closing its socket twice (see server_start in test_syslog_tls.sh).
port_listening() {
    "$python" -c "
import sys
port = '%04X' % $1
for table in ('/proc/net/tcp', '/proc/net/tcp6'):
    try:
        rows = open(table).read().splitlines()[1:]
    except OSError:
        continue
    for row in rows:
        f = row.split()
        if f[1].rsplit(':', 1)[1] == port and f[3] == '0A':  # 0A: LISTEN
            sys.exit(0)
sys.exit(1)"
}

# ---- Private rsyslogd ----

# require_rsyslogd: $rsyslogd, Debian's rsyslogd, or skip.
require_rsyslogd() {
    rsyslogd=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
    [ -x "$rsyslogd" ] || skip "rsyslogd is not installed (apt-get install rsyslog)"
}

# rsyslogd_start NAME [PORT [SOCKET]]: an rsyslogd in the background on
# the configuration $tmp/NAME.conf, its pid file $tmp/NAME.pid, what it
# prints appended to $tmp/NAME.log; tracked. With PORT, waits (10 s at
# the most) until it listens on PORT (TCP) and, with SOCKET, has made
# that unix socket; if it does not, shows what it printed and returns 1.
rsyslogd_start() {
    # A pid file left by a daemon killed hard makes the next one refuse
    # to start.
    rm -f "$tmp/$1.pid"
    "$rsyslogd" -n -f "$tmp/$1.conf" -i "$tmp/$1.pid" >>"$tmp/$1.log" 2>&1 &
    eval "lib_rsyslogd_$1=\$!"
    track $!
    [ -n "${2:-}" ] || return 0
    lib_i=0
    while [ $lib_i -lt 100 ]; do
        if { [ -z "${3:-}" ] || [ -S "$3" ]; } && port_listening "$2"; then
            return 0
        fi
        sleep 0.1
        lib_i=$((lib_i + 1))
    done
    cat "$tmp/$1.log"
    return 1
}

# rsyslogd_stop NAME: stops the rsyslogd rsyslogd_start NAME started, and
# waits until it has exited.
rsyslogd_stop() {
    eval "lib_pid=\$lib_rsyslogd_$1"
    kill "$lib_pid" 2>/dev/null
    wait "$lib_pid" 2>/dev/null
    untrack "$lib_pid"
}

# ---- Counting what arrived ----

# How long wait_lines waits, in seconds: at most wait_limit for the lines,
# then wait_settle more, for a duplicate to come. A test whose receiver
# is slower sets them after sourcing.
wait_limit=10
wait_settle=0.3

# wait_lines N COMMAND...: until COMMAND prints N lines (or wait_limit).
wait_lines() {
    lib_n=$1
    shift
    lib_i=0
    while [ $lib_i -lt $((wait_limit * 10)) ] && [ "$("$@" | wc -l)" -lt "$lib_n" ]; do
        sleep 0.1
        lib_i=$((lib_i + 1))
    done
    sleep "$wait_settle"
}

# exactly_once N COMMAND...: COMMAND prints 0 to N-1, sorted, each once.
# What it printed stays in $tmp/got, for got_line.
exactly_once() {
    lib_n=$1
    shift
    "$@" >"$tmp/got"
    seq 0 $((lib_n - 1)) >"$tmp/want"
    cmp -s "$tmp/got" "$tmp/want"
}

# got_line WANT: how far the last exactly_once was from WANT (a number,
# or a number and its unit): "got 1999 of WANT, 0 duplicated".
got_line() {
    echo "got $(wc -l <"$tmp/got") of $1, $(sort "$tmp/got" | uniq -d | wc -l) duplicated"
}

# ---- A syslog_probe run paced by the test ----
# phases_start CONFIG N1 N2 runs syslog_probe CONFIG phases N1 N2 and
# returns once its first N1 records are logged; phases_next lets it log
# the next N2 and returns once they are; phases_end lets it shut down and
# waits until it has. In between, the probe's output is read from
# descriptor 3, a FIFO: the test knows where the probe is without polling.
phases_start() {
    rm -rf "$tmp/marks" "$tmp/probe.fifo"
    mkdir "$tmp/marks"
    mkfifo "$tmp/probe.fifo"
    timeout 60 "$builddir/tests/syslog_probe" "$1" phases "$2" "$3" "$tmp/marks" \
        >"$tmp/probe.fifo" 2>&1 &
    lib_phases_pid=$!
    track "$lib_phases_pid"
    exec 3<"$tmp/probe.fifo"
    read -r lib_line <&3 # phase1
}
phases_next() {
    touch "$tmp/marks/go1"
    read -r lib_line <&3 # phase2
}
phases_end() {
    touch "$tmp/marks/go2"
    wait "$lib_phases_pid"
    untrack "$lib_phases_pid"
    exec 3<&-
}
