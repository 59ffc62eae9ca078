"""Read a year-end results file: CSV, XLSX, or the ``piano.xlsx`` of ``piao run`` filled in.

CSV / XLSX: a header row with ``obiettivo, indicatore, valore_rilevato, raggiunto`` (header words
as data in ``pipeline/results.yaml``; ``,`` or ``;`` separated, UTF-8), optionally ``entity``,
``year``, ``sha256`` naming the plan the results are for. ``indicatore`` is the indicator's 1-based
position in its card; ``obiettivo`` "X" marks a prerequisite row (``indicatore`` = its position in
``plan.prerequisites``).

``piano.xlsx``: sheet Indicatori with its "Valore rilevato" / "Raggiunto" columns filled in. Rows
may have been sorted or filtered: each row is matched to its card's indicator by objective number,
indicator text and target; the workbook's ``identifier`` property carries the plan's sha256.

Anything that does not fit raises :class:`~pipeline.errors.InputError`: one Italian line naming the
file, the row and the cause.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.record import PlanRecord
from pipeline.results import (
    ResultRow,
    ResultsFile,
    StatedError,
    check_results_file,
    fold,
    parse_measured,
    parse_number,
    parse_stated,
    vocabulary,
)

CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


def read_results(path: str | Path, record: PlanRecord) -> ResultsFile:
    """The results file at ``path``, its rows typed and (for piano.xlsx) matched to ``record``."""
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise InputError(name, "file dei risultati non trovato") from err
    except IsADirectoryError as err:
        raise InputError(name, "è una cartella, non un file dei risultati") from err
    except OSError as err:
        raise InputError(name, f"impossibile leggere il file ({err.strerror})") from err
    if not data.strip():
        raise InputError(name, "il file dei risultati è vuoto")
    digest = hashlib.sha256(data).hexdigest()
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(name, data, digest, record)
    if path.suffix.lower() in XLSX_SUFFIXES:
        raise InputError(name, "non è un file Excel valido")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(name, "non è un CSV in UTF-8 né un file Excel (.xlsx)") from err
    return _read_csv(name, text, digest)


# --------------------------------------------------------------------------- header mapping


def _header_map(header: Sequence[Any]) -> dict[str, int]:
    """Column key ("objective", "measured", ...) -> index, from the header words in results.yaml."""
    folded = [fold(h) if h is not None else "" for h in header]
    found: dict[str, int] = {}
    for key, words in vocabulary()["columns"].items():
        for word in words:
            if fold(word) in folded:
                found[key] = folded.index(fold(word))
                break
    return found


def _require_columns(name: str, found: dict[str, int]) -> None:
    missing = [k for k in ("objective", "indicator") if k not in found]
    if missing or not ({"measured", "stated"} & set(found)):
        raise InputError(name, "intestazione non riconosciuta: servono le colonne obiettivo, indicatore, "
                               "valore_rilevato, raggiunto")


def _integer(name: str, row: int, value: Any, what: str) -> int:
    number = parse_number(value)
    if number is None or number.denominator != 1 or number < 1:
        raise InputError(name, f"riga {row}: «{value}» non è un numero di {what}")
    return int(number)


def _is_prerequisite(value: Any) -> bool:
    return value is not None and fold(value) in {fold(w) for w in vocabulary()["prerequisite_words"]}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _typed_row(name: str, row: int, cells: dict[str, Any], stated_percent: bool = False,
               objective: int | None = None, indicator: int | None = None) -> ResultRow | None:
    """A results row from its cells; None for a row that reports nothing."""
    measured_cell, stated_cell = cells.get("measured"), cells.get("stated")
    if _blank(measured_cell) and _blank(stated_cell):
        return None
    prerequisite = objective is None and _is_prerequisite(cells.get("objective"))
    if objective is None and not prerequisite:
        if _blank(cells.get("objective")):
            raise InputError(name, f"riga {row}: manca il numero dell'obiettivo")
        objective = _integer(name, row, cells.get("objective"), "obiettivo")
    if indicator is None:
        if _blank(cells.get("indicator")):
            raise InputError(name, f"riga {row}: manca il numero dell'indicatore")
        indicator = _integer(name, row, cells.get("indicator"), "indicatore")
    try:
        stated = parse_stated(stated_cell, percent_format=stated_percent)
    except StatedError as err:
        raise InputError(name, f"riga {row}: raggiunto {err}") from err
    return ResultRow(row=row, objective=None if prerequisite else objective, indicator=indicator,
                     measured=parse_measured(measured_cell),
                     stated=stated, stated_text=None if _blank(stated_cell) else _cell_text(stated_cell, stated_percent),
                     prerequisite=prerequisite)


def _cell_text(value: Any, percent: bool) -> str:
    if percent and isinstance(value, (int, float)):
        return f"{value * 100:g}%"
    return str(value).strip()


def _claims(name: str, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    """entity / year / sha256 the rows say they are for (one value each, or an error)."""
    out: dict[str, Any] = {}
    for key in ("entity", "year", "sha256"):
        values = {str(r[key]).strip() for r in rows if not _blank(r.get(key))}
        if len(values) > 1:
            raise InputError(name, f"la colonna {key} ha valori diversi ({', '.join(sorted(values))})")
        if values:
            out[key] = values.pop()
    if "year" in out:
        out["year"] = _integer(name, 2, out["year"], "anno")
    return out


def _results_file(name: str, digest: str, rows: list[ResultRow], claims: dict[str, Any]) -> ResultsFile:
    return ResultsFile(path=name, sha256=digest, rows=tuple(rows), entity=claims.get("entity"),
                       year=claims.get("year"), plan_sha256=claims.get("sha256"))


# --------------------------------------------------------------------------- CSV


def _read_csv(name: str, text: str, digest: str) -> ResultsFile:
    first = text.splitlines()[0] if text.splitlines() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as err:
        raise InputError(name, f"CSV non valido ({err})") from err
    found = _header_map(table[0])
    _require_columns(name, found)
    cells_by_row = []
    for number, values in enumerate(table[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        cells_by_row.append((number, {k: values[i] if i < len(values) else None for k, i in found.items()}))
    rows = [r for n, cells in cells_by_row if (r := _typed_row(name, n, cells)) is not None]
    return _results_file(name, digest, rows, _claims(name, (c for _, c in cells_by_row)))


# --------------------------------------------------------------------------- XLSX


def _read_xlsx(name: str, data: bytes, digest: str, record: PlanRecord) -> ResultsFile:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise InputError(name, "non è un file Excel valido") from err
    layout = vocabulary()["piano_xlsx"]
    if layout["sheet"] in wb.sheetnames:
        ws = wb[layout["sheet"]]
        header = [c.value for c in ws[1]]
        if layout["measured"] in header or layout["stated"] in header:
            return _read_piano(name, wb, ws, header, digest, record)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    found = _header_map(header)
    _require_columns(name, found)
    cells_by_row = []
    rows = []
    for r in range(2, ws.max_row + 1):
        cells = {k: ws.cell(row=r, column=i + 1).value for k, i in found.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        cells_by_row.append(cells)
        percent = "stated" in found and "%" in (ws.cell(row=r, column=found["stated"] + 1).number_format or "")
        row = _typed_row(name, r, cells, stated_percent=percent)
        if row is not None:
            rows.append(row)
    return _results_file(name, digest, rows, _claims(name, cells_by_row))


def _read_piano(name: str, wb: Any, ws: Any, header: list[Any], digest: str, record: PlanRecord) -> ResultsFile:
    """piano.xlsx, sheet Indicatori: rows matched to the record's indicators by text, not order."""
    layout = vocabulary()["piano_xlsx"]
    try:
        col = {k: header.index(layout[k]) + 1 for k in ("objective", "name", "target")}
    except ValueError as err:
        raise InputError(name, f"foglio {layout['sheet']}: intestazione non riconosciuta") from err
    for k in ("measured", "stated"):
        if layout[k] in header:
            col[k] = header.index(layout[k]) + 1

    def key(text: Any) -> str:
        return fold(text) if text is not None else ""

    identifier = (wb.properties.identifier or "").strip()
    claims = {"sha256": identifier.removeprefix("sha256:")} if identifier.startswith("sha256:") else {}
    # the workbook of another plan is refused as such, before its rows fail to match
    check_results_file(record, _results_file(name, digest, [], claims))

    # (objective, indicator text, target) -> positions still free, in card order
    free: dict[tuple[int | None, str, str], list[int]] = defaultdict(list)
    for o in record.objectives:
        for position, i in enumerate(o.indicators, start=1):
            free[(o.number, key(i.name), key(i.target))].append(position)

    rows = []
    for r in range(2, ws.max_row + 1):
        cells = {k: ws.cell(row=r, column=c).value for k, c in col.items()}
        if all(_blank(v) for v in cells.values()):
            continue
        if _blank(cells.get("measured")) and _blank(cells.get("stated")):
            continue
        objective = _integer(name, r, cells["objective"], "obiettivo")
        positions = free.get((objective, key(cells["name"]), key(cells["target"])))
        if not positions:
            raise InputError(name, f"riga {r}: l'indicatore «{cells['name']}» dell'obiettivo {objective} "
                                   "non è nel piano (o è ripetuto)")
        percent = "stated" in col and "%" in (ws.cell(row=r, column=col["stated"]).number_format or "")
        row = _typed_row(name, r, cells, stated_percent=percent, objective=objective, indicator=positions.pop(0))
        if row is not None:
            rows.append(row)
    return _results_file(name, digest, rows, claims)
