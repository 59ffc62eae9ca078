"""The blocks of a Word document (issue #14): paragraphs with their style, list numbering and
alignment, tables cell by cell with their merges, page breaks and sections, in body order.

Called by :func:`extractors.docx.read_docx` with each top-level body element and the page the
paginator gave its first line.
"""

from __future__ import annotations

import re

from docx.enum.style import WD_STYLE_TYPE
from docx.text.paragraph import Paragraph

from pipeline.record import Block, Cell

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: Paragraph styles that are headings, by name (English and Italian Word), with their level.
_HEADING = re.compile(r"^(?:heading|titolo)\s*(\d)$", re.IGNORECASE)
_ALIGN = {0: "left", 1: "center", 2: "right", 3: "justify"}


def _q(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def _format_counter(n: int, fmt: str) -> str:
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "lowerRoman":
        return _roman(n)
    if fmt == "upperRoman":
        return _roman(n).upper()
    return str(n)


class Numbering:
    """Markers of list paragraphs as Word prints them: bullets as their glyph, numbers counted."""

    def __init__(self, docx) -> None:
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        try:
            root = docx.part.numbering_part.element
        except Exception:  # noqa: BLE001 - no numbering part: no lists
            return
        abstract = {a.get(_q("abstractNumId")): a for a in root.findall(_q("abstractNum"))}
        for num in root.findall(_q("num")):
            ref = num.find(_q("abstractNumId"))
            a = abstract.get(ref.get(_q("val")) if ref is not None else None)
            if a is None:
                continue
            for lvl in a.findall(_q("lvl")):
                fmt, text, start = lvl.find(_q("numFmt")), lvl.find(_q("lvlText")), lvl.find(_q("start"))
                self.levels[(num.get(_q("numId")), int(lvl.get(_q("ilvl")) or 0))] = (
                    fmt.get(_q("val")) if fmt is not None else "decimal",
                    text.get(_q("val")) if text is not None else "",
                    int(start.get(_q("val"))) if start is not None else 1,
                )

    def marker(self, num_id: str, level: int) -> str | None:
        spec = self.levels.get((num_id, level))
        if spec is None:
            return None
        fmt, text, start = spec
        if fmt == "bullet":
            return text
        if fmt == "none":
            return text or None
        counters = self.counters.setdefault(num_id, {})
        counters[level] = counters.get(level, start - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]

        def fill(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            lvl_fmt = self.levels.get((num_id, k), ("decimal", "", 1))[0]
            return _format_counter(counters.get(k, 1), lvl_fmt)

        return re.sub(r"%(\d)", fill, text)


class ParagraphStyles:
    """The paragraph styles of one document, looked up once.

    python-docx's ``Paragraph.style`` scans every style of the document for the default one on
    each call for a paragraph without a ``pStyle`` (and runs an XPath for one with it); the
    numbering a style gives (``numPr`` through ``basedOn``) is walked again for each paragraph.
    Here both are looked up once per style, with python-docx's own rules: an unknown id, or the
    id of a style of another type, gives the default paragraph style (the last one marked
    default); a style id defined twice is its first definition."""

    def __init__(self, docx) -> None:
        styles = docx.styles
        self.default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
        self.by_id: dict[str, object] = {}
        for style in styles:
            if style.style_id is not None:
                self.by_id.setdefault(style.style_id, style)
        self._numbering: dict[str | None, object] = {}

    def of(self, el):
        """The style of paragraph element ``el`` (as ``Paragraph(el, parent).style``)."""
        style_id = el.style
        if not style_id:
            return self.default
        style = self.by_id.get(style_id)
        if style is None or style.element.type != WD_STYLE_TYPE.PARAGRAPH:
            return self.default
        return style

    def num_pr(self, style):
        """The ``numPr`` a paragraph of ``style`` inherits: its own or its nearest base's."""
        key = style.style_id if style is not None else None
        if key not in self._numbering:
            found, seen = None, set()
            while style is not None and style.style_id not in seen:
                seen.add(style.style_id)
                sppr = style.element.pPr
                if sppr is not None and sppr.numPr is not None:
                    found = sppr.numPr
                    break
                style = style.base_style
            self._numbering[key] = found
        return self._numbering[key]


def _num_pr(el, styles: ParagraphStyles):
    ppr = el.pPr
    if ppr is not None and ppr.numPr is not None:
        return ppr.numPr
    return styles.num_pr(styles.of(el))


def num_pr_of(el, styles: ParagraphStyles) -> tuple[str, int] | None:
    """(numId, level) of a body paragraph that is a list item, else None."""
    num = _num_pr(el, styles)
    if num is None or num.numId is None or not num.numId.val:
        return None
    return str(num.numId.val), (num.ilvl.val if num.ilvl is not None else 0)


def _align(p: Paragraph, style) -> str | None:
    value = p.alignment
    if value is None and style is not None:
        value = style.paragraph_format.alignment
    return _ALIGN.get(int(value)) if value is not None and int(value) in _ALIGN else None


def _bold(p: Paragraph) -> bool | None:
    runs = [r for r in p.runs if r.text.strip()]
    if not runs:
        return None
    return True if all(r.bold for r in runs) else None


def _size(p: Paragraph) -> float | None:
    for r in p.runs:
        if r.text.strip() and r.font.size is not None:
            return r.font.size.pt
    return None


def _space_after(p: Paragraph) -> float | None:
    value = p.paragraph_format.space_after
    return value.pt if value is not None else None


def paragraph_blocks(el, parent, styles: ParagraphStyles, markers: dict, page: int, text_of) -> list[Block]:
    """A body paragraph as blocks: a page break before it when it asks for one, then the
    paragraph itself (split where it holds an explicit page break)."""
    p = Paragraph(el, parent)
    out: list[Block] = []
    ppr = el.pPr
    if ppr is not None and ppr.find(_q("pageBreakBefore")) is not None and \
            ppr.find(_q("pageBreakBefore")).get(_q("val")) not in ("0", "false", "off"):
        out.append(Block(kind="page_break", page=page))
    p_style = styles.of(el)
    style = p_style.name if p_style is not None else ""
    heading = _HEADING.match(style or "")
    kind, level, marker = "paragraph", None, None
    if heading:
        kind, level = "heading", int(heading.group(1))
    elif (style or "").lower() in ("title", "titolo"):
        kind, level = "heading", 0
    num = _num_pr(el, styles)
    if num is not None and num.numId is not None and num.numId.val:
        level = num.ilvl.val if num.ilvl is not None else 0
        marker = markers.get(el)
        if kind == "paragraph":
            kind = "list_item"
    align, bold = _align(p, p_style), _bold(p)
    parts = text_of(el)
    for k, part in enumerate(parts):
        if k:
            out.append(Block(kind="page_break", page=page + k))
        if part.strip() or len(parts) == 1:
            out.append(Block(kind=kind, text=part, level=level, marker=marker,
                             numbered=marker is not None, page=page + k, align=align, bold=bold,
                             size=_size(p), space_after=_space_after(p)))
    return out


def table_block(tbl, page: int, text_of) -> Block:
    """A table as one block: every grid cell, merges marked, header rows counted."""
    rows: list[list[Cell]] = []
    header, in_header = 0, True
    for tr in tbl.findall(_q("tr")):
        cells: list[Cell] = []
        trpr = tr.find(_q("trPr"))
        before = trpr.find(_q("gridBefore")) if trpr is not None else None
        for _ in range(int(before.get(_q("val")) or 0) if before is not None else 0):
            cells.append(Cell())
        for tc in tr.findall(_q("tc")):
            tcpr = tc.find(_q("tcPr"))
            span_el = tcpr.find(_q("gridSpan")) if tcpr is not None else None
            span = int(span_el.get(_q("val")) or 1) if span_el is not None else 1
            vmerge = tcpr.find(_q("vMerge")) if tcpr is not None else None
            if vmerge is not None and vmerge.get(_q("val")) in (None, "continue"):
                cells.append(Cell(merged="up"))
            else:
                cells.append(Cell(paragraphs=["\n".join(text_of(p)) for p in tc.findall(_q("p"))]))
            cells.extend(Cell(merged="left") for _ in range(span - 1))
        rows.append(cells)
        is_header = trpr is not None and trpr.find(_q("tblHeader")) is not None
        if in_header and is_header:
            header += 1
        else:
            in_header = False
    width = max((len(r) for r in rows), default=0)
    for r in rows:
        r.extend(Cell() for _ in range(width - len(r)))
    widths = []
    for col in tbl.iter(_q("gridCol")):
        try:
            widths.append(round(float(col.get(_q("w"))) / 20.0, 1))
        except (TypeError, ValueError):
            widths = []
            break
    size = None
    for sz in tbl.iter(_q("sz")):
        if sz.getparent() is not None and sz.getparent().tag == _q("rPr"):
            size = float(sz.get(_q("val"))) / 2.0
            break
    return Block(kind="table", rows=rows, header_rows=header, page=page,
                 widths=widths if len(widths) == width else [], size=size)


def landscape(sect) -> bool:
    size = sect.find(_q("pgSz")) if sect is not None else None
    if size is None:
        return False
    if size.get(_q("orient")) == "landscape":
        return True
    try:
        return float(size.get(_q("w"))) > float(size.get(_q("h")))
    except (TypeError, ValueError):
        return False
