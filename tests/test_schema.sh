#!/bin/sh
# The JSON Schema (schemas/metalog.schema.json) and the C validator describe
# the same language. This test proves it on the corpus:
#
#   - every file in tests/configs/valid and every YAML under config/ is
#     valid to the schema;
#   - every file in tests/configs/invalid is invalid to the schema too,
#     except the C-only ones listed in C_ONLY below, which the schema cannot
#     judge and must accept (so that the list stays honest);
#   - every YAML under config/ starts with the yaml-language-server modeline.
#
# Environment: top_srcdir (default: the directory above this script) and
# PYTHON3, an interpreter with the jsonschema and yaml modules (default, and
# fallback when PYTHON3 lacks them: /usr/bin/python3).
# Exit status: 0 all passed, 1 any failed, 77 (skipped) without jsonschema.

LC_ALL=C
export LC_ALL

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
schema=$srcdir/schemas/metalog.schema.json
modeline='# yaml-language-server: $schema=../schemas/metalog.schema.json'

# Invalid only to the C loader or to metalog-check, each with the reason.
C_ONLY='
alias.yaml                      the schema cannot see YAML aliases; metalog rejects them
env_unset.yaml                  whether a variable is set is known only when loading
unopenable_is_directory.yaml    file-system state: found by metalog-check when opening
unopenable_missing_dir.yaml     file-system state: found by metalog-check when opening
unopenable_parent_is_file.yaml  file-system state: found by metalog-check when opening
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
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

is_c_only() {
    printf '%s\n' "$C_ONLY" | awk -v f="$1" '$1 == f { found = 1 } END { exit !found }'
}

verdicts=$(mktemp) || exit 1
trap 'rm -f "$verdicts"' EXIT

if ! "$py" "$srcdir/tests/schema_check.py" "$schema" \
    "$srcdir"/tests/configs/valid/*.yaml \
    "$srcdir"/config/*.yaml \
    "$srcdir"/tests/configs/invalid/*.yaml >"$verdicts"; then
    fail "schema_check.py could not run"
fi

tab=$(printf '\t')
while IFS=$tab read -r file verdict reason; do
    name=${file#"$srcdir"/}
    case $name in
    tests/configs/invalid/*)
        base=${name##*/}
        if is_c_only "$base"; then
            if [ "$verdict" = valid ]; then
                pass "$name: C-only, accepted by the schema as listed"
            else
                fail "$name: listed as C-only but the schema rejects it ($reason)"
            fi
        elif [ "$verdict" = invalid ]; then
            pass "$name: rejected ($reason)"
        else
            fail "$name: the schema accepts a file the C validator rejects"
        fi
        ;;
    *)
        if [ "$verdict" = valid ]; then
            pass "$name: valid"
        else
            fail "$name: $reason"
        fi
        ;;
    esac
done <"$verdicts"

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

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
