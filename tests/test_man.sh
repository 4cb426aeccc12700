#!/bin/bash
# The man pages of the source tree (man/):
# - man formats each without a groff warning (warnings are errors);
# - metalog.yaml(5) documents every key the loader knows, in the section
#   of its place in the file: the keys are read from the loader's own
#   tables (the top-level settings of src/config/config.c and every
#   *_keys array of src/config/*.c), so that a key added without its
#   documentation fails here;
# - metalog(3) names every function and macro of include/metalog.h, in
#   its SYNOPSIS and after it.
# top_srcdir is set by make check; by hand: top_srcdir=. bash tests/test_man.sh
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
man5=$top/man/metalog.yaml.5
man3=$top/man/metalog.3
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# ---- groff warnings ----
if ! command -v man >/dev/null; then
    bad "man is not installed (Debian: man-db and groff-base, scripts/deps.sh)"
else
    for page in "$top"/man/*.[0-9]; do
        out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
        [ -z "$out" ] && ok || bad "man --warnings on ${page##*/}: $out"
    done
fi

# ---- Every key of the loader in metalog.yaml(5) ----

# The lines of a section: from the .SH or .SS line whose title is $1 to
# the next heading.
section() {
    awk -v want="$1" '
        /^\.S[HS] / { t = substr($0, 5); gsub(/"/, "", t); on = (t == want); next }
        on' "$man5"
}

# Whether the section text on stdin defines key $1: a tagged paragraph
# (.TP) whose tag is the key in bold (.B key, or first of .BR key ...).
defines() {
    awk -v k="$1" '
        prev == ".TP" && ($0 == ".B " k || index($0, ".BR " k " ") == 1) { found = 1 }
        { prev = $0 }
        END { exit !found }'
}

# Prints "ARRAY KEY" for every string of every *_keys array of the
# loader, "settings KEY" for the top-level table of config.c and
# "type_names"/"proc_names" for the handler types and processor names.
loader_keys() {
    for f in "$top"/src/config/*.c; do
        awk '
            match($0, /[A-Za-z_]+\[[^]]*\](\[[^]]*\])? *= *\{/) {
                s = substr($0, RSTART, RLENGTH); sub(/\[.*/, "", s); name = s; rest = substr($0, RSTART + RLENGTH)
                if (name !~ /_keys$/ && name != "settings" && name != "type_names" && name != "proc_names") next
                body = rest
                while (index(body, "};") == 0 && (getline line) > 0) body = body "\n" line
                n = split(body, lines, "\n")
                for (i = 1; i <= n; i++) {
                    l = lines[i]
                    # settings: only the first string of each entry is a key.
                    if (name == "settings") { if (match(l, /^[ \t]*\{"[^"]*"/)) print name, substr(l, index(l, "\"") + 1, RLENGTH - index(l, "\"") - 1); continue }
                    while (match(l, /"[^"]*"/)) { print name, substr(l, RSTART + 1, RLENGTH - 2); l = substr(l, RSTART + RLENGTH) }
                }
            }' "$f"
    done
}

# The section(s) of metalog.yaml(5) where each table's keys belong.
sections_of() {
    case $1 in
    settings) echo "GLOBAL SETTINGS|FLAT KEYS" ;;
    common_keys) echo "Keys of every handler" ;;
    file_keys | rotation_keys) echo "file handler" ;;
    console_keys) echo "console handler" ;;
    conf_webhook_keys) echo "webhook handler" ;;
    conf_syslog_keys) echo "syslog handler" ;;
    conf_otlp_keys | http_keys) echo "otlp handler" ;;
    conf_journald_keys) echo "journald handler" ;;
    proc_keys | proc_names) echo "PROCESSORS" ;;
    *) echo "" ;;
    esac
}

keys=$(loader_keys)
[ "$(printf '%s\n' "$keys" | grep -c '^settings ')" -ge 20 ] && ok \
    || bad "the top-level table of src/config/config.c was not found (was it renamed?)"
[ "$(printf '%s\n' "$keys" | grep -c '_keys ')" -ge 30 ] && ok \
    || bad "the *_keys arrays of src/config were not found (were they renamed?)"
while read -r array key; do
    [ -n "$array" ] || continue
    if [ "$array" = type_names ]; then
        grep -qx "\.SS $key handler" "$man5" && ok || bad "metalog.yaml(5) has no section \"$key handler\""
        continue
    fi
    secs=$(sections_of "$array")
    if [ -z "$secs" ]; then
        bad "$array: a new table of keys; say in tests/test_man.sh which section of metalog.yaml(5) documents it"
        continue
    fi
    found=
    IFS='|' read -ra names <<<"$secs"
    for s in "${names[@]}"; do
        section "$s" | defines "$key" && { found=1; break; }
    done
    [ -n "$found" ] && ok || bad "metalog.yaml(5) does not document $key ($array) under \"$secs\""
done <<<"$keys"

# ---- Every function and macro of metalog.h in metalog(3) ----
api=$(sed -nE \
    -e 's/^METALOG_API .*[ *](metalog_[a-z_]*[a-z])\(.*/\1/p' \
    -e 's/^static inline [a-z_]+ (ml_[a-z0-9_]*[a-z0-9])\(.*/\1/p' \
    -e 's/^#define ((metalog|ml)_[a-z0-9_]*[a-z0-9])\(.*/\1/p' "$top/include/metalog.h" | sort -u)
[ "$(printf '%s\n' "$api" | wc -l)" -ge 30 ] && ok || bad "the API of metalog.h was not found: $api"
synopsis=$(awk '/^\.SH SYNOPSIS/ { on = 1; next } /^\.SH / { on = 0 } on' "$man3")
body=$(awk '/^\.SH DESCRIPTION/ { on = 1 } on' "$man3")
for name in $api; do
    printf '%s\n' "$synopsis" | grep -q "[ \"*]$name(" && ok || bad "metalog(3) SYNOPSIS lacks $name"
    printf '%s\n' "$body" | grep -qw -- "$name" && ok || bad "metalog(3) does not describe $name"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
