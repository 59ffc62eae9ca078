"""The allocation on the real plan: computed amounts equal the printed summary table, and a Word
copy of the plan with one printed amount off by 10 EUR gets allocation-mismatch on that objective
only."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from records import expected_record

from pipeline.allocation import allocate
from pipeline.checks import run_checks
from pipeline.formatting import format_eur, format_number
from pipeline.money import to_cents

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PDF = EXAMPLES / "chiari-2025.pdf"
DOCX = EXAMPLES / "chiari-2025.docx"


def _extract(path):
    from flows.run import extract

    return extract(path)


@pytest.fixture(scope="module")
def pdf_record():
    return run_checks(allocate(_extract(PDF)))


def test_pdf_amounts_equal_the_printed_summary(pdf_record):
    record = pdf_record
    assert record.plan.summary, "the digital plan prints a summary table"
    printed = {r.number: r.amount_eur for r in record.plan.summary if r.number is not None}
    computed = {a.objective: a.amount_eur for a in record.allocations}
    assert set(printed) == set(computed)
    # One row per objective, and the budget the plan shares out (figures from the expected record).
    expected = expected_record()
    assert sorted(printed) == [o.number for o in expected.objectives]
    assert to_cents(record.plan.budget.allocated) == to_cents(expected.plan.budget.allocated)
    for number, amount in printed.items():
        assert computed[number] is not None, number
        assert to_cents(computed[number]) == to_cents(amount), number
    assert sum(to_cents(a) for a in computed.values()) == to_cents(record.plan.budget.allocated)
    assert to_cents(record.plan.summary_total_eur) == to_cents(record.plan.budget.allocated)
    # Strategicità came from the plan itself and the objectives carry it.
    assert all(a.strategic_level_source == "plan" for a in record.allocations)
    assert all(o.strategic_level for o in record.objectives)
    rules = {f.rule for f in record.findings}
    assert not rules & {"allocation-mismatch", "strategic-level-missing", "allocation-incomplete"}


def _italian_amount(text: str) -> Decimal:
    return Decimal(text.strip().replace(".", "").replace(",", "."))


def _set_text(cell, text: str) -> None:
    paragraph = cell.paragraphs[0]
    runs = paragraph.runs
    runs[0].text = text
    for run in runs[1:]:
        run.text = ""


def _summary_table(document):
    for table in document.tables:
        header = [c.text.strip() for c in table.rows[0].cells]
        if any(h.startswith("Importo") for h in header) and any(h.startswith("Punteggio") for h in header):
            return table, header
    raise AssertionError("no summary table in the DOCX")


def test_docx_with_one_amount_off_by_ten_euro(tmp_path):
    document = docx.Document(str(DOCX))
    table, header = _summary_table(document)
    amount_col = next(i for i, h in enumerate(header) if h.startswith("Importo"))
    data_rows = [r for r in table.rows[1:] if re.fullmatch(r"\d+", r.cells[0].text.strip())]
    row = data_rows[len(data_rows) // 2]
    victim = int(row.cells[0].text.strip())
    old = _italian_amount(row.cells[amount_col].text)
    _set_text(row.cells[amount_col], format_number(old + 10, 2))
    edited = tmp_path / "piano-modificato.docx"
    document.save(str(edited))

    record = run_checks(allocate(_extract(edited)))
    assert to_cents(next(r.amount_eur for r in record.plan.summary if r.number == victim)) == to_cents(old + 10)
    hits = [f for f in record.findings if f.rule == "allocation-mismatch"]
    assert [f.objective for f in hits if f.objective is not None] == [victim]
    [hit] = [f for f in hits if f.objective == victim]
    assert hit.severity == "error" and format_eur(10) in hit.message
    # The computed amount is still the rules' one: the edited cell did not move the allocation.
    computed = next(a.amount_eur for a in record.allocations if a.objective == victim)
    assert to_cents(computed) == to_cents(old)


@pytest.mark.libreoffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_real_workbook_shows_printed_and_computed_side_by_side(pdf_record, tmp_path):
    from outputs.xlsx import write_xlsx
    from test_xlsx import _recalculate  # the sheet's formulas, as LibreOffice computes them

    path = tmp_path / "piano.xlsx"
    write_xlsx(pdf_record, path)
    ws = _recalculate(path, tmp_path)["Ripartizione"]
    header = [c.value for c in ws[1]]
    amount, printed, diff = (header.index(h) + 1 for h in ("Importo (€)", "Importo stampato (€)", "Differenza (€)"))
    for r in range(2, len(pdf_record.allocations) + 2):
        assert to_cents(ws.cell(row=r, column=amount).value) == to_cents(ws.cell(row=r, column=printed).value)
        assert ws.cell(row=r, column=diff).value == 0
