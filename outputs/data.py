"""Data for other systems: ``plan.json`` and the four CSV files of the contract.

CSV files are RFC 4180 (comma separator, CRLF line ends, minimal quoting), UTF-8, with ``.`` as
the decimal mark; an unknown value is an empty cell.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline.record import PlanRecord

OBJECTIVE_COLUMNS = [
    "number", "number_printed", "kind", "scope_line", "title", "timeframe", "threshold_pct",
    "staff_count", "staff_text", "strategic_level", "indicators", "weights_sum", "first_page", "last_page",
]
INDICATOR_COLUMNS = [
    "objective", "position", "name", "target", "target_value", "weight_pct", "activity", "page",
]
FINDING_COLUMNS = ["rule", "severity", "objective", "page", "message", "correction"]
ALLOCATION_COLUMNS = [
    "objective", "scope", "strategic_level", "strategic_weight", "staff_count", "staff_coefficient",
    "points", "amount_eur",
]


def write_json(record: PlanRecord, path: str | Path) -> None:
    Path(path).write_text(record.to_json() + "\n", encoding="utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")  # RFC 4180
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])


def objective_rows(record: PlanRecord) -> list[dict[str, Any]]:
    rows = []
    for o in record.objectives:
        rows.append({
            **o.model_dump(include=set(OBJECTIVE_COLUMNS)),
            "indicators": len(o.indicators),
            "weights_sum": o.weights_total(),
            "first_page": o.pages[0] if o.pages else None,
            "last_page": o.pages[-1] if o.pages else None,
        })
    return rows


def indicator_rows(record: PlanRecord) -> list[dict[str, Any]]:
    return [
        {"objective": o.number, "position": pos, **i.model_dump()}
        for o in record.objectives
        for pos, i in enumerate(o.indicators, start=1)
    ]


def _csv_writer(columns: Sequence[str], rows: Callable[[PlanRecord], Iterable[dict[str, Any]]]):
    def write(record: PlanRecord, path: str | Path) -> None:
        _write_csv(Path(path), columns, rows(record))

    return write


write_objectives_csv = _csv_writer(OBJECTIVE_COLUMNS, objective_rows)
write_indicators_csv = _csv_writer(INDICATOR_COLUMNS, indicator_rows)
write_findings_csv = _csv_writer(FINDING_COLUMNS, lambda r: (f.model_dump() for f in r.findings))
write_allocations_csv = _csv_writer(ALLOCATION_COLUMNS, lambda r: (a.model_dump() for a in r.allocations))
