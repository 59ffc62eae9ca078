"""``piano.xlsx`` for office staff: Obiettivi, Indicatori, Verifiche, Ripartizione.

Every sheet is one table with an Italian header row, frozen, with an autofilter, so an office can
sort and filter at once. Money cells carry a euro number format and percentages a percent format
(the value is the fraction: 25 % is stored as 0.25), so Excel/LibreOffice compute with them.
Ripartizione adds, below its table, the grand total, the totals per settore and per settore/area,
and the plan's budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.allocation import totals_by_scope
from pipeline.money import from_cents, to_cents
from pipeline.record import PlanRecord
from pipeline.tables import record_tables, records

EURO = '#,##0.00 "€"'
PERCENT = "0%"
PERCENT_DECIMALS = "0.00%"
DECIMAL = "#,##0.00"
INTEGER = "0"

_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_TITLE_FONT = Font(bold=True)
_TOTAL_FONT = Font(bold=True)
_MAX_CELL = 32767

SEVERITY_IT = {"error": "Errore", "warning": "Avviso", "info": "Informazione"}
KIND_IT = {"generale": "Generale", "intersettoriale": "Intersettoriale", "settore": "Di settore"}
SOURCE_IT = {"plan": "Piano", "classification": "File di classificazione"}


@dataclass(frozen=True)
class Column:
    header: str
    #: number format, or None for text
    fmt: str | None = None
    #: fixed width (long prose is wrapped), else from the content
    width: float | None = None


# ------------------------------------------------------------------------------ cell helpers


def _text(value: Any) -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        return value[:_MAX_CELL]
    return value


def _pct(value: float | int | None) -> float | None:
    return None if value is None else value / 100


def _pages(pages: Sequence[int]) -> str | None:
    if not pages:
        return None
    return str(pages[0]) if len(pages) == 1 or pages[0] == pages[-1] else f"{pages[0]}-{pages[-1]}"


def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = _text(value)
    if isinstance(value, str):
        cell.data_type = "s"  # text that starts with "=" stays text, never a formula
    if fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.number_format = (
            PERCENT_DECIMALS if fmt == PERCENT and not round(float(value) * 100, 6).is_integer() else fmt
        )


def _table(ws: Worksheet, columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> None:
    """Header row 1, data below, frozen header, autofilter over the table, widths and wrapping."""
    for c, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=c, value=col.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for r, values in enumerate(rows, start=2):
        for c, (col, value) in enumerate(zip(columns, values), start=1):
            _put(ws, r, c, value, col.fmt)
            if col.width:
                ws.cell(row=r, column=c).alignment = Alignment(wrap_text=True, vertical="top")
            else:
                ws.cell(row=r, column=c).alignment = Alignment(vertical="top")
    ws.freeze_panes = "A2"
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for c, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = col.width or _fit(col, [r[c - 1] for r in rows])


def _fit(col: Column, values: Sequence[Any]) -> float:
    def shown(v: Any) -> int:
        if v is None:
            return 0
        if isinstance(v, float) and col.fmt in (EURO, DECIMAL):
            return len(f"{v:,.2f}") + 2
        return len(str(v))

    longest = max([shown(v) for v in values], default=0)
    header_need = min(len(col.header), 18)
    return float(min(max(longest, header_need, 6) + 2, 50))


# ------------------------------------------------------------------------------ the sheets


def _objectives(ws: Worksheet, record: PlanRecord) -> None:
    columns = [
        Column("N.", INTEGER),
        Column("Numero stampato"),
        Column("Tipo"),
        Column("Settore/Area", width=40),
        Column("Obiettivo", width=60),
        Column("Tempistica", width=22),
        Column("Soglia minima", PERCENT),
        Column("Personale coinvolto", width=45),
        Column("N. dipendenti (scheda)", INTEGER),
        Column("Strategicità"),
        Column("N. indicatori", INTEGER),
        Column("Somma pesi indicatori", PERCENT),
        Column("Pagine"),
    ]
    df = record_tables(record, ["objectives"])["objectives"]
    rows = [
        [
            r["number"],
            "Sì" if r["number_printed"] else "No",
            KIND_IT.get(r["kind"] or "", r["kind"]),
            r["scope_line"],
            r["title"],
            r["timeframe"],
            _pct(r["threshold_pct"]),
            r["staff_text"],
            r["staff_count"],
            r["strategic_level"],
            r["indicators"],
            _pct(r["weights_sum"]),
            _pages([p for p in (r["first_page"], r["last_page"]) if p is not None]),
        ]
        for r in records(df)
    ]
    _table(ws, columns, rows)


def _indicators(ws: Worksheet, record: PlanRecord) -> None:
    columns = [
        Column("N. obiettivo", INTEGER),
        Column("Indicatore", width=50),
        Column("Quantità (come stampata)", width=24),
        Column("Valore atteso", DECIMAL),
        Column("Peso", PERCENT),
        Column("Attività", width=60),
        Column("Pagina", INTEGER),
        # Left empty for the year end: filled in, the workbook is an input of `piao results`.
        Column("Valore rilevato", width=16),
        Column("Raggiunto", width=12),
    ]
    cols = ["objective", "name", "target", "target_value", "weight_pct", "activity", "page"]
    rows = [list(r.values()) + [None, None]
            for r in records(record_tables(record, ["indicators"])["indicators"], cols)]
    for row in rows:
        row[4] = _pct(row[4])
    # Values that are whole numbers read better without decimals.
    for row in rows:
        if isinstance(row[3], float) and row[3].is_integer():
            row[3] = int(row[3])
    _table(ws, columns, rows)
    for r, row in enumerate(rows, start=2):
        if isinstance(row[3], int):
            ws.cell(row=r, column=4).number_format = INTEGER


def _findings(ws: Worksheet, record: PlanRecord) -> None:
    columns = [
        Column("Gravità"),
        Column("Regola"),
        Column("Obiettivo", INTEGER),
        Column("Pagina", INTEGER),
        Column("Descrizione", width=90),
    ]
    rows = [
        [SEVERITY_IT.get(f["severity"], f["severity"]), f["rule"], f["objective"], f["page"], f["message"]]
        for f in records(record_tables(record, ["findings"])["findings"])
    ]
    _table(ws, columns, rows)


def _allocation(ws: Worksheet, record: PlanRecord) -> None:
    columns = [
        Column("N.", INTEGER),
        Column("Obiettivo", width=50),
        Column("Settore/Area", width=40),
        Column("Strategicità"),
        Column("Fonte strategicità"),
        Column("Peso strategicità", DECIMAL),
        Column("N. dipendenti", INTEGER),
        Column("Fascia personale"),
        Column("Peso personale", DECIMAL),
        Column("Punteggio", DECIMAL),
        Column("Quota", PERCENT_DECIMALS),
        Column("Importo (€)", EURO),
        Column("Importo stampato (€)", EURO),
        Column("Differenza (€)", EURO),
    ]
    titles = {r.number: r.title for r in record.plan.summary if r.number is not None}
    titles |= {o.number: o.title for o in record.objectives if o.title}
    printed = {r.number: r.amount_eur for r in record.plan.summary if r.number is not None}
    allocations = records(record_tables(record, ["allocations"])["allocations"])
    points = [a["points"] for a in allocations]
    total_points = sum(points) if points and all(p is not None for p in points) else None  # type: ignore[arg-type]
    rows = []
    for a in allocations:
        was = printed.get(a["objective"])
        diff = (
            from_cents(to_cents(was) - to_cents(a["amount_eur"]))
            if was is not None and a["amount_eur"] is not None
            else None
        )
        rows.append(
            [
                a["objective"],
                titles.get(a["objective"]),
                a["scope"],
                a["strategic_level"],
                SOURCE_IT.get(a["strategic_level_source"] or "", a["strategic_level_source"]),
                a["strategic_weight"],
                a["staff_count"],
                a["staff_band"],
                a["staff_coefficient"],
                a["points"],
                a["points"] / total_points if total_points and a["points"] is not None else None,
                a["amount_eur"],
                was,
                diff,
            ]
        )
    _table(ws, columns, rows)

    amounts = [a.amount_eur for a in record.allocations]
    amount_total = (
        from_cents(sum(to_cents(x) for x in amounts)) if amounts and all(x is not None for x in amounts) else None
    )
    r = len(rows) + 3
    _put(ws, r, 2, "Totale")
    _put(ws, r, 10, total_points, DECIMAL)
    _put(ws, r, 12, amount_total, EURO)
    _put(ws, r, 13, record.plan.summary_total_eur, EURO)
    for c in (2, 10, 12, 13):
        ws.cell(row=r, column=c).font = _TOTAL_FONT

    for title, by in (("Totali per settore", "settore"), ("Totali per settore/area", "scope")):
        r += 2
        _put(ws, r, 2, title)
        ws.cell(row=r, column=2).font = _TITLE_FONT
        r += 1
        for c, head in ((2, title.split(" per ")[1].capitalize()), (3, "Obiettivi"),
                        (10, "Punteggio"), (12, "Importo (€)")):
            _put(ws, r, c, head)
            ws.cell(row=r, column=c).font = _TITLE_FONT
        for total in totals_by_scope(record, by=by):
            r += 1
            _put(ws, r, 2, total.scope)
            _put(ws, r, 3, ", ".join(str(n) if n is not None else "?" for n in total.objectives))
            _put(ws, r, 10, total.points, DECIMAL)
            _put(ws, r, 12, total.amount_eur, EURO)
            ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")

    budget = record.plan.budget
    r += 2
    _put(ws, r, 2, "Risorse del piano")
    ws.cell(row=r, column=2).font = _TITLE_FONT
    for label, value in (
        ("Ammontare complessivo", budget.total),
        ("Attribuito agli obiettivi", budget.allocated),
        ("Riserva per ulteriori progettualità", budget.reserve),
        ("Welfare", budget.welfare),
    ):
        r += 1
        _put(ws, r, 2, label)
        _put(ws, r, 12, value, EURO)


SHEETS = (
    ("Obiettivi", _objectives),
    ("Indicatori", _indicators),
    ("Verifiche", _findings),
    ("Ripartizione", _allocation),
)


def write_xlsx(record: PlanRecord, path: str | Path) -> None:
    """Write ``piano.xlsx`` for the record (sheets Obiettivi, Indicatori, Verifiche, Ripartizione)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, fill in SHEETS:
        fill(wb.create_sheet(name), record)
    entity = record.plan.entity or ""
    wb.properties.title = f"Piano della Performance {entity} {record.plan.year or ''}".strip()
    wb.properties.language = "it-IT"
    wb.properties.identifier = f"sha256:{record.source.sha256}"  # which plan `piao results` reads it for
    wb.save(str(path))
