"""OCR back-end (extractors/ocr.py, extractors/preprocess.py) on the real scanned fixture.

Tests that run Tesseract are marked ``ocr`` and skip with a reason when Tesseract or its Italian
model is missing (CI installs both, so they run for real there). The pure image/TSV helpers are
tested on synthetic input and always run.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest

from extractors import ocr as ocr_mod
from extractors.ocr import check_tesseract, ocr_pdf_pages, parse_tsv
from extractors.preprocess import _rotate, estimate_skew, find_grids, rule_mask
from pipeline.errors import InputError

DATA = Path(__file__).parent / "data"
SCAN = DATA / "chiari-2025-scan-p1-10.pdf"
EXPECTED = DATA / "chiari-2025.expected.json"
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-ita"


def _tesseract_with_italian() -> bool:
    exe = shutil.which("tesseract")
    if exe is None:
        return False
    out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
    return "ita" in (out.stdout + out.stderr).split()


needs_tesseract = pytest.mark.skipif(
    not _tesseract_with_italian(),
    reason="Tesseract or its Italian model is not installed (apt-get install tesseract-ocr tesseract-ocr-ita)",
)


def fold(text: str) -> str:
    """No case, no accents, no whitespace: OCR drops spaces ("Da2a3") and accents."""
    s = unicodedata.normalize("NFKD", text)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return "".join(s.split())


@pytest.fixture(scope="module")
def scan_pages():
    """Page 1 (cover) and page 3 (introduction with two ruled tables) of the scan."""
    if not _tesseract_with_italian():
        pytest.skip("Tesseract or its Italian model is not installed")
    return ocr_pdf_pages(str(SCAN), [1, 3])


# -- with Tesseract --------------------------------------------------------------------------------


@pytest.mark.ocr
@needs_tesseract
def test_pages_have_words_with_page_numbers_and_boxes_inside_the_page(scan_pages):
    assert [p.number for p in scan_pages] == [1, 3]
    for page in scan_pages:
        assert page.ocr is True
        # Boxes are PDF points: an A4 page is about 595 x 842 points whatever the scan's dpi.
        assert 580 < page.width < 610 and 830 < page.height < 855
        words = [w for ln in page.lines for w in ln.words]
        assert len(words) >= 10
        for ln in page.lines:
            assert ln.page == page.number
            assert ln.text == " ".join(w.text for w in ln.words)
        for w in words:
            assert w.page == page.number
            assert 0 <= w.x0 < w.x1 <= page.width + 1
            assert 0 <= w.top < w.bottom <= page.height + 1
    # Reading order: the cover's lines go down the page.
    tops = [ln.top for ln in scan_pages[0].lines]
    assert tops == sorted(tops)


@pytest.mark.ocr
@needs_tesseract
def test_intro_page_text_has_the_key_phrases(scan_pages):
    text = fold(scan_pages[1].text)
    for phrase in ("Strategicità", "Peso", "Da 2 a 3", "una tantum"):
        assert fold(phrase) in text, phrase


@pytest.mark.ocr
@needs_tesseract
def test_ruled_tables_are_read_cell_by_cell(scan_pages):
    intro = scan_pages[1]
    assert len(intro.tables) == 2
    weights, bands = intro.tables
    assert all(len(row) == 2 for row in weights.rows + bands.rows)
    assert [fold(c or "") for c in weights.rows[0]] == ["strategicita", "peso"]
    band_cells = {fold(r[0] or ""): fold(r[1] or "") for r in bands.rows}
    assert band_cells.get("da2a3") == "1,00"
    assert band_cells.get("1") == "0,50"  # a lone digit in a cell survives (page OCR drops it)
    for table in intro.tables:
        x0, top, x1, bottom = table.bbox
        assert 0 <= x0 < x1 <= intro.width and 0 <= top < bottom <= intro.height


def test_missing_tesseract_raises_input_error_with_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no tesseract on PATH
    with pytest.raises(InputError) as err:
        check_tesseract(str(SCAN))
    assert INSTALL_HINT in str(err.value) and str(SCAN) in str(err.value)
    with pytest.raises(InputError, match=INSTALL_HINT):
        ocr_pdf_pages(str(SCAN), [1])


def _fake_tesseract(directory: Path, body: str) -> None:
    exe = directory / "tesseract"
    exe.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def test_tesseract_without_the_italian_model_raises_input_error(tmp_path, monkeypatch):
    _fake_tesseract(tmp_path, 'echo "List of available languages (2):"; echo eng; echo osd\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")
    with pytest.raises(InputError, match=INSTALL_HINT):
        check_tesseract(str(SCAN))


def test_page_timeout_raises_input_error_naming_the_page(tmp_path, monkeypatch):
    # A tesseract that knows Italian but never finishes a page.
    _fake_tesseract(
        tmp_path,
        'if [ "$1" = "--list-langs" ]; then echo "List of available languages (1):"; echo ita; exit 0; fi\n'
        "exec sleep 30\n",
    )
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}/usr/bin:/bin")
    with pytest.raises(InputError) as err:
        ocr_pdf_pages(str(SCAN), [2], page_timeout=0.5)
    assert "pagina 2" in str(err.value) and "tempo massimo" in str(err.value)


@pytest.mark.ocr
@needs_tesseract
def test_page_out_of_range_is_an_input_error():
    with pytest.raises(InputError, match="pagina 99"):
        ocr_pdf_pages(str(SCAN), [99])


def _add_plan_block(record, right: int, total: int, report: list[str]) -> tuple[int, int, list[str]]:
    """Add the plan block (budget, strategic weights, staff bands: one field per value)."""
    plan = json.loads(EXPECTED.read_text(encoding="utf-8"))["plan"]
    got = record.plan
    checks = [(f"budget.{k}", getattr(got.budget, k), v) for k, v in plan["budget"].items()]
    checks += [(f"strategic_weights.{k}", got.strategic_weights.get(k), v)
               for k, v in plan["strategic_weights"].items()]
    got_bands = [b.model_dump() for b in got.staff_bands]
    for k, want in enumerate(plan["staff_bands"]):
        have = got_bands[k] if k < len(got_bands) else {}
        checks += [(f"staff_bands[{k}].{f}", have.get(f), want[f]) for f in ("min", "max", "coefficient")]
    for name, have, want in checks:
        total += 1
        if have == want or (isinstance(want, (int, float)) and isinstance(have, (int, float))
                            and float(have) == float(want)):
            right += 1
        else:
            report.append(f"plan {name}: got {have!r} want {want!r}")
    return right, total, report


@pytest.fixture(scope="module")
def scan_record():
    """The whole reader on the 10-page scan (``--ocr auto``): layout document and record."""
    if not _tesseract_with_italian():
        pytest.skip("Tesseract or its Italian model is not installed")
    from extractors import parse_plan, read_document

    doc = read_document(str(SCAN), ocr="auto")
    return doc, parse_plan(doc)


@pytest.mark.ocr
@pytest.mark.slow
@needs_tesseract
def test_scan_cards_accuracy(scan_record):
    """Cards 1-3 and the plan block of the scan against the expected record (issue 3: at least
    98% of the fields right)."""
    from tests.fieldcompare import compare_objectives, load_expected, summary

    doc, record = scan_record
    assert doc.ocr_pages == list(range(1, 11))
    present = [o for o in load_expected() if o["number"] in {o.number for o in record.objectives}]
    right, total, report = compare_objectives(record.objectives, load_expected(), numbers=[1, 2, 3])

    right, total, report = _add_plan_block(record, right, total, report)
    print(summary(right, total, report, f"scan p1-10 (cards {[o['number'] for o in present]} + plan block)"))
    assert right / total >= 0.98


@pytest.mark.ocr
@pytest.mark.slow
@needs_tesseract
def test_simulated_scan_of_the_whole_plan(tmp_path):
    """All 49 pages of the digital PDF printed and scanned like the fixture scan (tests/scansim.py:
    200 dpi grayscale JPEG, rotated, blur, noise, no text layer), read with ``--ocr auto``: every
    card and the plan block, at least 98% of the expected fields right (issue 3's bar, on the
    whole plan rather than its first ten pages)."""
    from extractors import parse_plan, read_document
    from tests.fieldcompare import compare_objectives, load_expected, summary
    from tests.scansim import simulate_scan

    scan = simulate_scan(Path(__file__).parent.parent / "examples" / "chiari-2025.pdf",
                         tmp_path / "scan.pdf")
    doc = read_document(str(scan), ocr="auto")
    assert doc.ocr_pages == list(range(1, 50))
    record = parse_plan(doc)
    assert [o.number for o in record.objectives] == [o["number"] for o in load_expected()]
    right, total, report = compare_objectives(record.objectives, load_expected())
    right, total, report = _add_plan_block(record, right, total, report)
    print(summary(right, total, report, "simulated scan of all 49 pages (27 cards + plan block)"))
    assert right / total >= 0.98, summary(right, total, report, "simulated scan")


@pytest.mark.ocr
@pytest.mark.slow
@needs_tesseract
def test_scan_summary_table_matches_the_digital_pdf(scan_record):
    """The landscape summary table (pages 5-7, read cell by cell) gives the same rows as the
    digital PDF's text layer: the allocation takes staff counts and amounts from it."""
    from extractors import parse_plan, read_document
    from tests.fieldcompare import fold

    _, record = scan_record
    digital = parse_plan(read_document(str(DATA.parent.parent / "examples" / "chiari-2025.pdf"), ocr="never"))
    want = [r.model_dump() for r in digital.plan.summary]
    got = [r.model_dump() for r in record.plan.summary]
    assert want, "the digital PDF's summary table was not read"
    right = total = 0
    report = []
    for k, w in enumerate(want):
        g = got[k] if k < len(got) else {}
        for field, value in w.items():
            total += 1
            have = g.get(field)
            if (fold(have) == fold(value)) if isinstance(value, str) else have == value:
                right += 1
            else:
                report.append(f"riga {k + 1} {field}: got {have!r} want {value!r}")
    print(f"scan summary table: {right}/{total} fields as in the digital PDF", *report, sep="\n")
    assert len(got) == len(want)
    assert right / total >= 0.98


# -- without Tesseract -----------------------------------------------------------------------------

TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def test_parse_tsv_groups_words_into_lines_and_converts_to_points():
    rows = [
        TSV_HEADER,
        "1\t1\t0\t0\t0\t0\t0\t0\t1654\t2339\t-1\t",
        "4\t1\t1\t1\t1\t0\t100\t200\t400\t30\t-1\t",
        "5\t1\t1\t1\t1\t1\t100\t200\t150\t30\t96.5\tSoglia",
        "5\t1\t1\t1\t1\t2\t260\t200\t240\t30\t91.0\tminima",
        "5\t1\t1\t1\t1\t3\t510\t205\t10\t20\t95.0\t ",  # empty word: dropped
        "5\t1\t2\t1\t1\t1\t100\t400\t200\t40\t88.0\t100%",
    ]
    lines = parse_tsv("\n".join(rows), page=7, scale=72.0 / 200)
    assert [ln.text for ln in lines] == ["Soglia minima", "100%"]
    first = lines[0]
    assert first.page == 7 and all(w.page == 7 for w in first.words)
    assert first.words[0].x0 == pytest.approx(100 * 0.36) and first.words[0].bottom == pytest.approx(230 * 0.36)
    assert first.x1 == pytest.approx(500 * 0.36)


def _table_image(cols: list[int], rows: list[int], merged_row: int | None = None) -> np.ndarray:
    img = np.full((1400, 1000), 245, np.uint8)
    for y in rows:
        cv2.line(img, (cols[0], y), (cols[-1], y), 20, 3)
    for k, x in enumerate(cols):
        for r in range(len(rows) - 1):
            inner = 0 < k < len(cols) - 1
            if inner and merged_row is not None and r == merged_row:
                continue  # a cell spanning all columns in this row
            cv2.line(img, (x, rows[r]), (x, rows[r + 1]), 20, 3)
    return img


def test_find_grids_places_cells_on_rows_and_columns():
    cols, rows = [100, 400, 600, 900], [200, 280, 360, 440, 520]
    grids = find_grids(rule_mask(_table_image(cols, rows, merged_row=3)))
    assert len(grids) == 1
    grid = grids[0]
    assert (grid.n_rows, grid.n_cols) == (4, 3)
    assert len(grid.cells) == 3 * 3 + 1
    merged = [c for c in grid.cells if c.row == 3]
    assert len(merged) == 1 and merged[0].col == 0 and merged[0].x1 > 850
    for cell in grid.cells:
        assert grid.x0 <= cell.x0 < cell.x1 <= grid.x1 and grid.y0 <= cell.y0 < cell.y1 <= grid.y1


def test_text_without_rules_has_no_grid():
    img = np.full((1400, 1000), 245, np.uint8)
    for y in range(100, 1300, 40):
        cv2.putText(img, "testo senza tabella", (60, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 20, 2)
    assert find_grids(rule_mask(img)) == []


@pytest.mark.parametrize("angle", [-1.2, 0.4, 2.0])
def test_estimate_skew_recovers_a_rotation(angle):
    img = np.full((1400, 1000), 250, np.uint8)
    for y in range(80, 1320, 36):
        cv2.putText(img, "Soglia minima risultato atteso 100%", (40, y), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 15, 2)
    rotated = _rotate(img, angle)
    assert estimate_skew(rotated) == pytest.approx(-angle, abs=0.1)


def test_native_dpi_of_the_scan_is_its_image_resolution():
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(SCAN))
    try:
        page = pdf[0]
        assert ocr_mod.native_dpi(page) == pytest.approx(200, abs=2)
        page.close()
    finally:
        pdf.close()


def test_numeric_columns_read_digit_lookalikes_as_digits():
    from extractors.layout import Word
    from extractors.ocr import _fix_numeric_columns

    def cell(*texts: str) -> list[list[Word]]:
        return [[Word(t, 1) for t in texts]]

    cells = {
        (0, 0, 0): cell("N."), (0, 1, 0): cell("10"), (0, 2, 0): cell("ll"), (0, 3, 0): cell("12"),
        (0, 4, 0): cell("2O"),
        (0, 0, 1): cell("Obiettivo"), (0, 1, 1): cell("Il", "piano"), (0, 2, 1): cell("I"),
        (0, 3, 1): cell("testo"), (0, 4, 1): cell("lo", "stato"),
    }
    _fix_numeric_columns(cells)
    text = {k: " ".join(w.text for ws in v for w in ws) for k, v in cells.items()}
    assert [text[(0, r, 0)] for r in range(5)] == ["N.", "10", "11", "12", "20"]
    # A text column keeps its words, even those that look like digits.
    assert [text[(0, r, 1)] for r in range(5)] == ["Obiettivo", "Il piano", "I", "testo", "lo stato"]
