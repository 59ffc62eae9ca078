"""The document back-ends (PDF on pdfplumber, DOCX on python-docx) and read_document's routing.

Real files: examples/chiari-2025.pdf and .docx (the same plan), the scan in tests/data.
Bad inputs are made in tmp_path from the real files (truncated, encrypted, not a zip...).
"""

from __future__ import annotations

import hashlib
import os
import random
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from docx import Document as DocxDocument
from docx.table import Table as DocxTable
from records import expected_record

import extractors.pdf as pdf_backend
from extractors.docx import read_docx
from extractors.layout import Line, Page, Word
from extractors.normalize import fold
from extractors.pdf import read_pdf, text_layer_usable, words_to_lines
from extractors.read import read_document
from pipeline.errors import InputError
from tests.badfiles import encrypted_pdf

ROOT = Path(__file__).resolve().parent.parent
PDF = ROOT / "examples" / "chiari-2025.pdf"
DOCX = ROOT / "examples" / "chiari-2025.docx"
SCAN = ROOT / "tests" / "data" / "chiari-2025-scan-p1-10.pdf"
OCR_TXT = ROOT / "tests" / "data" / "chiari-2025.ocr.txt"


@pytest.fixture(scope="module")
def pdf_doc():
    return read_document(str(PDF))


@pytest.fixture(scope="module")
def docx_doc():
    return read_document(str(DOCX))


def _card_start_pages(doc) -> list[int]:
    return [line.page for line in doc.lines() if fold(line.text).startswith("obiettivo n")]


# -- PDF -----------------------------------------------------------------------------------------


def test_pdf_page_count_and_provenance(pdf_doc):
    assert len(pdf_doc.pages) == len(pdfium.PdfDocument(str(PDF)))
    assert [p.number for p in pdf_doc.pages] == list(range(1, len(pdf_doc.pages) + 1))
    assert pdf_doc.format == "pdf"
    assert pdf_doc.sha256 == hashlib.sha256(PDF.read_bytes()).hexdigest()
    assert pdf_doc.ocr_pages == []  # a digital PDF: every page has a usable text layer


def test_pdf_words_carry_page_and_box(pdf_doc):
    n_words = 0
    for page in pdf_doc.pages:
        assert page.width > 0 and page.height > 0
        for line in page.lines:
            assert line.page == page.number
            assert line.words, "a PDF line keeps its words"
            assert line.text == " ".join(w.text for w in line.words)
            xs = [w.x0 for w in line.words]
            assert xs == sorted(xs), "words of a line run left to right"
            for w in line.words:
                n_words += 1
                assert w.page == page.number
                assert 0 <= w.x0 < w.x1 <= page.width + 1
                assert 0 <= w.top < w.bottom <= page.height + 1
        tops = [line.top for line in page.lines]
        assert tops == sorted(tops), "lines run top to bottom"
    assert n_words > 1000


def test_pdf_landscape_pages_keep_their_size(pdf_doc):
    # The summary table is printed on landscape pages: width > height there.
    summary_pages = {line.page for line in pdf_doc.lines() if "riepilogo obiettivi" in fold(line.text)}
    assert summary_pages
    for n in summary_pages:
        page = pdf_doc.pages[n - 1]
        assert page.width > page.height


def test_pdf_intro_tables_are_found(pdf_doc):
    # The page with the strategicità table holds ruled tables whose rows carry a weight per level.
    heading = next(line for line in pdf_doc.lines() if fold(line.text).startswith("strategicita"))
    tables = pdf_doc.pages[heading.page - 1].tables
    assert len(tables) >= 2
    weights = next(t for t in tables if "strategicita" in fold(t.rows[0][0] or ""))
    assert len(weights.rows) == 1 + len(expected_record().plan.strategic_weights)  # header + one per level
    assert all(len(row) == 2 and row[1] for row in weights.rows[1:])
    bands = next(t for t in tables if "dipendenti" in fold(t.rows[0][0] or ""))
    assert any("tutto il personale" in fold(row[0] or "") for row in bands.rows)
    assert all(t.page == heading.page and t.bbox[2] > t.bbox[0] for t in tables)


def test_parallel_read_equals_serial(monkeypatch):
    monkeypatch.setattr(pdf_backend, "_can_fork_worker", lambda: True)
    n = pdf_backend.PARALLEL_MIN_PAGES + 2
    serial = pdf_backend._read_all(str(PDF), n, workers=1)
    parallel = pdf_backend._read_all(str(PDF), n, workers=2)
    assert [r.page.number for r in parallel] == list(range(1, n + 1))
    assert [(r.page.lines, r.page.tables, r.usable) for r in parallel] == \
        [(r.page.lines, r.page.tables, r.usable) for r in serial]


def test_dead_worker_pages_are_read_by_the_parent(monkeypatch):
    monkeypatch.setattr(pdf_backend, "_can_fork_worker", lambda: True)
    monkeypatch.setattr(pdf_backend, "_read_in_child", lambda *args: os._exit(3))
    n = pdf_backend.PARALLEL_MIN_PAGES
    reads = pdf_backend._read_all(str(PDF), n, workers=2)
    assert [r.page.number for r in reads] == list(range(1, n + 1))
    assert all(r.page.lines for r in reads)


def test_page_timeout_is_an_input_error():
    with pytest.raises(InputError, match="richiede più di"):
        read_pdf(str(PDF), page_timeout=1e-4, workers=1)


def test_page_timeout_holds_in_a_worker_thread_too():
    # Batch runs read plans in task-runner threads, where SIGALRM is not available.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(read_pdf, str(PDF), page_timeout=0.01, workers=1)
        with pytest.raises(InputError, match="richiede più di"):
            future.result(timeout=60)
    # and a generous limit reads the plan
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(read_pdf, str(PDF), page_timeout=60, workers=1).result().pages


def test_words_to_lines_groups_by_top_with_tolerance():
    words = [Word("mondo", 1, 60, 100.8, 90, 110), Word("Ciao", 1, 10, 100, 40, 110),
             Word("sotto", 1, 10, 130, 40, 140)]
    lines = words_to_lines(words)
    assert [line.text for line in lines] == ["Ciao mondo", "sotto"]
    assert lines[0].x0 == 10 and lines[0].x1 == 90


@pytest.mark.parametrize("texts, usable", [
    (["Il", "conseguimento", "degli", "obiettivi", "di", "performance"], True),
    (["1.", "Gli", "obiettivi", "di", "performance" + "." * 80, "Pag.", "3"], True),  # index: dot leaders
    ([], False),
    (["(cid:12)(cid:7)", "(cid:3)", "(cid:44)", "Il"], False),
    (["§$%&", "##@@", "!!??", "|||"], False),
    (["\ufffd\ufffd\ufffd\ufffd", "\ufffd\ufffd"], False),
])
def test_text_layer_usable(texts, usable):
    words = [Word(t, 1, i * 10.0, 0, i * 10.0 + 9, 10) for i, t in enumerate(texts)]
    assert text_layer_usable(words) is usable


def test_image_page_with_a_few_chars_needs_ocr():
    words = [Word("Allegato", 1, 0, 0, 40, 10), Word("2", 1, 45, 0, 50, 10)]
    assert text_layer_usable(words) is True  # a nearly empty digital page
    assert text_layer_usable(words, page_area=1000.0, image_area=900.0) is False  # a scan with a stamp


def test_scan_without_text_layer_and_ocr_never():
    doc = read_pdf(str(SCAN), ocr="never")
    assert len(doc.pages) == len(pdfium.PdfDocument(str(SCAN)))
    assert all(not p.lines for p in doc.pages)
    assert doc.ocr_pages == []


def _fake_ocr(calls):
    def ocr_pdf_pages(path, pages, *, page_timeout=120.0):
        calls.append((path, list(pages), page_timeout))
        return [Page(number=n, lines=[Line(text=f"OCR {n}", page=n)], ocr=True) for n in pages]
    return ocr_pdf_pages


def test_ocr_auto_sends_only_pages_without_text(monkeypatch):
    import extractors.ocr

    calls: list = []
    monkeypatch.setattr(extractors.ocr, "ocr_pdf_pages", _fake_ocr(calls))
    doc = read_pdf(str(SCAN), ocr="auto", page_timeout=7.0)
    n = len(pdfium.PdfDocument(str(SCAN)))
    assert calls == [(str(SCAN), list(range(1, n + 1)), 7.0)]
    assert doc.ocr_pages == list(range(1, n + 1))
    assert doc.pages[0].lines[0].text == "OCR 1"


def test_ocr_always_and_never(monkeypatch):
    import extractors.ocr

    calls: list = []
    monkeypatch.setattr(extractors.ocr, "ocr_pdf_pages", _fake_ocr(calls))
    doc = read_pdf(str(PDF), ocr="always")
    assert calls and calls[0][1] == list(range(1, len(doc.pages) + 1))
    calls.clear()
    read_pdf(str(SCAN), ocr="never")
    assert calls == []


# -- DOCX ----------------------------------------------------------------------------------------


def _body_items(path: Path) -> list[str]:
    """Paragraph texts and each table's first cell, in body order, read independently."""
    items = []
    for item in DocxDocument(str(path)).iter_inner_content():
        if isinstance(item, DocxTable):
            items.append(item.rows[0].cells[0].text.split("\n")[0])
        elif item.text.strip():
            items.append(item.text)
    return [fold(t) for t in items if t.strip()]


def test_docx_keeps_body_order_tables_between_paragraphs(docx_doc):
    lines = [fold(line.text) for line in docx_doc.lines()]
    items = _body_items(DOCX)
    # Every card has its table, so the body interleaves at least that many tables with paragraphs
    # (else the loop below proves nothing).
    n_tables = len(DocxDocument(str(DOCX)).tables)
    assert n_tables >= len(expected_record().objectives) and len(items) > n_tables
    pos = 0
    for item in items:
        # a list paragraph's line begins with its marker as printed ("• obiettivi generali ...")
        found = next((i for i in range(pos, len(lines)) if lines[i].startswith(item[:30])
                      or lines[i].split(" ", 1)[-1].startswith(item[:30])), None)
        assert found is not None, f"out of order or missing: {item[:60]!r}"
        pos = found


def test_docx_tables_and_cell_lines(docx_doc, pdf_doc):
    # The intro tables have the same cells in DOCX and PDF.
    def intro_tables(doc):
        heading = next(line for line in doc.lines() if fold(line.text).startswith("strategicita"))
        return [[tuple(fold(c or "") for c in row) for row in t.rows] for t in doc.pages[heading.page - 1].tables]

    assert intro_tables(docx_doc) == intro_tables(pdf_doc)
    # Table cells are lines too, so a text-only parser sees them.
    checked = 0
    lines = [fold(line.text) for line in docx_doc.lines()]
    for table in (t for p in docx_doc.pages for t in p.tables):
        for row in table.rows:
            cells = [fold(c.split("\n")[0]) for c in row if c]
            if len(cells) >= 2:
                # Row line 1 joins the first paragraph of every cell, left to right.
                assert " ".join(cells) in lines, row
                checked += 1
    assert checked > 50


def test_docx_pages_line_up_with_the_pdf(docx_doc, pdf_doc):
    """Cards start on new pages; the overflow estimate should put them where the PDF has them."""
    pdf_starts, docx_starts = _card_start_pages(pdf_doc), _card_start_pages(docx_doc)
    assert len(docx_starts) == len(pdf_starts) > 0
    same = sum(a == b for a, b in zip(pdf_starts, docx_starts))
    print(f"DOCX card start pages equal to the PDF's: {same}/{len(pdf_starts)}; "
          f"pages {len(docx_doc.pages)} vs {len(pdf_doc.pages)}")
    assert same >= 0.9 * len(pdf_starts)
    assert abs(len(docx_doc.pages) - len(pdf_doc.pages)) <= 2
    assert docx_doc.format == "docx" and docx_doc.ocr_pages == []


def test_docx_explicit_page_breaks(tmp_path):
    d = DocxDocument()
    d.add_paragraph("prima pagina")
    p = d.add_paragraph("seconda")
    p.paragraph_format.page_break_before = True
    run = d.add_paragraph("ancora seconda").add_run()
    run.add_break(__import__("docx.enum.text", fromlist=["WD_BREAK"]).WD_BREAK.PAGE)
    run.add_text("terza")
    path = tmp_path / "breaks.docx"
    d.save(path)
    doc = read_docx(str(path))
    by_text = {line.text: line.page for line in doc.lines()}
    assert by_text == {"prima pagina": 1, "seconda": 2, "ancora seconda": 2, "terza": 3}


# -- read_document: routing and bad inputs -------------------------------------------------------


def test_text_files_go_to_the_text_backend():
    doc = read_document(str(OCR_TXT))
    assert doc.format == "text"
    assert doc.sha256 == hashlib.sha256(OCR_TXT.read_bytes()).hexdigest()
    assert any("obiettivo" in fold(line.text) for line in doc.lines())


@pytest.mark.parametrize("algorithm", ["RC4-40", "AES-128", "AES-256"])
def test_encrypted_fixture_is_really_encrypted(algorithm, tmp_path):
    path = encrypted_pdf(tmp_path / "protetto.pdf", algorithm)
    assert len(pdfium.PdfDocument(str(path), password="segreta")) > 1
    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(str(path))


def _bad_inputs(tmp: Path) -> dict[str, tuple[Path, str]]:
    data = PDF.read_bytes()
    noise = random.Random(2025).randbytes  # the same bytes every run
    cases = {
        "empty pdf": ("vuoto.pdf", b"", "vuoto"),
        "empty docx": ("vuoto.docx", b"", "vuoto"),
        "random bytes pdf": ("rumore.pdf", noise(4096), "danneggiato"),
        "pdf header then noise": ("rumore2.pdf", b"%PDF-1.7\n" + noise(4096), "danneggiato"),
        "truncated pdf": ("tagliato.pdf", data[: len(data) // 2], "danneggiato o incompleto"),
        "pdf without its trailer": ("senza-trailer.pdf", data[: len(data) - 300], "danneggiato"),
        "encrypted pdf (RC4 40-bit)": ("protetto.pdf", encrypted_pdf(tmp / "rc4.pdf", "RC4-40").read_bytes(),
                                       "protetto da password"),
        "docx not a zip": ("finto.docx", noise(2048), "danneggiato"),
        "truncated docx": ("tagliato.docx", DOCX.read_bytes()[:20000], "danneggiato"),
        "png": ("immagine.png", b"\x89PNG\r\n\x1a\n" + noise(100), "formato non supportato"),
        "unknown type": ("dati.csv", b"a,b\n1,2\n", "formato non supportato"),
    }
    out = {}
    for name, (fname, content, cause) in cases.items():
        path = tmp / fname
        path.write_bytes(content)
        out[name] = (path, cause)
    zip_path = tmp / "archivio.docx"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("note.txt", "non è un documento Word")
    out["zip without word/document.xml"] = (zip_path, "word/document.xml")
    return out


def test_bad_inputs_raise_input_error_with_italian_cause(tmp_path):
    for name, (path, cause) in _bad_inputs(tmp_path).items():
        with pytest.raises(InputError) as info:
            read_document(str(path))
        assert cause in info.value.cause, f"{name}: {info.value.cause}"
        assert str(path) in str(info.value), name


def test_missing_file_and_too_many_pages(tmp_path):
    with pytest.raises(InputError, match="file non trovato"):
        read_document(str(tmp_path / "manca.pdf"))
    with pytest.raises(InputError, match="non è un file"):
        read_document(str(tmp_path))
    with pytest.raises(InputError, match="più del massimo"):
        read_document(str(PDF), max_pages=5)


def test_docx_rendered_page_breaks_are_trusted_when_present(tmp_path):
    """A file saved by Word carries w:lastRenderedPageBreak marks: they give the pages."""
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement

    d = DocxDocument()
    for i in range(6):
        d.add_paragraph(f"paragrafo {i}")
    d.paragraphs[3].runs[0]._r.insert(0, OxmlElement("w:lastRenderedPageBreak"))  # overflow here
    d.paragraphs[5].paragraph_format.page_break_before = True  # explicit break, rendered too
    d.paragraphs[5].runs[0]._r.insert(0, OxmlElement("w:lastRenderedPageBreak"))
    run = d.paragraphs[4].add_run()
    run.add_break(WD_BREAK.PAGE)
    run._r.append(OxmlElement("w:lastRenderedPageBreak"))
    run.add_text("dopo l'interruzione")
    path = tmp_path / "word.docx"
    d.save(path)
    pages = {line.text: line.page for line in read_docx(str(path)).lines()}
    assert pages == {"paragrafo 0": 1, "paragrafo 1": 1, "paragrafo 2": 1, "paragrafo 3": 2, "paragrafo 4": 2,
                     "dopo l'interruzione": 3, "paragrafo 5": 4}
