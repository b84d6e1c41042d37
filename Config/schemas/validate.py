"""Validates JSON documents against one of stomper's schemas.

    python3 Config/schemas/validate.py SCHEMA.json < documents.ndjson

Reads one JSON document per line from standard input; prints each error and exits 1 if any
document does not match. Used by the test suite on records the built binary emits.
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
failures = 0
count = 0
for number, line in enumerate(sys.stdin, start=1):
    if not line.strip():
        continue
    count += 1
    for error in validator.iter_errors(json.loads(line)):
        failures += 1
        print(f"document {number}: {error.json_path}: {error.message}")
if count == 0:
    print("no documents to validate")
    sys.exit(1)
sys.exit(1 if failures else 0)
