"""PDF back-end on pdfplumber: every word with its page and box, visual lines, ruled tables.

Each page is read once (``extract_words`` + ``find_tables``, the same work as a bare pdfplumber
pass); long documents are split between two processes when a core is idle. Each page must be
read within ``page_timeout`` seconds (SIGALRM in a main thread, a watchdog in other threads). Pages whose text
layer is missing or garbage are handed to the OCR back-end (``--ocr auto``), or every page is
(``--ocr always``).
"""

from __future__ import annotations

import bisect
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from extractors.backends import ReadOptions
from extractors.layout import Document, Line, Page, Table, Word, sha256_of
from extractors.layout import words_to_lines as layout_words_to_lines
from extractors import pdfguard
from pipeline.deadline import check as deadline_check
from pipeline.deadline import deadline
from pipeline.errors import InputError
from pipeline.forking import Forked, can_fork
from pipeline.limits import LIMITS

#: Words whose ``top`` differs by at most this many points (or this share of the word height)
#: belong to the same visual line (pdfplumber's own ``extract_text`` uses 3 points).
LINE_TOLERANCE_PT = 3.0
LINE_TOLERANCE_SHARE = 0.3
#: Below this many pages a second process costs more than it saves.
PARALLEL_MIN_PAGES = 8
#: A core counts as idle when the 1-minute load average leaves at least this much of one free.
IDLE_CORE_SHARE = 0.5
#: Text-layer quality thresholds (``--ocr auto``).
MIN_LETTER_SHARE = 0.45  # letters among the non-space characters
MAX_CID_SHARE = 0.2  # "(cid:NN)" words: glyphs without a Unicode mapping
MAX_REPLACEMENT_SHARE = 0.1  # U+FFFD among the characters
FEW_CHARS = 40  # a page with fewer characters and a page-size image is a scan
IMAGE_AREA_SHARE = 0.5
LEADER_RE = re.compile(r"([.\-_·…=*])\1{2,}")

#: Italian causes for the CLI's one-line error.
MESSAGES = {
    "encrypted": "il PDF è protetto da password",
    "damaged": "il PDF è danneggiato o incompleto",
    "empty": "il file è vuoto",
    "no_pages": "il PDF non contiene pagine",
    "too_many": "il PDF ha {n} pagine, più del massimo consentito ({max})",
    "page_timeout": "la pagina {page} richiede più di {seconds:g} secondi per essere letta",
    "ocr_missing": "servirebbe l'OCR per {n} pagine senza testo, ma il modulo OCR non è disponibile",
    "stream_too_large": "un flusso del PDF si espande oltre il limite di {mb} MB (file anomalo o malevolo)",
    "page_too_large": "la pagina {page} misura {w:g} × {h:g} punti, oltre il limite di {max:g} punti per lato",
    "streams_too_large": "i flussi del PDF si espandono in tutto oltre il limite di {mb} MB (file anomalo o malevolo)",
    "too_many_filters": "un flusso del PDF applica {n} filtri in catena, più del massimo di {max} (file anomalo o malevolo)",
    "page_too_complex": "una pagina del PDF disegna più di {n} oggetti (file anomalo o malevolo)",
    "bad_page_box": "la pagina {page} ha dimensioni non valide",
}


@dataclass(frozen=True, slots=True)
class PageRead:
    """One page as read from the text layer, with the verdict on that layer."""

    page: Page
    usable: bool


# -- errors --------------------------------------------------------------------------------------


def _cause(err: BaseException) -> str:
    """Map a pdfplumber/pdfminer failure to an Italian cause."""
    chain = list(_chain(err))
    # pdfplumber wraps pdfminer's exception as an argument, not as the cause.
    chain += [a for e in chain for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
    names = {type(e).__name__ for e in chain}
    in_all = next((e for e in chain if isinstance(e, pdfguard.StreamsTooLarge)), None)
    if in_all is not None:
        return MESSAGES["streams_too_large"].format(mb=in_all.limit // (1 << 20))
    too_large = next((e for e in chain if isinstance(e, pdfguard.StreamTooLarge)), None)
    if too_large is not None:
        return MESSAGES["stream_too_large"].format(mb=too_large.limit // (1 << 20))
    too_many = next((e for e in chain if isinstance(e, pdfguard.TooManyFilters)), None)
    if too_many is not None:
        return MESSAGES["too_many_filters"].format(n=too_many.count, max=too_many.limit)
    too_complex = next((e for e in chain if isinstance(e, pdfguard.PageTooComplex)), None)
    if too_complex is not None:
        return MESSAGES["page_too_complex"].format(n=f"{too_complex.limit:,}".replace(",", "."))
    text = " ".join(repr(e) for e in chain).lower()
    if names & {"PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning"} or "password" in text:
        return MESSAGES["encrypted"]
    return MESSAGES["damaged"]


def _chain(err: BaseException | None) -> Iterable[BaseException]:
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        yield err
        err = err.__cause__ or err.__context__


def _open(path: str):
    import pdfplumber

    from extractors import pdfobjects  # imports pdfplumber: only when a PDF is read

    pdfguard.install()
    pdfobjects.install()
    pdf = None
    try:
        pdf = pdfplumber.open(path)
        pdf.pages  # noqa: B018 - forces the page tree to be parsed now
    except BaseException as err:
        if pdf is not None:
            _close_quietly(pdf)
        if isinstance(err, Exception) and not isinstance(err, InputError):
            # pdfminer raises many unrelated types for bad files
            raise InputError(path, _cause(err)) from err
        raise
    return pdf


def _close_quietly(pdf) -> None:
    """Close a PDF whose page tree may be what failed (pdfplumber's close walks the pages)."""
    try:
        pdf.close()
    except Exception:  # noqa: BLE001
        stream = getattr(pdf, "stream", None)
        if stream is not None:
            stream.close()


# -- one page ------------------------------------------------------------------------------------


def words_to_lines(words: list[Word]) -> list[Line]:
    """Group a text-layer page's words into visual lines (see :func:`extractors.layout.words_to_lines`)."""
    return layout_words_to_lines(words, LINE_TOLERANCE_PT, LINE_TOLERANCE_SHARE)


def text_layer_usable(words: list[Word], page_area: float = 0.0, image_area: float = 0.0) -> bool:
    """Whether a page's text layer can be trusted, or the page needs OCR."""
    # Dot leaders ("Pag. 3 ........") and rules drawn with characters are not text.
    text = LEADER_RE.sub("", "".join(w.text for w in words))
    if not text:
        return False
    if len(text) < FEW_CHARS and page_area and image_area >= IMAGE_AREA_SHARE * page_area:
        return False
    cid = sum(1 for w in words if "(cid:" in w.text)
    if cid > MAX_CID_SHARE * len(words):
        return False
    if text.count("\ufffd") > MAX_REPLACEMENT_SHARE * len(text):
        return False
    letters = sum(c.isalpha() for c in text)
    return letters >= MIN_LETTER_SHARE * len(text)


def _style(char: dict) -> tuple[str, float]:
    """A character's font without its subset prefix ("BAAAAA+LiberationSans-Bold"), and size."""
    return char["fontname"].split("+", 1)[-1], round(float(char["size"]), 1)


def _italic(font: str) -> bool:
    return "italic" in font.lower() or "oblique" in font.lower()


def _mark_style_breaks(cell: str | None, box: tuple | None, chars: list[dict]) -> str | None:
    """A table cell's text with a blank line where the type changes from one line to the next
    the way a description under a title changes it (a bold title and the italic description
    under it in one cell): to italic, to a smaller size, or to another type for text longer
    than the part above it (a bold code line "OB. 3" over a regular title is no such change:
    the title after it is no description). The PDF keeps no paragraphs in cells, the change of
    type is what tells them apart. Readers that want plain lines drop blank ones
    (``columns._cell_lines``). ``chars`` are sorted by top: a character whose middle stands in
    the box has its top at most half its size above it, and no character of the cell is twice
    as tall as the cell, so the window above the box is the box's own height."""
    if not cell or "\n" not in cell or box is None:
        return cell
    x0, top, x1, bottom = box
    reach = bottom - top
    tops = [c["top"] for c in chars]
    lo, hi = bisect.bisect_left(tops, top - reach), bisect.bisect_right(tops, bottom)
    inside = [c for c in chars[lo:hi] if x0 <= (c["x0"] + c["x1"]) / 2 <= x1
              and top <= (c["top"] + c["bottom"]) / 2 <= bottom and c["text"].strip()]
    lines: list[list[dict]] = []
    for c in inside:  # sorted by top: a new line where the top moves by half a character
        if lines and c["top"] - lines[-1][0]["top"] <= 0.5 * float(c["size"]):
            lines[-1].append(c)
        else:
            lines.append([c])
    texts = [t for t in cell.split("\n")]
    if len(lines) != len(texts) or len(lines) < 2:
        return cell  # the cell's lines and the characters' lines do not pair up: leave it
    styles = [Counter(_style(c) for c in ln).most_common(1)[0][0] for ln in lines]
    changes = [k for k in range(1, len(texts)) if styles[k] != styles[k - 1]]
    out = [texts[0]]
    since = 0  # first line of the current part
    for k in range(1, len(texts)):
        if k in changes:
            (font0, size0), (font1, size1) = styles[k - 1], styles[k]
            until = next((m for m in changes if m > k), len(texts))
            before, after = " ".join(texts[since:k]), " ".join(texts[k:until])
            if (_italic(font1) and not _italic(font0)) or size1 < size0 or len(after) > len(before):
                out.append("")
                since = k
        out.append(texts[k])
    return "\n".join(out)


def _read_page(pl_page, number: int) -> PageRead:
    raw = pl_page.extract_words()
    words = [Word(w["text"], number, float(w["x0"]), float(w["top"]), float(w["x1"]), float(w["bottom"]))
             for w in raw]
    tables = []
    try:
        styled = None
        for t in pl_page.find_tables():
            if styled is None:
                styled = sorted(pl_page.chars, key=lambda c: c["top"])
            rows = tuple(tuple(_mark_style_breaks(cell, box, styled) for cell, box in zip(row, table_row.cells))
                         for row, table_row in zip(t.extract(), t.rows))
            cells = tuple(tuple(tuple(float(v) for v in c) if c is not None else None for c in row.cells)
                          for row in t.rows)
            tables.append(Table(page=number, rows=rows, bbox=tuple(float(v) for v in t.bbox), cells=cells))
    except Exception as err:  # table detection is a help, not a requirement: keep the text
        if any(isinstance(e, pdfguard.REFUSALS) for e in _chain(err)):
            raise
        tables = []
    width, height = float(pl_page.width), float(pl_page.height)
    image_area = 0.0
    if len("".join(w.text for w in words)) < FEW_CHARS:
        image_area = sum(max(0.0, float(i["x1"]) - float(i["x0"])) * max(0.0, float(i["bottom"]) - float(i["top"]))
                         for i in pl_page.images)
    page = Page(number=number, width=width, height=height, lines=words_to_lines(words), tables=tables)
    return PageRead(page, text_layer_usable(words, width * height, image_area))


def _read_pages(path: str, numbers: list[int], page_timeout: float | None = None,
                progress=None) -> list[PageRead]:
    """Read the given 1-based pages of one PDF (runs in the parent or in a worker process)."""
    with pdfguard.stream_budget():  # the document's streams, decoded and kept, in all
        return _read_open_pages(path, numbers, page_timeout, progress)


def _read_open_pages(path: str, numbers: list[int], page_timeout: float | None, progress) -> list[PageRead]:
    pdf = _open(path)
    try:
        out = []
        for n in numbers:
            deadline_check()  # a time limit that some library swallowed ends here
            pl_page = pdf.pages[n - 1]
            try:
                with deadline(page_timeout) as expired:
                    try:
                        check_page_box(path, pl_page, n)
                        out.append(_read_page(pl_page, n))
                    except expired as err:
                        raise InputError(path, MESSAGES["page_timeout"].format(page=n, seconds=page_timeout)) from err
            except InputError:
                raise
            except Exception as err:
                raise InputError(path, _cause(err)) from err
            finally:
                pl_page.close()  # drop the page's cached objects
            if progress is not None:
                progress(n)
        return out
    finally:
        pdf.close()


def _read_in_child(path: str, numbers: list[int], page_timeout: float | None) -> list[PageRead]:
    """The second process's half of the pages (its own name, so a test can make it die)."""
    return _read_pages(path, numbers, page_timeout)


def _can_fork_worker() -> bool:
    # A daemonic process (Dask/Prefect worker) may not have children, and forking a process
    # with other threads running is unsafe.
    return can_fork()


def default_workers() -> int:
    """Two processes when a core is idle; one when the machine is busy (a second process then
    only adds its start-up and pickling cost). ``PIAO_PDF_WORKERS`` overrides."""
    env = os.environ.get("PIAO_PDF_WORKERS")
    if env and env.isdigit():
        return max(1, int(env))
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):
        busy = 0.0
    return 2 if cores >= 2 and busy <= cores - IDLE_CORE_SHARE else 1


def _read_all(path: str, n_pages: int, workers: int, page_timeout: float | None = None,
              progress=None) -> list[PageRead]:
    numbers = list(range(1, n_pages + 1))
    # Pages are reported by number: with two processes this one reads every other page.
    report = (lambda n: progress("read", n, n_pages)) if progress is not None else None
    if workers < 2 or n_pages < PARALLEL_MIN_PAGES or not _can_fork_worker():
        return _read_pages(path, numbers, page_timeout, report)
    # Interleave pages so both halves get a similar mix of text and tables.
    child_pages, own_pages = numbers[1::2], numbers[0::2]
    child = Forked(_read_in_child, path, child_pages, page_timeout)
    try:
        own = _read_pages(path, own_pages, page_timeout, report)
    except BaseException:
        child.cancel()
        raise
    try:
        payload = child.result()
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - the worker failed for a reason of its own (killed, out of memory)
        payload = _read_pages(path, child_pages, page_timeout)  # read its pages here
    return sorted(own + payload, key=lambda r: r.page.number)


# -- the back-end --------------------------------------------------------------------------------


def check_page_box(path: str, pl_page, number: int) -> None:
    """Refuse a page larger than the PDF specification allows (or with a box that is no size at
    all): rendering a 20000 x 20000 pt page for OCR would take gigabytes."""
    try:
        width, height = float(pl_page.width), float(pl_page.height)
    except Exception as err:  # noqa: BLE001 - a box made of anything but numbers
        raise InputError(path, MESSAGES["bad_page_box"].format(page=number)) from err
    if not (math.isfinite(width) and math.isfinite(height)):
        raise InputError(path, MESSAGES["bad_page_box"].format(page=number))
    side = LIMITS.max_page_side_pt
    if abs(width) > side or abs(height) > side:
        raise InputError(path, MESSAGES["page_too_large"].format(page=number, w=abs(width), h=abs(height), max=side))


def count_pages(path: str) -> int:
    with pdfguard.stream_budget():
        pdf = _open(path)
        try:
            return len(pdf.pages)
        finally:
            pdf.close()


def read_pdf(path: str, options: ReadOptions | None = None, *, sha256: str | None = None, progress=None,
             **values) -> Document:
    """Read a PDF into a layout :class:`Document` as ``options`` say (single options may be given
    as keywords on top: ``read_pdf(p, ocr="never")``; see :class:`extractors.backends.ReadOptions`).

    ``progress(stage, done, total)``: see :func:`extractors.read.read_document`."""
    path = str(path)
    options = ReadOptions.resolve(path, options, **values)
    ocr, max_pages, page_timeout, workers = options.ocr, options.max_pages, options.page_timeout, options.workers
    if Path(path).stat().st_size == 0:
        raise InputError(path, MESSAGES["empty"])
    n_pages = count_pages(path)
    if n_pages == 0:
        raise InputError(path, MESSAGES["no_pages"])
    if n_pages > max_pages:
        raise InputError(path, MESSAGES["too_many"].format(n=n_pages, max=max_pages))
    doc = Document(path=path, sha256=sha256 or sha256_of(path), format="pdf")
    if ocr == "always":
        doc.pages = _ocr(path, list(range(1, n_pages + 1)), page_timeout, progress)
        return _repair(doc)
    reads = _read_all(path, n_pages, workers or default_workers(), page_timeout, progress)
    pages = [r.page for r in reads]
    need = [r.page.number for r in reads if not r.usable] if ocr == "auto" else []
    if ocr == "auto":  # a scanner's OCR layer is trusted only when it reads well
        from extractors.textlayer import review_layers

        redo, doc.page_modes = review_layers(path, pages, [r.usable for r in reads])
        need = sorted(set(need) | set(redo))
    if need:
        by_number = {p.number: p for p in _ocr(path, need, page_timeout, progress)}
        pages = [by_number.get(p.number, p) for p in pages]
    doc.pages = pages
    return _repair(doc)


def _repair(doc: Document) -> Document:
    from extractors.pageblocks import page_blocks
    from extractors.spelling import repair_ocr_pages  # OCR'd pages only

    doc = repair_ocr_pages(doc)
    doc.blocks = page_blocks(doc)
    return doc


def _ocr(path: str, pages: list[int], page_timeout: float, progress=None) -> list[Page]:
    try:
        from extractors.ocr import ocr_pdf_pages
    except ImportError as err:
        raise InputError(path, MESSAGES["ocr_missing"].format(n=len(pages))) from err
    extra = {"progress": progress} if progress is not None else {}  # only when someone listens
    return ocr_pdf_pages(path, pages, page_timeout=page_timeout, **extra)
