"""Compares what lnav made of a metalog log with the log itself.

    lnav_check.py json|text LOG LNAV_JSON

LOG is the file metalog wrote; LNAV_JSON what `:write-json-to` printed
for the query in tests/test_lnav.sh. Every line of LOG must be one
message of the metalog format, the five levels among them, each with its
level, its timestamp (lnav keeps
milliseconds: the microseconds are cut, never rounded), its logger, its
event as the body and its fields. Prints one line per failed check and
exits 1 if there was any.
"""
import json
import re
import sys

kind, log_path, lnav_path = sys.argv[1:4]
with open(log_path, encoding="utf-8") as f:
    lines = f.read().splitlines()
with open(lnav_path, encoding="utf-8") as f:
    text = f.read()
rows = json.loads(text) if text.strip() else []
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def lnav_time(ts):
    # 2026-12-06T22:10:20.314113Z -> 2026-12-06 22:10:20.314
    return ts[:10] + " " + ts[11:23]


LOGFMT_VALUE = r'"(?:[^"\\]|\\.)*"|[^ "=]*'
LOGFMT_HEAD = re.compile(
    r'^timestamp=(\S+) level=(\S+) logger=(' + LOGFMT_VALUE + r') event=(' + LOGFMT_VALUE + r')')
LOGFMT_PAIR = re.compile(r' ("(?:[^"\\]|\\.)*"|[^ "=]+)=(' + LOGFMT_VALUE + r')')


def inner(v):
    """A logfmt value as a regex format captures it: between the quotes,
    escapes kept (lnav shows the exception's newlines as \\n)."""
    return v[1:-1] if v.startswith('"') else v


def unquote(v):
    if v.startswith('"'):
        return json.loads(v)  # metalog's logfmt escapes are JSON's
    return v


def expected_text(line):
    """(time, level, logger, event, fields text, exception, fields) of a text line."""
    m = LOGFMT_HEAD.match(line)
    if not m:
        fail("not a metalog text line: " + line)
        return None
    pos = m.end()
    pairs = []
    exception = None
    while pos < len(line):
        p = LOGFMT_PAIR.match(line, pos)
        if not p:
            fail("cannot split the fields of: " + line)
            return None
        key, value = unquote(p.group(1)), p.group(2)
        if key == "exception" and p.end() == len(line):
            exception = inner(value)
        else:
            pairs.append((key, value, p.group(0)))
        pos = p.end()
    fields_text = "".join(raw for _, _, raw in pairs)[1:] or None
    return (lnav_time(m.group(1)), m.group(2).lower(), inner(m.group(3)),
            inner(m.group(4)), fields_text, exception, pairs)


def same_value(got, text):
    """Whether lnav's value for a field is the one metalog wrote as text."""
    if got is None:
        return False
    if isinstance(got, bool) or got is None:
        return json.dumps(got) == text
    if isinstance(got, (int, float)):
        try:
            return float(text) == got
        except ValueError:
            return False
    return got == text


if len(rows) != len(lines):
    fail("%s: %d lines, lnav's metalog_%s table has %d messages"
         % (log_path, len(lines), kind, len(rows)))

checked_values = 0
levels = set()
for line, row in zip(lines, rows):
    if kind == "json":
        obj = json.loads(line)
        want = {
            "log_time": lnav_time(obj["timestamp"]),
            "log_level": obj["level"].lower(),
            "logger": obj["logger"],
            "log_body": obj["event"],
            "filename": obj.get("filename"),
            "lineno": obj.get("lineno"),
            "func_name": obj.get("func_name"),
            "exception": obj.get("exception"),
        }
        # The message's raw text is the whole record: no line was split
        # from its record or glued to another.
        raw = json.loads(row["log_raw_text"]) if row.get("log_raw_text") else {}
        if raw != obj:
            fail("message text differs: %r vs %r" % (raw, obj))
        checked_values += len(obj)
    else:
        e = expected_text(line)
        if e is None:
            continue
        t, level, logger, event, fields_text, exception, pairs = e
        want = {"log_time": t, "log_level": level, "logger": logger, "log_body": event,
                "fields": fields_text, "exception": exception}
        # lnav's logfmt2json reads values (not quoted keys): every
        # value of a plain key must come back as metalog wrote it.
        if pairs and all(not k.startswith('"') and k == raw.split("=", 1)[0][1:]
                         for k, _, raw in pairs):
            got = json.loads(row["fields_json"]) if row.get("fields_json") else {}
            for key, value, _ in pairs:
                v = unquote(value)
                g = got.get(key)
                if not same_value(g, v):
                    fail("%s: field %s=%s came back as %r" % (line, key, value, g))
                checked_values += 1
    levels.add(want["log_level"])
    for k, v in want.items():
        if row.get(k) != v:
            fail("%s: %s is %r, expected %r" % (line[:80], k, row.get(k), v))

if levels != {"debug", "info", "warning", "error", "critical"}:
    fail("the log's levels in lnav are %s, not all five" % sorted(levels))
print("%s: %d lines, %d messages, %d field values compared"
      % (log_path, len(lines), len(rows), checked_values))
sys.exit(1 if failures else 0)
