"""piano.xlsx: sheets, Italian headers, number formats, frozen header, filters, totals."""

from __future__ import annotations

import openpyxl
import pytest

from outputs.xlsx import EURO, write_xlsx
from pipeline.checks import run_checks
from pipeline.allocation import allocate, totals_by_scope
from pipeline.money import to_cents
from test_allocation_rules import plan_with_summary


@pytest.fixture(scope="module")
def record():
    return run_checks(allocate(plan_with_summary()))


@pytest.fixture(scope="module")
def workbook(record, tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "piano.xlsx"
    write_xlsx(record, path)
    return openpyxl.load_workbook(path)


def _headers(ws):
    return [c.value for c in ws[1]]


def _column(ws, header):
    return _headers(ws).index(header) + 1


def test_sheets_and_headers(workbook):
    assert workbook.sheetnames == ["Obiettivi", "Indicatori", "Verifiche", "Ripartizione"]
    assert {"N.", "Obiettivo", "Soglia minima", "Strategicità"} <= set(_headers(workbook["Obiettivi"]))
    assert {"N. obiettivo", "Indicatore", "Peso"} <= set(_headers(workbook["Indicatori"]))
    assert {"Gravità", "Regola", "Descrizione"} <= set(_headers(workbook["Verifiche"]))
    assert {"Punteggio", "Importo (€)", "Peso personale"} <= set(_headers(workbook["Ripartizione"]))


def test_frozen_header_filter_widths(workbook, record):
    rows = {
        "Obiettivi": len(record.objectives),
        "Indicatori": sum(len(o.indicators) for o in record.objectives),
        "Verifiche": len(record.findings),
        "Ripartizione": len(record.allocations),
    }
    for ws in workbook:
        assert ws.freeze_panes == "A2", ws.title
        last = openpyxl.utils.get_column_letter(len(_headers(ws)))
        assert ws.auto_filter.ref == f"A1:{last}{rows[ws.title] + 1}", ws.title
        for c in range(1, len(_headers(ws)) + 1):
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
            assert 6 <= width <= 100, (ws.title, c, width)


def test_number_formats_and_values(workbook, record):
    ws = workbook["Ripartizione"]
    amount_col = _column(ws, "Importo (€)")
    for r, alloc in enumerate(record.allocations, start=2):
        cell = ws.cell(row=r, column=amount_col)
        assert cell.number_format == EURO and "€" in cell.number_format
        assert cell.value == alloc.amount_eur
    quota = ws.cell(row=2, column=_column(ws, "Quota"))
    assert quota.number_format.endswith("%") and 0 < quota.value < 1

    ws = workbook["Indicatori"]
    weight_col = _column(ws, "Peso")
    weights = [i.weight_pct for o in record.objectives for i in o.indicators]
    for r, w in enumerate(weights, start=2):
        cell = ws.cell(row=r, column=weight_col)
        if w is not None:
            assert cell.value == pytest.approx(w / 100) and "%" in cell.number_format

    ws = workbook["Obiettivi"]
    soglia = ws.cell(row=2, column=_column(ws, "Soglia minima"))
    assert soglia.value == pytest.approx(record.objectives[0].threshold_pct / 100)
    assert "%" in soglia.number_format


def test_ripartizione_totals(workbook, record):
    ws = workbook["Ripartizione"]
    label_col, amount_col = 2, _column(ws, "Importo (€)")
    labels = {ws.cell(row=r, column=label_col).value: r for r in range(len(record.allocations) + 2, ws.max_row + 1)}
    total = ws.cell(row=labels["Totale"], column=amount_col).value
    assert to_cents(total) == to_cents(record.plan.budget.allocated)
    assert "Totali per settore" in labels and "Totali per settore/area" in labels
    for t in totals_by_scope(record, by="settore"):
        row = min(r for label, r in labels.items() if label == t.scope)
        assert ws.cell(row=row, column=amount_col).value == t.amount_eur
        assert ws.cell(row=row, column=amount_col).number_format == EURO


def test_findings_in_italian_and_text_never_becomes_a_formula(tmp_path, record):
    from pipeline.record import Finding

    odd = record.model_copy(update={"findings": [
        Finding(rule="weights-sum", severity="error", objective=1, page=8, message="=SOMMA(A1:A3) \x0c strano"),
    ]})
    path = tmp_path / "piano.xlsx"
    write_xlsx(odd, path)
    ws = openpyxl.load_workbook(path)["Verifiche"]
    assert ws.cell(row=2, column=1).value == "Errore"
    assert ws.cell(row=2, column=5).data_type == "s"
    assert ws.cell(row=2, column=5).value.startswith("=SOMMA")


def test_empty_record_still_writes_every_sheet(tmp_path):
    from pipeline.record import PlanRecord, Source

    path = tmp_path / "piano.xlsx"
    write_xlsx(PlanRecord(source=Source(file="x.pdf", sha256="0" * 64, pages=1)), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Obiettivi", "Indicatori", "Verifiche", "Ripartizione"]
    assert wb["Ripartizione"].auto_filter.ref.endswith("1")
