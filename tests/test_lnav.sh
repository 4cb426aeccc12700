#!/bin/sh
# The lnav formats in contrib/lnav against Debian's lnav: both are
# installed with `lnav -i` into a temporary HOME, and lnav, headless,
# reads logs that metalog wrote (the demo at DEBUG, hostile values, a
# thousand numbered records), one JSON and one text file each:
#
#   - every line of each file is one message of the metalog format, and
#     no other format claims any line;
#   - level, timestamp (to lnav's millisecond), logger and event (the
#     body) of every message are the record's;
#   - JSON: the declared values (filename, lineno, func_name, exception)
#     are the record's, and the message's text is the whole record;
#     text: the fields and the exception are split off the head, and
#     lnav's logfmt2json gives back every field value.
#
# Environment: top_srcdir, top_builddir.
# Exit status: 0 all passed, 1 any failed, 77 (skipped) without lnav.

. "$(dirname "$0")/lib.sh"
LC_ALL=C.UTF-8
command -v lnav >/dev/null || skip "lnav is not installed (apt-get install lnav)"

make_tmp
# lnav keeps its formats, config and session under $HOME/.lnav.
HOME=$tmp/home
export HOME
mkdir -p "$HOME" "$tmp/run"

for f in metalog_json metalog_text; do
    if lnav -i "$srcdir/contrib/lnav/$f.json" >"$tmp/install.out" 2>&1 &&
        [ -f "$HOME/.lnav/formats/installed/$f.json" ]; then
        pass "lnav -i installs $f.json"
    else
        cat "$tmp/install.out"
        fail "lnav -i installs $f.json"
    fi
done

# The same records to a JSON and a text file.
cat >"$tmp/run/metalog.yaml" <<EOC
log_level: DEBUG
handlers:
  - type: file
    path: app.json
  - type: file
    path: app.text
    format: text
EOC
(
    cd "$tmp/run" &&
    "$builddir/examples/trading_bot" metalog.yaml 0 &&
    "$builddir/tests/syslog_probe" metalog.yaml hostile &&
    "$builddir/tests/syslog_probe" metalog.yaml levels &&
    "$builddir/tests/syslog_probe" metalog.yaml seq 1000 0
) >"$tmp/run.out" 2>&1 || { cat "$tmp/run.out"; fail "metalog writes the logs"; }

# lnav_sql FILE SQL: what lnav's SQL gives for FILE, as JSON rows.
lnav_sql() {
    lnav -n -c ";$2" -c ":write-json-to $tmp/rows.json" "$1" >"$tmp/lnav.out" 2>&1 &&
        ! grep -q '✘' "$tmp/lnav.out" || { cat "$tmp/lnav.out"; return 1; }
}

for kind in json text; do
    file=$tmp/run/app.$kind
    n=$(wc -l <"$file")
    # Which formats claim the file's lines: metalog's alone.
    if lnav_sql "$file" "SELECT log_format AS f, count(*) AS n FROM all_logs GROUP BY 1" &&
        "$python" -c '
import json, sys
rows = json.load(open(sys.argv[1]))
got = {r["f"]: r["n"] for r in rows}
sys.exit(0 if got == {sys.argv[2]: int(sys.argv[3])} else (print(got) or 1))' \
            "$tmp/rows.json" "metalog_$kind" "$n"; then
        pass "lnav reads all $n lines of a $kind log with metalog_$kind and no other format"
    else
        fail "lnav reads all $n lines of a $kind log with metalog_$kind and no other format"
    fi
    if [ "$kind" = json ]; then
        cols="log_time, log_level, logger, log_body, filename, lineno, func_name, exception, log_raw_text"
    else
        cols="log_time, log_level, logger, log_body, fields, exception, logfmt2json(fields) AS fields_json"
    fi
    if lnav_sql "$file" "SELECT $cols FROM metalog_$kind ORDER BY log_line" &&
        "$python" "$srcdir/tests/lnav_check.py" "$kind" "$file" "$tmp/rows.json"; then
        pass "every $kind record's level (all five), time, logger, event and fields in lnav are metalog's"
    else
        fail "every $kind record's level (all five), time, logger, event and fields in lnav are metalog's"
    fi
done

finish
