"""Plain-text back-end: an OCR text file (what a scanner's OCR wrote) as a layout Document.

Such a file has no geometry and usually no page breaks. It is split into pseudo-pages:

- at form feeds (``\\f``) when the file has any: then page numbers are the file's own pages;
- otherwise a new pseudo-page starts at each card banner ("PERFORMANCE ORGANIZZATIVA" on a line
  of its own), and the text before the first card (cover, index, introduction) is cut into
  pseudo-pages of at most ``INTRO_PAGE_LINES`` lines.

Without form feeds, **page numbers are section numbers**, not the printed pages: the record's
``pages`` then say "the n-th section of the text". Lines carry no word boxes and ``x0``/``x1``
are zero; ``top``/``bottom`` hold the line's row number in the file, so a gap between two lines
marks a blank line (a paragraph break, which the card parser uses to tell table cells apart).
``format`` is ``"text"``, so the card parser applies its OCR-tolerant rules. OCR slips are
repaired word by word (:mod:`extractors.spelling`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from extractors.layout import Document, Line, Page
from pipeline.errors import InputError

#: Lines per pseudo-page in the introduction when the file has no form feeds.
INTRO_PAGE_LINES = 60
_BANNER = re.compile(r"^\W*PERFORMANCE\s+ORGANIZZATIVA\W*$", re.IGNORECASE)


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")  # pragma: no cover - latin-1 always decodes


def split_pages(text: str) -> list[list[str]]:
    """The text's lines grouped into (pseudo-)pages; see the module docstring."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\f" in text:
        return [chunk.split("\n") for chunk in text.split("\f")]
    pages: list[list[str]] = [[]]
    seen_card = False
    for raw in text.split("\n"):
        if _BANNER.match(raw.strip()):
            if pages[-1] and any(s.strip() for s in pages[-1]):
                pages.append([])
            seen_card = True
        elif not seen_card and len(pages[-1]) >= INTRO_PAGE_LINES and not raw.strip():
            pages.append([])
        pages[-1].append(raw)
    return pages


def read_text(path: str) -> Document:
    """Read a plain OCR text file into a :class:`Document` (``format="text"``, no boxes)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise InputError(path, "il file non si può leggere") from err
    if not data.strip():
        raise InputError(path, "il file è vuoto")
    text = _decode(data)
    doc = Document(path=str(path), sha256=hashlib.sha256(data).hexdigest(), format="text")
    row = 0
    for number, chunk in enumerate(split_pages(text), start=1):
        lines = []
        for s in chunk:
            row += 1
            if s.strip():
                # top/bottom count text rows (not points): a jump in top marks a blank line
                lines.append(Line(text=s.strip(), page=number, top=float(row), bottom=float(row) + 1.0))
        doc.pages.append(Page(number=number, lines=lines, ocr=True))
    from extractors.spelling import repair_ocr_pages

    return repair_ocr_pages(doc)
