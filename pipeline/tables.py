"""A record as tables: one pandas DataFrame per kind of row, keyed by entity, year and sha256.

:func:`record_tables` is the one place a record becomes rows: the CSV files, the sheets of
``piano.xlsx``, the database of ``piao load`` and ``datapackage.json`` all read these frames.
The tables and their columns are data (``tables.yaml`` beside this file). :func:`read_plan`
reads a ``plan.json`` (or a folder written by ``piao run``) back into a record.

Public API for data users::

    from pipeline.tables import read_plan, record_tables

    tables = record_tables(read_plan("out/chiari-2025"))
    tables["objectives"][["number", "title", "objective_weight"]]

Column dtypes: integers are pandas ``Int64`` (nullable), booleans ``boolean``; numbers keep the
record's own Python values (``25`` stays an int, ``18.92`` a float; unknown is ``None``), so the
CSV shows them as the plan prints them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from pipeline.errors import InputError
from pipeline.record import PlanRecord

SPEC_PATH = Path(__file__).with_name("tables.yaml")
#: Columns present in every table, identifying the plan a row comes from.
KEYS = ("entity", "year", "sha256")


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    description: str
    columns: tuple[dict[str, str], ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[dict[str, Any], ...]

    @property
    def names(self) -> list[str]:
        return [c["name"] for c in self.columns]

    def type_of(self, column: str) -> str:
        return next(c["type"] for c in self.columns if c["name"] == column)


@lru_cache(maxsize=1)
def table_specs() -> dict[str, TableSpec]:
    """The tables of ``tables.yaml``, in order (plans first: the others refer to it)."""
    raw = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return {
        name: TableSpec(
            name=name,
            title=t["title"],
            description=t.get("description", ""),
            columns=tuple(t["columns"]),
            primary_key=tuple(t["primary_key"]),
            foreign_keys=tuple(t.get("foreign_keys", ())),
        )
        for name, t in raw.items()
    }


def read_plan(path: str | Path) -> PlanRecord:
    """The record of a ``plan.json``, or of the ``plan.json`` inside a folder written by ``piao run``.

    Raises :class:`~pipeline.errors.InputError` (one Italian line) when it is missing or invalid.
    """
    path = Path(path)
    file = path / "plan.json" if path.is_dir() else path
    try:
        text = file.read_bytes()
    except FileNotFoundError:
        raise InputError(str(file), "file non trovato") from None
    except OSError as err:
        raise InputError(str(file), f"file non leggibile ({err.strerror})") from None
    try:
        return PlanRecord.from_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        where = "/".join(str(p) for p in first["loc"]) or "(radice)"
        raise InputError(str(file), f"non è un plan.json valido ({where}: {first['msg']})") from None


# ------------------------------------------------------------------------------ rows


def _json(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False, sort_keys=False) if value not in (None, [], {}) else None


def _plan_rows(record: PlanRecord) -> list[dict[str, Any]]:
    p, s = record.plan, record.source
    severities = [f.severity for f in record.findings]
    return [{
        "file": s.file, "format": s.format, "pages": s.pages,
        "ocr_pages": ";".join(str(n) for n in s.ocr_pages) or None,
        "schema_version": record.schema_version,
        "province": p.province, "title": p.title, "period": p.period,
        "budget_total": p.budget.total, "budget_allocated": p.budget.allocated,
        "budget_reserve": p.budget.reserve, "budget_welfare": p.budget.welfare,
        "objective_weighting": p.objective_weighting,
        "strategic_weights": _json(p.strategic_weights),
        "staff_bands": _json([b.model_dump() for b in p.staff_bands]),
        "threshold_default_pct": p.threshold.default_pct,
        "threshold_bands": _json([b.model_dump() for b in p.threshold.bands]),
        "prerequisites": _json(p.prerequisites),
        "summary_total_eur": p.summary_total_eur,
        "objectives": len(record.objectives),
        "errors": severities.count("error"), "warnings": severities.count("warning"),
    }]


def _objective_rows(record: PlanRecord) -> list[dict[str, Any]]:
    return [{
        **o.model_dump(exclude={"indicators", "pages", "field_pages"}),
        "ordinal": k,
        "indicators": len(o.indicators),
        "weights_sum": o.weights_total(),
        "first_page": o.pages[0] if o.pages else None,
        "last_page": o.pages[-1] if o.pages else None,
    } for k, o in enumerate(record.objectives, start=1)]


def _indicator_rows(record: PlanRecord) -> list[dict[str, Any]]:
    return [
        {"objective": o.number, "objective_ordinal": k, "position": pos, **i.model_dump()}
        for k, o in enumerate(record.objectives, start=1)
        for pos, i in enumerate(o.indicators, start=1)
    ]


def _numbered(items: list[Any]) -> list[dict[str, Any]]:
    return [{**item.model_dump(), "ordinal": k} for k, item in enumerate(items, start=1)]


def _result_rows(record: PlanRecord) -> list[dict[str, Any]] | None:
    """Year-end results, when the record has them (``results`` is added by ``piao results``)."""
    results = getattr(record, "results", None)
    if results is None:
        return None
    raw = results.model_dump() if hasattr(results, "model_dump") else dict(results)
    return [
        {k: v for k, v in obj.items() if k != "indicators"} | {"ordinal": n}
        for n, obj in enumerate(raw.get("objectives") or [], start=1)
    ]


_ROWS = {
    "plans": _plan_rows,
    "objectives": _objective_rows,
    "indicators": _indicator_rows,
    "findings": lambda r: _numbered(r.findings),
    "allocations": lambda r: _numbered(r.allocations),
    "results": _result_rows,
}

_DTYPES = {"integer": "Int64", "boolean": "boolean", "number": object, "string": object}


def frame(spec: TableSpec, rows: list[dict[str, Any]], keys: dict[str, Any]) -> pd.DataFrame:
    """The rows as a DataFrame with exactly the spec's columns (absent values are None/NA)."""
    data = {
        c["name"]: pd.Series([keys[c["name"]] if c["name"] in keys else row.get(c["name"]) for row in rows],
                             dtype=_DTYPES[c["type"]])
        for c in spec.columns
    }
    return pd.DataFrame(data, columns=spec.names)


def record_tables(record: PlanRecord, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """The record's tables: plans, objectives, indicators, findings, allocations, and results when
    the record has year-end results (only ``names``, when given). Every row carries ``entity``,
    ``year`` and ``sha256``."""
    keys = {"entity": record.plan.entity, "year": record.plan.year, "sha256": record.source.sha256}
    tables = {}
    for name, spec in table_specs().items():
        if names is not None and name not in names:
            continue
        rows = _ROWS[name](record)
        if rows is not None:
            tables[name] = frame(spec, rows, keys)
    return tables


def plain(value: Any) -> Any:
    """A DataFrame cell as a plain Python value: NA -> None, numpy scalars -> int/float/bool."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def records(df: pd.DataFrame, columns: list[str] | None = None) -> list[dict[str, Any]]:
    """The frame's rows as dicts of plain Python values (for a database or a worksheet)."""
    cols = list(df.columns) if columns is None else columns
    return [{c: plain(v) for c, v in zip(cols, row)} for row in df[cols].itertuples(index=False, name=None)]
