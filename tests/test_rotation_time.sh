#!/bin/bash
# Time rotation, compression and retention of file handlers, from the
# outside: tests/seqlog logs numbered records through days of a fast clock
# (libfaketime), and the files it leaves are held against CONFIG.md:
#   - every record once, in the file of the period its own timestamp falls
#     in (UTC by default, local time with utc: false), named
#     app.log.<period start> (YYYY-MM-DD, YYYY-MM-DDTHH, YYYY-MM-DDTHHMM),
#     further pieces of a period .1, .2, ... in the order written;
#   - compress: gzip leaves only whole .gz streams once the program exits,
#     read back with zlib (tests/gz_read);
#   - retention (backups, max_age_days, max_total_mb) deletes the oldest
#     rotated files of this log only, those of earlier runs included;
#   - a program started after its file's period rolls the file first;
#   - two processes on one file rotate it once per period.
# libfaketime fakes the program's clock only: file modification times stay
# on the real clock, so the fake clocks start within a day of the real one
# and ages are set with touch -d.
set -u
: "${top_builddir:?}" "${top_srcdir:?}"
PYTHON3=${PYTHON3:-/usr/bin/python3}
# libfaketime itself, not the faketime command: the command forks, so a
# timeout or a kill -9 would reach it and not the program.
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 /usr/local/lib/faketime/libfaketime.so.1 \
    /usr/lib/faketime/libfaketime.so.1 2> /dev/null | head -n 1)
if [ -z "$FAKETIME_LIB" ]; then
    echo "libfaketime is not installed (apt-get install faketime): skipping the time rotation tests"
    exit 77
fi
seqlog="$top_builddir/tests/seqlog"
GZ_READ="$top_builddir/tests/gz_read"
export GZ_READ
# Timeouts and the async writer's waits stay on the real clock; stat
# reports real modification times.
export FAKETIME_DONT_FAKE_MONOTONIC=1 NO_FAKE_STAT=1
preload="$FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}"
pass=0
fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

DAY=86400
# The next real UTC midnight: every fake clock is placed around it.
base=$((($(date +%s) / DAY + 1) * DAY))

# fake EPOCH [SPEED]: a FAKETIME spec whose clock reads EPOCH now and runs
# SPEED times as fast. An offset, not "@", so that processes started with
# the same spec share one clock.
fake() {
    local off=$(($1 - $(date +%s)))
    [ $off -ge 0 ] && off="+$off"
    if [ "${2:-1}" = 1 ]; then echo "${off}s"; else echo "${off}s x$2"; fi
}

# setup NAME ROTATION [ASYNC]: a fresh directory $w with $w/metalog.yaml
# logging JSON to $w/logs/app.log with the given rotation block.
setup() {
    w="$root/$(echo "$1" | tr -c 'A-Za-z0-9_\n' _)"
    mkdir -p "$w/logs"
    cat > "$w/metalog.yaml" << Y
log_to_console: false
async_logging: ${3:-false}
handlers:
  - name: app
    type: file
    path: $w/logs/app.log
    format: json
    rotation: {$2}
Y
}

# run FAKESPEC THREADS COUNT PAUSE_US [FIRST_T [PAD]]: seqlog on $w's
# configuration under the fake clock; its stderr in $w/err. PAUSE_US is on
# the fake clock (libfaketime scales sleeps by the speed).
run() {
    local spec=$1
    shift
    timeout 60 env LD_PRELOAD="$preload" FAKETIME="$spec" \
        "$seqlog" "$w/metalog.yaml" "$@" > "$w/out" 2> "$w/err"
}

# why: seqlog's exit and its first error line, for a FAIL message.
why() { echo "seqlog exited $1: $(head -n 3 "$w/err" | cut -c 1-200 | sed "s|$w/||" | tr '\n' ' ')"; }

# check EVERY UTC THREADS COUNT [OPTIONS]: tests/seqlog's output in
# $w/logs against the rotation spec; prints a summary and the problems.
#   --min-periods N  the records span at least N periods (else the run
#                    did not cross the boundaries it was meant to)
#   --gz / --plain   every rotated file is / none is .gz
#   --pieces         some period was split in numbered pieces
#   --no-pieces      no period was
#   --max-bytes N    no file holds more than N bytes
#   --rotated N      exactly N rotated files
#   --late-ok        records of an earlier period in the live file are
#                    counted, not failed (another process rotated the file
#                    between their timestamp and their write)
#   --others-ok      files of other names are listed, not failed
#   --torn-ok        a torn line in the live file is listed, not failed
#                    (kill -9 can end a write at a page boundary)
check() {
    "$PYTHON3" - "$w/logs" app.log "$@" << 'PY'
import datetime, json, os, re, subprocess, sys

d, base, every, utc, threads, count = sys.argv[1:7]
utc, threads, count = utc == "1", int(threads), int(count)
opts = sys.argv[7:]
def opt(name):
    return opts[opts.index(name) + 1] if name in opts else None

DATE = r"\d{4}-\d{2}-\d{2}"
hhmm = re.fullmatch(r"(\d{2}):(\d{2})", every)
label_re = {"minute": DATE + r"T\d{4}", "hourly": DATE + r"T\d{2}",
            "daily": DATE, "weekly": DATE}.get(every, DATE if hhmm else None)
if label_re:
    name_re = re.compile(re.escape(base) + r"\.(" + label_re + r")(?:\.(\d+))?(\.gz)?")
else:
    name_re = re.compile(re.escape(base) + r"\.()(\d+)(\.gz)?")

def period(ts):
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    t = t.replace(tzinfo=datetime.timezone.utc)
    if not utc:
        t = t.astimezone()          # the TZ of the environment
    if every == "minute":
        return t.strftime("%Y-%m-%dT%H%M")
    if every == "hourly":
        return t.strftime("%Y-%m-%dT%H")
    if every == "daily":
        return t.strftime("%Y-%m-%d")
    if every == "weekly":
        return (t - datetime.timedelta(days=t.weekday())).strftime("%Y-%m-%d")
    if hhmm:
        start = t.replace(hour=int(hhmm[1]), minute=int(hhmm[2]), second=0, microsecond=0)
        if t < start:
            start -= datetime.timedelta(days=1)
        return start.strftime("%Y-%m-%d")
    return ""

problems, notes, files = [], [], []
for name in sorted(os.listdir(d)):
    path = os.path.join(d, name)
    if name == base:
        files.append((1, "", 0, name, False))
        continue
    m = name_re.fullmatch(name)
    if not m:
        (notes if "--others-ok" in opts else problems).append(
            f"{name}: not a name a rotated file of {base} may have")
        continue
    label, n, gz = m[1], int(m[2] or 0), bool(m[3])
    # Size-only names: app.log.1 is the newest, so it is read last.
    files.append((0, label, -n if not label_re else n, name, gz))
files.sort()
if not files or files[-1][0] != 1:
    problems.append(f"no {base}: the live file is missing")
if "--gz" in opts:
    problems += [f"{f[3]}: rotated but not compressed" for f in files if f[0] == 0 and not f[4]]
if "--plain" in opts:
    problems += [f"{f[3]}: compressed without compress: gzip" for f in files if f[4]]
rotated = [f[3] for f in files if f[0] == 0]
if opt("--rotated") and len(rotated) != int(opt("--rotated")):
    problems.append(f"{len(rotated)} rotated files, not {opt('--rotated')}: {rotated}")
numbered = [f[3] for f in files if f[0] == 0 and label_re and f[2] > 0]
if "--pieces" in opts and not numbered:
    problems.append("no period was split in numbered pieces")
if "--no-pieces" in opts and numbered:
    problems.append(f"numbered pieces where none were due: {numbered}")

seen, last_seq, labels, per_file = {}, {}, set(), []
live_labels = []
for live, label, n, name, gz in files:
    path = os.path.join(d, name)
    if gz:
        r = subprocess.run([os.environ["GZ_READ"], path], capture_output=True)
        if r.returncode != 0:
            problems.append(f"{name}: {r.stderr.decode(errors='replace').strip()}")
        data = r.stdout
    else:
        with open(path, "rb") as f:
            data = f.read()
    if opt("--max-bytes") and len(data) > int(opt("--max-bytes")):
        problems.append(f"{name}: {len(data)} bytes, more than {opt('--max-bytes')}")
    if b"\0" in data:
        problems.append(f"{name}: NUL bytes (a hole)")
    torn = notes if live and "--torn-ok" in opts else problems
    if data and not data.endswith(b"\n"):
        torn.append(f"{name}: ends inside a line")
    wrong = []
    lines = data.split(b"\n")[:-1]
    for i, line in enumerate(lines, 1):
        try:
            rec = json.loads(line)
        except ValueError:
            torn.append(f"{name}:{i}: not JSON: {line[:100]!r}")
            continue
        p = period(rec["timestamp"])
        labels.add(p)
        if live:
            live_labels.append((p, rec["timestamp"]))
        elif label_re and p != label:
            wrong.append(rec["timestamp"])
        if rec.get("event") != "tick":
            continue
        key = (rec["t"], rec["seq"])
        seen[key] = seen.get(key, 0) + 1
        if rec["seq"] <= last_seq.get(rec["t"], -1):
            problems.append(f"{name}:{i}: t={rec['t']} seq={rec['seq']} after seq={last_seq[rec['t']]}: out of order")
        last_seq[rec["t"]] = rec["seq"]
    if wrong:
        problems.append(f"{name}: {len(wrong)} records of another period, e.g. {wrong[:3]}")
    per_file.append(f"{name}:{len(lines)}")
if label_re and labels:
    stray = [ts for p, ts in live_labels if p != max(labels)]
    if stray:
        (notes if "--late-ok" in opts else problems).append(
            f"{base}: {len(stray)} records before the last period {max(labels)}, "
            f"e.g. {stray[:3]}")
dup = [k for k, c in seen.items() if c > 1]
missing = [(t, s) for t in range(threads) for s in range(count) if (t, s) not in seen]
if dup:
    problems.append(f"{len(dup)} records duplicated, e.g. {dup[:5]}")
if missing:
    problems.append(f"{len(missing)} records lost, e.g. {missing[:5]}")
if opt("--min-periods") and len(labels) < int(opt("--min-periods")):
    problems.append(f"the records span {len(labels)} periods, fewer than the "
                    f"{opt('--min-periods')} the run was meant to cross")
for p in problems[:12] + notes:
    print("   ", p)
span = f" ({min(labels)} .. {max(labels)})" if label_re and labels else ""
print(f"{len(seen)} records of {threads * count} in {len(files)} files, "
      f"{len(labels) if label_re else 'no'} periods{span}: {' '.join(per_file)}; "
      f"{len(problems)} problems" + (f", {len(notes)} notes" if notes else ""))
sys.exit(1 if problems else 0)
PY
}

# verdict NAME RC: ok or FAIL with the checker's lines in $w/check.
verdict() {
    if [ "$2" -eq 0 ]; then
        ok "$1: $(tail -n 1 "$w/check")"
    else
        bad "$1: $(tail -n 1 "$w/check")"
    fi
    head -n -1 "$w/check"
}

# scenario NAME ROTATION ASYNC FAKESPEC COUNT PAUSE_US PAD -- CHECK_ARGS...:
# one thread of seqlog, then check.
scenario() {
    local name=$1 rotation=$2 async=$3 spec=$4 count=$5 pause=$6 pad=$7
    shift 8
    setup "$name" "$rotation" "$async"
    run "$spec" 1 "$count" "$pause" 0 "$pad"
    local rc=$?
    if [ $rc -ne 0 ]; then
        bad "$name: $(why $rc)"
        return
    fi
    check "$@" > "$w/check"
    verdict "$name" $?
}

# The fake clocks start hours before the boundaries they are to cross: at
# 100000x, 30 ms of a slow program start are 50 fake minutes.
#
# 1. Three midnights at 100000x: a record every 600 fake seconds from
# 21:00, about 3.1 days. The environment's time zone is 5:30 from UTC, so
# a rotation on local midnight would show.
export TZ=XST-5:30
for async in false true; do
    scenario "three_days_of_daily_rotation_keep_every_record_once (async_logging: $async)" \
        'size_mb: 0, every: daily, backups: 1000' $async "$(fake $((base - 10800)) 100000)" \
        450 600000000 43 -- daily 1 1 450 --min-periods 4 --plain --no-pieces
done
# utc: false: days are local (XST, 5:30 ahead of UTC).
scenario "daily_rotation_with_utc_false_follows_local_midnight" \
    'size_mb: 0, every: daily, utc: false, backups: 1000' false \
    "$(fake $((base - 19800 - 10800)) 100000)" \
    450 600000000 43 -- daily 0 1 450 --min-periods 4 --plain --no-pieces
export TZ=UTC

# 2. The other periods: each run crosses at least two boundaries.
scenario "hourly_files_are_named_by_the_hour_of_their_records" \
    'size_mb: 0, every: hourly, backups: 1000' false "$(fake $((base - 600)) 100000)" \
    300 30000000 43 -- hourly 1 1 300 --min-periods 3 --no-pieces
scenario "minute_files_are_named_by_the_minute_of_their_records" \
    'size_mb: 0, every: minute, backups: 1000' false "$(fake $((base - 45)) 1000)" \
    200 1000000 43 -- minute 1 1 200 --min-periods 3 --no-pieces
# "06:30": a period runs from 06:30 to 06:30 and is named by the day it
# starts, so the records of 03:30 to 06:30 on day D+1 are in app.log.D.
scenario "daily_at_hh_mm_files_are_named_by_the_day_their_period_starts" \
    'size_mb: 0, every: "06:30", backups: 1000' false "$(fake $((base + 12600)) 100000)" \
    500 400000000 43 -- 06:30 1 1 500 --min-periods 3 --no-pieces
# weekly: named by the Monday; from 23:50 on a Sunday through 18 days.
monday=$((base + ((7 - (base / DAY + 3) % 7) % 7) * DAY))
scenario "weekly_files_are_named_by_their_monday" \
    'size_mb: 0, every: weekly, backups: 1000' false "$(fake $((monday - 600)) 1000000)" \
    400 4000000000 43 -- weekly 1 1 400 --min-periods 3 --no-pieces

# 3. size_mb: 1 with daily: about 1.1 KiB a record, 3300 a day, from noon
# through the next day: each day in several pieces.
scenario "size_and_time_pieces_are_numbered_in_order" \
    'size_mb: 1, every: daily, backups: 1000' false "$(fake $((base - 43200)) 100000)" \
    5000 26000000 1000 -- daily 1 1 5000 --min-periods 2 --pieces --max-bytes 1048576

# 4. gzip: once the program has exited (metalog_shutdown waits for the
# compression thread), every rotated file is a whole .gz, no plain rotated
# file and no temporary file is left, and the records are there once.
scenario "gzip_rotated_files_are_whole_gz_streams_when_the_program_exits" \
    'size_mb: 0, every: daily, compress: gzip, backups: 1000' false "$(fake $((base - 10800)) 100000)" \
    450 600000000 2000 -- daily 1 1 450 --min-periods 4 --gz --no-pieces
scenario "gzip_rotated_files_are_whole_gz_streams_when_the_program_exits (async_logging: true)" \
    'size_mb: 0, every: daily, compress: gzip, backups: 1000' true "$(fake $((base - 10800)) 100000)" \
    450 600000000 2000 -- daily 1 1 450 --min-periods 4 --gz --no-pieces
scenario "gzip_size_rotation_keeps_numbered_gz_files_newest_first" \
    'size_mb: 1, compress: gzip, backups: 1000' false "$(fake $base)" \
    3000 0 1000 -- none 1 1 3000 --gz --max-bytes 1048576
# The last record rotates a 15 MiB file (1 MiB records, 16 MiB files)
# and the program exits at once: metalog_shutdown returns only after that
# file is compressed.
scenario "shutdown_waits_for_the_compression_of_the_last_rotation" \
    'size_mb: 16, compress: gzip, backups: 1000' false "$(fake $base)" \
    16 0 1048576 -- none 1 1 16 --gz --rotated 1

# A process killed while compressing leaves no truncated .gz under a final
# name, and the next run compresses what the killed one left plain.
name=killed_mid_compression_leaves_no_truncated_gz_and_next_start_compresses
setup $name 'size_mb: 1, compress: gzip, backups: 1000'
env LD_PRELOAD="$preload" FAKETIME="$(fake $base)" "$seqlog" "$w/metalog.yaml" 1 40000 0 0 2000 \
    > "$w/out" 2> "$w/err" &
pid=$!
for _ in $(seq 400); do
    [ "$(ls "$w/logs" | wc -l)" -ge 8 ] && break
    kill -0 $pid 2> /dev/null || break
    sleep 0.02
done
# (bash reports a killed job on the shell's stderr when it reaps it)
{
    kill -9 $pid
    wait $pid
    rc=$?
} 2> /dev/null
left=$(ls "$w/logs" | tr '\n' ' ')
torn=""
for f in "$w"/logs/*.gz; do
    [ -e "$f" ] || continue
    "$GZ_READ" "$f" > /dev/null 2>> "$w/torn" || torn="$torn $(basename "$f")"
done
if [ "$(ls "$w/logs" | wc -l)" -lt 3 ]; then
    bad "$name: the killed run left only: $left ($(why $rc))"
elif [ -n "$torn" ]; then
    bad "$name: truncated .gz under a final name after kill -9:$torn ($(head -n 1 "$w/torn"))"
else
    run "$(fake $base)" 1 10 0 1 > /dev/null
    rc=$?
    if [ $rc -ne 0 ]; then
        bad "$name: $(why $rc)"
    else
        # The killed run's records are not all there (it was killed), so
        # no count: every file whole, every rotated one compressed. The
        # kernel may have ended the killed run's last write early (kill -9
        # stops a write at a page boundary), and the next run's first
        # record then follows the torn one on its line.
        check none 1 0 0 --gz --others-ok --torn-ok > "$w/check"
        verdict "$name (left by the kill: $left)" $?
    fi
fi

# 5. Retention across two runs. Run 1 leaves four days (three rotated
# files and app.log); files are planted beside them; run 2 starts days
# later with a retention limit.
setup retention_run1 'size_mb: 0, every: daily, backups: 1000'
run1=$w
run "$(fake $((base - 10800)) 100000)" 1 450 600000000 0 43
rc=$?
if [ $rc -ne 0 ]; then
    bad "retention_across_two_runs: run 1: $(why $rc)"
else
    check daily 1 1 450 --min-periods 4 > "$w/check" || verdict "retention_across_two_runs: run 1" 1
    run1_days=$(cd "$w/logs" && ls app.log.* | sort | tr '\n' ' ')
    # The day of run 1's live file: its last record's.
    last_day=$(tail -n 1 "$w/logs/app.log" | cut -c 15-24)
    now=$(date +%s)
    plant() {
        head -c $(($2 * 1024)) /dev/zero | tr '\0' x > "$w/logs/$1"
        touch -d "@$((now - $3 * DAY))" "$w/logs/$1"
    }
    # variant ROTATION EXPECTED-ROTATED...: run 2 on a copy of run 1's
    # files plus the planted ones; what is left must be exactly the
    # planted files of other names, run 2's app.log and EXPECTED.
    variant() {
        local label=$1 rotation=$2
        shift 2
        setup "retention_$label" "$rotation"
        cp -a "$run1/logs/." "$w/logs/"
        plant app.log.2026-01-01 1536 40
        plant app.log.7 1000 3
        plant other.log.2026-01-01 2048 50
        plant app.log.notes 2048 50
        plant app.log.2026-13-45x 2048 50
        run "$(fake $run2_at)" 1 20 0 1
        local rc=$? want got
        if [ $rc -ne 0 ]; then
            bad "retention_across_two_runs ($label): run 2: $(why $rc)"
            return 1
        fi
        want=$(printf '%s\n' app.log app.log.2026-13-45x app.log.notes other.log.2026-01-01 "$@" | sort | tr '\n' ' ')
        got=$(ls "$w/logs" | sort | tr '\n' ' ')
        if [ "$want" = "$got" ]; then
            ok "retention_across_two_runs ($label): left $got"
        else
            bad "retention_across_two_runs ($label): left $got; expected $want"
        fi
    }
    # Oldest first by mtime: app.log.2026-01-01 (40 days), app.log.7
    # (3 days), run 1's days, then its last day, rolled by run 2.
    set -- $run1_days
    n=$#
    newest_run1=${!n}
    # Run 2 starts days after run 1's last day, and so rolls it first.
    run2_at=$((base + 5 * DAY + 43200))
    # backups: 2 keeps the two newest: run 1's last rotated day and the
    # day run 2 rolled.
    variant backups 'size_mb: 0, every: daily, backups: 2' "$newest_run1" "app.log.$last_day"
    # max_age_days: 10 deletes only the 40-day-old file.
    if variant max_age_days 'size_mb: 0, every: daily, backups: 1000, max_age_days: 10' \
        $run1_days app.log.7 "app.log.$last_day"; then
        # The rolled file is run 1's last day, whole; app.log is run 2's.
        name=a_program_started_after_its_period_rolls_the_file_before_its_first_write
        if cmp -s "$run1/logs/app.log" "$w/logs/app.log.$last_day" &&
            ! grep -q '"t":0,' "$w/logs/app.log" && [ "$(grep -c '"t":1,' "$w/logs/app.log")" -eq 20 ]; then
            ok "$name: app.log.$last_day is run 1's app.log, app.log holds run 2's 20 records"
        else
            bad "$name: app.log.$last_day differs from run 1's app.log, or app.log is not run 2's alone"
        fi
    fi
    # max_total_mb: 1: 1536 KiB + 1000 KiB + run 1's ~100 KiB; deleting
    # the two planted ones, the oldest, brings it under 1 MiB.
    variant max_total_mb 'size_mb: 0, every: daily, backups: 1000, max_total_mb: 1' \
        $run1_days "app.log.$last_day"
    # Run 2 starts on run 1's last day, after its last record: nothing
    # rotates, and retention still applies at the start.
    run2_at=$(date -u -d "$last_day 23:00" +%s)
    set -- $run1_days
    variant "backups, at start without a rotation" 'size_mb: 0, every: daily, backups: 2' \
        "${@: -2}"
fi

# 6. Two processes on one file, one clock (the same offset, real speed)
# from 3 s before midnight: one rotation between them.
name=two_processes_rotate_one_file_once_per_period
setup $name 'size_mb: 0, every: daily, backups: 1000'
now=$(date +%s)
spec=$(fake $(((now / DAY + 1) * DAY - 3)))
timeout 60 env LD_PRELOAD="$preload" FAKETIME="$spec" "$seqlog" "$w/metalog.yaml" 1 300 20000 0 \
    > "$w/out" 2> "$w/err" &
pid0=$!
timeout 60 env LD_PRELOAD="$preload" FAKETIME="$spec" "$seqlog" "$w/metalog.yaml" 1 300 20000 1 \
    > "$w/out1" 2> "$w/err1" &
pid1=$!
wait $pid0
rc0=$?
wait $pid1
rc1=$?
if [ $rc0 -ne 0 ] || [ $rc1 -ne 0 ]; then
    bad "$name: $(why "$rc0/$rc1")"
else
    # A record of day D may still land in app.log: its process wrote it
    # after the other had rotated, and writes never go to a rotated file.
    check daily 1 2 300 --min-periods 2 --rotated 1 --no-pieces --late-ok > "$w/check"
    verdict "$name" $?
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
