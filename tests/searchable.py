"""A simulated *searchable* scan: page images with an invisible OCR text layer of poor quality.

Scanners and OCRmyPDF write such files: each page is one image covering the page, with the OCR
text drawn invisibly (render mode 3) on top. Here the image is the page rendered at ``DPI`` as a
JPEG (as a scanner stores it), and the text layer is Tesseract's ``textonly_pdf`` output read
from a much coarser copy of the same image (``LAYER_DPI``), so the layer is deliberately poor
(broken words, lost accents, merged cells) while the image itself is fine: the case where the
pipeline must not trust the layer but read the image again.

``python -m tests.searchable IN.pdf OUT.pdf [FIRST LAST]`` writes one by hand.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image
from pypdf import PdfReader, PdfWriter, Transformation

DPI = 150
JPEG_QUALITY = 60
LAYER_DPI = 75


def _text_layer(image: Image.Image, tmp: Path, k: int) -> PdfReader:
    small = image.resize((max(1, image.width * LAYER_DPI // DPI), max(1, image.height * LAYER_DPI // DPI)),
                         Image.BILINEAR)
    png = tmp / f"layer-{k}.png"
    small.save(png, dpi=(LAYER_DPI, LAYER_DPI))
    base = tmp / f"layer-{k}"
    subprocess.run(["tesseract", str(png), str(base), "-l", "ita", "-c", "textonly_pdf=1", "pdf"],
                   check=True, capture_output=True)
    return PdfReader(str(base) + ".pdf")


def make_searchable(src: str | Path, dst: str | Path, pages: list[int]) -> Path:
    """Write ``dst``: the 1-based ``pages`` of ``src`` as a searchable scan with a poor layer."""
    pdf = pdfium.PdfDocument(str(src))
    writer = PdfWriter()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for k, number in enumerate(pages):
            image = pdf[number - 1].render(scale=DPI / 72).to_pil().convert("L")
            buf = io.BytesIO()
            image.save(buf, format="JPEG", quality=JPEG_QUALITY)
            scan = Image.open(io.BytesIO(buf.getvalue()))
            page_pdf = io.BytesIO()
            scan.save(page_pdf, format="PDF", resolution=DPI)
            page = writer.add_page(PdfReader(page_pdf).pages[0])
            layer = _text_layer(scan, tmp, k).pages[0]
            sx = float(page.mediabox.width) / float(layer.mediabox.width)
            sy = float(page.mediabox.height) / float(layer.mediabox.height)
            page.merge_transformed_page(layer, Transformation().scale(sx, sy))
        writer.add_metadata({"/Producer": "Tesseract 5 (tests.searchable)"})
        with open(dst, "wb") as fh:
            writer.write(fh)
    pdf.close()
    return Path(dst)


if __name__ == "__main__":  # pragma: no cover - a hand tool
    first, last = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (1, len(pdfium.PdfDocument(sys.argv[1])))
    make_searchable(sys.argv[1], sys.argv[2], list(range(first, last + 1)))
