#!/usr/bin/env python3
"""Publish the JSON Schema of plan.json: schema/plan.schema.json, from pipeline.record.PlanRecord.

Run it after any change to the record model (tests/test_schema.py fails until you do):

    .venv/bin/python scripts/export_schema.py          # rewrite the published file
    .venv/bin/python scripts/export_schema.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from outputs.schema import SCHEMA_PATH, export_schema, schema_text  # noqa: E402


def main(argv: list[str]) -> int:
    if "--check" in argv:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != schema_text():
            print(f"{SCHEMA_PATH.relative_to(ROOT)} is out of date: run scripts/export_schema.py")
            return 1
        print(f"{SCHEMA_PATH.relative_to(ROOT)} is up to date")
        return 0
    print(f"wrote {export_schema().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
