"""Scans made at lower resolution, and searchable scans made by OCRmyPDF (issue 13).

A few pages each (CI budget): the whole-plan figures are measured by ``scripts/benchmark.py``
(sections ``scans`` and ``inputs``). Oracles: the expected records in tests/data (written by a
careful reader of the plans, independently of this code).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from extractors import ocr as ocr_mod
from tests.test_ocr import needs_tesseract

DATA = Path(__file__).parent / "data"
VALMORENA = DATA / "valmorena-2025.pdf"
CHIARI = Path(__file__).parent.parent / "examples" / "chiari-2025.pdf"


def _expected(plan: str, number: int) -> dict:
    record = json.loads((DATA / f"{plan}.expected.json").read_text(encoding="utf-8"))
    return next(o for o in record["objectives"] if o["number"] == number)


def _dpi_of(path: Path, options: ocr_mod.OcrOptions | None = None) -> int:
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[0]
        try:
            return ocr_mod.page_dpi(page, 300, options or ocr_mod.OcrOptions())
        finally:
            page.close()
    finally:
        pdf.close()


def test_a_150_dpi_scan_is_read_at_twice_its_resolution_and_a_200_dpi_scan_at_its_own(tmp_path):
    from tests.scansim import simulate_scan

    low = simulate_scan(VALMORENA, tmp_path / "150.pdf", pages=[1], dpi=150)
    usual = simulate_scan(VALMORENA, tmp_path / "200.pdf", pages=[1], dpi=200)
    assert _dpi_of(low) == 300
    assert _dpi_of(usual) == 200
    assert _dpi_of(VALMORENA) == 300  # a vector page: the highest resolution asked for
    assert _dpi_of(low, ocr_mod.OcrOptions(native_resolution=False)) == 300


@pytest.mark.ocr
@needs_tesseract
def test_targets_with_a_comparator_on_a_150_dpi_jpeg_scan(tmp_path):
    """Valmorena's cards 2-4 (pages 5-8) scanned at 150 dpi, JPEG quality 60, skewed 0.7 degrees
    (seeded): every target value comes out as printed, "≥ 50%" and "≥ 90%" included. Rendered at
    200 dpi instead of 300 (LOW_RES_ZOOM 1), Tesseract read those "≥" as a "2": 250 and 290."""
    from extractors import read_document
    from extractors.cards import parse_cards
    from tests.scansim import simulate_scan

    scan = simulate_scan(VALMORENA, tmp_path / "scan.pdf", pages=[5, 6, 7, 8], dpi=150, jpeg_quality=60,
                         angle=0.7, seed=7)
    cards = {c.number: c for c in parse_cards(read_document(str(scan), ocr="auto"), 2025)}
    for number in (2, 3, 4):
        gold = _expected("valmorena-2025", number)
        got = [i.target_value for i in cards[number].indicators]
        assert got == [i["target_value"] for i in gold["indicators"]], number


def _ocrmypdf() -> list[str] | None:
    from bench.scans import ocrmypdf_command

    return ocrmypdf_command()


needs_ocrmypdf = pytest.mark.skipif(_ocrmypdf() is None, reason="ocrmypdf is not installed (dev extra)")


@pytest.mark.ocr
@pytest.mark.slow
@needs_tesseract
@needs_ocrmypdf
def test_a_searchable_scan_made_by_ocrmypdf_reads_as_the_digital_pdf(tmp_path):
    """Chiari pages 12-13 (card 5: prose and a ruled indicator table) printed and scanned, then
    made searchable by OCRmyPDF, as an office would: the OCRmyPDF layer is recognised as an OCR
    layer, judged, and card 5 comes out with the expected indicators, weights and threshold."""
    from extractors import read_document
    from extractors.cards import parse_cards
    from extractors.textlayer import ocr_layer_pages, page_modes
    from tests.scansim import simulate_scan

    scan = simulate_scan(CHIARI, tmp_path / "scan.pdf", pages=[12, 13])
    searchable = tmp_path / "searchable.pdf"
    subprocess.run([*_ocrmypdf(), "-q", "-l", "ita", "--jobs", "2", "--output-type", "pdf", str(scan),
                    str(searchable)], check=True, capture_output=True)
    assert ocr_layer_pages(str(searchable), [1, 2]) == {1, 2}
    doc = read_document(str(searchable), ocr="auto")
    assert set(page_modes(doc).values()) <= {"ocr-layer", "ocr-layer-rejected"}
    card = next(c for c in parse_cards(doc, 2025) if c.number == 5)
    gold = _expected("chiari-2025", 5)
    assert card.threshold_pct == gold["threshold_pct"]
    assert [i.weight_pct for i in card.indicators] == [i["weight_pct"] for i in gold["indicators"]]
    assert [i.target_value for i in card.indicators] == [i["target_value"] for i in gold["indicators"]]


def test_a_kept_ocr_layer_is_regrouped_into_visual_rows_by_word_centres():
    """An OCR layer over a skewed scan (OCRmyPDF over a 150 dpi scan, Chiari card 10) keeps the
    skew in its word boxes: along one printed line the tops drift 5 pt, more than the typed-text
    tolerance, so grouped by tops the line fell in two, out of order, and the card's title was
    cut. Grouped by centres it stays one row, left to right; the next printed line stays apart."""
    from extractors.layout import Page, Word
    from extractors.pdf import words_to_lines
    from extractors.textlayer import regroup_layer_rows

    words = [Word("OBIETTIVO:", 1, 54, 165.5, 118, 180.2), Word("Formazione", 1, 123, 164.8, 178, 179.4),
             Word("straordinaria", 1, 182, 163.0, 244, 177.6), Word("per", 1, 500, 160.5, 520, 175.0),
             Word("mantenimento", 1, 54, 179.5, 130, 194.0), Word("della", 1, 134, 178.8, 160, 193.3)]
    page = Page(number=1, width=595, height=842, lines=words_to_lines(words))
    assert len(page.lines) > 2  # grouped by tops, as typed text is: the first line falls apart
    regroup_layer_rows(page)
    assert [ln.text for ln in page.lines] == ["OBIETTIVO: Formazione straordinaria per", "mantenimento della"]
