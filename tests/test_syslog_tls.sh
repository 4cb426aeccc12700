#!/bin/sh
# The syslog handler over tls:// (RFC 5425) against real rsyslogd servers
# (Debian's rsyslog with its OpenSSL driver, rsyslog-openssl), with
# certificates made here by the openssl CLI:
#
#   - N numbered records arrive exactly once, the server's certificate
#     verified against ca_file and its name against the host;
#   - a server whose certificate another CA signed gets nothing; the
#     failure is reported once, with the verifier's reason, and what was
#     queued is counted lost at shutdown;
#   - verify: false then delivers to that server;
#   - server_name: wrong.example is refused (name mismatch);
#   - a server that requires a client certificate (x509/certvalid) gets
#     nothing without one and everything with cert_file/key_file;
#   - a server restarted mid-run: the handler reconnects, makes a new
#     session and delivers what was logged meanwhile, once;
#   - a forked child makes its own session: nothing twice;
#   - against tests/tls_peer.py, a server of our own: a session ends
#     with close_notify and FIN, never a reset, even when the server sent
#     something the handler never read, and a server that never closes
#     its side costs shutdown timeout_seconds; children forked while their
#     parent's sender makes its first session each log over their own,
#     none hanging.
#
# Environment: top_builddir (the driver is $top_builddir/tests/syslog_probe).
# Exit status: 0 all passed, 1 any failed, 77 (skipped) without rsyslogd,
# its OpenSSL driver or the openssl CLI.

. "$(dirname "$0")/lib.sh"
probe=$builddir/tests/syslog_probe
require_rsyslogd
driver=
for f in /usr/lib/*/rsyslog/lmnsd_ossl.so /usr/lib/rsyslog/lmnsd_ossl.so; do
    [ -f "$f" ] && driver=$f
done
[ -n "$driver" ] ||
    skip "rsyslog's OpenSSL driver is not installed (apt-get install rsyslog-openssl)"
for prog in openssl python3; do
    command -v $prog >/dev/null || skip "$prog is needed"
done

make_tmp

# ---- Certificates: a CA, its server and client certificates, and a
# server certificate from another CA (same names: only trust differs) ----
pki=$tmp/pki
mkdir "$pki"
# ca NAME: a self-signed CA, NAME.key and NAME.pem.
ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=metalog test $1" -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$pki/$1.key" -out "$pki/$1.pem" 2>/dev/null
}
# leaf NAME CA USAGE: NAME.key and NAME.pem, signed by CA, for localhost
# and 127.0.0.1.
leaf() {
    printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=%s\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' \
        "$3" >"$pki/$1.ext"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null &&
        openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.pem" -CAkey "$pki/$2.key" \
            -CAcreateserial -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
if ! { ca ca && ca other-ca && leaf server ca serverAuth && leaf client ca clientAuth &&
    leaf other-server other-ca serverAuth; }; then
    fail "openssl could not make the certificates"
    finish
fi

# Free loopback ports: the good server's anonymous and client-certificate
# inputs, and the other CA's server.
set -- $(free_ports tcp tcp tcp)
anon_port=$1
cert_port=$2
other_port=$3

# server_conf NAME CERT PORTS...: $tmp/NAME.conf, an rsyslogd config with
# TLS inputs, the first port anonymous, the second (if any) requiring a
# client certificate from the CA, and a local socket $tmp/NAME.sock.
# Records go to $tmp/NAME.out as app|msg-fields.
server_conf() {
    name=$1 cert=$2 p1=$3 p2=${4:-}
    mkdir -p "$tmp/$name"
    {
        cat <<EOC
global(workDirectory="$tmp/$name"
       DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="$pki/ca.pem"
       DefaultNetstreamDriverCertFile="$pki/$cert.pem"
       DefaultNetstreamDriverKeyFile="$pki/$cert.key")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$tmp/$name.sock")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1")
input(type="imtcp" address="127.0.0.1" port="$p1" StreamDriver.AuthMode="anon")
EOC
        [ -n "$p2" ] &&
            echo "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$p2\" StreamDriver.AuthMode=\"x509/certvalid\")"
        cat <<EOC
template(name="fields" type="string" string="%app-name%|%structured-data%\n")
*.* action(type="omfile" file="$tmp/$name.out" template="fields")
EOC
    } >"$tmp/$name.conf"
}

# server_start NAME PORT: rsyslogd_start NAME PORT, then one record
# through NAME.sock, waited for in NAME.out: the server opens that file
# before any TLS session of a test ends. Debian 12's rsyslogd (8.2302)
# closes the socket of every TLS session twice, about a millisecond
# apart; a file it opens in between loses its descriptor to the second
# close, and the next session's socket takes that number: the records
# are written into that client's TLS stream, which refuses them.
server_start() {
    rm -f "$tmp/$1.sock" # a stopped server's, which would pass for the new one's
    rsyslogd_start "$1" "$2" "$tmp/$1.sock" || return 1
    ready_n=$(($(grep -c '^ready|' "$tmp/$1.out" 2>/dev/null) + 1))
    "$python" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"<14>ready: the output file is open", sys.argv[1])' "$tmp/$1.sock" || return 1
    wait_lines $ready_n grep '^ready|' "$tmp/$1.out"
    [ "$(grep -c '^ready|' "$tmp/$1.out")" -ge $ready_n ]
}

server_conf good server "$anon_port" "$cert_port"
server_conf other other-server "$other_port"
if ! server_start good "$cert_port" || ! server_start other "$other_port"; then
    fail "rsyslogd with the ossl driver did not start"
    finish
fi

# config NAME ADDRESS [EXTRA_LINES]: every record to one syslog handler
# (app_name NAME), and the library's own notes to NAME.notes.
config() {
    printf 'log_to_console: false\nlog_level: DEBUG\nhandlers:\n  - type: syslog\n    address: %s\n    app_name: %s\n%s  - type: file\n    path: %s\n    loggers: [metalog]\n' \
        "$2" "$1" "${3:-}" "$tmp/$1.notes" >"$tmp/$1.yaml"
    echo "$tmp/$1.yaml"
}

# seqs SERVER NAME: the seq values SERVER got from app NAME, sorted.
seqs() {
    awk -F'|' -v app="$2" '$1 == app' "$tmp/$1.out" 2>/dev/null |
        sed -n 's/.*seq="\([0-9]*\)".*/\1/p' | sort -n
}

# refused NAME N WHY: runs NAME's config, N records logged slowly enough
# for the first attempt to fail before shutdown; then nothing of them
# arrived anywhere, one failure note whose reason has WHY, and the N
# counted lost at shutdown.
refused() {
    timeout 60 "$probe" "$tmp/$1.yaml" seq "$2" 20000 >"$tmp/$1.probe" 2>&1
    notes=$(grep -c '"syslog delivery failed"' "$tmp/$1.notes" 2>/dev/null)
    lost=$(awk '$1 == "write_errors_after_shutdown" { print $2 }' "$tmp/$1.probe")
    arrived=$(cat "$tmp/good.out" "$tmp/other.out" 2>/dev/null | awk -F'|' -v a="$1" '$1 == a' |
        wc -l)
    [ "$arrived" = 0 ] && [ "$notes" = 1 ] && [ "$lost" = "$2" ] &&
        grep '"syslog delivery failed"' "$tmp/$1.notes" | grep -q "$3"
}
refused_line() {
    echo "arrived $arrived, failure notes ${notes:-?}, lost ${lost:-?} of $2; notes: $(head -c 600 "$tmp/$1.notes" 2>/dev/null)"
}

# ---- Exactly once over a verified session ----
n=2000
cfg=$(config once "tls://localhost:$anon_port" "    ca_file: $pki/ca.pem
")
timeout 60 "$probe" "$cfg" seq $n 0 >"$tmp/once.probe" 2>&1 || cat "$tmp/once.probe"
wait_lines $n seqs good once
if exactly_once $n seqs good once; then
    pass "$n numbered records arrive exactly once over tls://, the server verified by ca_file and name"
else
    fail "tls: $(got_line $n)"
fi

# ---- A certificate from another CA ----
config untrusted "tls://127.0.0.1:$other_port" "    ca_file: $pki/ca.pem
    shutdown_timeout_seconds: 1
" >/dev/null
if refused untrusted 50 "certificate was refused: unable to get local issuer certificate"; then
    pass "a server certificate from another CA: nothing sent, reported once with the reason, 50 counted lost"
else
    fail "untrusted server: $(refused_line untrusted 50)"
fi

cfg=$(config noverify "tls://127.0.0.1:$other_port" "    ca_file: $pki/ca.pem
    verify: false
")
timeout 60 "$probe" "$cfg" seq 200 0 >/dev/null 2>&1
wait_lines 200 seqs other noverify
if exactly_once 200 seqs other noverify; then
    pass "verify: false delivers to that server"
else
    fail "verify: false: $(got_line 200)"
fi

# ---- A name the certificate does not carry ----
config wrongname "tls://127.0.0.1:$anon_port" "    ca_file: $pki/ca.pem
    server_name: wrong.example
    shutdown_timeout_seconds: 1
" >/dev/null
if refused wrongname 50 "hostname mismatch (it does not name wrong.example)"; then
    pass "server_name: wrong.example is refused as a name mismatch, reported once"
else
    fail "name mismatch: $(refused_line wrongname 50)"
fi

# ---- A server that requires a client certificate ----
config nocert "tls://127.0.0.1:$cert_port" "    ca_file: $pki/ca.pem
    shutdown_timeout_seconds: 1
" >/dev/null
# TLS 1.3 refuses the missing certificate after the client's handshake
# ended: the handler waits for that verdict, never sending into it.
if refused nocert 50 "TLS handshake: tlsv13 alert certificate required"; then
    nocert_ok=yes
else
    nocert_ok="no: $(refused_line nocert 50)"
fi
cfg=$(config clientcert "tls://127.0.0.1:$cert_port" "    ca_file: $pki/ca.pem
    cert_file: $pki/client.pem
    key_file: $pki/client.key
")
timeout 60 "$probe" "$cfg" seq 500 0 >/dev/null 2>&1
wait_lines 500 seqs good clientcert
if [ "$nocert_ok" = yes ] && exactly_once 500 seqs good clientcert; then
    pass "a server requiring a client certificate: without one refused once, 50 counted lost; with cert_file/key_file all 500"
else
    fail "client certificate: refused without one: $nocert_ok; with one $(got_line 500)"
fi

# ---- Server restart mid-run ----
cfg=$(config restart "tls://localhost:$anon_port" "    ca_file: $pki/ca.pem
    shutdown_timeout_seconds: 30
")
phases_start "$cfg" 500 500
wait_lines 500 seqs good restart
rsyslogd_stop good
phases_next # 500 more logged while the server is down
server_start good "$cert_port" || fail "rsyslogd did not start again"
phases_end
wait_lines 1000 seqs good restart
if exactly_once 1000 seqs good restart; then
    pass "after a server restart the handler makes a new session and delivers what was logged meanwhile, once"
else
    fail "restart: $(got_line 1000)"
fi

# ---- fork ----
cfg=$(config fork "tls://localhost:$anon_port" "    ca_file: $pki/ca.pem
")
timeout 60 "$probe" "$cfg" fork 500 >/dev/null 2>"$tmp/fork.err" || fail "fork: the probe failed: $(tail -c 2000 "$tmp/fork.err")"
wait_lines 1500 seqs good fork
if exactly_once 1500 seqs good fork; then
    pass "a forked child makes its own TLS session; nothing twice"
else
    fail "fork: $(got_line 1500); rsyslogd said: $(tail -c 600 "$tmp/good.log")"
fi

# peer_start NAME ARGS...: tests/tls_peer.py with the good server's
# certificate and ARGS, its messages and verdicts to $tmp/NAME.out;
# tracked. Sets peer_port once it listens; 1 if it does not within 10 s.
peer_start() {
    peer_name=$1
    shift
    "$python" "$srcdir/tests/tls_peer.py" --cert "$pki/server.pem" --key "$pki/server.key" \
        --port-file "$tmp/$peer_name.port" --out "$tmp/$peer_name.out" "$@" \
        2>>"$tmp/$peer_name.log" &
    track $!
    i=0
    while [ ! -s "$tmp/$peer_name.port" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    peer_port=$(cat "$tmp/$peer_name.port" 2>/dev/null)
    [ -n "$peer_port" ] || { fail "tls_peer.py did not start: $(cat "$tmp/$peer_name.log")"; return 1; }
}

# ---- The end of a session: close_notify and FIN, never a reset ----
# The server sends a line after the 5th message, which the idle handler
# never reads (TLS 1.3 session tickets sent late are the same). A
# close(2) with those bytes unread would send a reset, and a reset makes
# rsyslogd drop what it had not read yet.
if peer_start talk --talk-after 5; then
    cfg=$(config talk "tls://localhost:$peer_port" "    ca_file: $pki/ca.pem
")
    phases_start "$cfg" 5 0
    wait_lines 1 grep -xs talked "$tmp/talk.out"
    sleep 0.2 # the line is in the handler's socket
    phases_next
    phases_end
    wait_lines 1 grep -s '^end ' "$tmp/talk.out"
    if [ "$(grep '^end ' "$tmp/talk.out")" = "end 5 clean" ]; then
        pass "a session ends with close_notify and FIN, not a reset, when the server sent bytes the handler did not read"
    else
        fail "talking server: $(grep -v '^msg ' "$tmp/talk.out" | tr '\n' ' ')"
    fi
fi

# ---- A server that does not close its side ----
# It answers the close_notify only after 30 s: the wait for it ends at
# timeout_seconds (1 s here), and what was sent has arrived.
if peer_start mute --linger 30; then
    cfg=$(config mute "tls://localhost:$peer_port" "    ca_file: $pki/ca.pem
    timeout_seconds: 1
")
    t0=$(date +%s%N)
    timeout 60 "$probe" "$cfg" seq 5 0 >/dev/null 2>&1
    ms=$((($(date +%s%N) - t0) / 1000000))
    wait_lines 5 grep -s '^msg ' "$tmp/mute.out"
    got=$(grep -c '^msg ' "$tmp/mute.out")
    if [ "$ms" -lt 4000 ] && [ "$got" = 5 ]; then
        pass "a server that never answers the close_notify costs shutdown timeout_seconds, not more"
    else
        fail "mute server: shutdown took $ms ms (timeout_seconds 1), $got of 5 messages arrived"
    fi
fi

# ---- Forks in the middle of a first handshake ----
# Each round is a new process whose OpenSSL is cold, as a program's is
# at its first record, and which forks while its sender makes its first
# session. A child forked while that sender held a lock of OpenSSL's (as
# it does while it first loads the algorithms) would hang at its own
# handshake.
if peer_start forks --linger 0; then
    cfg=$(config forks "tls://localhost:$peer_port" "    ca_file: $pki/ca.pem
")
    timeout 300 "$probe" "$cfg" forks 60 >/dev/null 2>"$tmp/forks.err"
    rc=$?
    # fork_seqs WHO: the seq values of WHO's records (parent, child).
    fork_seqs() { sed -n "s/^msg .*seq=\"\([0-9]*\)\"\] $1\$/\1/p" "$tmp/forks.out" | sort -n; }
    wait_lines 60 fork_seqs child
    if [ $rc = 0 ] && exactly_once 60 fork_seqs child && exactly_once 60 fork_seqs parent; then
        pass "60 children forked during their parent's first TLS handshake each log over their own session; none hangs"
    else
        fail "forks: exit $rc, $(head -c 600 "$tmp/forks.err"); records from $(fork_seqs parent | wc -l) parents and $(fork_seqs child | wc -l) children of 60"
    fi
fi

finish
