"""Validates JSON documents against one of stomper's schemas.

    python3 Config/schemas/validate.py SCHEMA.json < documents.ndjson

Reads one JSON document per line from standard input; prints each error and exits 1 if any
document does not match. A schema may `$ref` another schema of this folder by file name (they
share the base https://stomper.dev/schemas/). Used by the test suite on the documents the built
binary prints.
"""
import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource

folder = pathlib.Path(__file__).parent
registry = Registry().with_resources(
    (document["$id"], Resource.from_contents(document))
    for document in (json.loads(path.read_text()) for path in sorted(folder.glob("*.schema.json")))
)
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema, registry=registry, format_checker=jsonschema.FormatChecker())
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
