#!/usr/bin/env python3
"""Judges what tests/otlp_receiver.py received from tests/otlp_probe.

  otlp_check.py OUT... [--n N] [--threads T] [--exactly-once | --at-most-once]
                [--mapping] [--callsite LINE] [--json METALOG_JSON_LINES]
                [--resource KEY=TYPE:VALUE]... [--service NAME]
                [--time START_NS END_NS]

OUT: the receiver's output files (records as JSON lines). Prints
"delivered=K distinct=D duplicates=U missing=M" and, for each problem,
a line "problem: ..." (the first 20); exits 1 when there is a problem.

--exactly-once: every seq 0..N-1 once. --at-most-once: none twice, none
outside 0..N-1. --mapping: every record as the probe logged it (the probe's
tables are repeated here: keep them in step with tests/otlp_probe.c), the
resource attributes as --resource and --service say plus metalog's
telemetry.sdk.*, and with --callsite the code.* attributes. --json: the
same run's records as metalog's JSON file handler wrote them: the OTLP
attributes come in the order of its keys.
"""
import argparse
import json
import math
import sys

INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1
INTS = [0, -1, 42, INT64_MAX, -(2**63), -1234567890123]
UINTS = [0, 7, INT64_MAX, UINT64_MAX]
TEXTS = ["plain", 'quo"te', "back\\slash", "new\nline", "tab\there", "ctl\x01\x1f\x7f",
         "caf\u00e9 \u20ac", "\U0001F600", "", "bad\ufffdbyte", "</script>", "NaN"]
LEVELS = [("DEBUG", 5), ("INFO", 9), ("WARNING", 13), ("ERROR", 17), ("CRITICAL", 21)]
CODE = {"filename": "code.file.path", "lineno": "code.line.number",
        "func_name": "code.function.name"}


def dval(i):
    return [1.5, -0.25, 0.1, 1e300, -1e-300, "NaN", "Infinity", "-Infinity", 0.0, -0.0,
            5e-324][i % 11]


def ids(i):
    """(attributes the ids leave, traceId, spanId) of record i."""
    trace = f"{0xabcdef0123456789:016x}{i + 1:016x}"
    span = f"{i + 1:016x}"
    k = i % 7
    if k == 0:
        return [], trace, span
    if k == 1:  # uppercase hex digits: still ids, sent lowercase
        return [], trace, span
    if k == 2:
        return [["trace_id", "string", trace[:31]], ["span_id", "string", span[:15] + "g"]], \
            None, None
    if k == 3:
        return [["trace_id", "int", i]], None, None
    if k == 4:
        return [], trace, None
    return [], None, None


def same_value(want, got):
    """[type, value] pairs; doubles bit for bit, -0.0 included."""
    if want[0] != got[0]:
        return False
    if want[0] == "double" and isinstance(want[1], float) and isinstance(got[1], float):
        return want[1] == got[1] and math.copysign(1, want[1]) == math.copysign(1, got[1])
    return want[1] == got[1] and type(want[1]) is type(got[1])


def uval_ok(u, got):
    if u <= INT64_MAX:
        return same_value(["int", u], got)
    # Beyond int64: intValue cannot hold it. The contract does not say
    # which of these two lossless-enough forms; either is accepted.
    return same_value(["string", str(u)], got) or same_value(["double", float(u)], got)


def check_record(r, i, o, problems):
    def bad(what):
        problems.append(f"seq {i}: {what}")

    last = i == o.n - 1
    st, sn = ("ERROR", 17) if last else LEVELS[i % 5]
    if (r["st"], r["sn"]) != (st, sn):
        bad(f"severity {r['st']}/{r['sn']}, want {st}/{sn}")
    if r["body"] != ["string", "boom" if last else "rec"]:
        bad(f"body {r['body']}")
    logger = "probe" if (i // 10) % 2 == 0 else "probe.sub"
    if r["scope"] != logger:
        bad(f"scope {r['scope']!r}, want {logger!r}")
    left, trace, span = ids(i)
    if (r["traceId"], r["spanId"]) != (trace, span):
        bad(f"traceId/spanId {r['traceId']}/{r['spanId']}, want {trace}/{span}")
    attrs = {a[0]: a[1:] for a in r["attrs"]}
    want = [["app", "string", "probe"], ["worker", "int", i % o.threads], ["seq", "int", i],
            ["ival", "int", INTS[i % 6]], None, ["dval", "double", dval(i)],
            ["flag", "bool", i % 3 == 0], ["text", "string", TEXTS[i % 12]]] + left
    for w in want:
        if w is None:
            if "uval" not in attrs or not uval_ok(UINTS[i % 4], attrs["uval"]):
                bad(f"uval {attrs.get('uval')}, want {UINTS[i % 4]}")
        elif w[0] not in attrs or not same_value(w[1:], attrs[w[0]]):
            bad(f"{w[0]} {attrs.get(w[0])}, want {w[1:]}")
    if o.callsite is not None:
        for k, v in (("code.file.path", ["string", "otlp_probe.c"]),
                     ("code.line.number", ["int", o.callsite]),
                     ("code.function.name", ["string", "log_one"])):
            if attrs.get(k) != v:
                bad(f"{k} {attrs.get(k)}, want {v}")
        for k in CODE:
            if k in attrs:
                bad(f"callsite field {k} repeated as an attribute")
    if last:
        exc = attrs.get("exception.stacktrace")
        if not exc or exc[0] != "string" or not exc[1].strip():
            bad(f"exception.stacktrace {exc}")
    expected = {w[0] for w in want if w} | {"uval"}
    expected |= set(CODE.values()) if o.callsite is not None else set()
    for k in attrs:
        if k not in expected and not (last and k.startswith("exception.")):
            bad(f"unexpected attribute {k}={attrs[k]}")
    if o.time:
        lo, hi = o.time[0] - 10**9, o.time[1] + 10**9
        if not lo <= r["t"] <= hi or not lo <= r["ot"] <= hi:
            bad(f"timeUnixNano {r['t']} / observed {r['ot']} outside the run [{lo}, {hi}]")


def check_resource(res, o, problems):
    got = {a[0]: a[1:] for a in res}
    want = {"service.name": ["string", o.service], "telemetry.sdk.name": ["string", "metalog"],
            "telemetry.sdk.language": ["string", "c"]}
    for spec in o.resource:
        k, _, tv = spec.partition("=")
        t, _, v = tv.partition(":")
        want[k] = [t, {"int": int, "double": float, "bool": lambda s: s == "true",
                       "string": str}[t](v)]
    for k, v in want.items():
        if k not in got or not same_value(v, got[k]):
            problems.append(f"resource {k} {got.get(k)}, want {v}")


def check_order(recs, json_path, problems):
    """OTLP attribute order against the key order of metalog's JSON lines."""
    by_seq = {}
    with open(json_path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            by_seq[d["seq"]] = list(d)
    for r in recs:
        seq = next(a[2] for a in r["attrs"] if a[0] == "seq")
        keys = by_seq.get(seq)
        if keys is None:
            problems.append(f"seq {seq}: not in {json_path}")
            continue
        keys = keys[keys.index("event") + 1:]
        keys = [k for k in keys if k != "exception" and k not in CODE]
        if r["traceId"] is not None:
            keys.remove("trace_id")
        if r["spanId"] is not None:
            keys.remove("span_id")
        got = [a[0] for a in r["attrs"] if not a[0].startswith(("exception.", "code."))]
        if got != keys:
            problems.append(f"seq {seq}: attributes in the order {got}, the record's is {keys}")


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("out", nargs="+")
    p.add_argument("--n", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--exactly-once", action="store_true")
    p.add_argument("--at-most-once", action="store_true")
    p.add_argument("--mapping", action="store_true")
    p.add_argument("--callsite", type=int)
    p.add_argument("--json")
    p.add_argument("--resource", action="append", default=[])
    p.add_argument("--service", default="otlp_probe")
    p.add_argument("--time", type=int, nargs=2)
    o = p.parse_args(argv)
    recs = []
    for path in o.out:
        try:
            with open(path, encoding="utf-8") as f:
                recs += [json.loads(line) for line in f]
        except FileNotFoundError:
            pass
    problems = []
    count = {}
    for r in recs:
        seqs = [a[2] for a in r["attrs"] if a[0] == "seq" and a[1] == "int"]
        if len(seqs) != 1:
            problems.append(f"a record without an int seq: {json.dumps(r)[:200]}")
            continue
        r["seq"] = seqs[0]
        count[seqs[0]] = count.get(seqs[0], 0) + 1
    dups = sum(c - 1 for c in count.values())
    missing = sum(1 for i in range(o.n) if i not in count)
    stray = [s for s in count if not 0 <= s < o.n]
    print(f"delivered={len(recs)} distinct={len(count)} duplicates={dups} missing={missing}")
    if (o.exactly_once or o.at_most_once) and dups:
        problems.append(f"{dups} records delivered more than once, e.g. seq "
                        f"{[s for s, c in count.items() if c > 1][:5]}")
    if o.exactly_once and missing:
        problems.append(f"{missing} records missing, e.g. seq "
                        f"{[i for i in range(o.n) if i not in count][:5]}")
    if (o.exactly_once or o.at_most_once) and stray:
        problems.append(f"seqs outside 0..{o.n - 1}: {stray[:5]}")
    if o.mapping:
        for r in recs:
            if "seq" in r:
                check_record(r, r["seq"], o, problems)
        for res in {json.dumps(r["resource"]) for r in recs}:
            check_resource(json.loads(res), o, problems)
    if o.json:
        check_order([r for r in recs if "seq" in r], o.json, problems)
    for line in problems[:20]:
        print(f"problem: {line}")
    if len(problems) > 20:
        print(f"problem: ... {len(problems) - 20} more")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
