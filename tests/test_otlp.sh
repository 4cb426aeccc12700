#!/bin/sh
# The otlp handler against a strict OTLP/HTTP receiver (tests/otlp_receiver.py,
# which checks every request against the protocol and the proto3 JSON
# mapping and answers 400 to any breach), started on loopback ports:
#
#   - the receiver refuses hand-written bad bodies (its --self-test);
#   - 10000 records from 4 threads arrive exactly once over many batches,
#     no batch over batch_size, every value mapped as the contract says
#     (tests/otlp_check.py: severities, typed attributes, ids, callsite,
#     exception, resource), attributes in the record's order, the
#     configured headers on every request;
#   - 503 with Retry-After twice: delivered once, the wait honoured;
#   - 400: that batch given up, counted in write_errors, reported once;
#   - the receiver killed and restarted on its port: what was logged while
#     it was down arrives once;
#   - a collector that never answers: 100000 calls stay fast, shutdown
#     keeps its deadline, every record delivered or counted lost;
#   - reload to another endpoint while records are queued loses nothing;
#   - the Authorization value and the endpoint's path never appear on
#     stderr nor in metalog's own records, delivery failing or not;
#   - queue_size 10 against a hung collector: the losses counted exactly.
#
# Environment: top_srcdir, top_builddir (the driver is
# $top_builddir/tests/otlp_probe).
# Exit status: 0 all passed, 1 any failed, 77 (skipped) without python3.

LC_ALL=C
export LC_ALL
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
probe=$builddir/tests/otlp_probe
receiver=$srcdir/tests/otlp_receiver.py
checker=$srcdir/tests/otlp_check.py
if ! command -v python3 >/dev/null; then
    echo "SKIP: python3 is needed for the OTLP receiver"
    exit 77
fi

passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'ok: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

tmp=$(mktemp -d) || exit 1
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

# ---- the receiver's own strictness first ----
if python3 "$receiver" --self-test >"$tmp/self.out" 2>&1; then
    pass "the receiver refuses $(grep -c '^ok: self-test: refuses' "$tmp/self.out") kinds of bad request and accepts a good one"
else
    grep -v '^ok' "$tmp/self.out"
    fail "the receiver's self-test"
    echo "$passed passed, $failed failed"
    exit 1
fi

# start_rx NAME [receiver options]: a receiver writing $tmp/NAME.{out,viol,req};
# sets rx_port and rx_pid.
start_rx() {
    name=$1
    shift
    rm -f "$tmp/$name.port"
    python3 "$receiver" --out "$tmp/$name.out" --violations "$tmp/$name.viol" \
        --requests "$tmp/$name.req" --port-file "$tmp/$name.port" "$@" 2>>"$tmp/$name.rxerr" &
    rx_pid=$!
    pids="$pids $rx_pid"
    i=0
    while [ ! -s "$tmp/$name.port" ] && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    rx_port=$(cat "$tmp/$name.port" 2>/dev/null)
    touch "$tmp/$name.out" "$tmp/$name.viol" "$tmp/$name.req"
}

stop_rx() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

# config NAME ENDPOINT [OTLP_LINES] [TOP_LINES] [HANDLER_ENTRIES]: one otlp
# handler (not taking metalog's own records), plus a file handler for
# metalog's own records ($tmp/NAME.diag).
config() {
    {
        printf 'log_to_console: false\nlog_level: DEBUG\n%shandlers:\n' "${4:-}"
        printf '  - type: otlp\n    name: collector\n    endpoint: %s\n' "$2"
        printf '    exclude_loggers: [metalog]\n%s' "${3:-}"
        printf '  - type: file\n    path: %s\n    loggers: [metalog]\n%s' "$tmp/$1.diag" "${5:-}"
    } >"$tmp/$1.yaml"
    echo "$tmp/$1.yaml"
}

# run NAME N [probe options]: the probe's output in $tmp/NAME.probe.
run() {
    name=$1
    shift
    timeout 60 "$probe" "$tmp/$name.yaml" "$@" >"$tmp/$name.probe" 2>"$tmp/$name.err"
    run_rc=$?
}

# val NAME KEY: a key=value the probe printed.
val() { sed -n "s/^$2=//p" "$tmp/$1.probe" | head -n 1; }

# delivered NAME...: records the receivers wrote.
delivered() {
    n=0
    for f in "$@"; do n=$((n + $(wc -l <"$tmp/$f.out"))); done
    echo "$n"
}

# wait_delivered N NAME...: until N records are in, or 10 s.
wait_delivered() {
    want=$1
    shift
    i=0
    while [ "$(delivered "$@")" -lt "$want" ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
}

# no_violations NAME: the receiver refused nothing.
no_violations() {
    if [ ! -s "$tmp/$1.req" ]; then
        fail "$1: the receiver got no request"
    elif [ -s "$tmp/$1.viol" ]; then
        fail "$1: the receiver refused requests: $(head -c 600 "$tmp/$1.viol")"
    else
        pass "$1: every request met the protocol and the JSON mapping ($(wc -l <"$tmp/$1.req") requests)"
    fi
}

probe_ok() {
    if [ "$run_rc" -ne 0 ] || ! grep -q '^done' "$tmp/$1.probe"; then
        fail "$1: the probe failed (status $run_rc): $(head -c 400 "$tmp/$1.err")"
        return 1
    fi
    return 0
}

# ---- exactly once, the whole mapping, headers, batches ----
OTLP_TOKEN=s3cr3t-bearer-value
export OTLP_TOKEN
start_rx once --expect-header "Authorization: Bearer $OTLP_TOKEN" --expect-header "X-Team: logs"
config once "http://127.0.0.1:$rx_port/v1/logs" '    headers: {Authorization: "Bearer ${OTLP_TOKEN}", X-Team: logs}
    resource: {service.name: probe-svc, deployment.environment: test, build: 7, ratio: 1.5, canary: true}
    batch_size: 512
    batch_interval_ms: 200
    queue_size: 20000
    shutdown_timeout_seconds: 60
' 'processors: [callsite]
' "  - type: file
    path: $tmp/once.json
    exclude_loggers: [metalog]
" >/dev/null
n=10000
run once $n -t 4
if probe_ok once; then
    site=$(val once site_line)
    if python3 "$checker" "$tmp/once.out" --n $n --threads 4 --exactly-once >"$tmp/chk" 2>&1; then
        pass "$n records from 4 threads arrive exactly once ($(wc -l <"$tmp/once.req") requests)"
    else
        fail "exactly once: $(cat "$tmp/chk")"
    fi
    if python3 "$checker" "$tmp/once.out" --n $n --threads 4 --mapping --callsite "$site" \
        --service probe-svc --resource deployment.environment=string:test \
        --resource build=int:7 --resource ratio=double:1.5 --resource canary=bool:true \
        --time "$(val once start_ns)" "$(val once end_ns)" >"$tmp/chk" 2>&1; then
        pass "every record mapped: severities, typed attributes, trace/span ids, code.*, exception, resource"
    else
        fail "mapping: $(cat "$tmp/chk")"
    fi
    if python3 "$checker" "$tmp/once.out" --n $n --threads 4 --json "$tmp/once.json" >"$tmp/chk" 2>&1; then
        pass "attributes come in the record's order (bound, thread context, call fields)"
    else
        fail "attribute order: $(cat "$tmp/chk")"
    fi
    most=$(python3 -c 'import json,sys; print(max(json.loads(l)["records"] for l in open(sys.argv[1])))' "$tmp/once.req")
    reqs=$(wc -l <"$tmp/once.req")
    if [ "$most" -le 512 ] && [ "$reqs" -ge $((n / 512)) ]; then
        pass "batches hold at most batch_size records ($reqs requests, the largest $most)"
    else
        fail "batches: $reqs requests, the largest $most records (batch_size 512)"
    fi
    if [ "$(val once final_write_errors)" = 0 ]; then
        pass "nothing counted lost"
    else
        fail "write_errors $(val once final_write_errors) on a healthy run"
    fi
fi
no_violations once
stop_rx "$rx_pid"

# ---- 503 with Retry-After, twice, then accepted ----
start_rx retry --status 503 --retry-after 1 --fail-first 2
config retry "http://127.0.0.1:$rx_port/v1/logs" '    batch_size: 100
    batch_interval_ms: 100
' >/dev/null
run retry 300
if probe_ok retry; then
    if python3 "$checker" "$tmp/retry.out" --n 300 --exactly-once --mapping >"$tmp/chk" 2>&1; then
        pass "after two 503s the records arrive exactly once; service.name defaults to the program's name"
    else
        fail "503: $(cat "$tmp/chk")"
    fi
    gaps=$(python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join("%.2f" % (r[i + 1]["time"] - r[i]["time"]) for i in range(min(2, len(r) - 1))))' "$tmp/retry.req")
    # Each answer said Retry-After: 1: the next request waits that long.
    if python3 -c 'import sys; g = [float(x) for x in sys.argv[1:]]; sys.exit(not (len(g) == 2 and min(g) >= 0.95))' $gaps; then
        pass "Retry-After honoured: the retries came $gaps s after each 503"
    else
        fail "Retry-After 1 not honoured: seconds between the first requests: $gaps"
    fi
    [ "$(val retry final_write_errors)" = 0 ] || fail "503: write_errors $(val retry final_write_errors)"
fi
no_violations retry
stop_rx "$rx_pid"

# ---- 400: that batch given up and counted ----
start_rx refused --status 400 --fail-first 1
config refused "http://127.0.0.1:$rx_port/v1/logs" '    batch_size: 100
    batch_interval_ms: 50
' >/dev/null
run refused 300 -p 2000
if probe_ok refused; then
    first=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["records"])' "$tmp/refused.req")
    got=$(delivered refused)
    lost=$(val refused final_write_errors)
    n400=$(grep -c '"status": "400"' "$tmp/refused.req")
    if [ "$n400" = 1 ] && [ "$lost" = "$first" ] && [ "$first" -gt 0 ] && [ $((got + lost)) = 300 ]; then
        pass "a 400 gives its batch up, never retried: write_errors $lost = its records, $got delivered"
    else
        fail "400: $n400 requests refused, first batch $first records, write_errors $lost, delivered $got of 300"
    fi
    nfail=$(grep -c 'otlp delivery failed' "$tmp/refused.diag" 2>/dev/null)
    [ "$nfail" = 1 ] && pass "the failure is reported once on the metalog logger" ||
        fail "'otlp delivery failed' reported $nfail times: $(head -c 400 "$tmp/refused.diag" 2>/dev/null)"
fi
python3 "$checker" "$tmp/refused.out" --n 300 --at-most-once >/dev/null ||
    fail "400: a record delivered twice"
stop_rx "$rx_pid"

# ---- the receiver killed mid-run and started again on its port ----
start_rx restart
port=$rx_port
config restart "http://127.0.0.1:$port/v1/logs" '    batch_size: 100
    batch_interval_ms: 100
    max_retries: 20
    shutdown_timeout_seconds: 20
' >/dev/null
mkdir "$tmp/marks"
mkfifo "$tmp/probe.fifo"
timeout 60 "$probe" "$tmp/restart.yaml" 1000 --phase 500 "$tmp/marks" >"$tmp/probe.fifo" 2>"$tmp/restart.err" &
probe_pid=$!
exec 3<"$tmp/probe.fifo"
if read -r line <&3 && read -r line <&3 && [ "$line" = phase1 ]; then
    wait_delivered 500 restart
    sleep 0.3 # the last answer on its way
    kill -9 "$rx_pid"
    wait "$rx_pid" 2>/dev/null
    touch "$tmp/marks/go1"
    read -r line <&3 # phase2: 500 more logged while nobody listens
    start_rx restart2 --port "$port"
    touch "$tmp/marks/go2"
    cat <&3 >"$tmp/restart.probe"
    wait "$probe_pid"
    exec 3<&-
    if python3 "$checker" "$tmp/restart.out" "$tmp/restart2.out" --n 1000 --exactly-once >"$tmp/chk" 2>&1 &&
        [ "$(val restart final_write_errors)" = 0 ]; then
        pass "after the receiver's restart what was logged meanwhile arrives, each record once"
    else
        fail "restart: $(cat "$tmp/chk"); write_errors $(val restart final_write_errors)"
    fi
    no_violations restart2
else
    wait "$probe_pid"
    exec 3<&-
    fail "restart: the probe failed: $(head -c 400 "$tmp/restart.err")"
fi
stop_rx "$rx_pid"

# ---- a collector that reads and never answers ----
start_rx hung --hang --skip-first 3
config hung "http://127.0.0.1:$rx_port/v1/logs" '    batch_size: 512
    batch_interval_ms: 100
    timeout_seconds: 1
    shutdown_timeout_seconds: 2
' >/dev/null
n=100000
run hung $n
if probe_ok hung; then
    slow=$(val hung slowest_call_us)
    total=$(val hung total_log_us)
    shut=$(val hung shutdown_ms)
    lost=$(val hung final_write_errors)
    got=$(delivered hung)
    # Sanitizer builds run METALOG_TEST_SCALE times slower.
    scale=${METALOG_TEST_SCALE:-1}
    # One call blocked on the collector would take timeout_seconds (1 s);
    # the bound leaves room for a preempted call on a loaded machine.
    if [ "$slow" -lt $((250000 * scale)) ] && [ "$total" -lt $((5000000 * scale)) ]; then
        pass "a hung collector never slows the log call: slowest of $n calls ${slow} us, all ${total} us"
    else
        fail "hung collector: slowest call ${slow} us (< $((250000 * scale))), all calls ${total} us (< $((5 * scale)) s)"
    fi
    if [ "$shut" -le 4000 ]; then
        pass "shutdown returns within its deadline + 2 s against a hung collector (${shut} ms)"
    else
        fail "shutdown took ${shut} ms (shutdown_timeout_seconds 2)"
    fi
    if [ $((got + lost)) = $n ] && [ "$lost" -gt 0 ]; then
        pass "every record delivered or counted: $got delivered + $lost write_errors = $n"
    else
        fail "hung collector: $got delivered + $lost write_errors != $n"
    fi
fi
stop_rx "$rx_pid"

# ---- queue_size 10 against a hung collector ----
start_rx tiny --hang --skip-first 1
config tiny "http://127.0.0.1:$rx_port/v1/logs" '    batch_size: 5
    batch_interval_ms: 10
    queue_size: 10
    timeout_seconds: 1
    shutdown_timeout_seconds: 1
' >/dev/null
run tiny 1000 -p 20
if probe_ok tiny; then
    got=$(delivered tiny)
    lost=$(val tiny final_write_errors)
    if [ $((got + lost)) = 1000 ] && [ "$got" -le 5 ]; then
        pass "queue_size 10, hung collector: write_errors $lost = 1000 - $got delivered"
    else
        fail "queue_size 10: write_errors $lost, delivered $got, of 1000"
    fi
fi
stop_rx "$rx_pid"

# ---- reload to another endpoint while records are queued ----
start_rx before
port_a=$rx_port
pid_a=$rx_pid
start_rx after
pid_b=$rx_pid
config reload "http://127.0.0.1:$port_a/v1/logs" '    batch_size: 10000
    batch_interval_ms: 30000
    shutdown_timeout_seconds: 10
' >/dev/null
rm -f "$tmp/marks"/go*
rm -f "$tmp/probe.fifo"
mkfifo "$tmp/probe.fifo"
timeout 60 "$probe" "$tmp/reload.yaml" 1000 --phase 600 "$tmp/marks" --reload >"$tmp/probe.fifo" 2>"$tmp/reload.err" &
probe_pid=$!
exec 3<"$tmp/probe.fifo"
if read -r line <&3 && read -r line <&3 && [ "$line" = phase1 ]; then
    # 600 records queued, the batch interval far away: now the endpoint moves.
    config reload "http://127.0.0.1:$rx_port/v1/logs" '    batch_size: 100
    batch_interval_ms: 50
    shutdown_timeout_seconds: 10
' >/dev/null
    touch "$tmp/marks/go1"
    read -r reload_line <&3
    read -r line <&3 # phase2
    touch "$tmp/marks/go2"
    cat <&3 >"$tmp/reload.probe"
    wait "$probe_pid"
    exec 3<&-
    if [ "$reload_line" = reload_rc=0 ] &&
        python3 "$checker" "$tmp/before.out" "$tmp/after.out" --n 1000 --exactly-once >"$tmp/chk" 2>&1 &&
        [ "$(val reload final_write_errors)" = 0 ]; then
        pass "a reload to another endpoint with 600 records queued loses none ($(delivered before) to the old endpoint, $(delivered after) to the new)"
    else
        fail "reload ($reload_line): $(cat "$tmp/chk"); write_errors $(val reload final_write_errors)"
    fi
    if python3 -c '
import json, sys
seqs = [a[2] for l in open(sys.argv[1]) for a in json.loads(l)["attrs"] if a[0] == "seq"]
sys.exit(any(s >= 600 for s in seqs))' "$tmp/before.out"; then
        pass "records logged after the reload go to the new endpoint"
    else
        fail "records logged after the reload reached the old endpoint"
    fi
else
    wait "$probe_pid"
    exec 3<&-
    fail "reload: the probe failed: $(head -c 400 "$tmp/reload.err")"
fi
stop_rx "$pid_a"
stop_rx "$pid_b"

# ---- secrets: never on stderr nor in metalog's records ----
OTLP_TOKEN=tok-9f8e7d6c5b4a-never-print
start_rx secret --status 401 --path /tenant-9f8e7d6c/v1/logs
config secret "http://127.0.0.1:$rx_port/tenant-9f8e7d6c/v1/logs" '    headers: {Authorization: "Bearer ${OTLP_TOKEN}"}
    batch_size: 10
    batch_interval_ms: 20
' '' '  - type: console
    stream: stderr
    level: DEBUG
' >/dev/null
run secret 50 -p 4000
# And a collector that is not there at all (a network error).
config secret2 "http://127.0.0.1:1/tenant-9f8e7d6c/v1/logs" '    headers: {Authorization: "Bearer ${OTLP_TOKEN}"}
    max_retries: 0
    batch_interval_ms: 20
    shutdown_timeout_seconds: 1
' '' '  - type: console
    stream: stderr
    level: DEBUG
' >/dev/null
run secret2 50 -p 4000
leaks=$(cat "$tmp/secret.err" "$tmp/secret.diag" "$tmp/secret2.err" "$tmp/secret2.diag" \
    "$tmp/secret.probe" "$tmp/secret2.probe" 2>/dev/null | grep -c -e "$OTLP_TOKEN" -e 9f8e7d6c)
reported=$(cat "$tmp/secret.diag" "$tmp/secret2.diag" 2>/dev/null | grep -c 'otlp delivery failed')
if [ "$leaks" = 0 ] && [ "$reported" -ge 2 ]; then
    pass "a failing delivery is reported (401 and refused connection) without the token or the endpoint's path"
else
    fail "secrets: $leaks lines show the token or the path, $reported failure reports: $(grep -h -e "$OTLP_TOKEN" -e 9f8e7d6c -e 'otlp delivery' "$tmp"/secret*.err "$tmp"/secret*.diag 2>/dev/null | head -c 600)"
fi
stop_rx "$rx_pid"

# ---- a partialSuccess: what the collector rejected is lost, reported once ----
start_rx partial --reject 3
config partial "http://127.0.0.1:$rx_port/v1/logs" '    batch_size: 50
    batch_interval_ms: 20
' >/dev/null
run partial 200 --settle
reqs=$(wc -l <"$tmp/partial.req")
rejected=$(python3 -c 'import json,sys; print(sum(json.loads(l).get("rejected", 0) for l in open(sys.argv[1])))' "$tmp/partial.req")
notes=$(grep -c 'otlp records rejected by the collector' "$tmp/partial.diag" 2>/dev/null)
if probe_ok partial && [ "$rejected" -gt 0 ] &&
    [ "$(val partial handler_lost)" = "$rejected" ] &&
    [ "$(val partial handler_sent)" = $((200 - rejected)) ] &&
    [ "$(val partial final_write_errors)" = "$rejected" ] &&
    [ "$(delivered partial)" = $((200 - rejected)) ] && [ "$notes" = 1 ]; then
    pass "records a partialSuccess rejects are counted lost ($rejected of 200 over $reqs requests), reported once"
else
    fail "partialSuccess: $rejected rejected over $reqs requests; handler sent $(val partial handler_sent) lost $(val partial handler_lost), write_errors $(val partial final_write_errors), delivered $(delivered partial), $notes notes"
fi
stop_rx "$rx_pid"

# ---- a collector's body limit: a batch answered 413 goes again in halves ----
start_rx limit --max-body 20000
config limit "http://127.0.0.1:$rx_port/v1/logs" '    batch_size: 200
    batch_interval_ms: 20
' >/dev/null
run limit 400 --settle
wait_delivered 400 limit
too_large=$(grep -c '"status": "413"' "$tmp/limit.req")
biggest=$(python3 -c 'import json,sys; print(max([json.loads(l).get("bytes", 0) for l in open(sys.argv[1]) if json.loads(l)["status"] == 200] or [0]))' "$tmp/limit.req")
if probe_ok limit && [ "$too_large" -gt 0 ] && [ "$(val limit final_write_errors)" = 0 ] &&
    python3 "$checker" "$tmp/limit.out" --n 400 --threads 1 --exactly-once >"$tmp/chk" 2>&1; then
    pass "batches over the collector's body limit are split: 400 records exactly once, none lost ($too_large answers 413, the largest accepted $biggest bytes)"
else
    fail "body limit: $(delivered limit) of 400, write_errors $(val limit final_write_errors), $too_large answers 413; $(head -c 300 "$tmp/chk")"
fi
if [ "$(val limit handler_sent)" = 400 ] && [ "$(val limit handler_lost)" = 0 ]; then
    pass "the split batches count 400 sent, 0 lost"
else
    fail "body limit: handler sent $(val limit handler_sent), lost $(val limit handler_lost)"
fi
stop_rx "$rx_pid"

# A limit below one record: every record is lost and counted, reported
# once, and a body no smaller than one refused is not posted again.
start_rx tiny --max-body 10
config tiny "http://127.0.0.1:$rx_port/v1/logs" '    batch_size: 200
    batch_interval_ms: 20
' >/dev/null
run tiny 200 --settle
posts=$(wc -l <"$tmp/tiny.req")
notes=$(grep -c 'otlp delivery failed' "$tmp/tiny.diag" 2>/dev/null)
if probe_ok tiny && [ "$(val tiny handler_lost)" = 200 ] && [ "$(val tiny final_write_errors)" = 200 ] &&
    [ "$posts" -lt 60 ] && [ "$notes" = 1 ]; then
    pass "a collector refusing every record as too large: 200 counted lost in $posts requests, reported once"
else
    fail "limit below one record: lost $(val tiny handler_lost), write_errors $(val tiny final_write_errors), $posts requests, $notes notes"
fi
stop_rx "$rx_pid"

# A split still under way at the stop deadline: the pieces not yet
# answered are counted lost without a post, and told once. Every body is
# refused and each answer takes 0.4 s: halving 200 records down to one
# takes 8 answers, more than shutdown_timeout_seconds allows. The 200
# records fill one batch long before its interval ends.
start_rx late --max-body 10 --delay 0.4
config late "http://127.0.0.1:$rx_port/v1/logs" '    batch_size: 200
    batch_interval_ms: 500
    shutdown_timeout_seconds: 1
' >/dev/null
run late 200
posts=$(wc -l <"$tmp/late.req")
# Told during shutdown, once the built-in default is in force again: on
# its console, the probe's stdout.
notes=$(cat "$tmp/late.diag" "$tmp/late.probe" | grep -c 'otlp records given up at the deadline')
if probe_ok late && [ "$(val late final_write_errors)" = 200 ] && [ "$posts" -lt 8 ] &&
    [ "$notes" = 1 ] && [ "$(val late shutdown_ms)" -le 3000 ]; then
    pass "a split cut short by the stop deadline: 200 counted lost after $posts requests, told once, shutdown in $(val late shutdown_ms) ms"
else
    fail "split at the deadline: write_errors $(val late final_write_errors), $posts requests, $notes notes, shutdown $(val late shutdown_ms) ms"
fi
stop_rx "$rx_pid"

# ---- the endpoint is used as written: nothing appended, a query kept ----
start_rx query --path '/collector/v1/logs?tenant=a&ns=b%2Fc'
config query "http://127.0.0.1:$rx_port/collector/v1/logs?tenant=a&ns=b%2Fc" '    batch_interval_ms: 20
' >/dev/null
run query 30
wait_delivered 30 query
if probe_ok query && [ "$(delivered query)" = 30 ] && [ ! -s "$tmp/query.viol" ]; then
    pass "an endpoint with a query string is posted to exactly as written (30 records)"
else
    fail "query endpoint: $(delivered query) of 30 delivered; $(head -c 400 "$tmp/query.viol")"
fi
stop_rx "$rx_pid"

# ---- format is not a key of otlp ----
config fmt "http://127.0.0.1:1/v1/logs" '    format: json
' >/dev/null
run fmt 1
if [ "$run_rc" -ne 0 ] && grep -q 'format' "$tmp/fmt.err"; then
    pass "format is refused for otlp: $(head -n 1 "$tmp/fmt.err")"
else
    fail "format on an otlp handler: status $run_rc, $(head -n 1 "$tmp/fmt.err")"
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
