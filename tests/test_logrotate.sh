#!/bin/bash
# Debian's real logrotate against a live process logging from 4 threads:
#   create + postrotate kill -HUP: metalog reopens on the reload; nothing
#     lost, nothing repeated, no torn line, no hole.
#   copytruncate: O_APPEND writes land at the new end, so no NUL holes and
#     no torn lines. Records written between logrotate's copy and its
#     truncate are lost: that window belongs to copytruncate itself (its
#     manual says so), and the check reports how many it took.
#   README.md's "Running beside logrotate" sample, taken from between its
#     <!-- logrotate-sample --> markers as written (daily, compress,
#     delaycompress, create, postrotate kill -HUP), with the path and the
#     pid file put in: nothing lost, nothing repeated.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
PYTHON3=${PYTHON3:-/usr/bin/python3}
LOGROTATE=$(command -v logrotate || echo /usr/sbin/logrotate)
if [ ! -x "$LOGROTATE" ]; then
    echo "logrotate is not installed (apt-get install logrotate)"
    echo "0 passed, 1 failed"
    exit 1
fi
seqlog="$top_builddir/tests/seqlog"
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

THREADS=4
COUNT=3000
PAUSE_US=1000   # about 3 s of logging

# The sample between the two markers, without its code fence.
readme_sample() {
    [ "$(grep -c '^<!-- logrotate-sample -->$' "$top_srcdir/README.md")" -eq 2 ] || return 1
    sed -n '/^<!-- logrotate-sample -->$/,/^<!-- logrotate-sample -->$/p' "$top_srcdir/README.md" |
        grep -v -e '^<!-- logrotate-sample -->$' -e '^```'
}

run_mode() {
    mode=$1
    work=$(mktemp -d)
    if [ "$mode" = readme ]; then
        # As the README says: no rotation of metalog's own on the file.
        cat > "$work/metalog.yaml" <<Y
log_to_console: false
handlers:
  - type: file
    path: $work/app.log
    rotation: {size_mb: 0, every: none}
Y
    else
        cat > "$work/metalog.yaml" <<Y
log_to_console: false
rotation_size_mb: 0
log_file: $work/app.log
Y
    fi
    "$seqlog" "$work/metalog.yaml" $THREADS $COUNT $PAUSE_US > "$work/seqlog.out" &
    pid=$!
    echo $pid > "$work/seqlog.pid"
    for _ in $(seq 600); do grep -q ready "$work/seqlog.out" 2>/dev/null && break; sleep 0.05; done
    max_rotations=8
    if [ "$mode" = readme ]; then
        # rotate 7: six rotations delete nothing.
        max_rotations=6
        readme_sample | sed -e "s|/var/log/trading_bot/app.log|$work/app.log|" \
            -e "s|/run/trading_bot.pid|$work/seqlog.pid|" > "$work/logrotate.conf"
    elif [ "$mode" = create ]; then
        directives="create 0640
    postrotate
        kill -HUP $pid
    endscript"
    else
        directives="copytruncate"
    fi
    [ "$mode" = readme ] || cat > "$work/logrotate.conf" <<C
$work/app.log {
    rotate 100
    missingok
    nocompress
    $directives
}
C
    rotations=0
    while kill -0 $pid 2>/dev/null && [ $rotations -lt $max_rotations ]; do
        sleep 0.3
        "$LOGROTATE" -f -s "$work/state" "$work/logrotate.conf" && rotations=$((rotations + 1))
    done
    wait $pid
    rc=$?
    [ $rc -eq 0 ] && ok "$mode: the process ran to the end" || bad "$mode: seqlog exited $rc"
    [ $rotations -ge 3 ] && ok "$mode: $rotations rotations while logging" \
        || bad "$mode: only $rotations rotations"
    files=$(ls "$work"/app.log*)
    if [ "$mode" = readme ]; then
        # compress: the older rotated files are .gz; read them back.
        gz=$(ls "$work"/app.log*.gz 2>/dev/null | wc -l)
        [ "$gz" -ge 2 ] && ok "readme: logrotate compressed $gz files" \
            || bad "readme: logrotate compressed $gz files after $rotations rotations"
        for f in "$work"/app.log*.gz; do
            [ -e "$f" ] && gzip -dc "$f" > "${f%.gz}.plain" && rm "$f"
        done
        files=$(ls "$work"/app.log*)
        if out=$("$PYTHON3" "$top_srcdir/tests/check_seq.py" $THREADS $COUNT $files); then
            ok "readme: $out"
        else
            bad "readme: $out"
        fi
    elif [ "$mode" = create ]; then
        if out=$("$PYTHON3" "$top_srcdir/tests/check_seq.py" $THREADS $COUNT $files); then
            ok "create: $out"
        else
            bad "create: $out"
        fi
    else
        out=$("$PYTHON3" "$top_srcdir/tests/check_seq.py" --allow-loss $THREADS $COUNT $files)
        [ $? -eq 0 ] && ok "copytruncate: $out" || bad "copytruncate: $out"
    fi
    rm -rf "$work"
}

run_mode create
run_mode copytruncate
if readme_sample > /dev/null; then
    run_mode readme
else
    bad "readme: README.md has no sample between two <!-- logrotate-sample --> lines"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
