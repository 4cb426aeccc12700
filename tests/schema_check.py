#!/usr/bin/env python3
"""Judges YAML files against the metalog JSON Schema.

usage: schema_check.py SCHEMA FILE...

Prints one line per file, tab-separated: the file, then "valid", or
"invalid" and the reason. Exits 0 when every file could be judged (whatever
the verdicts), 2 when the schema itself is unusable. The verdicts are
interpreted by tests/test_schema.sh.

The YAML is read the way an editor would (PyYAML, YAML 1.1), except that
duplicate keys are errors: PyYAML alone would keep the last one silently,
while metalog rejects them.
"""
import json
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


def judge(validator, path):
    """Returns None when path is valid, else the reason."""
    try:
        with open(path, "rb") as f:
            data = yaml.load(f, Loader=StrictLoader)
    except yaml.YAMLError as e:
        return "YAML: " + " ".join(str(e).split())
    except OSError as e:
        return "cannot read: %s" % e.strerror
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(top)"
    return "%s: %s" % (where, " ".join(error.message.split()))


def main(argv):
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
