#!/bin/sh
# The syslog handler against a real rsyslogd (Debian's rsyslog), started
# privately on a unix socket in a temporary directory and on loopback UDP
# and TCP ports, writing what its RFC 5424 parser found to files:
#
#   - N numbered records arrive exactly once over unix, udp and tcp;
#   - a forked child sends its own records, and the parent's only once;
#   - PRI is facility * 8 + severity for every level;
#   - hostile structured-data values come back unchanged from rsyslog's
#     own SD parser (mmpstrucdata);
#   - a TCP server killed and started again mid-run: the handler
#     reconnects and what was logged while it was down is delivered;
#   - a TCP server that accepts and never reads never slows the log call:
#     100000 calls, each batch of 1000 fast, the losses counted.
#
# Environment: top_builddir (the driver is $top_builddir/tests/syslog_probe).
# Exit status: 0 all passed, 1 any failed, 77 (skipped) without rsyslogd.

. "$(dirname "$0")/lib.sh"
probe=$builddir/tests/syslog_probe
require_rsyslogd
command -v python3 >/dev/null || skip "python3 is needed for the hung server"

make_tmp

# Three free loopback ports: udp, tcp, and the hung server's.
set -- $(free_ports udp tcp tcp)
udp_port=$1
tcp_port=$2
hung_port=$3

cat >"$tmp/rsyslog.conf" <<EOC
global(workDirectory="$tmp")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$tmp/log.sock" UseSpecialParser="off" ParseHostname="on"
      IgnoreTimestamp="off")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$udp_port" rcvbufSize="4m")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$tcp_port")
module(load="mmpstrucdata")
template(name="fields" type="string"
         string="%inputname%|%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\n")
template(name="sd" type="string" string="%app-name% %\$!rfc5424-sd%\n")
action(type="mmpstrucdata")
*.* action(type="omfile" file="$tmp/out.log" template="fields")
*.* action(type="omfile" file="$tmp/sd.log" template="sd")
EOC

# The server listens on the TCP port and the unix socket; the socket is
# removed when it stops, so that starting again waits for the new one.
start_rsyslog() { rsyslogd_start rsyslog "$tcp_port" "$tmp/log.sock"; }
stop_rsyslog() {
    rsyslogd_stop rsyslog
    rm -f "$tmp/log.sock"
}

# config NAME ADDRESS [EXTRA_LINES]: a configuration logging everything to
# one syslog handler, app_name NAME (which tells the runs apart).
config() {
    printf 'log_to_console: false\nlog_level: DEBUG\nhandlers:\n  - type: syslog\n    address: %s\n    app_name: %s\n%s' \
        "$2" "$1" "${3:-}" >"$tmp/$1.yaml"
    echo "$tmp/$1.yaml"
}

# seqs NAME: the seq values rsyslog parsed for app NAME, sorted.
seqs() {
    awk -F'|' -v app="$1" '$5 == app { print $8 }' "$tmp/out.log" 2>/dev/null |
        sed -n 's/.*seq="\([0-9]*\)".*/\1/p' | sort -n
}

start_rsyslog || { fail "rsyslogd did not start"; finish; }

# ---- Exactly once, each transport ----
n=2000
for t in unix udp tcp; do
    case $t in
    unix) addr=unix://$tmp/log.sock pause=0 ;;
    udp) addr=udp://127.0.0.1:$udp_port pause=50 ;; # loopback, paced: no loss expected
    tcp) addr=tcp://127.0.0.1:$tcp_port pause=0 ;;
    esac
    cfg=$(config "once-$t" "$addr")
    timeout 60 "$probe" "$cfg" seq $n $pause >"$tmp/probe.out" 2>&1 || cat "$tmp/probe.out"
    wait_lines $n seqs "once-$t"
    if exactly_once $n seqs "once-$t"; then
        pass "$n numbered records arrive exactly once over $t"
    else
        fail "$t: $(got_line "$n records")"
    fi
done

# ---- fork: the child sends its own records, not the parent's queue ----
cfg=$(config fork "tcp://127.0.0.1:$tcp_port")
timeout 60 "$probe" "$cfg" fork 2000 >/dev/null 2>&1 || fail "fork: the probe failed"
wait_lines 6000 seqs fork
if exactly_once 6000 seqs fork; then
    pass "a forked child delivers its own records over its own connection; nothing twice"
else
    fail "fork: $(got_line "6000 records")"
fi

# ---- PRI per level and facility ----
for fac in "local3 19" "daemon 3"; do
    set -- $fac
    cfg=$(config "pri-$1" "tcp://127.0.0.1:$tcp_port" "    facility: $1
")
    timeout 60 "$probe" "$cfg" levels >/dev/null 2>&1
    i=0
    while [ $i -lt 50 ] && [ "$(awk -F'|' -v a="pri-$1" '$5 == a' "$tmp/out.log" | wc -l)" -lt 5 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    got=$(awk -F'|' -v a="pri-$1" '$5 == a { print $8 "=" $2 }' "$tmp/out.log" | tr '\n' ' ')
    b=$(($2 * 8))
    want="[metalog@32473 lvl=\"DEBUG\"]=$((b + 7)) [metalog@32473 lvl=\"INFO\"]=$((b + 6)) [metalog@32473 lvl=\"WARNING\"]=$((b + 4)) [metalog@32473 lvl=\"ERROR\"]=$((b + 3)) [metalog@32473 lvl=\"CRITICAL\"]=$((b + 2)) "
    if [ "$got" = "$want" ]; then
        pass "PRI is facility $1 * 8 + the level's severity"
    else
        fail "PRI for $1: got $got, want $want"
    fi
done

# ---- Hostile SD values through rsyslog's SD parser ----
cfg=$(config hostile "unix://$tmp/log.sock")
timeout 60 "$probe" "$cfg" hostile >/dev/null 2>&1
# 12 records: the 10 values, the keys and the types.
i=0
while [ $i -lt 100 ] && [ "$(grep -c '^hostile ' "$tmp/sd.log" 2>/dev/null)" -lt 12 ]; do
    sleep 0.1
    i=$((i + 1))
done
if python3 - "$tmp/sd.log" <<'EOP'; then
import json, sys
want = ["plain", 'a"quote', "back\\slash", "close]bracket", 'all"\\]three', ']"\\',
        "eq=sign", "sp ace", "caf\u00e9", "\\]"]
got = {}
keys = types = None
for line in open(sys.argv[1], encoding="utf-8"):
    app, _, sd = line.partition(" ")
    if app != "hostile":
        continue
    e = json.loads(sd)["metalog@32473"]
    if "v" in e:
        got[int(e["i"])] = e["v"]
    elif "a_b" in e:
        keys = e
    else:
        types = e
ok = [got.get(i) for i in range(len(want))] == want
ok &= keys == {"a_b": "1", "c_d": "2", "e_f": "3", "g_h": "4"}
ok &= types == {"t": "true", "f": "false", "d": "0.1", "e": "1e+21", "n": "-5", "z": "null"}
if not ok:
    print(got, keys, types)
sys.exit(0 if ok else 1)
EOP
    pass "hostile structured-data values and keys come back unchanged from rsyslog's SD parser"
else
    fail "hostile SD values did not round-trip (see above)"
fi

# ---- TCP server restart mid-run ----
cfg=$(config restart "tcp://127.0.0.1:$tcp_port" "    shutdown_timeout_seconds: 30
")
phases_start "$cfg" 500 500
wait_lines 500 seqs restart
stop_rsyslog
phases_next # 500 more logged while the server is down
start_rsyslog || fail "rsyslogd did not start again"
phases_end
wait_lines 1000 seqs restart
if exactly_once 1000 seqs restart; then
    pass "after a TCP server restart the handler reconnects and delivers what was logged meanwhile, once"
else
    fail "restart: $(got_line "1000 records")"
fi

# ---- A server that accepts and never reads ----
python3 -c "
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $hung_port))
s.listen(16)
conns = []
while True:
    c, _ = s.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    conns.append(c)
" &
track $!
sleep 0.3
cfg=$(config hung "tcp://127.0.0.1:$hung_port" "    queue_size: 1000
    timeout_seconds: 1
    shutdown_timeout_seconds: 1
")
start=$(date +%s)
timeout 60 "$probe" "$cfg" flood 100000 1000 >"$tmp/flood.out" 2>&1
end=$(date +%s)
slowest=$(awk '$1 == "slowest_batch_us" { print $2 }' "$tmp/flood.out")
lost=$(awk '$1 == "write_errors" { print $2 }' "$tmp/flood.out")
if [ -n "$slowest" ] && [ "$slowest" -lt 500000 ] && [ "${lost:-0}" -gt 0 ] &&
    [ $((end - start)) -le 10 ] && grep -q '^done' "$tmp/flood.out"; then
    pass "a server that never reads never slows the log call (slowest batch of 1000: ${slowest} us; $lost records counted lost)"
else
    fail "hung server: slowest batch ${slowest:-?} us, lost ${lost:-?}, $((end - start)) s: $(cat "$tmp/flood.out")"
fi

finish
