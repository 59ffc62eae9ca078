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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from outputs.verifica import rule_label
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
    _print_setup(ws)
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
    for c, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(c)].width = col.width or _fit(col, [r[c - 1] for r in rows])


def _print_setup(ws: Worksheet) -> None:
    """A4 landscape, all columns on one page wide, the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True
    ws.oddFooter.center.text = "Pagina &P di &N"
    ws.oddHeader.right.text = "&A"


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
        Column("Da pagina", INTEGER),
        Column("A pagina", INTEGER),
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
            r["first_page"],
            r["last_page"],
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
        Column("Controllo", width=30),
        Column("Obiettivo", INTEGER),
        Column("Pagina", INTEGER),
        Column("Descrizione", width=90),
        Column("Correzione proposta", width=60),
    ]
    rows = [
        [SEVERITY_IT.get(f["severity"], f["severity"]), rule_label(f["rule"]), f["objective"], f["page"],
         f["message"], f.get("correction")]
        for f in records(record_tables(record, ["findings"])["findings"])
    ]
    _table(ws, columns, rows)


#: Ripartizione's columns by role (1-based), so the formulas below read by name.
_A = dict(number=1, title=2, scope=3, level=4, source=5, weight=6, staff=7, band=8, coefficient=9,
          points=10, quota=11, amount=12, printed=13, difference=14, cents=15, remainder=16)


def _allocation(ws: Worksheet, record: PlanRecord) -> None:
    """One row per objective; points, quota, amount, difference, the band coefficient and the
    totals are formulas, so changing a weight or a head-count recomputes the sheet. The amount is
    the pipeline's own rule (largest remainder in cents, ties to the first row): two helper
    columns hold each row's whole cents and remainder."""
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
        Column("Calcolo: centesimi interi", INTEGER),
        Column("Calcolo: resto", DECIMAL),
    ]
    titles = {r.number: r.title for r in record.plan.summary if r.number is not None}
    titles |= {o.number: o.title for o in record.objectives if o.title}
    printed = {r.number: r.amount_eur for r in record.plan.summary if r.number is not None}
    allocations = record.allocations
    n = len(allocations)
    first, last = 2, n + 1
    budget = record.plan.budget
    bands = record.plan.staff_bands
    # layout below the table: total row, the plan's resources, the band table, totals by scope
    total_row = last + 2
    budget_row = total_row + 2
    allocated_cell = f"${get_column_letter(_A['amount'])}${budget_row + 2}"
    band_row = budget_row + 6
    band_first, band_last = band_row + 2, band_row + 1 + len(bands)

    def col(role: str, row: int | str = "") -> str:
        return f"{get_column_letter(_A[role])}{row}"

    def rng(role: str) -> str:
        return f"${col(role)}${first}:${col(role)}${last}"

    def band_rng(c: str) -> str:
        return f"${c}${band_first}:${c}${band_last}"

    rows = []
    for a in allocations:
        rows.append([a.objective, titles.get(a.objective), a.scope, a.strategic_level,
                     SOURCE_IT.get(a.strategic_level_source or "", a.strategic_level_source),
                     a.objective_weight if a.objective_weight is not None else a.strategic_weight,
                     a.staff_count, a.staff_band, a.staff_coefficient, None, None, None,
                     printed.get(a.objective), None, None, None])
    _table(ws, columns, rows)

    for r in range(first, last + 1):
        w, k, g = col("weight", r), col("coefficient", r), col("staff", r)
        stored = ws[k].value
        if bands and stored is not None:
            # the band that covers the head-count, when exactly one does; else the coefficient
            # the allocation chose (whole staff, next band up)
            crit = f'{band_rng("C")},"<="&{g},{band_rng("D")},">="&{g}'
            ws[k] = (f'=IF(ISNUMBER({g}),IF(COUNTIFS({crit})=1,SUMIFS({band_rng("E")},{crit}),{stored}),'
                     f'{stored})')
        ws[col("points", r)] = f'=IF(AND(ISNUMBER({w}),ISNUMBER({k})),{w}*{k},"")'
        p = col("points", r)
        complete = f"COUNT({rng('points')})=ROWS({rng('points')})"
        ws[col("quota", r)] = f'=IF(AND({complete},SUM({rng("points")})>0),{p}/SUM({rng("points")}),"")'
        exact = f'ROUND({allocated_cell}*100*{p}/SUM({rng("points")}),9)'
        ws[col("cents", r)] = f'=IF(AND({complete},ISNUMBER({allocated_cell}),SUM({rng("points")})>0),INT({exact}),"")'
        ws[col("remainder", r)] = f'=IF(ISNUMBER({col("cents", r)}),{exact}-{col("cents", r)},"")'
        c, rem = col("cents", r), col("remainder", r)
        left = f'(ROUND({allocated_cell}*100,0)-SUM({rng("cents")}))'
        rank = (f'(COUNTIF({rng("remainder")},">"&{rem})'
                f'+COUNTIF(${col("remainder")}${first}:{rem},{rem}))')
        ws[col("amount", r)] = f'=IF(ISNUMBER({c}),({c}+IF({rank}<={left},1,0))/100,"")'
        ws[col("difference", r)] = (f'=IF(AND(ISNUMBER({col("printed", r)}),ISNUMBER({col("amount", r)})),'
                                    f'{col("printed", r)}-{col("amount", r)},"")')
        for role, fmt in (("coefficient", DECIMAL), ("points", DECIMAL), ("quota", PERCENT_DECIMALS),
                          ("amount", EURO), ("difference", EURO), ("cents", INTEGER),
                          ("remainder", DECIMAL)):
            ws[col(role, r)].number_format = fmt

    def put_formula(row: int, role: str, formula: str, fmt: str) -> None:
        ws[col(role, row)] = formula
        ws[col(role, row)].number_format = fmt
        ws[col(role, row)].font = _TOTAL_FONT

    _put(ws, total_row, _A["title"], "Totale")
    ws.cell(row=total_row, column=_A["title"]).font = _TOTAL_FONT
    if n:
        put_formula(total_row, "points", f"=SUM({rng('points')})", DECIMAL)
        put_formula(total_row, "amount", f"=SUM({rng('amount')})", EURO)
    _put(ws, total_row, _A["printed"], record.plan.summary_total_eur, EURO)
    ws.cell(row=total_row, column=_A["printed"]).font = _TOTAL_FONT

    _put(ws, budget_row, 2, "Risorse del piano")
    ws.cell(row=budget_row, column=2).font = _TITLE_FONT
    for i, (label, value) in enumerate((
        ("Ammontare complessivo", budget.total),
        ("Attribuito agli obiettivi", budget.allocated),
        ("Riserva per ulteriori progettualità", budget.reserve),
        ("Welfare", budget.welfare),
    ), start=1):
        _put(ws, budget_row + i, 2, label)
        _put(ws, budget_row + i, _A["amount"], value, EURO)

    _put(ws, band_row, 2, "Pesi per numero di dipendenti")
    ws.cell(row=band_row, column=2).font = _TITLE_FONT
    for c, head in ((2, "Fascia"), (3, "Da"), (4, "A"), (5, "Peso")):
        _put(ws, band_row + 1, c, head)
        ws.cell(row=band_row + 1, column=c).font = _TITLE_FONT
    for i, band in enumerate(bands):
        r = band_first + i
        _put(ws, r, 2, band.label)
        if not band.for_all_staff:  # the whole-staff row prices no head-count
            _put(ws, r, 3, band.min if band.min is not None else 0, INTEGER)
            _put(ws, r, 4, band.max if band.max is not None else OPEN_MAX, INTEGER)
            ws.cell(row=r, column=4).number_format = f'[>={OPEN_MAX}]"senza limite";0'
        _put(ws, r, 5, band.coefficient, DECIMAL)

    row_of = {a.objective: first + i for i, a in enumerate(allocations)}
    unique = len(row_of) == n and None not in row_of
    r = band_last + 1
    for title, by in (("Totali per settore", "settore"), ("Totali per settore/area", "scope")):
        r += 2
        _put(ws, r, 2, title)
        ws.cell(row=r, column=2).font = _TITLE_FONT
        r += 1
        for c, head in ((2, title.split(" per ")[1].capitalize()), (3, "Obiettivi"),
                        (_A["points"], "Punteggio"), (_A["amount"], "Importo (€)")):
            _put(ws, r, c, head)
            ws.cell(row=r, column=c).font = _TITLE_FONT
        for total in totals_by_scope(record, by=by):
            r += 1
            _put(ws, r, 2, total.scope)
            _put(ws, r, 3, ", ".join(str(n) if n is not None else "?" for n in total.objectives))
            if unique:
                for role, fmt in (("points", DECIMAL), ("amount", EURO)):
                    cells = "+".join(col(role, row_of[o]) for o in total.objectives)
                    ws[col(role, r)] = f'=IF(ISNUMBER({cells.split("+")[0]}),{cells},"")' if "+" not in cells \
                        else f"=IFERROR({cells},\"\")"
                    ws[col(role, r)].number_format = fmt
            else:
                _put(ws, r, _A["points"], total.points, DECIMAL)
                _put(ws, r, _A["amount"], total.amount_eur, EURO)
            ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")


#: The "A" of an open-ended staff band ("più di 20"), shown as "senza limite".
OPEN_MAX = 999999


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
    wb.properties.creator = wb.properties.lastModifiedBy = entity or "piao-pipeline"
    wb.properties.created = wb.properties.modified = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    wb.properties.language = "it-IT"
    wb.properties.identifier = f"sha256:{record.source.sha256}"  # which plan `piao results` reads it for
    wb.calculation.fullCalcOnLoad = True  # Ripartizione's formulas are computed on opening
    wb.save(str(path))
