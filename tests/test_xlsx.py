"""piano.xlsx: sheets, Italian headers, number formats, frozen header, filters, totals."""

from __future__ import annotations

import shutil
import subprocess

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
    assert {"Gravità", "Controllo", "Descrizione", "Correzione proposta"} <= set(_headers(workbook["Verifiche"]))
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
        assert str(cell.value).startswith("=")  # computed by the sheet (values: the LibreOffice test)
        assert ws.cell(row=r, column=_column(ws, "N. dipendenti")).value == alloc.staff_count
    quota = ws.cell(row=2, column=_column(ws, "Quota"))
    assert quota.number_format.endswith("%") and str(quota.value).startswith("=")

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


def test_ripartizione_totals(recalculated, record):
    ws = recalculated["Ripartizione"]
    label_col, amount_col = 2, _column(ws, "Importo (€)")
    labels = {ws.cell(row=r, column=label_col).value: r for r in range(len(record.allocations) + 2, ws.max_row + 1)}
    total = ws.cell(row=labels["Totale"], column=amount_col).value
    assert to_cents(total) == to_cents(record.plan.budget.allocated)
    assert "Totali per settore" in labels and "Totali per settore/area" in labels
    for t in totals_by_scope(record, by="settore"):
        row = min(r for label, r in labels.items() if label == t.scope)
        assert to_cents(ws.cell(row=row, column=amount_col).value) == to_cents(t.amount_eur)


def _recalculate(path, tmp_path):
    """The workbook as LibreOffice computes it (formulas evaluated, values cached)."""
    out = tmp_path / "ricalcolato"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(out), str(path)], check=True, capture_output=True, timeout=180)
    return openpyxl.load_workbook(out / path.name, data_only=True)


@pytest.fixture(scope="module")
def recalculated(record, tmp_path_factory):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice not installed")
    tmp = tmp_path_factory.mktemp("xlsx-lo")
    write_xlsx(record, tmp / "piano.xlsx")
    return _recalculate(tmp / "piano.xlsx", tmp)


def _amounts(ws, n):
    col = _column(ws, "Importo (€)")
    return [to_cents(ws.cell(row=r, column=col).value) for r in range(2, n + 2)]


@pytest.mark.libreoffice
@pytest.mark.slow
def test_formulas_give_the_pipeline_amounts_to_the_cent(recalculated, record):
    ws = recalculated["Ripartizione"]
    assert _amounts(ws, len(record.allocations)) == [to_cents(a.amount_eur) for a in record.allocations]
    points = _column(ws, "Punteggio")
    assert [ws.cell(row=r, column=points).value for r in range(2, len(record.allocations) + 2)] == \
        pytest.approx([a.points for a in record.allocations])


@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_changing_staff_and_weight_recomputes_like_the_pipeline(record, tmp_path):
    """Edit a head-count (another staff band) and a weight in the sheet; the amounts LibreOffice
    computes equal the pipeline's allocation of the record edited the same way."""
    path = tmp_path / "piano.xlsx"
    write_xlsx(record, path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Ripartizione"]
    first, second = record.allocations[0], record.allocations[1]
    bands = sorted((b for b in record.plan.staff_bands if not b.all_staff and b.min is not None),
                   key=lambda b: b.min)
    other = next(b for b in bands if b.coefficient != first.staff_coefficient)
    ws.cell(row=2, column=_column(ws, "N. dipendenti")).value = other.min
    ws.cell(row=3, column=_column(ws, "Peso strategicità")).value = second.strategic_weight * 2 + 1
    edited = tmp_path / "modificato.xlsx"
    wb.save(edited)
    got = _recalculate(edited, tmp_path)["Ripartizione"]

    # the oracle: the pipeline on the record edited the same way (head-count in the summary row,
    # the weight through a strategicità level carrying it)
    plan = record.plan
    levels = dict(plan.strategic_weights)
    levels["livello di prova"] = second.strategic_weight * 2 + 1
    summary = [r.model_copy(update={"staff_count": other.min}) if r.number == first.objective
               else r.model_copy(update={"strategic_level": "livello di prova"}) if r.number == second.objective
               else r for r in plan.summary]
    objectives = [o.model_copy(update={"staff_count": other.min}) if o.number == first.objective
                  else o.model_copy(update={"strategic_level": "livello di prova"}) if o.number == second.objective
                  else o for o in record.objectives]
    edited_record = record.model_copy(update={
        "plan": plan.model_copy(update={"summary": summary, "strategic_weights": levels}),
        "objectives": objectives, "allocations": []})
    want = allocate(edited_record).allocations
    assert want[0].staff_coefficient == other.coefficient
    assert got.cell(row=2, column=_column(got, "Peso personale")).value == other.coefficient
    assert _amounts(got, len(want)) == [to_cents(a.amount_eur) for a in want]
    assert _amounts(got, len(want)) != [to_cents(a.amount_eur) for a in record.allocations]


def test_pages_are_numbers(record, tmp_path):
    o = record.objectives[0].model_copy(update={"pages": [8, 9]})
    write_xlsx(record.model_copy(update={"objectives": [o]}), tmp_path / "p.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx")["Obiettivi"]
    first, last = _column(ws, "Da pagina"), _column(ws, "A pagina")
    assert (ws.cell(row=2, column=first).value, ws.cell(row=2, column=last).value) == (8, 9)


def test_print_setup_and_properties(workbook, record):
    from datetime import datetime, timedelta

    for ws in workbook:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$1"
    props = workbook.properties
    assert props.creator == record.plan.entity and record.plan.entity in props.title
    assert abs(datetime.utcnow() - props.created) < timedelta(hours=1)


def test_findings_in_italian_and_text_never_becomes_a_formula(tmp_path, record):
    from pipeline.record import Finding

    odd = record.model_copy(update={"findings": [
        Finding(rule="weights-sum", severity="error", objective=1, page=8, message="=SOMMA(A1:A3) \x0c strano"),
    ]})
    path = tmp_path / "piano.xlsx"
    write_xlsx(odd, path)
    ws = openpyxl.load_workbook(path)["Verifiche"]
    assert ws.cell(row=2, column=1).value == "Errore"
    assert ws.cell(row=2, column=2).value == "Somma dei pesi degli indicatori"  # not the rule id
    assert ws.cell(row=2, column=5).data_type == "s"
    assert ws.cell(row=2, column=5).value.startswith("=SOMMA")


def test_empty_record_still_writes_every_sheet(tmp_path):
    from pipeline.record import PlanRecord, Source

    path = tmp_path / "piano.xlsx"
    write_xlsx(PlanRecord(source=Source(file="x.pdf", sha256="0" * 64, pages=1)), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Obiettivi", "Indicatori", "Verifiche", "Ripartizione"]
    assert wb["Ripartizione"].auto_filter.ref.endswith("1")
