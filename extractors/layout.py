"""The geometry every back-end produces: words and lines that know their page and box.

Back-ends (pdfplumber, python-docx, Tesseract, plain OCR text) turn a file into a
:class:`Document`; the plan parser reads only this, so every input format gives the same record.
Coordinates are PDF points from the page's top-left corner; back-ends without geometry
(DOCX, plain text) leave boxes at zero and keep only the reading order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    page: int  # 1-based
    x0: float = 0.0
    top: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0


@dataclass(frozen=True, slots=True)
class Line:
    """A line of text in reading order. ``words`` may be empty for back-ends without geometry."""

    text: str
    page: int
    x0: float = 0.0
    top: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class Table:
    """A ruled table: rows of cell texts (``None`` for a merged/empty cell)."""

    page: int
    rows: tuple[tuple[str | None, ...], ...]
    bbox: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    #: Each cell's box, row by row (``None`` where a merged cell leaves a hole), when known.
    cells: tuple[tuple[tuple[float, float, float, float] | None, ...], ...] = ()


@dataclass(slots=True)
class Page:
    number: int  # 1-based
    width: float = 0.0
    height: float = 0.0
    lines: list[Line] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    ocr: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(slots=True)
class Document:
    path: str
    sha256: str
    format: Literal["pdf", "docx", "text"]
    pages: list[Page] = field(default_factory=list)
    #: How pages with a scanner's OCR layer were read ("ocr-layer", "ocr-layer-rejected"), by
    #: page number; see :func:`extractors.textlayer.page_modes`.
    page_modes: dict[int, str] = field(default_factory=dict)
    #: The document's blocks as printed (``pipeline.record.Block``: paragraphs, list items,
    #: tables, page breaks, sections), when the back-end could tell them; None otherwise.
    blocks: list | None = None

    @property
    def ocr_pages(self) -> list[int]:
        return [p.number for p in self.pages if p.ocr]

    def lines(self) -> list[Line]:
        return [line for page in self.pages for line in page.lines]


def sha256_of(path: str) -> str:
    """SHA-256 of a file, read in 1 MiB blocks: the plan's identity in the record and the caches."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def line_of(words: list[Word] | tuple[Word, ...]) -> Line:
    """One line from its words (already in reading order): text joined by spaces, box around them."""
    words = tuple(words)
    return Line(
        text=" ".join(w.text for w in words),
        page=words[0].page,
        x0=min(w.x0 for w in words),
        top=min(w.top for w in words),
        x1=max(w.x1 for w in words),
        bottom=max(w.bottom for w in words),
        words=words,
    )


def words_to_lines(words: list[Word], tolerance_pt: float = 3.0, tolerance_share: float = 0.3) -> list[Line]:
    """Group words into visual lines, each left to right.

    A word joins the current line when its ``top`` is within ``tolerance_pt`` points, or
    ``tolerance_share`` of the line's first word height, of that word's ``top``; so cells side by
    side in a table read as one line, as pdfplumber's own text extraction reads them.
    """
    rows: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.top, w.x0)):
        if rows:
            ref = rows[-1][0]
            if abs(w.top - ref.top) <= max(tolerance_pt, tolerance_share * (ref.bottom - ref.top)):
                rows[-1].append(w)
                continue
        rows.append([w])
    return [line_of(sorted(r, key=lambda w: w.x0)) for r in rows]

