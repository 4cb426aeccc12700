#!/usr/bin/env python3
"""An OTLP/HTTP logs receiver (JSON encoding) for tests/test_otlp.sh.

Checks every request against OTLP/HTTP's rules and the proto3 JSON mapping
of ExportLogsServiceRequest, strictly: POST to the path, Content-Type
application/json, a body that is UTF-8 JSON with only the message's known
keys (lowerCamelCase, as a writer of the mapping emits them), each of its
JSON type, 64-bit integers as decimal strings within their range, traceId
and spanId as lowercase hex of 16 and 8 bytes, and severityNumber agreeing
with metalog's severityText. A request that breaks a rule is answered 400
and the first broken rule goes to the violations file; an accepted one is
answered 200 {} and its records are appended to the output file, one JSON
line each:

  {"req": "PID-K", "resource": [[key, type, value]...], "scope": name,
   "t": timeUnixNano, "ot": observedTimeUnixNano, "sn": severityNumber,
   "st": severityText, "body": [type, value], "traceId": hex|null,
   "spanId": hex|null, "attrs": [[key, type, value]...]}

with type one of string int double bool (int values as Python ints,
double specials as the strings "NaN", "Infinity", "-Infinity"). Every
request, answered or not, also gets a line in the requests file (its
number, record count, the status given, its headers).

Faults (for the first --fail-first K requests after --skip-first J good
ones; K defaults to all): --status S [--retry-after R] answers S;
--hang reads the request and never answers; --close reads it and closes
the connection without an answer. --reject K answers every good request
with 200 and a partialSuccess rejecting its first K records (not written
to the output), rejectedLogRecords a string in even-numbered requests and
a number in odd ones, as proto3's JSON allows both. --max-body B answers
413 to a request whose body is longer than B bytes (its records are not
written), as collectors with a body limit do. --delay S waits S seconds
before every answer, as a loaded collector does.

  otlp_receiver.py --out F [--violations F] [--requests F] [--port P]
                   [--port-file F] [--path /v1/logs] [faults] [--delay S]
                   [--expect-header 'Name: value']...
  otlp_receiver.py --self-test

Standard library only.
"""
import argparse
import gzip
import http.server
import json
import math
import os
import re
import socket
import sys
import threading
import time

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1
UINT32_MAX = 2**32 - 1
SEVERITY = {"DEBUG": 5, "INFO": 9, "WARNING": 13, "ERROR": 17, "CRITICAL": 21}
DEC = re.compile(r"-?(0|[1-9][0-9]*)\Z")
UDEC = re.compile(r"(0|[1-9][0-9]*)\Z")


class Violation(Exception):
    pass


def need(cond, where, what):
    if not cond:
        raise Violation(f"{where}: {what}")


def keys_only(obj, where, allowed, required=()):
    need(isinstance(obj, dict), where, f"not an object: {json.dumps(obj)[:80]}")
    for k in obj:
        need(k in allowed, where, f"unknown key {k!r}")
    for k in required:
        need(k in obj, where, f"missing {k!r}")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def uint32(obj, key, where):
    if key in obj:
        v = obj[key]
        need(is_int(v) and 0 <= v <= UINT32_MAX, f"{where}.{key}", f"not a uint32 number: {v!r}")


def fixed64(v, where):
    """A fixed64 (timeUnixNano): a decimal string in range, never a number."""
    need(isinstance(v, str), where, f"64-bit integer not a string: {v!r}")
    need(UDEC.match(v) is not None, where, f"not a decimal string: {v!r}")
    need(int(v) <= UINT64_MAX, where, f"out of uint64 range: {v}")
    return int(v)


def hexid(v, nbytes, where):
    need(isinstance(v, str), where, f"not a string: {v!r}")
    need(re.fullmatch(r"[0-9a-f]{%d}" % (2 * nbytes), v) is not None, where,
         f"not {2 * nbytes} lowercase hex digits: {v!r}")
    need(v != "0" * (2 * nbytes), where, "all zero (an invalid id)")
    return v


def any_value(v, where):
    """AnyValue -> [type, value]."""
    keys_only(v, where, {"stringValue", "boolValue", "intValue", "doubleValue",
                         "arrayValue", "kvlistValue", "bytesValue"})
    need(len(v) <= 1, where, f"an AnyValue holds at most one value: {json.dumps(v)[:80]}")
    if not v:
        return ["null", None]  # common.proto: an empty AnyValue is a null
    (k, x), = v.items()
    if k == "stringValue":
        need(isinstance(x, str), where, f"stringValue not a string: {x!r}")
        return ["string", x]
    if k == "boolValue":
        need(isinstance(x, bool), where, f"boolValue not a JSON bool: {x!r}")
        return ["bool", x]
    if k == "intValue":
        need(isinstance(x, str), where, f"intValue not a decimal string: {x!r}")
        need(DEC.match(x) is not None, where, f"intValue not a decimal string: {x!r}")
        need(x != "-0", where, "intValue -0")
        need(INT64_MIN <= int(x) <= INT64_MAX, where, f"intValue out of int64 range: {x}")
        return ["int", int(x)]
    if k == "doubleValue":
        if isinstance(x, str):
            need(x in ("NaN", "Infinity", "-Infinity"), where,
                 f"doubleValue string other than NaN/Infinity/-Infinity: {x!r}")
            return ["double", x]
        need(isinstance(x, (int, float)) and not isinstance(x, bool), where,
             f"doubleValue not a number: {x!r}")
        need(math.isfinite(float(x)), where, f"doubleValue out of double range: {x!r}")
        return ["double", float(x)]
    if k == "arrayValue":
        keys_only(x, where + ".arrayValue", {"values"})
        vals = x.get("values", [])
        need(isinstance(vals, list), where, "arrayValue.values not a list")
        return ["array", [any_value(e, f"{where}.values[{i}]") for i, e in enumerate(vals)]]
    if k == "kvlistValue":
        keys_only(x, where + ".kvlistValue", {"values"})
        return ["kvlist", attributes(x.get("values", []), where + ".kvlistValue.values")]
    need(isinstance(x, str) and re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", x) and len(x) % 4 == 0,
         where, f"bytesValue not base64: {x!r}")
    return ["bytes", x]


def attributes(lst, where):
    need(isinstance(lst, list), where, f"attributes not a list: {lst!r}")
    out = []
    seen = set()
    for i, kv in enumerate(lst):
        w = f"{where}[{i}]"
        keys_only(kv, w, {"key", "value"}, ("key", "value"))
        need(isinstance(kv["key"], str), w, f"key not a string: {kv['key']!r}")
        need(kv["key"] not in seen, w, f"key {kv['key']!r} twice")
        seen.add(kv["key"])
        out.append([kv["key"]] + any_value(kv["value"], f"{w}.value"))
    return out


def log_record(lr, where):
    keys_only(lr, where, {"timeUnixNano", "observedTimeUnixNano", "severityNumber",
                          "severityText", "body", "attributes", "droppedAttributesCount",
                          "flags", "traceId", "spanId", "eventName"})
    for k in ("timeUnixNano", "observedTimeUnixNano", "severityNumber", "severityText",
              "body"):
        need(k in lr, where, f"missing {k!r} (metalog always has it)")
    t = fixed64(lr["timeUnixNano"], where + ".timeUnixNano")
    ot = fixed64(lr["observedTimeUnixNano"], where + ".observedTimeUnixNano")
    sn, st = lr["severityNumber"], lr["severityText"]
    need(is_int(sn) and 1 <= sn <= 24, where, f"severityNumber not a number 1..24: {sn!r}")
    need(isinstance(st, str), where, f"severityText not a string: {st!r}")
    need(SEVERITY.get(st) == sn, where, f"severityText {st!r} with severityNumber {sn}")
    uint32(lr, "droppedAttributesCount", where)
    uint32(lr, "flags", where)
    rec = {"t": t, "ot": ot, "sn": sn, "st": st,
           "body": any_value(lr["body"], where + ".body"),
           "traceId": hexid(lr["traceId"], 16, where + ".traceId") if "traceId" in lr else None,
           "spanId": hexid(lr["spanId"], 8, where + ".spanId") if "spanId" in lr else None,
           "attrs": attributes(lr.get("attributes", []), where + ".attributes")}
    need(rec["spanId"] is None or rec["traceId"] is not None, where, "spanId without traceId")
    return rec


def no_constant(name):
    raise Violation(f"body: bare {name} is not JSON")


def unique_keys(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise Violation(f"body: key {k!r} twice in one object")
        d[k] = v
    return d


def check_body(raw):
    """ExportLogsServiceRequest bytes -> list of record dicts, or Violation."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Violation(f"body: not UTF-8 ({e})")
    try:
        msg = json.loads(text, parse_constant=no_constant, object_pairs_hook=unique_keys)
    except ValueError as e:
        raise Violation(f"body: not JSON ({e})")
    keys_only(msg, "request", {"resourceLogs"}, ("resourceLogs",))
    rls = msg["resourceLogs"]
    need(isinstance(rls, list) and rls, "resourceLogs", "not a non-empty list")
    out = []
    for i, rl in enumerate(rls):
        w = f"resourceLogs[{i}]"
        keys_only(rl, w, {"resource", "scopeLogs", "schemaUrl"}, ("resource", "scopeLogs"))
        keys_only(rl["resource"], w + ".resource", {"attributes", "droppedAttributesCount"},
                  ("attributes",))
        uint32(rl["resource"], "droppedAttributesCount", w + ".resource")
        res = attributes(rl["resource"]["attributes"], w + ".resource.attributes")
        if "schemaUrl" in rl:
            need(isinstance(rl["schemaUrl"], str), w, "schemaUrl not a string")
        sls = rl["scopeLogs"]
        need(isinstance(sls, list) and sls, w + ".scopeLogs", "not a non-empty list")
        for j, sl in enumerate(sls):
            ws = f"{w}.scopeLogs[{j}]"
            keys_only(sl, ws, {"scope", "logRecords", "schemaUrl"}, ("scope", "logRecords"))
            keys_only(sl["scope"], ws + ".scope",
                      {"name", "version", "attributes", "droppedAttributesCount"}, ("name",))
            name = sl["scope"]["name"]
            need(isinstance(name, str) and name, ws + ".scope.name", f"not a logger name: {name!r}")
            if "version" in sl["scope"]:
                need(isinstance(sl["scope"]["version"], str), ws, "scope.version not a string")
            if "attributes" in sl["scope"]:
                attributes(sl["scope"]["attributes"], ws + ".scope.attributes")
            uint32(sl["scope"], "droppedAttributesCount", ws + ".scope")
            lrs = sl["logRecords"]
            need(isinstance(lrs, list) and lrs, ws + ".logRecords", "not a non-empty list")
            for k, lr in enumerate(lrs):
                rec = log_record(lr, f"{ws}.logRecords[{k}]")
                rec["resource"] = res
                rec["scope"] = name
                out.append(rec)
        # One ScopeLogs per run of consecutive records of one logger: two
        # neighbours never name the same scope.
        for j in range(1, len(sls)):
            need(sls[j]["scope"]["name"] != sls[j - 1]["scope"]["name"], w,
                 f"scopeLogs[{j - 1}] and [{j}] are both {sls[j]['scope']['name']!r}")
    return out


def check_content_type(ct):
    media, _, params = (ct or "").partition(";")
    if media.strip().lower() != "application/json":
        return f"Content-Type {ct!r}, not application/json"
    params = params.strip().lower().replace(" ", "")
    if params not in ("", "charset=utf-8"):
        return f"Content-Type parameters {params!r}"
    return None


class Receiver:
    def __init__(self, opts):
        self.o = opts
        self.lock = threading.Lock()
        self.count = 0
        self.good = 0
        self.out = open(opts.out, "a", encoding="utf-8")
        self.viol = open(opts.violations, "a", encoding="utf-8") if opts.violations else None
        self.reqs = open(opts.requests, "a", encoding="utf-8") if opts.requests else None

    def fault_for(self, k):
        """The fault of request k (0-based), or None."""
        o = self.o
        if not (o.status or o.hang or o.close):
            return None
        first = o.skip_first
        if k < first or (o.fail_first is not None and k >= first + o.fail_first):
            return None
        return "hang" if o.hang else "close" if o.close else o.status

    def write(self, f, obj):
        if f is not None:
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
            f.flush()


def make_handler(rx):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "otlp-receiver"

        def log_message(self, *args):
            pass

        def read_body(self):
            te = (self.headers.get("Transfer-Encoding") or "").lower()
            if te == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return body
                    body += self.rfile.read(size)
                    self.rfile.readline()
            if te:
                raise Violation(f"Transfer-Encoding {te!r}")
            n = self.headers.get("Content-Length")
            if n is None or not n.isdigit():
                raise Violation(f"Content-Length {n!r}")
            return self.rfile.read(int(n))

        def answer(self, code, body=b"{}", extra=()):
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def handle_any(self):
            with rx.lock:
                k = rx.count
                rx.count += 1
            req = f"{os.getpid()}-{k}"
            headers = {h.lower(): v for h, v in self.headers.items()}
            entry = {"req": req, "time": time.time(), "method": self.command,
                     "path": self.path, "headers": headers, "records": 0}
            records, error = [], None
            try:
                raw = self.read_body() if self.command == "POST" else b""
                need(self.command == "POST", "request", f"method {self.command}, not POST")
                need(self.path == rx.o.path, "request", f"path {self.path!r}, not {rx.o.path!r}")
                bad = check_content_type(self.headers.get("Content-Type"))
                need(bad is None, "request", bad)
                for want in rx.o.expect_header:
                    name, _, value = want.partition(":")
                    got = self.headers.get_all(name.strip()) or []
                    need(got == [value.strip()], "request",
                         f"header {name.strip()} is {len(got)} value(s), not the expected one")
                enc = (self.headers.get("Content-Encoding") or "identity").lower()
                need(enc in ("identity", "gzip"), "request", f"Content-Encoding {enc!r}")
                if enc == "gzip":
                    raw = gzip.decompress(raw)
                records = check_body(raw)
            except Violation as e:
                error = str(e)
            except (ValueError, OSError, EOFError) as e:
                error = f"request: unreadable ({e})"
            entry["records"] = len(records)
            entry["bytes"] = len(raw) if error is None else 0
            fault = rx.fault_for(k)
            if error is None and fault is None and rx.o.max_body and len(raw) > rx.o.max_body:
                fault = "413"
            # A good request's records are written once it is answered:
            # a test that sees them may kill the receiver, and the sender
            # must not have to post them again to the next one.
            accepted = []
            with rx.lock:
                if error is not None:
                    entry["status"] = 400
                    rx.write(rx.viol, {"req": req, "error": error})
                elif fault is not None:
                    entry["status"] = fault
                else:
                    entry["status"] = 200
                    rx.good += 1
                    rejected = min(rx.o.reject, len(records))
                    entry["rejected"] = rejected
                    accepted = records[rejected:]
                rx.write(rx.reqs, entry)
            if rx.o.delay:
                time.sleep(rx.o.delay)
            if error is not None:
                self.answer(400, json.dumps({"error": error}).encode())
                self.close_connection = True
            elif fault == "hang":
                threading.Event().wait()
            elif fault == "close":
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            elif fault is not None:
                extra = [("Retry-After", rx.o.retry_after)] if rx.o.retry_after else []
                self.answer(int(fault), b'{"error":"fault injected"}', extra)
            elif rx.o.reject:
                n = min(rx.o.reject, entry["records"])
                count = str(n) if k % 2 == 0 else n
                self.answer(200, json.dumps({"partialSuccess": {
                    "rejectedLogRecords": count,
                    "errorMessage": "rejected by the test"}}).encode())
            else:
                self.answer(200)
            if accepted:
                with rx.lock:
                    for r in accepted:
                        r["req"] = req
                        rx.write(rx.out, r)

        do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = handle_any

    return Handler


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def parse(argv):
    p = argparse.ArgumentParser(description="strict OTLP/HTTP JSON logs receiver")
    p.add_argument("--self-test", action="store_true")
    p.add_argument("--out")
    p.add_argument("--violations")
    p.add_argument("--requests")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--path", default="/v1/logs")
    p.add_argument("--status")
    p.add_argument("--retry-after")
    p.add_argument("--fail-first", type=int)
    p.add_argument("--skip-first", type=int, default=0)
    p.add_argument("--reject", type=int, default=0)
    p.add_argument("--max-body", type=int, default=0)
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--hang", action="store_true")
    p.add_argument("--close", action="store_true")
    p.add_argument("--expect-header", action="append", default=[])
    o = p.parse_args(argv)
    if not o.self_test and not o.out:
        p.error("--out is required")
    return o


def serve(o):
    srv = Server(("127.0.0.1", o.port), make_handler(Receiver(o)))
    if o.port_file:
        tmp = o.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{srv.server_address[1]}\n")
        os.rename(tmp, o.port_file)
    return srv


# ---- --self-test: the checks above, on bodies written by hand ----

def kv(k, v):
    return {"key": k, "value": v}


def good_body():
    lr = {"timeUnixNano": "1760704496123456000", "observedTimeUnixNano": "1760704496123457000",
          "severityNumber": 9, "severityText": "INFO", "body": {"stringValue": "rec"},
          "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
          "attributes": [kv("seq", {"intValue": "42"}), kv("d", {"doubleValue": 1.5}),
                         kv("n", {"doubleValue": "NaN"}), kv("i", {"doubleValue": "-Infinity"}),
                         kv("b", {"boolValue": True}), kv("s", {"stringValue": "caf\u00e9\n\"x\""}),
                         kv("big", {"intValue": "-9223372036854775808"}),
                         kv("e", {"doubleValue": 1e300})]}
    lr2 = dict(lr, severityNumber=17, severityText="ERROR")
    del lr2["traceId"], lr2["spanId"]
    return {"resourceLogs": [{"resource": {"attributes": [kv("service.name", {"stringValue": "p"}),
                                                           kv("build", {"intValue": "7"})]},
                              "scopeLogs": [{"scope": {"name": "probe"}, "logRecords": [lr]},
                                            {"scope": {"name": "probe.sub"}, "logRecords": [lr2]}]}]}


def bad_bodies():
    """(what is wrong, body bytes): each must be refused."""
    def mutate(f):
        b = good_body()
        f(b)
        return json.dumps(b).encode()

    def lr(b):
        return b["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]

    def attr(b, i):
        return lr(b)["attributes"][i]["value"]

    out = [
        ("not JSON", b"{\"resourceLogs\": ["),
        ("not UTF-8", json.dumps(good_body()).replace("caf\\u00e9", "caf\xe9").encode("latin-1")),
        ("bare NaN", json.dumps(good_body()).replace('"NaN"', "NaN").encode()),
        ("duplicate key", b'{"resourceLogs": [], "resourceLogs": []}'),
        ("empty resourceLogs", b'{"resourceLogs": []}'),
        ("raw control character", json.dumps(good_body()).replace("\\n", "\n").encode()),
    ]
    cases = [
        ("unknown top key", lambda b: b.update(extra=1)),
        ("snake_case key", lambda b: b.update(resource_logs=b.pop("resourceLogs"))),
        ("unknown record key", lambda b: lr(b).update(severity=9)),
        ("snake_case record key", lambda b: lr(b).update(time_unix_nano=lr(b).pop("timeUnixNano"))),
        ("time as a number", lambda b: lr(b).update(timeUnixNano=1760704496123456000)),
        ("time not decimal", lambda b: lr(b).update(timeUnixNano="0x10")),
        ("time negative", lambda b: lr(b).update(timeUnixNano="-1")),
        ("observed time missing", lambda b: lr(b).pop("observedTimeUnixNano")),
        ("intValue as a number", lambda b: attr(b, 0).update(intValue=42)),
        ("intValue with a plus", lambda b: attr(b, 0).update(intValue="+42")),
        ("intValue leading zero", lambda b: attr(b, 0).update(intValue="042")),
        ("intValue beyond int64", lambda b: attr(b, 0).update(intValue="9223372036854775808")),
        ("doubleValue as a string number", lambda b: attr(b, 1).update(doubleValue="1.5")),
        ("doubleValue nan lowercase", lambda b: attr(b, 2).update(doubleValue="nan")),
        ("boolValue as a string", lambda b: attr(b, 4).update(boolValue="true")),
        ("boolValue as a number", lambda b: attr(b, 4).update(boolValue=1)),
        ("stringValue as a number", lambda b: attr(b, 5).update(stringValue=5)),
        ("two values in one AnyValue", lambda b: attr(b, 5).update(intValue="1")),
        ("unknown AnyValue key", lambda b: lr(b)["attributes"].__setitem__(
            0, kv("seq", {"int64Value": "42"}))),
        ("attribute without value", lambda b: lr(b)["attributes"].__setitem__(0, {"key": "x"})),
        ("attribute key twice", lambda b: lr(b)["attributes"].append(kv("seq", {"intValue": "1"}))),
        ("attributes as an object", lambda b: lr(b).update(attributes={"seq": 1})),
        ("traceId uppercase", lambda b: lr(b).update(traceId="0AF7651916CD43DD8448EB211C80319C")),
        ("traceId base64", lambda b: lr(b).update(traceId="CvdlGRbWQ92ESOshHIAxnA==")),
        ("traceId short", lambda b: lr(b).update(traceId="0af7651916cd43dd8448eb211c80319")),
        ("spanId long", lambda b: lr(b).update(spanId="b7ad6b71692033310")),
        ("spanId without traceId", lambda b: lr(b).pop("traceId")),
        ("severityNumber as a string", lambda b: lr(b).update(severityNumber="9")),
        ("severityNumber as an enum name", lambda b: lr(b).update(severityNumber="SEVERITY_NUMBER_INFO")),
        ("severity pair inconsistent", lambda b: lr(b).update(severityNumber=13)),
        ("severityText unknown", lambda b: lr(b).update(severityText="NOTICE")),
        ("body missing", lambda b: lr(b).pop("body")),
        ("scope without name", lambda b: b["resourceLogs"][0]["scopeLogs"][0].update(scope={})),
        ("empty logRecords", lambda b: b["resourceLogs"][0]["scopeLogs"][0].update(logRecords=[])),
        ("resource missing", lambda b: b["resourceLogs"][0].pop("resource")),
        ("neighbour scopes of one logger", lambda b: b["resourceLogs"][0]["scopeLogs"][1].update(
            scope={"name": "probe"})),
        ("flags negative", lambda b: lr(b).update(flags=-1)),
    ]
    return out + [(what, mutate(f)) for what, f in cases]


def self_test():
    import http.client
    import tempfile
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(f"{'ok' if ok else 'FAIL'}: self-test: {what}")
        failures += not ok

    recs = check_body(json.dumps(good_body()).encode())
    check(len(recs) == 2 and recs[0]["attrs"][0] == ["seq", "int", 42]
          and recs[0]["attrs"][2] == ["n", "double", "NaN"] and recs[1]["scope"] == "probe.sub"
          and recs[0]["resource"][1] == ["build", "int", 7],
          "a well-formed body is accepted and decoded")
    for what, body in bad_bodies():
        try:
            check_body(body)
            check(False, f"refuses a body with {what}")
        except Violation as e:
            check(True, f"refuses a body with {what} ({e})")

    # Over HTTP: the request rules and the faults.
    with tempfile.TemporaryDirectory() as d:
        o = parse(["--out", f"{d}/out", "--violations", f"{d}/viol", "--requests", f"{d}/req",
                   "--expect-header", "Authorization: Bearer s3cr3t",
                   "--status", "503", "--retry-after", "1", "--skip-first", "1",
                   "--fail-first", "1"])
        srv = serve(o)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        port = srv.server_address[1]
        good = json.dumps(good_body()).encode()

        def post(method="POST", path="/v1/logs", ct="application/json", auth="Bearer s3cr3t",
                 body=good):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            h = {"Content-Type": ct} if ct else {}
            if auth:
                h["Authorization"] = auth
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            r.read()
            c.close()
            return r.status, r.getheader("Retry-After")

        check(post() == (200, None), "a good request is answered 200")
        check(post() == (503, "1"), "the first fault: 503 with Retry-After 1 after one good request")
        check(post() == (200, None), "after --fail-first requests, 200 again")
        check(post(method="PUT")[0] == 400, "refuses PUT")
        check(post(path="/v1/logs/")[0] == 400, "refuses another path")
        check(post(ct="application/x-protobuf")[0] == 400, "refuses another content type")
        check(post(ct=None)[0] == 400, "refuses a request without a content type")
        check(post(auth="Bearer wrong")[0] == 400, "refuses a wrong Authorization header")
        check(post(auth=None)[0] == 400, "refuses a missing Authorization header")
        check(post(body=b'{"resourceLogs":[]}')[0] == 400, "refuses a bad body over HTTP")
        srv.shutdown()
        with open(f"{d}/out") as f:
            lines = [json.loads(x) for x in f]
        with open(f"{d}/viol") as f:
            viol = f.readlines()
        check(len(lines) == 4, f"only the 2 answered-200 requests' records are written ({len(lines)} of 4)")
        check(len(viol) == 7, f"every refused request is in the violations file ({len(viol)} of 7)")
    print(f"self-test: {failures} failed")
    return 1 if failures else 0


def main(argv):
    o = parse(argv)
    if o.self_test:
        return self_test()
    srv = serve(o)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
