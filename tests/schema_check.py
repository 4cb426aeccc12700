#!/usr/bin/env python3
"""Judges YAML files against the metalog JSON Schema.

usage: schema_check.py SCHEMA FILE...
       schema_check.py --json FILE...

Prints one line per file, tab-separated: the file, then "valid", or
"invalid" and the reason. Exits 0 when every file could be judged (whatever
the verdicts), 2 when the schema itself is unusable. The verdicts are
interpreted by tests/test_schema.sh.

With --json it judges nothing: it writes the files as one JSON array of
{"file": F, "data": ...} or, when F is not YAML this loader accepts,
{"file": F, "error": reason}, so that a validator with no YAML reader
(tests/schema_ajv.js) sees exactly the data this one sees.

The YAML is read the way an editor would (PyYAML, YAML 1.1), except that
duplicate keys are errors: PyYAML alone would keep the last one silently,
while metalog rejects them.
"""
import datetime
import json
import math
import sys

import jsonschema
import yaml


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate and unhashable mapping keys."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found an unhashable key", key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "duplicate key %r (first at line %d)" % (key, seen[key]),
                key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load(path):
    """Returns (data, None), or (None, reason) when path cannot be read."""
    try:
        with open(path, "rb") as f:
            return yaml.load(f, Loader=StrictLoader), None
    except yaml.YAMLError as e:
        return None, "YAML: " + " ".join(str(e).split())
    except OSError as e:
        return None, "cannot read: %s" % e.strerror


def judge(validator, path):
    """Returns None when path is valid, else the reason."""
    data, reason = load(path)
    if reason is not None:
        return reason
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(top)"
    return "%s: %s" % (where, " ".join(error.message.split()))


def to_json(value):
    """value as JSON data. YAML 1.1 has types JSON lacks: timestamps and
    binary become their text and non-numbers ("NaN", "Infinity") strings,
    which no number in the schema accepts. Keys become strings the way
    json.dumps would make them."""
    if isinstance(value, dict):
        return {json.dumps(k) if k is None or isinstance(k, bool) else str(k):
                to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def dump(paths):
    out = []
    for path in paths:
        data, reason = load(path)
        if reason is None:
            out.append({"file": path, "data": to_json(data)})
        else:
            out.append({"file": path, "error": reason})
    json.dump(out, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "--json":
        return dump(argv[2:])
    if len(argv) < 2:
        sys.stderr.write("usage: schema_check.py SCHEMA FILE...\n")
        return 2
    try:
        with open(argv[1]) as f:
            schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        sys.stderr.write("schema_check.py: bad schema %s: %s\n" % (argv[1], e))
        return 2
    validator = jsonschema.Draft7Validator(schema)
    for path in argv[2:]:
        reason = judge(validator, path)
        if reason is None:
            print("%s\tvalid" % path)
        else:
            print("%s\tinvalid\t%s" % (path, reason))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
