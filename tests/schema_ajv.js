// Judges configuration files against the metalog JSON Schema with ajv 8 in
// strict mode, the validator most editors and CI tools embed.
//
// usage: node schema_ajv.js SCHEMA < CORPUS.json
//
// CORPUS.json is what "schema_check.py --json FILE..." writes: the files
// already read as YAML, so that both validators judge the same data and
// node needs no YAML reader. Prints one line per file, tab-separated, as
// schema_check.py does: the file, then "valid", or "invalid" and the
// reason. Exits 0 when every file could be judged, 2 when the schema does
// not compile in strict mode or compiles with a warning.
// ajv is found through NODE_PATH (tests/test_schema.sh installs it).
"use strict";

const fs = require("fs");
const Ajv = require("ajv");

function main(argv) {
  if (argv.length !== 1) {
    process.stderr.write("usage: node schema_ajv.js SCHEMA < CORPUS.json\n");
    return 2;
  }
  // A warning is as bad as an error: strict mode is the promise.
  const warnings = [];
  const logger = {
    log() {},
    warn(...args) { warnings.push(args.join(" ")); },
    error(...args) { warnings.push(args.join(" ")); },
  };
  let validate;
  try {
    const schema = JSON.parse(fs.readFileSync(argv[0], "utf8"));
    const ajv = new Ajv({ strict: true, allErrors: true, logger });
    validate = ajv.compile(schema);
  } catch (e) {
    process.stderr.write(`schema_ajv.js: bad schema ${argv[0]}: ${e.message}\n`);
    return 2;
  }
  if (warnings.length > 0) {
    process.stderr.write(`schema_ajv.js: schema ${argv[0]} compiles with warnings:\n`);
    for (const w of warnings) process.stderr.write(`  ${w}\n`);
    return 2;
  }
  const corpus = JSON.parse(fs.readFileSync(0, "utf8"));
  const lines = [];
  for (const entry of corpus) {
    if ("error" in entry) {
      lines.push(`${entry.file}\tinvalid\t${entry.error}`);
    } else if (validate(entry.data)) {
      lines.push(`${entry.file}\tvalid`);
    } else {
      const e = validate.errors[0];
      const where = e.instancePath.replace(/^\//, "") || "(top)";
      lines.push(`${entry.file}\tinvalid\t${where}: ${e.message}`);
    }
  }
  process.stdout.write(lines.join("\n") + (lines.length ? "\n" : ""));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
