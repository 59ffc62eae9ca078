"""Blocks of a printed page (issue #14): the lines of a PDF's text layer, or of OCR with word
boxes, grouped into paragraphs by geometry measured on the document itself; ruled tables cell by
cell, a table that runs over pages joined again.

A line ends its paragraph when

- the next line begins with a bullet glyph or an enumerator (``pageblocks.yaml``), or
- the next line's first word would have fitted on it (a paragraph's last line stops short; a
  line broken by the layout is full up to the right edge of its column), or
- the gap to the next line is clearly larger than the document's gap between lines of one
  paragraph (measured: the median).

The right edge of the body is the rightmost line end over the pages of the same orientation; a
cell's is its box less the smallest padding measured in its table. A new page is a page break,
unless the last page was full (its last line as low as the body goes) and its last paragraph's
last line was full too: then the paragraph runs on. A table whose first row on the new page
repeats its header runs on as well (one table, each row's page kept); a row the page break split
is joined back when its text on the new page runs on in lower case. Lines are joined as the card
reader joins them (a word broken after a hyphen or a slash is glued), the wording untouched.
"""

from __future__ import annotations

import re
import statistics
from functools import lru_cache
from pathlib import Path

import yaml

from extractors.layout import Document, Line, Page, Word, words_to_lines
from extractors.cards.values import glued
from pipeline.record import Block, Cell


#: Space after a paragraph is kept up to this (points): larger gaps on a page are layout (a table
#: pushed to the foot of a page, the cover's blank lines), not the paragraph's own spacing.
MAX_SPACE_AFTER = 18.0


@lru_cache(maxsize=1)
def _data() -> dict:
    with open(Path(__file__).with_name("pageblocks.yaml"), encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return {
        "bullets": set(raw["bullet_glyphs"]),
        "enumerators": [re.compile(p) for p in raw["enumerators"]],
        "page_numbers": [re.compile(p, re.IGNORECASE) for p in raw["page_number_lines"]],
    }


def _height(line: Line) -> float:
    return max(1.0, line.bottom - line.top)


def _starts_item(line: Line) -> tuple[str | None, bool]:
    """(marker, numbered) when the line begins a list item: a bullet glyph alone as its first
    word (printed by list numbering), or a typed enumerator."""
    d = _data()
    first = line.words[0].text if line.words else line.text.split(" ", 1)[0]
    if first in d["bullets"] and len(line.words) > 1:
        return first, True
    if len(line.words) > 1 and any(rx.match(first + " x") for rx in d["enumerators"]):
        # a marker set apart by more than a space: the word processor's numbering (a tab)
        gaps = [b.x0 - a.x1 for a, b in zip(line.words[1:], line.words[2:])]
        usual = statistics.median(gaps) if gaps else 0.25 * _height(line)
        if line.words[1].x0 - line.words[0].x1 > max(0.6 * _height(line), 2 * usual):
            return first, True
    if len(first) > 1 and first[0] in d["bullets"] and not first[1].isspace():
        return first[0], True
    for rx in d["enumerators"]:
        m = rx.match(line.text)
        if m:
            return line.text[:m.end()].strip(), False
    return None, False


def list_marker(text: str) -> str | None:
    """The list marker a line's text opens with, as printed: a bullet glyph (alone before the
    item's text or glued to it) or a typed enumerator ("1)", "a)", "-"); ``None`` for any other
    line. For readers of plain lines (a DOCX paragraph carries its marker at the front)."""
    d = _data()
    t = text.lstrip()
    if t[:1] in d["bullets"]:
        return t[:1]
    for rx in d["enumerators"]:
        m = rx.match(t)
        if m:
            marker = t[:m.end()]
            if len(marker) > 1 and not marker[-1].isspace():
                marker = marker[:-1]  # the pattern reached the item's first letter ("-Testo")
            return marker.strip()
    return None


def _join(a: str, b: str) -> str:
    """Two lines of one paragraph, glued where the card reader glues them, wording untouched."""
    a, b = a.rstrip(), b.strip()
    if not a:
        return b
    return a + b if glued(a, b) else a + " " + b


class _Measure:
    """What the document's own pages say about its lines."""

    def __init__(self, pages: list[Page], prose: dict[int, list[Line]]) -> None:
        gaps, self.right, self.bottom = [], {}, {}
        for page in pages:
            lines = prose.get(page.number, [])
            key = page.width > page.height
            if lines:
                self.right[key] = max(self.right.get(key, 0.0), max(ln.x1 for ln in lines))
                self.bottom[key] = max(self.bottom.get(key, 0.0), max(ln.bottom for ln in lines))
            for a, b in zip(lines, lines[1:]):
                gap = b.top - a.bottom
                if 0 <= gap < _height(a):
                    gaps.append(gap)
        self.gap = statistics.median(gaps) if gaps else 2.0


def _fits(prev: Line, nxt: Line, left: float, right: float) -> bool:
    """Whether the next line's first word would have fitted at the end of ``prev``."""
    if not nxt.words:
        return False
    h = _height(prev)
    space = 0.25 * h
    word = nxt.words[0].x1 - nxt.words[0].x0
    tol = 0.15 * h
    centre = (left + right) / 2
    centred = (abs((prev.x0 + prev.x1) / 2 - centre) < 0.25 * h and abs((nxt.x0 + nxt.x1) / 2 - centre) < 0.25 * h
               and prev.x0 > left + 0.5 * h)
    if centred:
        return (prev.x1 - prev.x0) + space + word <= (right - left) - tol
    return prev.x1 + space + word <= right - tol


def _continues_indent(para: list[Line], line: Line, marker: str | None, left: float, right: float) -> bool:
    """Whether ``line`` starts where a further line of ``para`` starts: under the lines after the
    first; after a first line, at the margin (first-line indent), at the first line's start, or
    under the text after its marker (hanging indent). Centred lines start anywhere."""
    h = _height(para[-1])
    tol = 0.3 * h
    centre = (left + right) / 2
    if abs((line.x0 + line.x1) / 2 - centre) < 0.25 * h:
        return True
    if len(para) > 1:
        return abs(line.x0 - para[-1].x0) <= tol
    first = para[0]
    if line.x0 <= first.x0 + tol:
        return True
    return marker is not None and len(first.words) > 1 and abs(line.x0 - first.words[1].x0) <= tol


def paragraphs(lines: list[Line], left: float, right: float, gap: float) -> list[tuple[list[Line], str | None, bool]]:
    """Lines grouped into paragraphs: (lines, list marker, numbered)."""
    out: list[tuple[list[Line], str | None, bool]] = []
    for line in lines:
        marker, numbered = _starts_item(line)
        if out:
            prev = out[-1][0][-1]
            h = _height(prev)
            same = (marker is None and not _fits(prev, line, left, right)
                    and line.top - prev.bottom <= gap + max(1.0, 0.15 * h) and line.top >= prev.top
                    and _continues_indent(out[-1][0], line, out[-1][1], left, right))
            if same:
                out[-1][0].append(line)
                continue
        out.append(([line], marker, numbered))
    return out


def _para_block(group: tuple[list[Line], str | None, bool], page: int, left: float, right: float) -> Block:
    lines, marker, numbered = group
    text = ""
    for k, line in enumerate(lines):
        words = line.words
        t = line.text
        if k == 0 and numbered and words:
            t = " ".join(w.text for w in words[1:]) if words[0].text == marker else t[len(marker):].lstrip()
        text = _join(text, t)
    first = lines[0]
    h = _height(first)
    centre = (left + right) / 2
    align = None
    if all(abs((ln.x0 + ln.x1) / 2 - centre) < h and ln.x0 > left + 2 * h for ln in lines):
        align = "center"
    kind = "list_item" if marker is not None else "paragraph"
    size = round(statistics.median(w.bottom - w.top for w in first.words), 1) if first.words else None
    level = None
    if marker is not None:
        level = max(0, round((first.x0 - left) / (2.5 * h)) - (1 if numbered else 0))
    return Block(kind=kind, text=text, marker=marker, numbered=numbered and marker is not None,
                 level=level if marker is not None else None, page=page, align=align, size=size)


def _inside(w: Word, box: tuple[float, float, float, float]) -> bool:
    x = (w.x0 + w.x1) / 2
    y = (w.top + w.bottom) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _table_block(page: Page, table, words: list[Word], gap: float) -> Block:
    """A ruled table: each cell's words grouped into paragraphs within the cell's box."""
    if not table.cells:
        rows = [[Cell(paragraphs=[p for p in (c or "").split("\n") if p.strip()]) if c is not None
                 else Cell(merged="left") for c in r] for r in table.rows]
        return Block(kind="table", rows=rows, page=page.number)
    cell_lines: dict[tuple[int, int], list[Line]] = {}
    for r, row in enumerate(table.cells):
        for c, box in enumerate(row):
            if box is None:
                continue
            inside = [w for w in words if _inside(w, box)]
            cell_lines[(r, c)] = words_to_lines(inside) if inside else []
    pads = [box[2] - max(ln.x1 for ln in cell_lines[(r, c)])
            for r, row in enumerate(table.cells) for c, box in enumerate(row)
            if box is not None and cell_lines.get((r, c))]
    pad = max(0.0, min(pads)) if pads else 0.0
    cell_gaps = [b.top - a.bottom for lines in cell_lines.values() for a, b in zip(lines, lines[1:])
                 if 0 <= b.top - a.bottom < _height(a)]
    if cell_gaps:  # the table's own leading: its cells may be set tighter than the body
        gap = statistics.median(cell_gaps)
    lefts = [min(ln.x0 for ln in cell_lines[(r, c)]) - box[0]
             for r, row in enumerate(table.cells) for c, box in enumerate(row)
             if box is not None and cell_lines.get((r, c))]
    lpad = max(0.0, min(lefts)) if lefts else 0.0
    rows: list[list[Cell]] = []
    for r, row in enumerate(table.cells):
        cells: list[Cell] = []
        for c, box in enumerate(row):
            if box is None:
                above = rows[r - 1][c] if r and c < len(rows[r - 1]) else None
                left_box = next((row[k] for k in range(c - 1, -1, -1) if row[k] is not None), None)
                spans_left = left_box is not None and c < len(table.cells[0]) and _col_x(table, c) < left_box[2]
                cells.append(Cell(merged="left" if spans_left or above is None else "up"))
                continue
            groups = paragraphs(cell_lines[(r, c)], box[0] + lpad, box[2] - pad, gap)
            cells.append(Cell(paragraphs=[_para_block(g, page.number, box[0] + lpad, box[2] - pad).text or ""
                                          for g in groups]))
        rows.append(cells)
    n_cols = max((len(r) for r in table.cells), default=0)
    edges = [_col_x(table, c) - 0.5 for c in range(n_cols)] + [table.bbox[2]]
    widths = [round(b - a, 1) for a, b in zip(edges, edges[1:])]
    heights = [w.bottom - w.top for w in words if _inside(w, table.bbox)]
    return Block(kind="table", rows=rows, page=page.number,
                 widths=widths if all(w > 0 and w != float("inf") for w in widths) else [],
                 size=round(statistics.median(heights), 1) if heights else None)


def _col_x(table, c: int) -> float:
    """The left edge of grid column ``c``: the smallest x0 of a cell there."""
    xs = [row[c][0] for row in table.cells if c < len(row) and row[c] is not None]
    return min(xs) + 0.5 if xs else float("inf")


def _footer(line: Line, page: Page) -> bool:
    if page.height and page.height * 0.12 < line.top < page.height * 0.88:
        return False
    return any(rx.match(line.text) for rx in _data()["page_numbers"])


def _continue_table(prev: Block, nxt: Block) -> bool:
    if not prev.rows or not nxt.rows or len(prev.rows[0]) != len(nxt.rows[0]):
        return False
    return [c.paragraphs for c in prev.rows[0]] == [c.paragraphs for c in nxt.rows[0]]


def _join_split_row(row: list[Cell], rest: list[Cell]) -> None:
    """Put back together a row the page break split: each cell's text on the new page continues
    the cell's last paragraph when it starts in lower case, else it is a paragraph of its own."""
    for target, cell in zip(row, rest):
        paras = list(cell.paragraphs)
        if not paras:
            continue
        if target.paragraphs and paras[0][:1].islower():
            target.paragraphs = target.paragraphs[:-1] + [_join(target.paragraphs[-1], paras[0])] + paras[1:]
        else:
            target.paragraphs = target.paragraphs + paras


def page_blocks(doc: Document) -> list[Block]:
    """The blocks of a document read from printed pages (text layer or OCR with word boxes)."""
    prose: dict[int, list[Line]] = {}
    in_tables: dict[int, list] = {}
    for page in doc.pages:
        boxes = [t.bbox for t in page.tables if any(t.bbox)]
        in_tables[page.number] = boxes
        prose[page.number] = [ln for ln in page.lines if ln.text.strip() and not _footer(ln, page)
                              and not (ln.words and all(any(_inside(w, b) for b in boxes) for w in ln.words))]
    measure = _Measure(doc.pages, prose)
    out: list[Block] = []
    landscape: bool | None = None
    last_bottom: float | None = None
    last_line: Line | None = None
    full_table = False
    for page in doc.pages:
        key = page.width > page.height
        if key != landscape:
            out.append(Block(kind="section", landscape=key, page=page.number))
            landscape = key
            full = False
        else:
            full = last_bottom is not None and last_bottom >= measure.bottom.get(key, 0) - 3 * _line_pitch(measure)
        lines = prose[page.number]
        left = min((ln.x0 for ln in lines), default=0.0)
        right = measure.right.get(key, page.width)
        words = [w for ln in page.lines for w in ln.words]
        items: list[tuple[float, object]] = [(t.bbox[1], t) for t in page.tables if any(t.bbox)]
        groups = paragraphs(lines, left, right, measure.gap)
        items += [(g[0][0].top, g) for g in groups]
        after = {}
        for (_t, g), (top, _n) in zip(items, items[1:]):
            if isinstance(g, tuple):
                after[id(g)] = min(MAX_SPACE_AFTER, max(0.0, round(top - g[0][-1].bottom - measure.gap, 1)))
        items.sort(key=lambda it: it[0])
        first = True
        pending_break = bool(out) and out[-1].kind != "section"
        for _top, item in items:
            if isinstance(item, tuple):
                block = _para_block(item, page.number, left, right)
                block.space_after = after.get(id(item))
                prev = out[-1] if out else None
                if (first and full and prev is not None and prev.kind in ("paragraph", "list_item")
                        and block.marker is None and block.align is None and prev.text
                        and last_line is not None and not _fits(last_line, item[0][0], left, right)
                        and not (prev.text.rstrip().endswith((".", ":", ";")) and (block.text or "")[:1].isupper())):
                    prev.text = _join(prev.text, block.text or "")  # runs on from the last page
                else:
                    if pending_break:
                        out.append(Block(kind="page_break", page=page.number))
                    out.append(block)
            else:
                block = _table_block(page, item, words, measure.gap)
                prev = out[-1] if out else None
                if first and prev is not None and prev.kind == "table" and _continue_table(prev, block):
                    # the table runs on from the last page, its header repeated: one table, the
                    # page of each row kept (a row the page split stays two rows, as printed)
                    prev.header_rows = max(prev.header_rows, 1)
                    rest = block.rows[1:]
                    if rest and full_table and prev.rows and (
                            not rest[0][0].paragraphs or rest[0][0].paragraphs[0][:1].islower()):
                        _join_split_row(prev.rows[-1], rest[0])  # a row the page break split
                        rest = rest[1:]
                    prev.row_pages = (prev.row_pages or [prev.page] * len(prev.rows)) + [page.number] * len(rest)
                    prev.rows = prev.rows + rest
                else:
                    if pending_break:
                        out.append(Block(kind="page_break", page=page.number))
                    out.append(block)
            first = pending_break = False
        tables = [t for t in page.tables if any(t.bbox)]
        full_table = bool(tables) and bool(items) and items[-1][1] is tables[-1] and (
            measure.bottom.get(key, 0) - tables[-1].bbox[3] < 1.5 * _line_pitch(measure))
        last_item = items[-1][1] if items else None
        last_line = last_item[0][-1] if isinstance(last_item, tuple) else None
        bottoms = [ln.bottom for ln in lines] + [t.bbox[3] for t in page.tables if any(t.bbox)]
        last_bottom = max(bottoms) if bottoms else None
    return out


def _line_pitch(measure: _Measure) -> float:
    return 12.0 + measure.gap
