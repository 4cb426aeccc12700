#!/bin/sh
# The JSON Schema (schemas/metalog.schema.json) and the C validator describe
# the same language. This test proves it on the corpus, with three judges:
# python3-jsonschema, ajv 8 in strict mode (what editors and CI tools embed)
# and metalog-check.
#
#   - the schema compiles under ajv's strict mode without a warning;
#   - ajv and python3-jsonschema give the same verdict on every file;
#   - every file in tests/configs/valid and every YAML under config/ is
#     valid to all three;
#   - every file in tests/configs/invalid is invalid to all three, except
#     the C-only ones listed in C_ONLY below, which the schema cannot judge
#     and must accept (so that the list stays honest);
#   - every YAML under config/ starts with the yaml-language-server modeline.
#
# metalog-check runs in a copy of each corpus directory (with a logs/
# directory, where the valid files put their logs), so relative paths
# resolve as they do in test_metalog_check.sh and nothing is created in the
# source tree.
#
# ajv comes from npm: installed once under $top_builddir/tests/node, and
# reused while it is there. The schema is handed to node as JSON, read from
# YAML by schema_check.py --json, so node needs no YAML reader.
#
# Environment: top_srcdir, top_builddir (metalog-check is
# $top_builddir/tools/metalog-check) and PYTHON3, an interpreter with the
# jsonschema and yaml modules (default, and fallback when PYTHON3 lacks
# them: /usr/bin/python3).
# Exit status: 0 all passed, 1 any failed, 77 (skipped) without jsonschema,
# or without node and npm when ajv is not installed yet (everything else is
# checked first; scripts/deps.sh installs nodejs and npm).

LC_ALL=C
export LC_ALL
# The corpus relies on these being unset.
unset METALOG_TEST_UNSET_LOGDIR METALOG_TEST_UNSET_LEVEL METALOG_TEST_UNSET_DIR \
    METALOG_TEST_UNSET_SIZE METALOG_TEST_UNSET_ASYNC LOG_LEVEL ALERT_WEBHOOK_URL

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
schema=$srcdir/schemas/metalog.schema.json
check=$builddir/tools/metalog-check
nodedir=$builddir/tests/node
modeline='# yaml-language-server: $schema=../schemas/metalog.schema.json'

# Invalid only to the C loader or to metalog-check, each with the reason.
C_ONLY='
alias.yaml                      the schema cannot see YAML aliases; metalog rejects them
env_unset.yaml                  whether a variable is set is known only when loading
unopenable_is_directory.yaml    file-system state: found by metalog-check when opening
unopenable_missing_dir.yaml     file-system state: found by metalog-check when opening
unopenable_parent_is_file.yaml  file-system state: found by metalog-check when opening
unopenable_tls_ca_not_pem.yaml  a file holds PEM certificates or not: found only when loading it
handler_duplicate_name.yaml     a schema cannot compare one list entry with another
handler_name_flat_key.yaml      a schema cannot compare handler names with the flat keys set
handler_same_file.yaml          the same file is a question of directories, asked when loading
handler_rotated_name_of_another.yaml    which names are rotated files of another log is a question of file names and rotation, asked when loading
handler_max_level_below_level.yaml  a schema cannot order two level names
processor_redact_bad_regex.yaml whether a POSIX regex compiles is known only to regcomp
processor_redact_pattern_too_large.yaml  how far a regex expands is a question of its syntax, asked when loading
processor_redact_pattern_slow_to_compile.yaml  what a regex costs to compile is a question of its syntax, asked when loading
handler_syslog_tls_unreadable.yaml  file-system state: whether the CA, certificate and key files can be read
'

has_modules() {
    [ -n "$1" ] && "$1" -c 'import jsonschema, yaml' >/dev/null 2>&1
}

py=${PYTHON3:-/usr/bin/python3}
if ! has_modules "$py"; then
    py=/usr/bin/python3
    if ! has_modules "$py"; then
        echo "SKIP: no python3 with the jsonschema and yaml modules"
        exit 77
    fi
fi

passed=0
failed=0
# printf, not echo: reasons quote YAML text, backslashes included.
pass() { passed=$((passed + 1)); printf 'PASS: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

is_c_only() {
    printf '%s\n' "$C_ONLY" | awk -v f="$1" '$1 == f { found = 1 } END { exit !found }'
}

tmp=$(mktemp -d) || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# ---- ajv: installed once per build tree ----

ajv_skip=""
ajv_installed() {
    [ -f "$nodedir/node_modules/ajv/package.json" ]
}
if ! command -v node >/dev/null 2>&1; then
    ajv_skip="no node (scripts/deps.sh installs nodejs and npm)"
elif ! ajv_installed; then
    if ! command -v npm >/dev/null 2>&1; then
        ajv_skip="no npm to install ajv with (scripts/deps.sh installs nodejs and npm)"
    else
        mkdir -p "$nodedir"
        if npm install --no-save --no-audit --no-fund --loglevel=error \
            --prefix "$nodedir" 'ajv@^8' >"$tmp/npm.out" 2>&1 && ajv_installed; then
            pass "ajv installed under ${nodedir#"$builddir"/}"
        else
            fail "npm could not install ajv: $(tail -n 3 "$tmp/npm.out")"
        fi
    fi
fi
if [ -z "$ajv_skip" ] && ajv_installed; then
    version=$(NODE_PATH=$nodedir/node_modules node -p 'require("ajv/package.json").version')
    case $version in
    8.*) pass "ajv $version" ;;
    *) fail "ajv $version under ${nodedir#"$builddir"/} is not ajv 8: remove the directory" ;;
    esac
fi

# ---- the corpus, in copies ----

for d in valid invalid; do
    cp -R "$srcdir/tests/configs/$d" "$tmp/$d"
done
mkdir "$tmp/config"
cp "$srcdir"/config/*.yaml "$tmp/config/"
mkdir "$tmp/valid/logs" "$tmp/config/logs"
set -- "$tmp"/valid/*.yaml "$tmp"/config/*.yaml "$tmp"/invalid/*.yaml


# ---- verdicts: python3-jsonschema, ajv, metalog-check ----

start=$(date +%s)
if ! "$py" "$srcdir/tests/schema_check.py" "$schema" "$@" >"$tmp/py.out" 2>"$tmp/py.err"; then
    fail "schema_check.py could not run: $(head -n 3 "$tmp/py.err")"
fi
end_py=$(date +%s)

if [ -z "$ajv_skip" ] && ajv_installed; then
    if "$py" "$srcdir/tests/schema_check.py" --json "$@" >"$tmp/corpus.json" &&
        NODE_PATH=$nodedir/node_modules node "$srcdir/tests/schema_ajv.js" "$schema" \
            <"$tmp/corpus.json" >"$tmp/ajv.out" 2>"$tmp/ajv.err"; then
        pass "the schema compiles in ajv's strict mode without a warning"
    else
        fail "schema_ajv.js: $(head -n 5 "$tmp/ajv.err")"
    fi
fi
end_ajv=$(date +%s)

if [ ! -x "$check" ]; then
    fail "$check is not built"
fi
for f in "$@"; do
    [ -x "$check" ] || break
    (cd "${f%/*}" && exec "$check" "${f##*/}") >/dev/null 2>"$tmp/c.err"
    case $? in
    0) printf '%s\tvalid\n' "$f" ;;
    1) printf '%s\tinvalid\t%s\n' "$f" "$(head -n 1 "$tmp/c.err")" ;;
    *) printf '%s\terror\t%s\n' "$f" "$(head -n 1 "$tmp/c.err")" ;;
    esac
done >"$tmp/c.out"
end_c=$(date +%s)
echo "# seconds: python3-jsonschema $((end_py - start)), ajv $((end_ajv - end_py)), metalog-check $((end_c - end_ajv))"

# One line per file: the file, then verdict and reason from python3-
# jsonschema, ajv and metalog-check ("-" where a judge said nothing).
[ -f "$tmp/ajv.out" ] || : >"$tmp/ajv.out"
printf '%s\n' "$@" >"$tmp/files"
# Empty fields become "-": read with a tab IFS would merge them.
awk -F '\t' -v OFS='\t' '
    function get(m, k) { return k in m && m[k] != "" ? m[k] : "-" }
    FILENAME == ARGV[1] { pv[$1] = $2; pw[$1] = $3; next }
    FILENAME == ARGV[2] { av[$1] = $2; aw[$1] = $3; next }
    FILENAME == ARGV[3] { cv[$1] = $2; cw[$1] = $3; next }
    { print $0, get(pv, $0), get(pw, $0), get(av, $0), get(aw, $0), get(cv, $0), get(cw, $0) }
' "$tmp/py.out" "$tmp/ajv.out" "$tmp/c.out" "$tmp/files" >"$tmp/all.out"

tab=$(printf '\t')
while IFS=$tab read -r f py_v py_why ajv_v ajv_why c_v c_why; do
    # The file as the source tree calls it.
    case $f in
    "$tmp"/config/*) n=config/${f##*/} ;;
    *) n=tests/configs/${f#"$tmp"/} ;;
    esac
    if [ -n "$ajv_skip" ]; then
        :
    elif [ "$ajv_v" = "$py_v" ]; then
        pass "$n: ajv and python3-jsonschema agree ($py_v)"
    else
        fail "$n: ajv says $ajv_v ($ajv_why), python3-jsonschema $py_v ($py_why)"
    fi
    case $n in
    tests/configs/invalid/*)
        if [ "$c_v" = invalid ]; then
            pass "$n: metalog-check rejects it ($c_why)"
        else
            fail "$n: metalog-check says $c_v $c_why"
        fi
        if is_c_only "${n##*/}"; then
            if [ "$py_v" = valid ]; then
                pass "$n: C-only, accepted by the schema as listed"
            else
                fail "$n: listed as C-only but the schema rejects it ($py_why)"
            fi
        elif [ "$py_v" = invalid ]; then
            pass "$n: the schema rejects it ($py_why)"
        else
            fail "$n: the schema accepts a file metalog-check rejects"
        fi
        ;;
    *)
        if [ "$c_v" = valid ]; then
            pass "$n: metalog-check accepts it"
        else
            fail "$n: metalog-check says $c_v: $c_why"
        fi
        if [ "$py_v" = valid ]; then
            pass "$n: the schema accepts it"
        else
            fail "$n: the schema rejects it: $py_why"
        fi
        ;;
    esac
done <"$tmp/all.out"

# Every listed exception must exist, or the list has gone stale.
for base in $(printf '%s\n' "$C_ONLY" | awk 'NF { print $1 }'); do
    if [ -f "$srcdir/tests/configs/invalid/$base" ]; then
        pass "C-only exception $base exists"
    else
        fail "C-only exception $base does not exist"
    fi
done

found_config=0
for f in "$srcdir"/config/*.yaml; do
    [ -f "$f" ] || continue
    found_config=1
    if [ "$(head -n 1 "$f")" = "$modeline" ]; then
        pass "${f#"$srcdir"/}: starts with the modeline"
    else
        fail "${f#"$srcdir"/}: first line is not: $modeline"
    fi
done
[ "$found_config" = 1 ] || fail "no YAML files under config/"

[ -z "$ajv_skip" ] || echo "SKIP: ajv: $ajv_skip"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] || exit 1
[ -z "$ajv_skip" ] || exit 77
exit 0
