"""Checks the output of tests/seqlog: every (t, seq) record exactly once,
every line a whole JSON object, no NUL bytes (holes), across all the files
given. Prints a summary; exits 1 on any problem.

    check_seq.py [--allow-loss] THREADS COUNT FILE...

--allow-loss reports lost records without failing (copytruncate loses
what is written between its copy and its truncate, by design). A file
that ends inside a record is then reported too, without failing: the
kernel makes a write visible to readers page by page, so copytruncate's
copy can end in the middle of the record being written as it reads, and
its truncate then drops that record whole.
"""
import json
import sys


def main():
    args = sys.argv[1:]
    allow_loss = args[0] == "--allow-loss"
    if allow_loss:
        args = args[1:]
    threads, count = int(args[0]), int(args[1])
    seen = {}
    problems = []
    notes = []
    for path in args[2:]:
        with open(path, "rb") as f:
            data = f.read()
        holes = data.count(b"\0")
        if holes:
            problems.append(f"{path}: {holes} NUL bytes (a hole)")
        if data and not data.endswith(b"\n"):
            if allow_loss:
                notes.append(f"{path}: a copy that ends inside a record")
            else:
                problems.append(f"{path}: ends with a partial line")
        for n, line in enumerate(data.split(b"\n")[:-1], 1):
            try:
                rec = json.loads(line.strip(b"\0"))
            except ValueError:
                problems.append(f"{path}:{n}: not JSON: {line[:120]!r}")
                continue
            if rec.get("event") != "tick":
                continue
            key = (rec["t"], rec["seq"])
            seen[key] = seen.get(key, 0) + 1
    dup = [k for k, c in seen.items() if c > 1]
    missing = [(t, s) for t in range(threads) for s in range(count) if (t, s) not in seen]
    if dup:
        problems.append(f"{len(dup)} records duplicated, e.g. {dup[:5]}")
    lost = f", {len(missing)} lost" if missing else ""
    if missing and not allow_loss:
        problems.append(f"{len(missing)} records lost, e.g. {missing[:5]}")
    for p in problems[:20] + notes:
        print(p)
    print(f"{len(seen)} distinct records of {threads * count} expected{lost}, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
