"""Data for other systems: ``plan.json``, the CSV files and ``datapackage.json``.

Every CSV is one frame of :func:`pipeline.tables.record_tables` (so every row carries ``entity``,
``year`` and ``sha256``): RFC 4180 (comma separator, CRLF line ends, minimal quoting), UTF-8,
``.`` as the decimal mark; an unknown value is an empty cell, booleans are ``true``/``false``.
``datapackage.json`` (Frictionless Data, Tabular Data Package) describes their columns, types and
keys, from the same table schema (``pipeline/tables.yaml``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.record import PlanRecord
from pipeline.tables import record_tables, table_specs

#: The CSV files ``piao run`` writes: file name -> table.
CSV_TABLES = {
    "objectives.csv": "objectives",
    "indicators.csv": "indicators",
    "findings.csv": "findings",
    "allocations.csv": "allocations",
    "plans.csv": "plans",
}


def write_json(record: PlanRecord, path: str | Path) -> None:
    Path(path).write_text(record.to_json() + "\n", encoding="utf-8")


def _bool_text(value: Any) -> Any:
    if value is None or value is pd.NA:
        return ""
    return ("true" if value else "false") if isinstance(value, (bool, np.bool_)) else value


def write_frame_csv(df: pd.DataFrame, path: str | Path) -> None:
    """One frame as an RFC 4180 CSV file (UTF-8, CRLF, unknown = empty, true/false)."""
    out = df.copy()
    for col in out.columns:
        if str(out[col].dtype) in ("boolean", "object"):
            # not Series.map: it would infer float64 and print 1 as "1.0"
            out[col] = pd.Series([_bool_text(v) for v in out[col]], index=out.index, dtype=object)
    out.to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n", na_rep="")


def write_rows_csv(path: str | Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    """Rows (dicts) as a CSV with the given columns, through a DataFrame of their own values
    (object columns: ints stay ints, never "1.0")."""
    df = pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=list(columns), dtype=object)
    write_frame_csv(df, path)


#: The name of the first release (``outputs/risultati.py`` writes payouts.csv with it).
_write_csv = write_rows_csv


def _csv_writer(table: str):
    def write(record: PlanRecord, path: str | Path) -> None:
        write_frame_csv(record_tables(record, [table])[table], path)

    write.__name__ = f"write_{table}_csv"
    return write


write_objectives_csv = _csv_writer("objectives")
write_indicators_csv = _csv_writer("indicators")
write_findings_csv = _csv_writer("findings")
write_allocations_csv = _csv_writer("allocations")
write_plans_csv = _csv_writer("plans")


def datapackage(record: PlanRecord | None = None, files: dict[str, str] | None = None) -> dict[str, Any]:
    """The Frictionless Data package descriptor of the CSV files (``files``: name -> table)."""
    files = CSV_TABLES if files is None else files
    specs = table_specs()
    path_of = {table: name for name, table in files.items()}
    resources = []
    for name, table in files.items():
        spec = specs[table]
        schema: dict[str, Any] = {
            "fields": [{k: v for k, v in c.items()} for c in spec.columns],
            "primaryKey": list(spec.primary_key),
            "missingValues": [""],
        }
        fks = [fk for fk in spec.foreign_keys if fk["reference"]["resource"] in path_of]
        if fks:
            schema["foreignKeys"] = [
                {"fields": list(fk["fields"]),
                 "reference": {"resource": fk["reference"]["resource"], "fields": list(fk["reference"]["fields"])}}
                for fk in fks
            ]
        for field in schema["fields"]:
            if field["type"] == "boolean":
                field["trueValues"], field["falseValues"] = ["true"], ["false"]
        resources.append({
            "name": table, "path": name, "title": spec.title, "description": spec.description,
            "profile": "tabular-data-resource", "format": "csv", "mediatype": "text/csv",
            "encoding": "utf-8", "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
            "schema": schema,
        })
    package: dict[str, Any] = {"profile": "tabular-data-package", "name": "piao-plan", "resources": resources}
    if record is not None:
        plan = record.plan
        package["title"] = " ".join(str(x) for x in ("Piano della Performance", plan.entity, plan.year) if x)
        package["sources"] = [{"title": record.source.file}]
    return package


def write_datapackage(record: PlanRecord, path: str | Path) -> None:
    Path(path).write_text(json.dumps(datapackage(record), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
