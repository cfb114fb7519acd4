#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validates a JSON document against a schema of docs/openapi.yaml.

Usage: schema_check.py OPENAPI.yaml SCHEMA_NAME FILE.json
Exits 0 when valid, 1 with the first error otherwise."""
import json
import sys

import jsonschema
import yaml


def main():
    doc = yaml.safe_load(open(sys.argv[1]))
    schema = doc["components"]["schemas"][sys.argv[2]]
    data = json.load(open(sys.argv[3]))
    resolver = jsonschema.RefResolver.from_schema(doc)
    v = jsonschema.Draft202012Validator(schema, resolver=resolver)
    errs = sorted(v.iter_errors(data), key=lambda e: list(e.path))
    if errs:
        e = errs[0]
        print(f"{sys.argv[2]}: {list(e.path)}: {e.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
