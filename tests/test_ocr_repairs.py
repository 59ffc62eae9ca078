"""OCR repairs of quantity cells apply to OCR'd text only, and each one that changes a value is
noted in ``source.reading_notes`` (quoting the cell as read and as repaired, with the page).

The plan is a Word document made with python-docx (the Roccaverde test plan) whose first
indicator's target is printed "2 85%": on a digital page (the DOCX itself, LibreOffice's PDF of
it) that is what the plan says and stays; on an OCR'd page it is Tesseract's usual reading of
"≥ 85%" and is repaired.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document as Docx

from extractors import parse_plan, read_document
from extractors.cards.values import as_read, quantity_repairs
from pipeline.checks import run_checks
from pipeline.notes import is_ocr_repair
from tests import planmaker as pm
from tests.test_layouts import _roccaverde

PRINTED = "2 85%"
REPAIRED = "≥ 85%"


def _plan(path: Path) -> Path:
    """The Roccaverde test plan (tests/test_layouts.py), its first target printed "2 85%"."""
    _roccaverde(path)
    doc = Docx(str(path))
    [cell] = [c for t in doc.tables for row in t.rows for c in row.cells if c.text == "≥ 80%"]
    cell.text = PRINTED
    doc.save(str(path))
    return path


def _first_indicator(record):
    return record.objectives[0].indicators[0]


def test_quantity_repairs_say_what_they_changed():
    assert quantity_repairs("2 85%") == ("≥ 85%", [("2 ", "≥ ")])
    assert quantity_repairs("nA20 nominativi") == ("n.120 nominativi", [("nA20", "n.120")])
    assert quantity_repairs("n. 30 servizi") == ("n. 30 servizi", [])
    fixed, changes = quantity_repairs("almeno n.s azionl")
    assert fixed == "almeno n.5 azioni"
    assert as_read(fixed, changes) == "almeno n.s azionl"


def test_a_digital_docx_keeps_the_target_as_printed(tmp_path):
    record = parse_plan(read_document(str(_plan(tmp_path / "piano.docx"))))
    ind = _first_indicator(record)
    assert (ind.target, ind.target_value) == (PRINTED, 2)
    assert not [n for n in record.source.reading_notes if is_ocr_repair(n)]


@pytest.mark.libreoffice
@pytest.mark.skipif(pm.soffice() is None, reason="LibreOffice not installed")
def test_a_pdf_text_layer_keeps_the_target_as_printed(tmp_path):
    pdf = pm.to_pdf(_plan(tmp_path / "piano.docx"), tmp_path, tmp_path / "lo-profile")
    record = parse_plan(read_document(str(pdf)))
    ind = _first_indicator(record)
    assert (ind.target, ind.target_value) == (PRINTED, 2)
    assert not [n for n in record.source.reading_notes if is_ocr_repair(n)]


def test_the_same_text_on_an_ocr_page_is_repaired_and_noted(tmp_path):
    """The same words as OCR gives them: the pages of the plan flagged as OCR'd."""
    doc = read_document(str(_plan(tmp_path / "piano.docx")))
    for page in doc.pages:
        page.ocr = True
    record = parse_plan(doc)
    ind = _first_indicator(record)
    assert (ind.target, ind.target_value) == (REPAIRED, 85)
    notes = [n for n in record.source.reading_notes if is_ocr_repair(n)]
    page = record.objectives[0].indicators[0].page
    assert notes == [f"Obiettivo n. 1, indicatore 1 (pag. {page}): quantità letta dall'OCR «{PRINTED}», "
                     f"corretta in «{REPAIRED}»"]
    # the other targets needed no repair: no note, values as printed
    assert [i.target for o in record.objectives for i in o.indicators][1:] == \
        ["≤ 45 giorni", "n. 120", "Sì", "entro il 31/10/2026"]
    findings = [f for f in run_checks(record).findings if f.rule == "reading-uncertain"]
    assert len(findings) == 1 and findings[0].message.startswith("Lettura corretta: Obiettivo n. 1")
    assert f"«{PRINTED}»" in findings[0].message and findings[0].correction


def test_only_the_ocr_page_of_a_plan_is_repaired(tmp_path):
    """A plan read partly by OCR: the card on a digital page keeps its printed text."""
    doc = read_document(str(_plan(tmp_path / "piano.docx")))
    second = next(p for p in doc.pages if any("Censimento" in ln.text for ln in p.lines))
    assert not any("Pratiche presentate" in ln.text for ln in second.lines)
    second.ocr = True
    record = parse_plan(doc)
    assert _first_indicator(record).target == PRINTED
    assert not [n for n in record.source.reading_notes if is_ocr_repair(n)]


def _matrix_plan(path: Path) -> Path:
    """The Montecaldo plan (one table per Area), its first target "100%" printed "2 85%"."""
    doc = Docx(str(Path(__file__).parent / "data" / "montecaldo-2025.docx"))
    cell = next(c for t in doc.tables for row in t.rows for c in row.cells if c.text == "100%")
    cell.text = PRINTED
    doc.save(str(path))
    return path


def test_a_matrix_plan_keeps_its_digital_target_and_repairs_its_ocr_one(tmp_path):
    plan = _matrix_plan(tmp_path / "matrice.docx")
    digital = parse_plan(read_document(str(plan)))
    assert digital.source.layout == "matrix"
    ind = _first_indicator(digital)
    assert (ind.target, ind.target_value) == (PRINTED, 2)
    assert not [n for n in digital.source.reading_notes if is_ocr_repair(n)]
    doc = read_document(str(plan))
    for page in doc.pages:
        page.ocr = True
    scanned = parse_plan(doc)
    ind = _first_indicator(scanned)
    assert (ind.target, ind.target_value) == (REPAIRED, 85)
    number = scanned.objectives[0].number
    assert [n for n in scanned.source.reading_notes if is_ocr_repair(n)] == \
        [f"Obiettivo n. {number}, indicatore 1 (pag. {ind.page}): quantità letta dall'OCR «{PRINTED}», "
         f"corretta in «{REPAIRED}»"]
