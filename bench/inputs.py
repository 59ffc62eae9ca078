"""Per input kind: field accuracy of the objective cards, and the OCR's character error rate.

The same plan (Chiari 2025) as four kinds of input, each through ``read_document`` (``--ocr
auto``) and the card reader:

- **digital**: the typed PDF;
- **scan 200 dpi / scan 150 dpi**: the PDF printed and scanned (tests/scansim.py: gray JPEG,
  skew, noise), no layer; the 150 dpi one with stronger JPEG compression (quality 60) and skew
  (0.7 degrees);
- **searchable scan, poor layer**: page images with a scanner's invisible OCR layer of poor
  quality (tests/searchable.py), which the reader must judge and re-read;
- **searchable scan, OCRmyPDF**: the 200 dpi scan through ``ocrmypdf -l ita`` (a real searchable
  scan; skipped with a message when OCRmyPDF is not installed);
- **OCR text**: the plan's published OCR text file (tests/data/chiari-2025.ocr.txt).

Field accuracy counts the expected fields of the cards on the pages read (tests/fieldcompare.py,
strict). CER is that of the pages' text against the digital PDF's text layer, both laid out as
visual rows (bench/ocr.py); the OCR text file has no page geometry, so no CER.

``PIAO_BENCH_PAGES=8-15`` limits the PDFs to those pages (default: all 49, ~15-25 min of OCR on
two cores).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.ocr import DIGITAL, ROOT, corpus_cer, reference_pages

OCR_TXT = ROOT / "tests" / "data" / "chiari-2025.ocr.txt"


def _pages(total: int) -> list[int]:
    spec = os.environ.get("PIAO_BENCH_PAGES", "")
    if "-" in spec:
        a, b = (int(x) for x in spec.split("-", 1))
        return list(range(max(1, a), min(total, b) + 1))
    return list(range(1, total + 1))


def _subset(src: Path, pages: list[int], dst: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    reader = PdfReader(str(src))
    for n in pages:
        writer.add_page(reader.pages[n - 1])
    with open(dst, "wb") as fh:
        writer.write(fh)
    return dst


def _accuracy(doc, numbers: set[int] | None) -> tuple[str, set[int]]:
    from extractors.cards import parse_cards
    from tests.fieldcompare import compare_objectives, load_expected

    cards = parse_cards(doc, 2025)
    expected = load_expected()
    if numbers is not None:
        expected = [o for o in expected if o["number"] in numbers]
    right, total, _ = compare_objectives([c for c in cards if numbers is None or c.number in numbers], expected)
    return f"{right}/{total} ({100 * right / max(1, total):.1f}%)", {c.number for c in cards}


class _Skipped(Exception):
    pass


def _ocrmypdf(scan: Path, dst: Path) -> Path:
    """``dst``: ``scan`` made searchable by OCRmyPDF (Italian, two jobs, plain PDF output)."""
    import subprocess

    from bench.scans import ocrmypdf_command

    command = ocrmypdf_command()
    if command is None:
        raise _Skipped("ocrmypdf is not installed (pip install ocrmypdf, or the dev extra)")
    subprocess.run([*command, "-q", "-l", "ita", "--jobs", "2", "--output-type", "pdf", str(scan), str(dst)],
                   check=True, capture_output=True)
    return dst


def run() -> list[tuple[str, str]]:
    import pypdfium2 as pdfium

    from extractors.read import read_document
    from extractors.textlayer import page_modes
    from tests.scansim import simulate_scan
    from tests.searchable import make_searchable

    total = len(pdfium.PdfDocument(str(DIGITAL)))
    pages = _pages(total)
    out: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        digital = DIGITAL if len(pages) == total else _subset(DIGITAL, pages, tmp / "digital.pdf")
        ref = reference_pages(digital, list(range(1, len(pages) + 1)))
        t0 = time.perf_counter()
        typed = read_document(str(digital))
        numbers = None if len(pages) == total else _accuracy(typed, None)[1]  # the cards on those pages
        figure, _ = _accuracy(typed, numbers)
        out.append((f"digital PDF, pages {pages[0]}-{pages[-1]}: fields", f"{figure}  ({time.perf_counter() - t0:.0f} s)"))
        kinds = [("scan 200 dpi (scansim)", lambda p: simulate_scan(digital, p)),
                 ("scan 150 dpi (scansim, JPEG q60, 0.7 deg)",
                  lambda p: simulate_scan(digital, p, dpi=150, jpeg_quality=60, angle=0.7, seed=7)),
                 ("searchable scan, poor layer", lambda p: make_searchable(digital, p, list(range(1, len(pages) + 1)))),
                 ("searchable scan, OCRmyPDF", lambda p: _ocrmypdf(simulate_scan(digital, tmp / "scan.pdf"), p))]
        for label, make in kinds:
            try:
                path = make(tmp / "input.pdf")
            except _Skipped as why:
                out.append((f"{label}: skipped", str(why)))
                continue
            t0 = time.perf_counter()
            doc = read_document(str(path))
            seconds = time.perf_counter() - t0
            figure, _ = _accuracy(doc, numbers)
            cer, _ = corpus_cer(doc.pages, ref)
            modes = page_modes(doc)
            kinds_read = ", ".join(f"{m} {sum(1 for v in modes.values() if v == m)}" for m in sorted(set(modes.values())))
            out.append((f"{label}: fields", f"{figure}  ({seconds:.0f} s; pages {kinds_read})"))
            out.append((f"{label}: CER vs digital text layer", f"{cer * 100:.2f}%"))
        t0 = time.perf_counter()
        figure, _ = _accuracy(read_document(str(OCR_TXT)), None)
        out.append(("OCR text file (whole plan): fields", f"{figure}  ({time.perf_counter() - t0:.0f} s)"))
        out.append(("OCR text file: CER vs digital text layer", "n/a (no page geometry)"))
    return out


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:<60} {figure}")
