#!/bin/sh
# contrib/systemd/trading_bot.service, the sample unit the README shows:
#
#   - systemd-analyze verify finds nothing to say about it (with its
#     programs put at the build's paths, since verify wants them to
#     exist);
#   - its ExecReload= lines, run in order as systemd runs them (each must
#     succeed before the next), against a live process: a valid
#     configuration is reloaded (metalog logs "config reloaded"); a broken
#     one makes the reload fail at metalog-check, so no signal is sent and
#     the process logs no "config reload failed".
#
# Environment: top_srcdir, top_builddir.
# Exit status: 0 all passed, 1 any failed, 77 (skipped) without systemd-analyze.

. "$(dirname "$0")/lib.sh"
unit=$srcdir/contrib/systemd/trading_bot.service
command -v systemd-analyze >/dev/null ||
    skip "systemd-analyze is not installed (apt-get install systemd)"

make_tmp

# The unit with its programs and configuration in the build and $tmp.
sed -e "s|/usr/local/bin/metalog-check|$builddir/tools/metalog-check|g" \
    -e "s|/usr/local/bin/trading_bot|$builddir/examples/trading_bot|g" \
    -e "s|/etc/trading_bot/metalog.yaml|$tmp/metalog.yaml|g" \
    "$unit" >"$tmp/trading_bot.service"

if systemd-analyze verify "$tmp/trading_bot.service" >"$tmp/verify.out" 2>&1 &&
    [ ! -s "$tmp/verify.out" ]; then
    pass "systemd-analyze verify accepts the unit without a warning"
else
    cat "$tmp/verify.out"
    fail "systemd-analyze verify accepts the unit without a warning"
fi

if grep -qx 'ExecReload=/bin/kill -HUP \$MAINPID' "$unit"; then
    pass "the unit reloads with ExecReload=/bin/kill -HUP \$MAINPID"
else
    fail "the unit reloads with ExecReload=/bin/kill -HUP \$MAINPID"
fi

# reload: runs the unit's ExecReload= commands in order, $MAINPID the live
# process, stopping at the first that fails, as systemctl reload does.
reload() {
    sed -n 's/^ExecReload=//p' "$tmp/trading_bot.service" | while IFS= read -r cmd; do
        MAINPID=$pid sh -c "$(printf '%s' "$cmd" | sed 's/\$MAINPID/"$MAINPID"/g')" || exit 1
    done
}

# count TEXT: lines of the log holding TEXT.
count() { grep -c "$1" "$tmp/app.log" 2>/dev/null || true; }

cat >"$tmp/metalog.yaml" <<EOC
log_to_console: false
log_file: $tmp/app.log
EOC
# A stand-in for the program: logs for about 20 s unless stopped.
"$builddir/tests/seqlog" "$tmp/metalog.yaml" 1 20000 1000 >"$tmp/seqlog.out" 2>&1 &
pid=$!
track "$pid"
i=0
while ! grep -q ready "$tmp/seqlog.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

# wait_for TEXT: until the log holds a line with TEXT, or 5 s.
wait_for() {
    i=0
    while [ "$(count "$1")" -eq 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(count "$1")" -gt 0 ]
}

if reload && wait_for '"config reloaded"'; then
    pass "the unit's ExecReload reloads a valid configuration"
else
    fail "the unit's ExecReload reloads a valid configuration"
fi

printf 'log_to_console: false\nlog_file: %s\nlog_levle: DEBUG\n' "$tmp/app.log" >"$tmp/metalog.yaml"
if reload >"$tmp/reload.out" 2>&1; then
    fail "the unit's ExecReload fails on a broken configuration"
else
    sleep 1.2 # long enough for a signal, had one been sent, to be handled
    if grep -q 'log_levle' "$tmp/reload.out" && [ "$(count '"config reload failed"')" -eq 0 ] &&
        kill -0 "$pid"; then
        pass "the unit's ExecReload fails on a broken configuration, naming the key, and sends no signal"
    else
        cat "$tmp/reload.out"
        fail "the unit's ExecReload fails on a broken configuration, naming the key, and sends no signal"
    fi
fi

finish
