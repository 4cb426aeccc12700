#!/bin/sh
# metalog-check, driven as a user would: exit codes, the exact error lines
# for the invalid corpus, --print, secret redaction and files that cannot be
# opened.
#
# Corpus convention: every tests/configs/invalid/NAME.yaml has a sibling
# NAME.expected holding exactly what "metalog-check NAME.yaml" prints on
# stderr when run from tests/configs/invalid (so paths in it are bare file
# names, and relative log paths are resolved there). Files named
# unopenable_*.yaml are valid YAML whose log files cannot be opened: only
# metalog-check rejects them, conf_load accepts them.
#
# Environment: top_srcdir, top_builddir (the binary is
# $top_builddir/tools/metalog-check). Exit status: 0 all passed, 1 any
# failed.

LC_ALL=C
export LC_ALL
# The corpus relies on these being unset.
unset METALOG_TEST_UNSET_LOGDIR METALOG_TEST_UNSET_LEVEL METALOG_TEST_UNSET_DIR \
    METALOG_TEST_UNSET_SIZE METALOG_TEST_UNSET_ASYNC LOG_LEVEL ALERT_WEBHOOK_URL

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
check=$builddir/tools/metalog-check
invalid=$srcdir/tests/configs/invalid
valid=$srcdir/tests/configs/valid

if [ ! -x "$check" ]; then
    echo "FAIL: $check is not built"
    echo "0 passed, 1 failed"
    exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
out=$tmp/stdout
err=$tmp/stderr

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run DIR ARGS...: runs metalog-check in DIR; sets $rc, output in $out/$err.
run() {
    dir=$1
    shift
    (cd "$dir" && exec "$check" "$@") >"$out" 2>"$err"
    rc=$?
}

# expect_rc WANT WHAT
expect_rc() {
    if [ "$rc" = "$1" ]; then
        pass "$2: exit $1"
    else
        fail "$2: exit $rc, expected $1; stderr: $(head -n 3 "$err")"
    fi
}

# expect_file FILE EXPECTED_FILE WHAT
expect_same() {
    if cmp -s "$1" "$2"; then
        pass "$3"
    else
        fail "$3:"
        diff -u "$2" "$1" | sed 's/^/    /'
    fi
}

# ---- usage ----

run "$tmp"
expect_rc 2 "no arguments"
grep -q '^usage: metalog-check \[--print\] CONFIG\.\.\.$' "$err" &&
    pass "no arguments: usage on stderr" || fail "no arguments: no usage on stderr"

run "$tmp" --frobnicate "$valid/minimal.yaml"
expect_rc 2 "unknown option"
grep -q "unknown option '--frobnicate'" "$err" &&
    pass "unknown option: named in the message" || fail "unknown option: not named"

run "$tmp" --help
expect_rc 0 "--help"
grep -q '^usage: metalog-check' "$out" && pass "--help: usage on stdout" || fail "--help: no usage"

run "$tmp" --version
expect_rc 0 "--version"
grep -q '^metalog-check [0-9][0-9.]*' "$out" && pass "--version: prints the version" ||
    fail "--version: $(cat "$out")"

run "$tmp" no-such-file.yaml
expect_rc 2 "unreadable config"
printf 'no-such-file.yaml: cannot read: No such file or directory\n' >"$tmp/want"
expect_same "$err" "$tmp/want" "unreadable config: one error line"

# A FIFO with no writer at the config path: refused at once, not read.
mkfifo "$tmp/fifo.yaml"
start=$(date +%s)
(cd "$tmp" && exec timeout 5 "$check" fifo.yaml) >"$out" 2>"$err"
rc=$?
elapsed=$(($(date +%s) - start))
expect_rc 2 "config path is a FIFO"
[ "$elapsed" -le 1 ] && pass "config path is a FIFO: returns at once" ||
    fail "config path is a FIFO: took ${elapsed}s"
printf 'fifo.yaml: cannot read: a FIFO, not a regular file\n' >"$tmp/want"
expect_same "$err" "$tmp/want" "config path is a FIFO: names what it is"
rm -f "$tmp/fifo.yaml"

mkdir "$tmp/dir.yaml"
run "$tmp" dir.yaml
expect_rc 2 "config path is a directory"
printf 'dir.yaml: cannot read: a directory, not a regular file\n' >"$tmp/want"
expect_same "$err" "$tmp/want" "config path is a directory: names what it is"
rmdir "$tmp/dir.yaml"

(cd "$tmp" && exec timeout 5 "$check" /dev/zero) >"$out" 2>"$err"
rc=$?
expect_rc 2 "config path is a device"
printf '/dev/zero: cannot read: a character device, not a regular file\n' >"$tmp/want"
expect_same "$err" "$tmp/want" "config path is a device: names what it is"

run "$tmp" "$valid/minimal.yaml" no-such-file.yaml "$invalid/level_unknown.yaml"
expect_rc 2 "unreadable config among valid and invalid ones wins"

# ---- valid files ----

mkdir "$tmp/run" "$tmp/run/logs"
for f in "$valid"/*.yaml "$srcdir"/config/*.yaml; do
    run "$tmp/run" "$f"
    name=${f#"$srcdir"/}
    if [ "$rc" = 0 ] && [ ! -s "$err" ]; then
        pass "$name: valid"
    else
        fail "$name: exit $rc: $(head -n 3 "$err")"
    fi
done
if [ -z "$(ls "$tmp/run/logs")" ]; then
    pass "checking creates no log file"
else
    fail "checking created: $(ls "$tmp/run/logs")"
fi

# ---- invalid files: exact lines ----

all_expected=$tmp/all.expected
: >"$all_expected"
for f in "$invalid"/*.yaml; do
    base=${f##*/}
    exp=${f%.yaml}.expected
    if [ ! -f "$exp" ]; then
        fail "$base: no ${exp##*/}"
        continue
    fi
    cat "$exp" >>"$all_expected"
    run "$invalid" "$base"
    expect_rc 1 "$base"
    expect_same "$err" "$exp" "$base: error lines"
done

# All at once: each file's errors, in the order given, and exit 1.
(cd "$invalid" && exec "$check" *.yaml) >"$out" 2>"$err"
rc=$?
expect_rc 1 "the whole invalid corpus at once"
expect_same "$err" "$all_expected" "the whole invalid corpus at once: error lines"

# ---- --print ----

run "$valid" --print empty.yaml
expect_rc 0 "--print empty.yaml"
cat >"$tmp/want" <<'EOF'
# effective configuration of empty.yaml
log_level: INFO
async_logging: false
file_mode: "0640"
reload_on_sighup: true
crash_handler: true
async_queue_size: 65536
async_overflow: block
file_buffer_kb: 0
flush_level: ERROR
flush_interval_ms: 1000
loggers: {}
processors: []
handlers:
  - name: "console"
    type: console
    format: console
    level: DEBUG
    max_level: CRITICAL
    stream: stdout
    colors: auto
EOF
expect_same "$out" "$tmp/want" "--print fills every default"

mkdir -p "$tmp/p/logs"
cat >"$tmp/p/secret.yaml" <<'EOF'
log_level: warning
log_file: logs/app.log
webhook_url: https://hooks.example.com/services/T000/SECRET?token=abc
file_mode: 0600
loggers:
  trade: debug
EOF
run "$tmp/p" --print secret.yaml
expect_rc 0 "--print secret.yaml"
cat >"$tmp/want" <<'EOF'
# effective configuration of secret.yaml
log_level: WARNING
async_logging: false
file_mode: "0600"
reload_on_sighup: true
crash_handler: true
async_queue_size: 65536
async_overflow: block
file_buffer_kb: 0
flush_level: ERROR
flush_interval_ms: 1000
loggers:
  "trade": DEBUG
processors: []
handlers:
  - name: "log_file"
    type: file
    format: json
    level: DEBUG
    max_level: CRITICAL
    path: "logs/app.log"
    rotation:
      size_mb: 10
      backups: 5
      every: none
      utc: true
      compress: none
      max_age_days: 0
      max_total_mb: 0
  - name: "console"
    type: console
    format: console
    level: DEBUG
    max_level: CRITICAL
    stream: stdout
    colors: auto
  - name: "webhook"
    type: webhook
    format: json
    level: CRITICAL
    max_level: CRITICAL
    url: "https://hooks.example.com/<redacted>"
    headers: {}
    timeout_seconds: 5
    max_retries: 3
    dedup_window_seconds: 60
    queue_size: 1000
    shutdown_timeout_seconds: 5
EOF
expect_same "$out" "$tmp/want" "--print shows the effective values, webhook redacted"

# no_secret WHAT: neither the URL's path nor its query anywhere.
no_secret() {
    if grep -q -e SECRET -e abc -e T000 "$out" "$err"; then
        fail "$1: the webhook secret leaked: $(grep -h -e SECRET -e abc "$out" "$err")"
    else
        pass "$1: no secret in stdout or stderr"
    fi
}
no_secret "--print"

# The printed configuration is itself valid and prints the same.
cp "$out" "$tmp/p/printed.yaml"
run "$tmp/p" --print printed.yaml
expect_rc 0 "--print output is a valid configuration"
sed 1d "$tmp/p/printed.yaml" >"$tmp/want"
sed 1d "$out" >"$tmp/got"
expect_same "$tmp/got" "$tmp/want" "--print output prints back the same"

# The secret in an invalid URL, and in a file with other errors.
sed 's|^webhook_url: https|webhook_url: gopher|' "$tmp/p/secret.yaml" >"$tmp/p/bad.yaml"
run "$tmp/p" --print bad.yaml
expect_rc 1 "invalid webhook URL"
no_secret "invalid webhook URL"
printf 'bad.yaml:3:14: webhook_url: must be an http:// or https:// URL with a host, got "gopher://hooks.example.com/<redacted>"\n' >"$tmp/want"
expect_same "$err" "$tmp/want" "invalid webhook URL: error line"

printf 'log_level: LOUD\nwebhook_url: "https://hooks.example.com/services/T000/SECRET?token=abc"\n' \
    >"$tmp/p/other.yaml"
run "$tmp/p" --print other.yaml
expect_rc 1 "valid webhook URL in an invalid file"
no_secret "valid webhook URL in an invalid file"

# The webhook block: URL and header values redacted, header names kept,
# and the printed block loads back.
export METALOG_TEST_HEADER_TOKEN=HEADERSECRET
cat >"$tmp/p/block.yaml" <<'EOF'
webhook:
  url: https://hooks.example.com/services/T000/SECRET?token=abc
  headers:
    Authorization: "Bearer ${METALOG_TEST_HEADER_TOKEN}"
    X-Api-Key: abc-key
  max_retries: 1
EOF
run "$tmp/p" --print block.yaml
expect_rc 0 "--print block.yaml"
cat >"$tmp/want" <<'EOF'
    url: "https://hooks.example.com/<redacted>"
    headers:
      "Authorization": "<redacted>"
      "X-Api-Key": "<redacted>"
    timeout_seconds: 5
    max_retries: 1
    dedup_window_seconds: 60
    queue_size: 1000
    shutdown_timeout_seconds: 5
EOF
sed -n '/^    url:/,/^    shutdown_timeout_seconds/p' "$out" >"$tmp/got"
expect_same "$tmp/got" "$tmp/want" "--print shows the webhook block, URL and header values redacted"
if grep -q -e HEADERSECRET -e abc -e SECRET -e T000 "$out" "$err"; then
    fail "--print webhook block: a secret leaked"
else
    pass "--print webhook block: no URL path, query or header value in the output"
fi
cp "$out" "$tmp/p/printed_block.yaml"
run "$tmp/p" printed_block.yaml
expect_rc 0 "--print output with a webhook block is a valid configuration"

# A bad header value is reported without being shown.
printf 'webhook:\n  url: https://h.example.com/x\n  headers:\n    X-Token: "HEADERSECRET\\nx"\n' \
    >"$tmp/p/badheader.yaml"
run "$tmp/p" badheader.yaml
expect_rc 1 "header value with a newline"
if grep -q HEADERSECRET "$out" "$err"; then
    fail "header value with a newline: the value leaked"
else
    pass "header value with a newline: the value is not shown"
fi
unset METALOG_TEST_HEADER_TOKEN

# Secrets in every shape a bad value can take: none of s3cr3t or TOKEN
# in stdout or stderr, and each error still names the key and line:col.
# secret_case NAME WANT_ERROR_LINE: the file is $tmp/p/NAME.yaml.
secret_case() {
    run "$tmp/p" --print "$1.yaml"
    expect_rc 1 "secret shape $1"
    if grep -q -e s3cr3t -e TOKEN "$out" "$err"; then
        fail "secret shape $1: leaked: $(cat "$err")"
    else
        pass "secret shape $1: not in stdout or stderr"
    fi
    printf '%s\n' "$2" >"$tmp/want"
    expect_same "$err" "$tmp/want" "secret shape $1: error names the key and line:col"
}
printf 'webhook:\n  url: https://h.example.com/x\n  headers:\n    Authorization: "Bearer ${METALOG_TEST_UNSET_TOK-s3cr3tTOKEN}"\n' \
    >"$tmp/p/s_default_header.yaml"
secret_case s_default_header \
    's_default_header.yaml:4:20: webhook.headers: bad variable reference (not shown: it may hold a secret; write ${NAME} or ${NAME:-default})'
printf 'webhook_url: "https://h.example.com/${METALOG_TEST_UNSET_TOK-s3cr3tTOKEN}"\n' \
    >"$tmp/p/s_default_url.yaml"
secret_case s_default_url \
    's_default_url.yaml:1:14: webhook_url: bad variable reference (not shown: it may hold a secret; write ${NAME} or ${NAME:-default})'
printf 'webhook:\n  url: https://h.example.com/x\n  headers:\n    Authorization: "Bearer ${s3cr3tTOKEN"\n' \
    >"$tmp/p/s_unclosed.yaml"
secret_case s_unclosed \
    's_unclosed.yaml:4:20: webhook.headers: bad variable reference (not shown: it may hold a secret; write ${NAME} or ${NAME:-default})'
for sep in / '#' '?'; do
    printf 'webhook_url: "https://user:s3cr3t%sTOKEN@h.example.com/x"\n' "$sep" >"$tmp/p/s_password.yaml"
    secret_case s_password \
        "s_password.yaml:1:14: webhook_url: must be an http:// or https:// URL with a host, got \"https://<redacted>/<redacted>\" (a '/', '?' or '#' in a user name or password must be written %2F, %3F or %23)"
done
printf 'webhook_url: "https://h.example.com:s3cr3tTOKEN/x"\n' >"$tmp/p/s_port.yaml"
secret_case s_port \
    's_port.yaml:1:14: webhook_url: must be an http:// or https:// URL with a host, got "https://h.example.com:<redacted>/<redacted>"'
printf 'webhook:\n  url: https://h.example.com/x\n  headers:\n    "Bearer s3cr3tTOKEN": x\n' \
    >"$tmp/p/s_header_name.yaml"
secret_case s_header_name \
    "s_header_name.yaml:4:5: webhook.headers: a header name must be a non-empty HTTP token (letters, digits and !#\$%&'*+-.^_\`|~; the name is not shown)"
# A token-shaped header name in a valid file: --print renames it.
printf 'webhook:\n  url: https://h.example.com/x\n  headers:\n    s3cr3tTOKEN: x\n' >"$tmp/p/s_name_ok.yaml"
run "$tmp/p" --print s_name_ok.yaml
expect_rc 0 "token-shaped header name"
grep -q -e s3cr3t -e TOKEN "$out" "$err" && fail "token-shaped header name: leaked in --print" ||
    pass "token-shaped header name: not in --print"
grep -q '^      "X-Redacted-1": "<redacted>"$' "$out" && pass "token-shaped header name: renamed" ||
    fail "token-shaped header name: $(grep -A2 headers "$out")"

# ${VAR} expansion is bounded: a 100 KB variable used 400 times in one
# value fails at once, with one short error.
METALOG_TEST_BIG=$(head -c 102400 /dev/zero | tr '\0' v)
export METALOG_TEST_BIG
{
    printf 'log_file: "'
    i=0
    while [ $i -lt 400 ]; do printf '${METALOG_TEST_BIG}'; i=$((i + 1)); done
    printf '"\n'
} >"$tmp/p/big.yaml"
start=$(date +%s)
(cd "$tmp/p" && exec timeout 5 "$check" big.yaml) >"$out" 2>"$err"
rc=$?
elapsed=$(($(date +%s) - start))
expect_rc 1 "huge expansion"
[ "$elapsed" -le 1 ] && pass "huge expansion: fails at once" || fail "huge expansion: took ${elapsed}s"
printf 'big.yaml:1:11: log_file: ${METALOG_TEST_BIG} expands past 65536 bytes (the most one value may hold)\n' \
    >"$tmp/want"
expect_same "$err" "$tmp/want" "huge expansion: one short error"
unset METALOG_TEST_BIG

# C1 controls (here CSI, U+009B, and NEL, U+0085) and C0 ones reach no
# terminal: not from keys, values, nor the log file paths metalog-check
# opens.
# (As YAML escapes: libyaml refuses raw control characters in the file,
# but "\x9b" or a variable holds them all the same.)
printf '%s\n' '"a\x9b2Jb": 1' 'log_level: "x\N\ey"' >"$tmp/p/c1.yaml"
run "$tmp/p" c1.yaml
expect_rc 1 "control characters in a config"
if grep -q "$(printf '\302[\200-\237]')" "$err" || grep -q "$(printf '\033')" "$err"; then
    fail "control characters in a config: raw in the errors"
else
    pass "control characters in a config: none raw in the errors"
fi
printf '%s\n' 'c1.yaml:1:1: a\u009b2Jb: unknown key' \
    'c1.yaml:2:12: log_level: unknown level "x\u0085\x1by" (expected DEBUG, INFO, WARNING, ERROR or CRITICAL)' \
    >"$tmp/want"
expect_same "$err" "$tmp/want" "control characters in a config: escaped"
METALOG_TEST_C1=$(printf 'no-dir\302\233')
export METALOG_TEST_C1
printf '%s\n' 'log_file: "${METALOG_TEST_C1}/a.log"' >"$tmp/p/c1path.yaml"
run "$tmp/p" c1path.yaml
expect_rc 1 "control character in a log file path"
printf '%s\n' 'c1path.yaml:1:1: log_file: cannot create "no-dir\u009b/a.log": directory "no-dir\u009b": No such file or directory' \
    >"$tmp/want"
expect_same "$err" "$tmp/want" "control character in a log file path: escaped"
unset METALOG_TEST_C1

run "$valid" --print minimal.yaml empty.yaml
expect_rc 0 "--print of two files"
[ "$(grep -c '^---$' "$out")" = 2 ] && pass "--print of two files: two YAML documents" ||
    fail "--print of two files: $(grep -c '^---$' "$out") document markers"

# ---- log files that cannot be opened ----

mkdir "$tmp/o" "$tmp/o/logs"
: >"$tmp/o/logs/existing.log"
: >"$tmp/o/plainfile"
cat >"$tmp/o/files.yaml" <<'EOF'
# Each key names a file that cannot be opened for appending.
log_file: missing-dir/app.log
trade_log_file:
  plainfile/trades.log
error_log_file: logs
EOF
run "$tmp/o" files.yaml
expect_rc 1 "unopenable log files"
cat >"$tmp/want" <<'EOF'
files.yaml:2:1: log_file: cannot create "missing-dir/app.log": directory "missing-dir": No such file or directory
files.yaml:3:1: trade_log_file: cannot open "plainfile/trades.log" for appending: Not a directory
files.yaml:5:1: error_log_file: cannot open "logs" for appending: Is a directory
EOF
expect_same "$err" "$tmp/want" "unopenable log files: one error each, at the key"

printf 'log_file: logs/existing.log\nerror_log_file: logs/new.log\n' >"$tmp/o/ok.yaml"
run "$tmp/o" ok.yaml
expect_rc 0 "an existing file and a new one in a writable directory"
[ ! -e "$tmp/o/logs/new.log" ] && pass "a missing log file is not created" ||
    fail "metalog-check created logs/new.log"

if [ "$(id -u)" != 0 ]; then
    mkdir "$tmp/o/ro"
    : >"$tmp/o/ro/readonly.log"
    chmod 444 "$tmp/o/ro/readonly.log"
    chmod 555 "$tmp/o/ro"
    printf 'log_file: ro/readonly.log\nerror_log_file: ro/new.log\n' >"$tmp/o/ro.yaml"
    run "$tmp/o" ro.yaml
    expect_rc 1 "read-only file and directory"
    cat >"$tmp/want" <<'EOF'
ro.yaml:1:1: log_file: cannot open "ro/readonly.log" for appending: Permission denied
ro.yaml:2:1: error_log_file: cannot create "ro/new.log": directory "ro" is not writable: Permission denied
EOF
    expect_same "$err" "$tmp/want" "read-only file and directory: error lines"
else
    echo "SKIP: permission checks (running as root)"
fi

# One existing file reached through a link by a second handler: the
# loader cannot see it (different names), so the files are compared, as
# metalog_init compares what it opens.
mkdir -p "$tmp/ln"
: >"$tmp/ln/a.log"
ln -s a.log "$tmp/ln/b.log"
printf 'handlers:\n  - {type: file, path: a.log}\n  - {type: file, path: b.log}\n' >"$tmp/ln/l.yaml"
run "$tmp/ln" l.yaml
expect_rc 1 "two handlers on one file through a link"
printf 'l.yaml:3:18: handlers[2]: names the same file as handlers[1]; give each handler its own file\n' >"$tmp/want"
expect_same "$err" "$tmp/want" "two handlers on one file through a link: error line"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
