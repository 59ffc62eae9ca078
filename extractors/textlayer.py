"""What a PDF page's text layer is: typed text, or OCR laid invisibly over a page image.

A *searchable scan* (what scanners and OCRmyPDF write) is one image covering each page with the
OCR's words drawn invisibly on top (text render mode 3). Its layer is only as good as the
scanner's OCR, so under ``--ocr auto`` such a layer is judged before it is trusted:

- the **lexicon hit rate**: the share of its alphabetic words (3 letters or more) that the
  Italian lexicon (:mod:`extractors.spelling`) knows;
- the **garbage ratio**: the share of its words that are neither words nor numbers (letters
  mixed with digits or symbols, lone symbols).

A layer below ``MIN_HIT_RATE`` or above ``MAX_GARBAGE`` is rejected and the page read again by
our own OCR, as is a layer over a page image that holds a ruled table (the layer has the words
but not the cells). :func:`page_modes` says how each page was read, for ``plan.json.source``:
``"text"`` (a typed text layer), ``"ocr"`` (our OCR: no usable layer, or ``--ocr always``),
``"ocr-layer"`` (a scanner's OCR layer, judged good and used), ``"ocr-layer-rejected"`` (a
scanner's OCR layer judged poor; the page was OCR'd again), ``"ocr-text"`` (an OCR text file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.layout import Document, Page, line_of

#: An image covering at least this share of the page makes it a page image.
PAGE_IMAGE_SHARE = 0.8
#: At least this share of the page's text objects invisible (render mode 3): an OCR layer.
INVISIBLE_SHARE = 0.5
#: Producers that write OCR layers over page images (lower case).
OCR_PRODUCERS = ("ocrmypdf", "tesseract", "abbyy", "finereader", "omnipage", "readiris", "paperport",
                 "scansnap", "naps2", "kofax", "capture", "scan")
#: Layer quality bars (``--ocr auto``).
MIN_HIT_RATE = 0.96  # the least a typed page of the fixture plans reads (0.963)
MAX_GARBAGE = 0.04
MIN_WORDS = 20  # fewer alphabetic words than this: too little to judge, the layer is kept
#: Resolution at which a page image is searched for ruled tables.
TABLE_CHECK_DPI = 150

_ALPHA = re.compile(r"^[^\W\d_]{3,}$")
_NUMBER = re.compile(r"^[(\[]?[-+]?[€$]?\d[\d.,:/%°€-]*[)\].,;:]?$")
_WORD = re.compile(r"^[(\[\"'“«]?[^\W\d_]+(?:['’-][^\W\d_]+)*[)\]\"'”».,;:!?]*$")
_TRIM = re.compile(r"^[\W_]+|[\W_]+$")


@dataclass(frozen=True, slots=True)
class LayerQuality:
    words: int  # alphabetic words judged
    hit_rate: float
    garbage: float

    @property
    def good(self) -> bool:
        if self.words < MIN_WORDS:
            return True
        return self.hit_rate >= MIN_HIT_RATE and self.garbage <= MAX_GARBAGE


def layer_quality(page: Page) -> LayerQuality:
    """Lexicon hit rate and garbage ratio of a page's text (see the module docstring)."""
    from extractors.spelling import lexicon

    lex = lexicon()
    tokens = [t for line in page.lines for t in line.text.split()]
    garbage = sum(1 for t in tokens if not (_WORD.match(t) or _NUMBER.match(t) or len(t) == 1 and not t.isalnum()
                                            and t in "-–—•·|/+=:;.,%€&*()"))
    alpha = [w.lower() for w in (_TRIM.sub("", t) for t in tokens) if _ALPHA.match(w)]
    if not lex or not alpha:
        return LayerQuality(len(alpha), 1.0, garbage / len(tokens) if tokens else 0.0)
    hits = sum(1 for w in alpha if w in lex)
    return LayerQuality(len(alpha), hits / len(alpha), garbage / len(tokens) if tokens else 0.0)


def ocr_layer_pages(path: str, numbers: list[int]) -> set[int]:
    """The pages among ``numbers`` whose text layer is OCR over a page image: one image covers the
    page and most text is invisible, or the producer is a scanner/OCR tool and an image covers
    the page. Pages that cannot be inspected count as typed text."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    out: set[int] = set()
    try:
        pdf = pdfium.PdfDocument(path)
    except Exception:  # noqa: BLE001 - the text reader has already judged the file readable
        return out
    try:
        producer = " ".join(str(v) for k, v in (pdf.get_metadata_dict() or {}).items()
                            if k in ("Producer", "Creator")).lower()
        by_producer = any(p in producer for p in OCR_PRODUCERS)
        for n in numbers:
            page = pdf[n - 1]
            try:
                if not _has_page_image(page, raw):
                    continue
                texts = invisible = 0
                for obj in page.get_objects(max_depth=2):  # OCRmyPDF puts its layer in a form
                    if obj.type == raw.FPDF_PAGEOBJ_TEXT:
                        texts += 1
                        if raw.FPDFTextObj_GetTextRenderMode(obj.raw) == raw.FPDF_TEXTRENDERMODE_INVISIBLE:
                            invisible += 1
                if texts and (invisible >= INVISIBLE_SHARE * texts or by_producer):
                    out.add(n)
            except Exception:  # noqa: BLE001 - an odd page: judge it as typed text
                continue
            finally:
                page.close()
    finally:
        pdf.close()
    return out


def _has_page_image(page, raw) -> bool:
    """Whether an image drawn by the page itself covers it (a cheap pass over the page's own
    objects through pdfium's C API: a typed page has thousands of text objects)."""
    import ctypes

    width, height = page.get_size()
    area = max(1.0, width * height)
    handle = page.raw
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    for i in range(raw.FPDFPage_CountObjects(handle)):
        obj = raw.FPDFPage_GetObject(handle, i)
        if raw.FPDFPageObj_GetType(obj) != raw.FPDF_PAGEOBJ_IMAGE:
            continue
        if raw.FPDFPageObj_GetBounds(obj, left, bottom, right, top) and \
                (right.value - left.value) * (top.value - bottom.value) >= PAGE_IMAGE_SHARE * area:
            return True
    return False


def _image_has_ruled_table(path: str, number: int) -> bool:
    """Whether the page image holds a ruled table: an OCR layer keeps its words but not its
    cells (the rules are pixels, not lines the text reader can follow), so such a page is read
    by our OCR, which reads a ruled table cell by cell."""
    import pypdfium2 as pdfium

    from extractors.ocr import render_page
    from extractors.preprocess import find_grids, rule_mask

    try:
        pdf = pdfium.PdfDocument(path)
        try:
            return bool(find_grids(rule_mask(render_page(pdf, number, TABLE_CHECK_DPI))))
        finally:
            pdf.close()
    except Exception:  # noqa: BLE001 - cannot render: keep the layer
        return False


def review_layers(path: str, pages: list[Page], usable: list[bool]) -> tuple[list[int], dict[int, str]]:
    """Judge the OCR layers among the usable text-layer ``pages``: returns the pages to OCR again
    (poor layers) and the page modes of the pages that have an OCR layer."""
    candidates = [p.number for p, ok in zip(pages, usable) if ok]
    layered = ocr_layer_pages(path, candidates) if candidates else set()
    redo: list[int] = []
    modes: dict[int, str] = {}
    for page in pages:
        if page.number in layered:
            good = layer_quality(page).good and not _image_has_ruled_table(path, page.number)
            modes[page.number] = "ocr-layer" if good else "ocr-layer-rejected"
            if good:
                regroup_layer_rows(page)
            else:
                redo.append(page.number)
    return redo, modes


#: Words of an OCR layer whose vertical centres are within this share of the page's median word
#: height lie on one visual row.
LAYER_ROW_SHARE = 0.5


def regroup_layer_rows(page: Page) -> None:
    """Regroup a kept OCR layer's words into visual rows by their vertical *centres*.

    An OCR layer places each word where the OCR engine found it on the page image, skew included
    (OCRmyPDF does not deskew by default): along one printed line of a scan skewed 0.7 degrees the
    tops drift 5 pt, more than the typed-text tolerance, so grouped by tops one printed line fell
    into two, out of order, and card titles were cut. Centres, with a tolerance from the page's
    median word height, keep it one row (a skew that drifts a line by half a word height would
    still split it)."""
    words = [w for line in page.lines for w in line.words]
    if not words:
        return
    heights = sorted(w.bottom - w.top for w in words)
    tol = LAYER_ROW_SHARE * heights[len(heights) // 2]
    rows: list[list] = []
    anchor = 0.0
    for w in sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0)):
        centre = (w.top + w.bottom) / 2
        if rows and centre - anchor <= tol:
            rows[-1].append(w)
        else:
            rows.append([w])
            anchor = centre
    page.lines = [line_of(sorted(r, key=lambda w: w.x0)) for r in rows]


def page_modes(doc: Document) -> dict[str, str]:
    """How each page was read (keys are page numbers as strings, for JSON)."""
    known = getattr(doc, "page_modes", None) or {}
    out: dict[str, str] = {}
    for p in doc.pages:
        if doc.format == "text":
            mode = "ocr-text"
        elif p.number in known:
            mode = known[p.number]
        else:
            mode = "ocr" if p.ocr else "text"
        out[str(p.number)] = mode
    return out
