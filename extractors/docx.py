"""DOCX back-end on python-docx: paragraphs and tables in body order, with page numbers.

A DOCX has no pages of its own; page numbers come from, in order of trust:

1. ``w:lastRenderedPageBreak`` marks, when the last application that saved the file wrote them
   (they record where its layout broke pages, explicit breaks included);
2. otherwise explicit breaks (``w:br w:type="page"``, ``pageBreakBefore``, section breaks that
   start a new page) plus an estimate of where text overflows a page, from the page size, the
   margins, font sizes, spacing and an average glyph width. The estimate is approximate; it is
   there so that page numbers usually match the PDF the same document exports to.

Every paragraph becomes one :class:`Line` (no geometry). Every table becomes a :class:`Table`
and also lines: row line *k* joins the *k*-th paragraph of each cell, as a PDF reader would
see a row whose cells hold one line each.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from itertools import zip_longest

from extractors.layout import Document, Line, Page, Table
from extractors.normalize import strip_accents
from pipeline.errors import InputError
from pipeline.limits import LIMITS

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _q(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


MESSAGES = {
    "not_zip": "il file DOCX è danneggiato o non è un documento Word",
    "no_body": "il file DOCX non contiene il documento principale (word/document.xml)",
    "damaged": "il file DOCX è danneggiato ({err})",
    "encrypted": "il documento Word è protetto da password",
    "too_many_parts": "il file DOCX contiene {n} parti, più del massimo consentito ({max})",
    "part_too_large": "la parte {name} del DOCX si espande a {mb:.0f} MB, oltre il limite di {max:.0f} MB "
                      "(file anomalo o malevolo)",
    "too_large": "il contenuto del DOCX si espande a {mb:.0f} MB, oltre il limite di {max:.0f} MB",
    "bomb": "la parte {name} del DOCX si espande {ratio:.0f} volte, oltre il rapporto massimo di {max:.0f} "
            "(archivio anomalo o malevolo)",
    "dtd": "la parte {name} del DOCX contiene una dichiarazione DTD (<!DOCTYPE>), che Word non scrive "
           "(file anomalo o malevolo)",
}
#: How much of each XML part is searched for a DTD (it must come before the root element).
DTD_SCAN_BYTES = 4096

# -- layout-estimate parameters (points) --------------------------------------------------------
DEFAULT_FONT_PT = 11.0
#: Glyph advances in 1/1000 em, Times-like (Liberation Serif is metric-compatible with Times New Roman).
GLYPH_WIDTHS = {
    **dict.fromkeys("abcdeghknopquvxy", 500), **dict.fromkeys("aceoz", 444),
    **dict.fromkeys("fijlrt", 278), "f": 333, "r": 333, "s": 389, "m": 778, "w": 722,
    **dict.fromkeys("ABCDGHKNOQRUVXY", 722), **dict.fromkeys("EFLPSTZ", 611), "B": 667, "C": 667, "R": 667,
    "I": 333, "J": 389, "M": 889, "W": 944, **dict.fromkeys("0123456789", 500),
    " ": 250, ".": 250, ",": 250, ":": 278, ";": 278, "-": 333, "/": 278, "(": 333, ")": 333, "'": 180,
    "\u2019": 333, '"': 408, "%": 833, "€": 500,
}
DEFAULT_GLYPH = 480  # accented letters and anything not listed
BOLD_FACTOR = 1.05
#: Renderers wrap a little earlier than the sum of advances (kerning, justification, rounding).
WIDTH_SLACK = 1.03
#: Single line spacing as a share of the font size.
LINE_HEIGHT_EM = 1.15
#: Cell padding (top + bottom) and border per table row; default left + right cell margins.
ROW_PADDING_PT = 0.0
CELL_MARGINS_PT = 10.8
#: Default page: A4 portrait, 2 cm margins.
DEFAULT_PAGE = (595.3, 841.9, 56.7, 56.7, 56.7, 56.7)


@dataclass
class _Geometry:
    width: float
    height: float
    top: float
    bottom: float
    left: float
    right: float

    @property
    def body_width(self) -> float:
        return max(50.0, self.width - self.left - self.right)

    @property
    def body_height(self) -> float:
        return max(50.0, self.height - self.top - self.bottom)


@dataclass
class _Block:
    """A paragraph or a table row: its lines, estimated height, and page-break marks."""

    texts: list[str]
    heights: list[float]  # per line (paragraph) or one entry (table row)
    space_before: float = 0.0
    space_after: float = 0.0
    break_before: bool = False  # explicit page break before this block
    rendered_break: bool = False  # lastRenderedPageBreak before this block's first text
    table: int | None = None  # index of the table the row belongs to
    splittable: bool = True
    page: int = 0
    extra_breaks: int = 0  # explicit page breaks inside the paragraph (after its first line)
    any_rendered: bool = False  # a lastRenderedPageBreak anywhere in it
    rendered_texts: list[str] | None = None  # text split at rendered page breaks
    repeat_header: float = 0.0  # height of the table's header rows, repeated on each new page


@dataclass
class _State:
    blocks: list[_Block] = field(default_factory=list)
    tables: list[list[tuple[str | None, ...]]] = field(default_factory=list)
    table_first_block: list[int] = field(default_factory=list)
    table_headers: list[list[bool]] = field(default_factory=list)  # per row: repeated header row?


def _twips(value: str | None, default: float = 0.0) -> float:
    try:
        return float(value) / 20.0 if value is not None else default
    except ValueError:
        return default


def _attr(el, name: str) -> str | None:
    return el.get(_q(name)) if el is not None else None


def _geometry(sect) -> _Geometry:
    if sect is None:
        return _Geometry(*DEFAULT_PAGE)
    size, mar = sect.find(_q("pgSz")), sect.find(_q("pgMar"))
    w, h, t, b, left, right = DEFAULT_PAGE
    return _Geometry(
        _twips(_attr(size, "w"), w), _twips(_attr(size, "h"), h),
        _twips(_attr(mar, "top"), t), _twips(_attr(mar, "bottom"), b),
        _twips(_attr(mar, "left"), left), _twips(_attr(mar, "right"), right),
    )


class _Styles:
    """Paragraph spacing and font size from styles.xml (docDefaults + paragraph styles)."""

    def __init__(self, docx) -> None:
        self.default_font = DEFAULT_FONT_PT
        self.default_spacing: dict[str, str] = {}
        self.by_id: dict[str, tuple[dict[str, str], float | None, str | None]] = {}
        try:
            root = docx.styles.element
        except Exception:  # noqa: BLE001 - no styles part: keep the defaults
            return
        defaults = root.find(_q("docDefaults"))
        if defaults is not None:
            sz = defaults.find(f".//{_q('rPrDefault')}//{_q('sz')}")
            if sz is not None:
                self.default_font = float(_attr(sz, "val") or 2 * DEFAULT_FONT_PT) / 2.0
            sp = defaults.find(f".//{_q('pPrDefault')}//{_q('spacing')}")
            if sp is not None:
                self.default_spacing = {k.split("}")[1]: v for k, v in sp.attrib.items()}
        for st in root.findall(_q("style")):
            sid = _attr(st, "styleId")
            sp = st.find(f"{_q('pPr')}/{_q('spacing')}")
            sz = st.find(f"{_q('rPr')}/{_q('sz')}")
            based = st.find(_q("basedOn"))
            self.by_id[sid] = (
                {k.split("}")[1]: v for k, v in sp.attrib.items()} if sp is not None else {},
                float(_attr(sz, "val")) / 2.0 if sz is not None and _attr(sz, "val") else None,
                _attr(based, "val"),
            )

    def resolve(self, style_id: str | None) -> tuple[dict[str, str], float]:
        chain, seen = [], set()
        sid = style_id or "Normal"
        while sid and sid in self.by_id and sid not in seen:
            seen.add(sid)
            chain.append(self.by_id[sid])
            sid = chain[-1][2]
        spacing = dict(self.default_spacing)
        font = self.default_font
        for sp, sz, _ in reversed(chain):
            spacing.update(sp)
            if sz:
                font = sz
        return spacing, font


MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _walk(el):
    """Depth-first over an element, skipping mc:Fallback copies (text boxes appear twice)."""
    yield el
    for child in el:
        if child.tag != MC_FALLBACK:
            yield from _walk(child)


def _para_text(p) -> tuple[list[str], list[str], bool, bool]:
    """A paragraph's text split two ways: at explicit page breaks, and at rendered page breaks.

    Returns (explicit parts, rendered parts, rendered break before any text, any rendered break).
    """
    explicit, rendered = [[]], [[]]
    leading, any_rendered = False, False
    has_text = False
    for el in _walk(p):
        tag = el.tag
        piece = None
        if tag == _q("t"):
            piece = el.text or ""
        elif tag == _q("tab"):
            if el.getparent() is not None and el.getparent().tag == _q("r"):
                piece = "\t"
        elif tag in (_q("br"), _q("cr")):
            if _attr(el, "type") == "page":
                explicit.append([])
            else:
                piece = "\n"
        elif tag == _q("noBreakHyphen"):
            piece = "-"
        elif tag == _q("sym"):
            code = (_attr(el, "char") or "").strip()
            piece = chr(int(code, 16)) if code else ""
        elif tag == _q("lastRenderedPageBreak"):
            any_rendered = True
            if has_text:
                rendered.append([])
            else:
                leading = True
        if piece is not None:
            has_text = has_text or bool(piece.strip())
            explicit[-1].append(piece)
            rendered[-1].append(piece)
    return ["".join(x) for x in explicit], ["".join(x) for x in rendered], leading, any_rendered


class _Reader:
    def __init__(self, docx, path: str) -> None:
        self.docx = docx
        self.path = path
        self.styles = _Styles(docx)
        self.state = _State()
        from extractors.docx_blocks import Numbering, ParagraphStyles

        self.numbering = Numbering(docx)
        self.paragraph_styles = ParagraphStyles(docx)
        self.markers: dict = {}  # a list paragraph (element) -> its marker, as printed
        self.section_sects = self._section_properties()
        self.section = 0
        self.section_of: list[int] = []
        #: Top-level body elements with the index of their first block (for the blocks).
        self.elements: list[tuple[object, int]] = []

    def _section_properties(self) -> list:
        body = self.docx.element.body
        sects = [p.find(f"{_q('pPr')}/{_q('sectPr')}") for p in body.iter(_q("p"))]
        sects = [s for s in sects if s is not None]
        final = body.find(_q("sectPr"))
        if final is not None:
            sects.append(final)
        return sects or [None]

    def geometry(self) -> _Geometry:
        return _geometry(self.section_sects[min(self.section, len(self.section_sects) - 1)])

    # -- paragraphs ----------------------------------------------------------------------------

    def para_metrics(self, p, width: float) -> tuple[float, float, float, float, float]:
        """(line height, space before, space after, text width, font size) of a paragraph."""
        ppr = p.find(_q("pPr"))
        style = ppr.find(_q("pStyle")) if ppr is not None else None
        spacing, font = self.styles.resolve(_attr(style, "val"))
        if ppr is not None and ppr.find(_q("spacing")) is not None:
            spacing = dict(spacing)
            spacing.update({k.split("}")[1]: v for k, v in ppr.find(_q("spacing")).attrib.items()})
        sizes = [float(_attr(sz, "val")) / 2.0 for r in p.iter(_q("r")) for sz in r.iter(_q("sz"))
                 if _attr(sz, "val")]
        if sizes:
            font = max(sizes)
        indent = 0.0
        if ppr is not None:
            ind = ppr.find(_q("ind"))
            if ind is not None:
                indent = _twips(_attr(ind, "left") or _attr(ind, "start")) + _twips(_attr(ind, "right") or _attr(ind, "end"))
            if ppr.find(_q("numPr")) is not None and indent == 0.0:
                indent = 18.0
        line_rule = spacing.get("lineRule", "auto")
        line_val = float(spacing.get("line", "240") or 240)
        single = font * LINE_HEIGHT_EM
        if line_rule == "auto":
            line_h = single * line_val / 240.0
        elif line_rule == "exact":
            line_h = line_val / 20.0
        else:  # atLeast
            line_h = max(single, line_val / 20.0)
        before = _twips(spacing.get("before"))
        after = _twips(spacing.get("after"))
        return line_h, before, after, max(10.0, width - indent), font

    def count_lines(self, p, text_width: float, font: float) -> int:
        """Lines a paragraph wraps to: greedy word wrap with Times-like glyph widths."""
        lines, x, any_text = 1, 0.0, False
        for r in (e for e in _walk(p) if e.tag == _q("r")):
            rpr = r.find(_q("rPr"))
            bold = rpr is not None and _on(rpr.find(_q("b")))
            scale = font / 1000.0 * WIDTH_SLACK * (BOLD_FACTOR if bold else 1.0)
            for el in r:
                if el.tag == _q("t"):
                    for word in re.split(r"(\s+)", el.text or ""):
                        if not word:
                            continue
                        w = sum(_glyph(c) for c in word) * scale
                        any_text = True
                        if word.isspace():
                            x += w
                        elif x + w > text_width and x > 0:
                            lines += 1
                            x = w
                        else:
                            x += w
                elif el.tag == _q("tab"):
                    x += 36.0
                elif el.tag in (_q("br"), _q("cr")):
                    lines, x = lines + 1, 0.0
        return lines if any_text or lines > 1 else 1

    def _marker(self, p) -> str | None:
        from extractors.docx_blocks import num_pr_of

        num = num_pr_of(p, self.paragraph_styles)
        if num is None:
            return None
        marker = self.numbering.marker(*num)
        if marker:
            self.markers[p] = marker
        return marker

    def paragraph_height(self, p, width: float) -> float:
        """Estimated height of a paragraph inside a table cell (spacing included)."""
        line_h, before, after, text_width, font = self.para_metrics(p, width)
        return self.count_lines(p, text_width, font) * line_h + before + after

    def add_paragraph(self, p, width: float) -> None:
        parts, rendered_parts, leading, any_rendered = _para_text(p)
        marker = self._marker(p)
        if marker:  # a list paragraph's bullet or number is printed: lines carry it, as a PDF's do
            parts = [marker + " " + parts[0]] + parts[1:]
            rendered_parts = [marker + " " + rendered_parts[0]] + rendered_parts[1:]
        ppr = p.find(_q("pPr"))
        line_h, before, after, text_width, font = self.para_metrics(p, width)
        self.state.blocks.append(_Block(
            texts=list(parts),
            heights=[line_h] * self.count_lines(p, text_width, font),
            space_before=before,
            space_after=after,
            break_before=ppr is not None and _on(ppr.find(_q("pageBreakBefore"))),
            rendered_break=leading,
            any_rendered=any_rendered,
            extra_breaks=len(parts) - 1,
            rendered_texts=rendered_parts,
        ))

    # -- tables --------------------------------------------------------------------------------

    def add_table(self, tbl, width: float) -> None:
        grid = [_twips(_attr(c, "w")) for c in tbl.iter(_q("gridCol"))]
        rows: list[tuple[str | None, ...]] = []
        t_index = len(self.state.tables)
        self.state.table_first_block.append(len(self.state.blocks))
        headers: list[bool] = []
        nested: list[tuple[object, float]] = []
        for tr in tbl.findall(_q("tr")):
            cells, heights, col = [], [], 0
            for tc in tr.findall(_q("tc")):
                tcpr = tc.find(_q("tcPr"))
                span = int(_attr(tcpr.find(_q("gridSpan")) if tcpr is not None else None, "val") or 1)
                vmerge = tcpr.find(_q("vMerge")) if tcpr is not None else None
                cw = sum(grid[col:col + span]) if grid[col:col + span] else width / max(1, len(tr.findall(_q("tc"))))
                col += span
                paras, h = [], 0.0
                for child in tc:
                    if child.tag == _q("p"):
                        paras.append("\n".join(_para_text(child)[0]))
                        h += self.paragraph_height(child, max(20.0, cw - CELL_MARGINS_PT))
                    elif child.tag == _q("tbl"):  # nested table: a table of its own, after this one
                        nested.append((child, cw))
                        h += DEFAULT_FONT_PT * LINE_HEIGHT_EM * len(child.findall(_q("tr")))
                heights.append(h)
                merged_continue = vmerge is not None and _attr(vmerge, "val") in (None, "continue")
                cell_paras = [] if merged_continue else paras
                cells.append(cell_paras)
                for _ in range(span - 1):
                    cells.append(None)
            row_texts = tuple(("\n".join(c).strip() or None) if c is not None else None for c in cells)
            rows.append(row_texts)
            trpr = tr.find(_q("trPr"))
            headers.append(trpr is not None and _on(trpr.find(_q("tblHeader"))))
            line_texts = []
            real = [c for c in cells if c is not None]
            for parts in zip_longest(*[[x for x in c if x.strip()] for c in real], fillvalue=""):
                joined = " ".join(x.strip() for x in parts if x.strip())
                if joined:
                    line_texts.append(joined)
            self.state.blocks.append(_Block(
                texts=line_texts,
                heights=[max(heights or [DEFAULT_FONT_PT]) + ROW_PADDING_PT],
                table=t_index,
                splittable=False,
                rendered_break=any(True for _ in tr.iter(_q("lastRenderedPageBreak"))),
            ))
        header_h = sum(sum(b.heights) for b, h in zip(self.state.blocks[-len(rows):], headers) if h) if rows else 0.0
        for b, h in zip(self.state.blocks[-len(rows):] if rows else [], headers):
            if not h:
                b.repeat_header = header_h
        self.state.tables.append(rows)
        self.state.table_headers.append(headers)
        for inner, inner_width in nested:
            self.add_table(inner, inner_width)

    # -- body ----------------------------------------------------------------------------------

    def _add(self, fn, *args) -> None:
        before = len(self.state.blocks)
        fn(*args)
        self.section_of.extend([self.section] * (len(self.state.blocks) - before))

    def walk(self, container) -> None:
        for child in container:
            tag = child.tag
            if tag in (_q("p"), _q("tbl")):
                self.elements.append((child, len(self.state.blocks)))
            if tag == _q("p"):
                self._add(self.add_paragraph, child, self.geometry().body_width)
                if child.find(f"{_q('pPr')}/{_q('sectPr')}") is not None:
                    self.section += 1  # what follows belongs to the next section
            elif tag == _q("tbl"):
                self._add(self.add_table, child, self.geometry().body_width)
            elif tag == _q("sdt"):
                content = child.find(_q("sdtContent"))
                if content is not None:
                    self.walk(content)
            elif tag in (_q("customXml"), _q("smartTag")):
                self.walk(child)

    def read(self) -> list[int]:
        """Walk the body; return the section index of every block."""
        self.section_of: list[int] = []
        self.walk(self.docx.element.body)
        return self.section_of

    def section_starts_page(self, index: int) -> bool:
        sect = self.section_sects[min(index, len(self.section_sects) - 1)]
        kind = _attr(sect.find(_q("type")) if sect is not None else None, "val") or "nextPage"
        return kind in ("nextPage", "oddPage", "evenPage")


def _glyph(c: str) -> int:
    w = GLYPH_WIDTHS.get(c)
    if w is None:
        base = strip_accents(c)
        w = GLYPH_WIDTHS.get(base, DEFAULT_GLYPH) if base != c else DEFAULT_GLYPH
    return w


def _on(el) -> bool:
    return el is not None and _attr(el, "val") not in ("0", "false", "off")


def _paginate(blocks: list[_Block], geometries: list[_Geometry], section_of: list[int], use_rendered: bool,
              section_breaks_page) -> None:
    page, used = 1, 0.0
    prev_section = section_of[0] if section_of else 0
    for i, b in enumerate(blocks):
        geo = geometries[min(section_of[i], len(geometries) - 1)]
        capacity = geo.body_height
        if use_rendered:
            if i > 0 and (b.rendered_break or b.break_before
                          or (section_of[i] != prev_section and section_breaks_page(section_of[i]))):
                page += 1
            prev_section = section_of[i]
            b.page = page
            if b.rendered_texts is not None:  # the renderer's breaks replace the explicit ones
                b.texts, b.extra_breaks = b.rendered_texts, len(b.rendered_texts) - 1
            page += b.extra_breaks
            continue
        new_page = b.break_before or (section_of[i] != prev_section and section_breaks_page(section_of[i]))
        prev_section = section_of[i]
        if new_page and i > 0:
            page, used = page + 1, 0.0
        before = b.space_before if used > 0 else 0.0
        if b.splittable:
            first = b.heights[0] if b.heights else 0.0
            if used + before + first > capacity and used > 0:
                page, used, before = page + 1, 0.0, 0.0
            b.page = page
            used += before
            for h in b.heights:
                if used + h > capacity and used > 0:
                    page, used = page + 1, 0.0
                used += h
            used += b.space_after
            if b.extra_breaks:
                page, used = page + b.extra_breaks, 0.0
        else:
            h = sum(b.heights)
            if used + h > capacity and used > 0:
                page, used = page + 1, b.repeat_header
            b.page = page
            used += h


def read_docx(path: str, *, sha256: str | None = None) -> Document:
    """Read a DOCX into a layout :class:`Document` (paragraphs and tables in body order)."""
    import docx as python_docx
    from docx.opc.exceptions import PackageNotFoundError

    path = str(path)
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise InputError(path, MESSAGES["encrypted"] if _is_encrypted_ole(path) else MESSAGES["not_zip"])
        raise InputError(path, MESSAGES["not_zip"])
    try:
        with zipfile.ZipFile(path) as zf:
            if "word/document.xml" not in zf.namelist():
                raise InputError(path, MESSAGES["no_body"])
            check_archive(path, zf)
            bad = zf.testzip()
            if bad is not None:
                raise InputError(path, MESSAGES["damaged"].format(err=f"parte corrotta: {bad}"))
        d = python_docx.Document(path)
    except InputError:
        raise
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise InputError(path, MESSAGES["damaged"].format(err=type(err).__name__)) from err
    except Exception as err:  # lxml XMLSyntaxError and friends
        raise InputError(path, MESSAGES["damaged"].format(err=type(err).__name__)) from err

    reader = _Reader(d, path)
    section_of = reader.read()
    state = reader.state
    geometries = [_geometry(s) for s in reader.section_sects]
    use_rendered = any(b.any_rendered or (b.table is not None and b.rendered_break) for b in state.blocks)
    _paginate(state.blocks, geometries, section_of, use_rendered, reader.section_starts_page)

    if sha256 is None:
        from extractors.layout import sha256_of

        sha256 = sha256_of(path)
    n_pages = max((b.page + b.extra_breaks for b in state.blocks), default=1)
    pages = {n: Page(number=n) for n in range(1, n_pages + 1)}
    for i, geo_index in enumerate(section_of):
        b = state.blocks[i]
        geo = geometries[min(geo_index, len(geometries) - 1)]
        page = pages[b.page]
        page.width, page.height = geo.width, geo.height
        for k, text in enumerate(b.texts):
            n = b.page + (k if b.table is None else 0)
            n = min(n, n_pages)
            for sub in text.split("\n"):
                if sub.strip():
                    pages[n].lines.append(Line(text=sub.replace("\t", " ").strip(), page=n))
    for t_index, rows in enumerate(state.tables):
        # One Table per page the rows fall on, repeating the header rows as the PDF does.
        first = state.table_first_block[t_index]
        flags = state.table_headers[t_index]
        header = [r for r, h in zip(rows, flags) if h]
        by_page: dict[int, list] = {}
        for k, row in enumerate(rows):
            n = state.blocks[first + k].page if first + k < len(state.blocks) else n_pages
            by_page.setdefault(n, []).append((row, flags[k]))
        for i, (n, items) in enumerate(sorted(by_page.items())):
            seg = [r for r, _h in items]
            if i and header and not items[0][1]:
                seg = header + seg
            pages[n].tables.append(Table(page=n, rows=tuple(seg)))
    for p in pages.values():
        if not p.width:
            p.width, p.height = geometries[0].width, geometries[0].height
    return Document(path=path, sha256=sha256, format="docx", pages=list(pages.values()),
                    blocks=_blocks(d, reader, n_pages))


def _blocks(d, reader: "_Reader", n_pages: int) -> list:
    """The document's blocks (:mod:`extractors.docx_blocks`), each with its first line's page."""
    from extractors import docx_blocks as db
    from pipeline.record import Block

    state = reader.state
    sects = reader.section_sects

    def text_of(el) -> list[str]:
        return _para_text(el)[0]

    out = [Block(kind="section", landscape=db.landscape(sects[0]), page=1)]
    section = 0
    for el, first in reader.elements:
        page = min(state.blocks[first].page, n_pages) if first < len(state.blocks) else n_pages
        if el.tag == _q("tbl"):
            out.append(db.table_block(el, page, text_of))
            continue
        out.extend(db.paragraph_blocks(el, d._body, reader.paragraph_styles, reader.markers, page, text_of))
        if el.find(f"{_q('pPr')}/{_q('sectPr')}") is not None and section + 1 < len(sects):
            section += 1
            out.append(Block(kind="section", landscape=db.landscape(sects[section]), page=page))
    return out


def check_archive(path: str, zf: zipfile.ZipFile) -> None:
    """Refuse a zip bomb before anything is inflated, and any XML part that declares a DTD.

    The sizes are the ones the archive declares: :mod:`zipfile` never inflates an entry past its
    declared size (it stops there and fails the CRC), so they bound what reading it costs. A DTD
    is refused outright: python-docx's parser does not resolve entities, but Word never writes
    one, and external entities (XXE) or nested ones ("billion laughs") are what a DTD is for.
    """
    infos = zf.infolist()
    if len(infos) > LIMITS.max_docx_entries:
        raise InputError(path, MESSAGES["too_many_parts"].format(n=len(infos), max=LIMITS.max_docx_entries))
    mib = float(1 << 20)
    total = 0
    for info in infos:
        total += info.file_size
        xml = info.filename.lower().endswith((".xml", ".rels"))
        if xml and info.file_size > LIMITS.max_docx_xml_bytes:
            raise InputError(path, MESSAGES["part_too_large"].format(
                name=info.filename, mb=info.file_size / mib, max=LIMITS.max_docx_xml_bytes / mib))
        if info.file_size > LIMITS.ratio_min_bytes:
            ratio = info.file_size / max(1, info.compress_size)
            if ratio > LIMITS.max_docx_ratio:
                raise InputError(path, MESSAGES["bomb"].format(name=info.filename, ratio=ratio,
                                                                max=LIMITS.max_docx_ratio))
    if total > LIMITS.max_docx_total_bytes:
        raise InputError(path, MESSAGES["too_large"].format(mb=total / mib, max=LIMITS.max_docx_total_bytes / mib))
    for info in infos:
        if info.filename.lower().endswith((".xml", ".rels")) and info.file_size:
            with zf.open(info) as fh:
                head = fh.read(DTD_SCAN_BYTES)
            if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                raise InputError(path, MESSAGES["dtd"].format(name=info.filename))


def _is_encrypted_ole(path: str) -> bool:
    """Word saves password-protected DOCX as an OLE container holding 'EncryptedPackage'."""
    with open(path, "rb") as fh:
        data = fh.read(1 << 20)
    return "EncryptedPackage".encode("utf-16-le") in data
