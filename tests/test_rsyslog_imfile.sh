#!/bin/sh
# contrib/rsyslog: a metalog JSON log shipped by rsyslog's imfile
# (metalog-ship.conf) to a collector (metalog-receive.conf), both Debian's
# rsyslogd started privately, the sender on the log's host and the
# collector on a loopback TCP port, with the samples' paths and ports put
# in and nothing else changed:
#
#   - every line metalog wrote arrives exactly once, byte for byte (so the
#     JSON survives, and the collector's mmjsonparse parsed it: it writes
#     only what parsed), hostile values, all levels and 20 KB records
#     included;
#   - records written while metalog rotates the file (size_mb: 1, four
#     rotations under the reader) are all shipped, none twice;
#   - the sender restarted (its position kept in its work directory) sends
#     the records written since and none of the earlier ones again.
#
# Environment: top_builddir.
# Exit status: 0 all passed, 1 any failed, 77 (skipped) without rsyslogd.

. "$(dirname "$0")/lib.sh"
require_rsyslogd
# Two daemons stand between the log and what arrives (imfile reading the
# file, then the collector): lines are given 20 s to arrive, and half a
# second more for a duplicate to come.
wait_limit=20
wait_settle=0.5

make_tmp
mkdir -p "$tmp/logs" "$tmp/ship" "$tmp/recv" "$tmp/remote"

port=$(free_ports tcp)

# The samples as an operator installs them: the path, the collector's
# address and the remote directory changed, a work directory per daemon.
{
    echo "global(workDirectory=\"$tmp/ship\")"
    sed -e "s|/var/log/trading_bot/app.log|$tmp/logs/app.log|" \
        -e "s|logs.example.net|127.0.0.1|" -e "s|6514|$port|" \
        "$srcdir/contrib/rsyslog/metalog-ship.conf"
} >"$tmp/ship.conf"
{
    echo "global(workDirectory=\"$tmp/recv\")"
    sed -e "s|/var/log/remote|$tmp/remote|" -e "s|6514|$port|" \
        "$srcdir/contrib/rsyslog/metalog-receive.conf"
} >"$tmp/recv.conf"

# written: every line metalog wrote, in the live file and its rotated ones.
written() { cat "$tmp"/logs/app.log.* "$tmp/logs/app.log" 2>/dev/null; }
received() { cat "$tmp"/remote/*/trading_bot.log 2>/dev/null; }

# same: the received lines are the written ones, each once, byte for byte.
same() {
    written | sort >"$tmp/want"
    received | sort >"$tmp/got"
    if cmp -s "$tmp/want" "$tmp/got"; then
        return 0
    fi
    echo "written $(wc -l <"$tmp/want"), received $(wc -l <"$tmp/got"), \
$(uniq -d "$tmp/got" | wc -l) duplicated; first difference:"
    diff "$tmp/want" "$tmp/got" | head -4 | cut -c1-200
    return 1
}

cat >"$tmp/metalog.yaml" <<EOC
log_level: DEBUG
log_to_console: false
handlers:
  - type: file
    path: $tmp/logs/app.log
    rotation: {size_mb: 1, backups: 20}
EOC

if ! rsyslogd_start recv "$port"; then
    fail "the collector starts"
    finish
fi
rsyslogd_start ship

# Hostile values, the five levels, then 20 KB records.
(
    cd "$tmp" &&
    "$builddir/tests/syslog_probe" metalog.yaml hostile &&
    "$builddir/tests/syslog_probe" metalog.yaml levels &&
    "$builddir/tests/seqlog" metalog.yaml 1 3 0 100 20000
) >"$tmp/probe.out" 2>&1 || cat "$tmp/probe.out"
wait_lines "$(written | wc -l)" received
if same && received | "$python" -c '
import json, sys
n = 0
for line in sys.stdin:
    json.loads(line)
    n += 1
print(n, "records, each one JSON object")'; then
    pass "every record arrives once, byte for byte, as JSON: hostile values, all levels, 20 KB lines"
else
    fail "every record arrives once, byte for byte, as JSON: hostile values, all levels, 20 KB lines"
fi

# 4000 records of about 1 KB over 2 s: four rotations while imfile reads.
# imfile follows a rotation by inode, but a file rotated away and renamed
# again before imfile got to it is missed: rotations as fast as the disk
# allows would test imfile, not metalog.
"$builddir/tests/seqlog" "$tmp/metalog.yaml" 1 4000 500 0 1000 >"$tmp/seqlog.out" 2>&1 ||
    cat "$tmp/seqlog.out"
rotated=$(ls "$tmp"/logs/app.log.* 2>/dev/null | wc -l)
wait_lines "$(written | wc -l)" received
if [ "$rotated" -ge 3 ] && same; then
    pass "records written across $rotated rotations are all shipped, none twice"
else
    fail "records written across $rotated rotations are all shipped, none twice"
fi

rsyslogd_stop ship
"$builddir/tests/seqlog" "$tmp/metalog.yaml" 1 10 0 200 >"$tmp/seqlog.out" 2>&1
rsyslogd_start ship
wait_lines "$(written | wc -l)" received
if same; then
    pass "a restarted sender ships what was written while it was down, and nothing again"
else
    fail "a restarted sender ships what was written while it was down, and nothing again"
fi

if grep -v '^$' "$tmp/ship.log" "$tmp/recv.log" | grep -qi 'error'; then
    cat "$tmp/ship.log" "$tmp/recv.log"
    fail "neither rsyslogd reports an error"
else
    pass "neither rsyslogd reports an error"
fi

finish
