"""OCR back-end: render PDF pages with pypdfium2, preprocess, read them with Tesseract (Italian).

Public API:

- :func:`check_tesseract` — raise ``InputError`` with the install hint when Tesseract or its
  Italian model is missing (result cached per ``tesseract`` executable).
- :func:`ocr_pdf_pages` — OCR the given 1-based pages of a PDF into layout
  :class:`~extractors.layout.Page` objects (``ocr=True``), word boxes in PDF points from the
  page's top-left corner, like pdfplumber's.

Per page: render (at the scan's own resolution when lower than ``dpi``), deskew, find ruled tables
and erase their rules, whiten shading (extractors/preprocess.py; each step kept because it
measurably lowered the error rate). Ruled tables are read cell by cell -- all cells of a page in
one Tesseract call over a list of cell images -- into ``Page.tables`` (rows of cell texts, like
pdfplumber's), and their words join ``Page.lines`` as visual rows; the rest of the page goes to
Tesseract through stdin as PGM. Rules and shading are what made whole-page OCR of tables fail
(lone digits dropped, cells garbled); cell by cell they read almost exactly.

Pages run in parallel: rendering stays in the calling thread (pdfium is not thread-safe) and each
rendered page is handed to a thread pool of ``os.cpu_count()`` workers that preprocess it and run
the ``tesseract`` CLI as a subprocess with ``OMP_THREAD_LIMIT=1`` (one core per page: Tesseract's
own OpenMP threading scales worse than page-level parallelism); a page's table cells are a
separate pool task, which evens out the load.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from extractors.backends import ReadOptions
from extractors.layout import Line, Page, Table, Word, line_of, words_to_lines
from extractors.preprocess import DEFAULT_STEPS, Cell, Grid, Steps, prepare_page
from pipeline.deadline import check as deadline_check
from pipeline.errors import InputError
from pipeline.limits import LIMITS

LANG = "ita"
# Page segmentation mode for the text outside ruled tables. Measured on the scanned fixture
# (10 pages, deskew + rule removal + cell-by-cell tables; CER with dot leaders collapsed):
# psm 3 (auto layout) 0.44%, psm 4 (one column) 0.41%, psm 6 (one uniform block) 0.26% and 3%
# less CPU; cards 1-3 of the scan 100% with each. psm 6 also gives visual rows, as a text-layer
# PDF does, so both back-ends feed the parser the same line shapes. Multi-column prose would be
# read row by row (as pdfplumber reads it too).
DEFAULT_PSM = 6
MIN_WORD_CONF = 0.0  # Tesseract gives -1 to non-word rows; real words are 0..100
# A scan below OcrOptions.min_dpi is rendered at this many times its own resolution. Measured on
# the Valmorena plan scanned at 150 dpi (JPEG quality 60, tests/scansim.py): rendered at 200 dpi,
# Tesseract reads the small "≥" of "≥ 50%" as "2" ("250%", "2 10%": 10 target values wrong of
# 82, 222/233 acceptance fields); at 300 dpi as "=" (the number right), for ~45% more OCR time
# on those pages only. 200 dpi scans are read at their own resolution as before.
LOW_RES_ZOOM = 2.0
#: ...when its resolution is below this share of min_dpi (a 200 dpi scan measures 199.9 dpi).
LOW_RES_SHARE = 0.9

# pdfium is not thread-safe, not even across documents: every pdfium call of this module holds
# this lock (rendering stays in the calling thread; only Tesseract and OpenCV run in the pool).
_PDFIUM_LOCK = threading.RLock()

INSTALL_HINT = (
    "serve l'OCR ma Tesseract o il modello italiano non è installato: "
    "apt-get install tesseract-ocr tesseract-ocr-ita"
)


@dataclass(frozen=True, slots=True)
class OcrOptions:
    """Knobs of the OCR path (defaults = the measured best on the fixture)."""

    psm: int = DEFAULT_PSM
    steps: Steps = DEFAULT_STEPS
    min_conf: float = MIN_WORD_CONF
    native_resolution: bool = True  # render a scanned page at its own resolution when lower
    min_dpi: int = 200  # ...but never below this (small x-heights hurt Tesseract)
    tables: bool = True  # read ruled tables cell by cell into Page.tables


# ---------------------------------------------------------------------------------------------
# Tesseract availability


@functools.lru_cache(maxsize=8)
def _has_italian(exe: str) -> bool:
    try:
        out = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    langs = {ln.strip() for ln in (out.stdout + "\n" + out.stderr).splitlines()}
    return LANG in langs


def check_tesseract(path: str = "tesseract") -> None:
    """Raise ``InputError(path, hint)`` unless ``tesseract`` is on PATH with the ``ita`` model.

    ``path`` names the input file in the error line (the file that needed OCR). The check is
    cached per resolved executable, so a changed PATH is honoured.
    """
    exe = shutil.which("tesseract")
    if exe is None or not _has_italian(exe):
        raise InputError(path, INSTALL_HINT)


# ---------------------------------------------------------------------------------------------
# Tesseract call and TSV parsing


def _tesseract_env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _encode_pgm(gray: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".pgm", gray)
    if not ok:  # pragma: no cover - cv2 always encodes a uint8 2-D array
        raise RuntimeError("cannot encode page image")
    return buf.tobytes()


def run_tesseract_tsv(image: bytes | str, *, psm: int, dpi: int, timeout: float) -> str:
    """Run ``tesseract IMAGE stdout -l ita --psm N tsv`` and return the TSV.

    ``image`` is an encoded image (sent through stdin) or the path of a file listing image paths
    one per line (Tesseract then reads them all with one model load; TSV ``page_num`` = position
    in the list). Raises ``subprocess.TimeoutExpired`` on timeout and ``RuntimeError`` on failure.
    """
    source = image if isinstance(image, str) else "stdin"
    data = None if isinstance(image, str) else image
    cmd = ["tesseract", source, "stdout", "-l", LANG, "--psm", str(psm), "--dpi", str(dpi), "tsv"]
    proc = subprocess.run(
        cmd, input=data, capture_output=True, timeout=timeout, env=_tesseract_env(), check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class TsvWord:
    image: int  # 1-based position of the image in the Tesseract call
    key: tuple[int, int, int]  # (block, paragraph, line)
    left: int
    top: int
    right: int
    bottom: int
    conf: float
    text: str


def tsv_words(tsv: str, min_conf: float = MIN_WORD_CONF) -> list[TsvWord]:
    """Word rows (level 5) of a Tesseract TSV, in Tesseract's reading order; rows of the other
    levels carry confidence -1 and are skipped, as are empty words and words below ``min_conf``."""
    out: list[TsvWord] = []
    for row in tsv.splitlines()[1:]:  # first row is the header
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        try:
            conf = float(cols[10])
            image, block, par, line = int(cols[1]), int(cols[2]), int(cols[3]), int(cols[4])
            left, top, width, height = int(cols[6]), int(cols[7]), int(cols[8]), int(cols[9])
        except ValueError:
            continue
        if not text or conf < min_conf:
            continue
        out.append(TsvWord(image, (block, par, line), left, top, left + width, top + height, conf, text))
    return out


def _word(w: TsvWord, page: int, scale: float, dx: int = 0, dy: int = 0) -> Word:
    return Word(
        text=w.text,
        page=page,
        x0=round((w.left + dx) * scale, 2),
        top=round((w.top + dy) * scale, 2),
        x1=round((w.right + dx) * scale, 2),
        bottom=round((w.bottom + dy) * scale, 2),
    )


def parse_tsv(tsv: str, page: int, scale: float, min_conf: float = MIN_WORD_CONF) -> list[Line]:
    """Turn Tesseract TSV into lines of words; ``scale`` converts pixels to PDF points.

    Words are grouped by (block, paragraph, line) numbers, in Tesseract's reading order.
    """
    groups: dict[tuple[int, int, int, int], list[Word]] = {}
    for w in tsv_words(tsv, min_conf):
        groups.setdefault((w.image, *w.key), []).append(_word(w, page, scale))
    return [line_of(ws) for ws in groups.values()]


def visual_lines(words: list[Word]) -> list[Line]:
    """Group words into visual rows (``top`` within half a word height), each left to right —
    the same reading a text-layer PDF gives for a table, cells side by side on one line."""
    return words_to_lines(words, tolerance_pt=3.0, tolerance_share=0.5)


# ---------------------------------------------------------------------------------------------
# Ruled tables: every cell read on its own

CELL_PAD = 10  # px of white margin around a cell crop (Tesseract wants a border)
CELL_INSET = 2  # px trimmed from the cell edges (rule remnants)
CELL_MIN_INK = 8  # dark pixels below which a cell is empty
CELL_PSM = 6  # a cell is one uniform block of text


def _cell_crop(gray: np.ndarray, cell: Cell) -> np.ndarray | None:
    crop = gray[cell.y0 + CELL_INSET : cell.y1 - CELL_INSET, cell.x0 + CELL_INSET : cell.x1 - CELL_INSET]
    if crop.size == 0 or int((crop < 128).sum()) < CELL_MIN_INK:
        return None
    return cv2.copyMakeBorder(crop, CELL_PAD, CELL_PAD, CELL_PAD, CELL_PAD, cv2.BORDER_CONSTANT, value=255)


NUMERIC_CELL = re.compile(r"^[\d.,:%€+\-/ ]+$")
LOOKALIKE_CELL = re.compile(r"^(?=.*\d|[lI|]{1,2}$)[\dlI|oO.,%]+$")
LOOKALIKES = str.maketrans({"l": "1", "I": "1", "|": "1", "o": "0", "O": "0"})
NUMERIC_COLUMN_SHARE = 0.6


def _fix_numeric_columns(cell_lines: dict[tuple[int, int, int], list[list[Word]]]) -> None:
    """In a column whose cells are mostly numbers, read letters that look like digits as digits
    ("ll" -> "11", "2O" -> "20"): Tesseract's dictionary pulls a lone "11" towards "ll"."""
    columns: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for key in cell_lines:
        columns.setdefault((key[0], key[2]), []).append(key)
    for keys in columns.values():
        texts = {k: " ".join(w.text for ws in cell_lines[k] for w in ws) for k in keys}
        filled = [t for t in texts.values() if t.strip()]
        numeric = sum(1 for t in filled if NUMERIC_CELL.match(t))
        lookalike = sum(1 for t in filled if not NUMERIC_CELL.match(t) and LOOKALIKE_CELL.match(t))
        if not numeric or numeric + lookalike < NUMERIC_COLUMN_SHARE * len(filled):
            continue
        for k in keys:
            if NUMERIC_CELL.match(texts[k]) or not all(
                LOOKALIKE_CELL.match(w.text) for ws in cell_lines[k] for w in ws
            ):
                continue
            cell_lines[k] = [
                [dataclasses.replace(w, text=w.text.translate(LOOKALIKES)) for w in ws] for ws in cell_lines[k]
            ]


def ocr_tables(
    gray: np.ndarray, grids: list[Grid], page: int, *, dpi: int, scale: float, timeout: float,
    min_conf: float = MIN_WORD_CONF,
) -> tuple[list[Table], list[list[Word]]]:
    """OCR every non-empty cell of ``grids`` in one Tesseract call (a list of cell images).

    Returns the tables (rows of cell texts, lines joined by newlines; ``None`` where a merged
    cell spans the grid position, ``""`` for an empty cell) and, per table, its words in page
    coordinates (PDF points).
    """
    jobs: list[tuple[int, Cell]] = []  # (grid index, cell) per image, in list order
    with tempfile.TemporaryDirectory(prefix="piao-ocr-") as tmp:
        names = []
        for g_index, grid in enumerate(grids):
            for cell in grid.cells:
                crop = _cell_crop(gray, cell)
                if crop is None:
                    continue
                name = os.path.join(tmp, f"c{len(jobs):04d}.pgm")
                cv2.imwrite(name, crop)
                names.append(name)
                jobs.append((g_index, cell))
        words_by_image: dict[int, list[TsvWord]] = {}
        if jobs:
            listing = os.path.join(tmp, "cells.txt")
            with open(listing, "w", encoding="utf-8") as fh:
                fh.write("\n".join(names) + "\n")
            for w in tsv_words(run_tesseract_tsv(listing, psm=CELL_PSM, dpi=dpi, timeout=timeout), min_conf):
                words_by_image.setdefault(w.image, []).append(w)
    # Words per cell (grid index, row, col) -> lines of words, in Tesseract's order.
    cell_lines: dict[tuple[int, int, int], list[list[Word]]] = {}
    for image, (g_index, cell) in enumerate(jobs, start=1):
        dx, dy = cell.x0 + CELL_INSET - CELL_PAD, cell.y0 + CELL_INSET - CELL_PAD
        lines: dict[tuple[int, int, int], list[Word]] = {}
        for w in words_by_image.get(image, []):
            lines.setdefault(w.key, []).append(_word(w, page, scale, dx, dy))
        cell_lines[(g_index, cell.row, cell.col)] = list(lines.values())
    _fix_numeric_columns(cell_lines)
    tables: list[Table] = []
    table_words: list[list[Word]] = [[] for _ in grids]
    for (g_index, _r, _c), lines_ in cell_lines.items():
        table_words[g_index].extend(w for ws in lines_ for w in ws)
    for g_index, grid in enumerate(grids):
        rows: list[list[str | None]] = [[None] * grid.n_cols for _ in range(grid.n_rows)]
        for cell in grid.cells:
            lines_ = cell_lines.get((g_index, cell.row, cell.col), [])
            rows[cell.row][cell.col] = "\n".join(" ".join(w.text for w in ws) for ws in lines_)
        tables.append(
            Table(
                page=page,
                rows=tuple(tuple(r) for r in rows),
                bbox=tuple(round(v * scale, 2) for v in (grid.x0, grid.y0, grid.x1, grid.y1)),  # type: ignore[arg-type]
            )
        )
    return tables, table_words


# ---------------------------------------------------------------------------------------------
# Pages


def native_dpi(page: pdfium.PdfPage) -> float | None:
    """Resolution of the scan on a page: the pixel density of the largest image covering at
    least half of the page, or ``None`` when there is no such image (a vector page)."""
    width, height = page.get_size()
    page_area = max(1.0, width * height)
    best: tuple[float, float] | None = None  # (area, dpi)
    for obj in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        area = max(0.0, right - left) * max(0.0, top - bottom)
        px_w, px_h = obj.get_px_size()
        if area < 0.5 * page_area or px_w <= 0 or px_h <= 0:
            continue
        # Bounds are axis-aligned in page space; an image rotated by 90 degrees swaps its axes.
        w_pt, h_pt = right - left, top - bottom
        if (px_w >= px_h) != (w_pt >= h_pt):
            px_w, px_h = px_h, px_w
        dpi = min(px_w / (w_pt / 72.0), px_h / (h_pt / 72.0))
        if best is None or area > best[0]:
            best = (area, dpi)
    return best[1] if best else None


def page_dpi(page: pdfium.PdfPage, dpi: int, options: OcrOptions) -> int:
    """Rendering resolution for ``page``: ``dpi``, lowered to the scan's own resolution when that
    is lower (rendering above it adds pixels but no detail, and Tesseract's time grows with the
    pixel count), never below ``options.min_dpi``. A scan clearly below ``options.min_dpi``
    (``LOW_RES_SHARE``) is rendered at ``LOW_RES_ZOOM`` times its resolution (capped by ``dpi``):
    a 150 dpi scan at 300 dpi."""
    if not options.native_resolution:
        return dpi
    native = native_dpi(page)
    if native is None:
        return dpi
    if native < LOW_RES_SHARE * options.min_dpi:  # a low-resolution scan (150 dpi): enlarged
        return int(round(min(dpi, max(native * LOW_RES_ZOOM, options.min_dpi))))
    return int(round(min(dpi, max(native, options.min_dpi))))


def bounded_dpi(path: str, number: int, width_pt: float, height_pt: float, dpi: int) -> int:
    """``dpi``, lowered so the rendered page stays within ``LIMITS.max_render_pixels``; a page
    larger than the PDF limit, or one that would need less than ``LIMITS.min_ocr_dpi``, is refused
    (a blank 20000 x 20000 pt page at 300 dpi is 7 billion pixels)."""
    w, h = abs(float(width_pt)), abs(float(height_pt))
    side = LIMITS.max_page_side_pt
    if not (np.isfinite(w) and np.isfinite(h)) or w > side or h > side:
        raise InputError(path, f"la pagina {number} misura {w:g} × {h:g} punti, oltre il limite di {side:g} "
                               "punti per lato")
    area_in2 = max(w, 1.0) * max(h, 1.0) / (72.0 * 72.0)
    fit = int((LIMITS.max_render_pixels / area_in2) ** 0.5)
    if fit < min(dpi, LIMITS.min_ocr_dpi):
        raise InputError(path, f"la pagina {number} è troppo grande per l'OCR ({w:g} × {h:g} punti)")
    return min(dpi, fit)


def render_page(pdf: pdfium.PdfDocument, number: int, dpi: int) -> np.ndarray:
    """Render 1-based page ``number`` as a grayscale uint8 image at ``dpi``."""
    page = pdf[number - 1]
    try:
        bitmap = page.render(scale=dpi / 72.0, grayscale=True)
        arr = bitmap.to_numpy()
        img = np.array(arr[:, :, 0] if arr.ndim == 3 else arr, dtype=np.uint8, copy=True)
    finally:
        page.close()
    return img


def _timeout_error(path: str, number: int, timeout: float) -> InputError:
    return InputError(path, f"OCR della pagina {number} oltre il tempo massimo ({timeout:g} s)")


def _failed_error(path: str, number: int, err: Exception) -> InputError:
    return InputError(path, f"OCR della pagina {number} non riuscito: {err}")


@dataclass(slots=True)
class _PageJob:
    """One page on its way through the pool: text OCR done here, tables maybe in another task."""

    number: int
    width: float
    height: float
    lines: list[Line]
    tables: Future[tuple[list[Table], list[list[Word]]]] | None


def _ocr_page_job(
    img: np.ndarray,
    number: int,
    *,
    dpi: int,
    options: OcrOptions,
    timeout: float,
    path: str,
    pool: ThreadPoolExecutor | None,
) -> _PageJob:
    """Preprocess a rendered page, hand its ruled tables to the pool (or read them here when
    ``pool`` is None) and read the rest of the page as a whole."""
    start = time.monotonic()
    gray, grids = prepare_page(img, options.steps, dpi)
    eff_dpi = int(round(dpi * options.steps.scale))
    to_points = 72.0 / (dpi * options.steps.scale)
    tables: Future[tuple[list[Table], list[list[Word]]]] | None = None
    if grids and options.tables:

        def read_tables() -> tuple[list[Table], list[list[Word]]]:
            try:
                return ocr_tables(gray, grids, number, dpi=eff_dpi, scale=to_points, timeout=timeout,
                                  min_conf=options.min_conf)
            except subprocess.TimeoutExpired:
                raise _timeout_error(path, number, timeout) from None
            except RuntimeError as err:
                raise _failed_error(path, number, err) from None

        if pool is not None:
            tables = pool.submit(read_tables)  # never waited on inside the pool: no deadlock
        else:
            tables = Future()
            tables.set_result(read_tables())
        text_img = gray.copy()
        for g in grids:
            text_img[g.y0 : g.y1, g.x0 : g.x1] = 255
    else:
        text_img = gray
    try:
        tsv = run_tesseract_tsv(
            _encode_pgm(text_img), psm=options.psm, dpi=eff_dpi,
            timeout=max(0.05, timeout - (time.monotonic() - start)),
        )
    except subprocess.TimeoutExpired:
        raise _timeout_error(path, number, timeout) from None
    except RuntimeError as err:
        raise _failed_error(path, number, err) from None
    h, w = gray.shape[:2]
    return _PageJob(number, round(w * to_points, 2), round(h * to_points, 2),
                    parse_tsv(tsv, number, to_points, options.min_conf), tables)


def _finish(job: _PageJob) -> Page:
    """Assemble a page: table words join the text lines as visual rows at the table's place."""
    lines = job.lines
    tables: list[Table] = []
    if job.tables is not None:
        tables, table_words = job.tables.result()
        for table, words in zip(tables, table_words):
            if words:
                at = next((k for k, ln in enumerate(lines) if ln.top >= table.bbox[1]), len(lines))
                lines[at:at] = visual_lines(words)
    return Page(number=job.number, width=job.width, height=job.height, lines=lines, tables=tables, ocr=True)


def ocr_image(
    img: np.ndarray,
    number: int,
    *,
    dpi: int,
    options: OcrOptions | None = None,
    timeout: float = ReadOptions().page_timeout,
    path: str = "",
) -> Page:
    """Preprocess and OCR one rendered page image (``dpi`` = its rendering resolution), in the
    calling thread.

    Ruled tables found while removing rules are read cell by cell (:func:`ocr_tables`) and
    blanked out of the page image, whose remaining text is read as a whole; the table's words
    join the page's lines as visual rows at the table's place, as a text-layer PDF gives them.
    """
    job = _ocr_page_job(img, number, dpi=dpi, options=options or OcrOptions(), timeout=timeout, path=path,
                        pool=None)
    return _finish(job)


def _counter(progress, total: int):
    """A future's done-callback counting finished pages into ``progress("ocr", done, total)``."""
    if progress is None:
        return None
    lock, done = threading.Lock(), [0]

    def report(future: Future) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        with lock:
            done[0] += 1
            progress("ocr", done[0], total)

    return report


def ocr_pdf_pages(
    path: str,
    pages: list[int],
    *,
    page_timeout: float = ReadOptions().page_timeout,
    dpi: int = 300,
    options: OcrOptions | None = None,
    workers: int | None = None,
    progress=None,
) -> list[Page]:
    """OCR 1-based ``pages`` of the PDF at ``path``; returns one ``Page`` (ocr=True) per page, in
    the order given. ``progress("ocr", done, total)`` is called (from a pool thread) as each
    page is read. Raises ``InputError`` when Tesseract/ita is missing, a page number is out of
    range, the PDF cannot be opened, or a page's OCR exceeds ``page_timeout`` seconds.

    ``dpi`` is the highest rendering resolution; a scanned page is rendered at its own
    resolution when that is lower (``OcrOptions.native_resolution``).
    """
    check_tesseract(path)
    options = options or OcrOptions()
    if not pages:
        return []
    try:
        with _PDFIUM_LOCK:
            pdf = pdfium.PdfDocument(path)
            total = len(pdf)
    except pdfium.PdfiumError as err:
        raise InputError(path, f"PDF illeggibile per l'OCR: {err}") from None
    try:
        bad = [n for n in pages if not 1 <= n <= total]
        if bad:
            raise InputError(path, f"pagina {bad[0]} inesistente (il PDF ha {total} pagine)")
        # Page sizes and resolutions first: a page too large, or too many pixels in all, is refused
        # before anything is rendered.
        plan: dict[int, int] = {}
        total_px = 0
        for number in pages:
            with _PDFIUM_LOCK:
                page = pdf[number - 1]
                try:
                    w_pt, h_pt = page.get_size()
                    use_dpi = bounded_dpi(path, number, w_pt, h_pt, page_dpi(page, dpi, options))
                finally:
                    page.close()
            plan[number] = use_dpi
            total_px += int(w_pt * use_dpi / 72.0) * int(h_pt * use_dpi / 72.0)
        if total_px > LIMITS.max_ocr_pixels:
            raise InputError(path, f"l'OCR richiederebbe {total_px / 1e6:,.0f} milioni di pixel, oltre il limite "
                                   f"di {LIMITS.max_ocr_pixels / 1e6:,.0f} milioni".replace(",", "."))
        n_workers = max(1, workers or os.cpu_count() or 1)
        in_flight = 2 * n_workers + 2  # rendered pages held in memory at most
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            futures: list[Future[_PageJob]] = []
            report = _counter(progress, len(pages))
            try:
                for k, number in enumerate(pages):  # render here (pdfium is single-threaded)
                    deadline_check()  # a time limit that some library swallowed ends here
                    if k >= in_flight:
                        futures[k - in_flight].result()
                    use_dpi = plan[number]
                    with _PDFIUM_LOCK:
                        img = render_page(pdf, number, use_dpi)
                    futures.append(pool.submit(
                        _ocr_page_job, img, number, dpi=use_dpi, options=options, timeout=page_timeout,
                        path=path, pool=pool,
                    ))
                    if report is not None:
                        futures[-1].add_done_callback(report)
                return [_finish(f.result()) for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    finally:
        with _PDFIUM_LOCK:
            pdf.close()
