"""Unruled (borderless) indicator tables read from positioned words.

A table printed without ruling lines (python-docx's default table, many Word templates, most
OCR'd pages) gives pdfplumber no table at all: only words with boxes. This stage rebuilds the
table from them, in the spirit of pdfplumber's ``text`` strategy and camelot's "stream"
(Nurminen) reading, but anchored on what an indicator table must have:

1. **header** — the first block of one to three lines whose horizontal word runs, taken as
   cells, map to column roles through the vocabulary (``columns.column_roles``: never by
   position): an indicator column plus a target, weight or activity column;
2. **column bands** — between two header cells, the border is the widest x band no body word
   covers (the whitespace gap of the rows below), searched between the end of the left header
   cell and the start of the right one;
3. **end** — the table ends at the first line after the header that closes a whitespace
   column the body above keeps open between two header cells (no band there wider than a
   space between words: a paragraph, not a row); labels and headings already end the card's
   indicator region before this stage sees it;
4. **rows** — anchored on a column holding one value per row (the weight, else the target): an
   anchor cell starts a row unless it visibly continues the one above (a weight's unit alone,
   "%" or "punti"; a target's wrapped line with no new name level with it); a name line opens
   a row of its own when its anchor cell is blank, level with a new target line or after a
   gap wider than the table's wrapped lines; the lines of the other columns are cut into one
   contiguous group per row by :func:`extractors.cards.lines._segment` (top-aligned or centred
   cells), so wrapped lines of a cell join their row whatever the line spacing;
5. **pages** — the header repeated on the next page is dropped, a row split by the page break
   is joined (the continuation lines above the next page's first anchor join the row above).

The result is a list of :class:`~extractors.layout.Table` fragments, one per page, each
opening with the header row, that the ruled-table reader (``tables._rows_from_tables``) turns into indicator rows: one
reading of cells by role for ruled and unruled tables alike. Tolerances are shares of spaces and
line heights measured on the region (``settings.py``), never points fixed on one plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.cards.columns import _header_columns, column_roles
from extractors.cards.geometry import measures, runs
from extractors.cards.lines import _segment
from extractors.cards.settings import DEFAULT as S
from extractors.cards.settings import ReaderSettings
from extractors.cards.tables import _Row, _rows_from_tables
from extractors.cards.values import _norm, _open_end
from extractors.cards.vocabulary import patterns
from extractors.layout import Line, Table, Word

#: (page, y) -> one vertical coordinate, pages stacked
_PAGE_SPAN = 100000.0


@dataclass
class _Cell:
    x0: float
    x1: float
    words: list[Word]
    #: the line of the block each word stands on (its reading order with ``x0``)
    rows: list[int] | None = None

    @property
    def text(self) -> str:
        rows = self.rows or [0] * len(self.words)
        order = sorted(range(len(self.words)), key=lambda k: (rows[k], self.words[k].x0))
        return " ".join(self.words[k].text for k in order)


def _y(page: int, y: float) -> float:
    return page * _PAGE_SPAN + y


def _runs(words: list[Word] | tuple[Word, ...], gap: float) -> list[_Cell]:
    """A line's words cut into runs wherever two consecutive words stand ``gap`` or more apart."""
    return [_Cell(min(w.x0 for w in r), max(w.x1 for w in r), r) for r in runs(words, gap)]


def _header_cells(block: list[Line], gap: float) -> list[_Cell]:
    """The cells of a header block: runs of its lines merged where they overlap horizontally
    (a header cell wrapped over two lines, centred or not)."""
    runs = []
    for n, ln in enumerate(block):
        for r in _runs(ln.words, gap):
            r.rows = [n] * len(r.words)
            runs.append(r)
    runs.sort(key=lambda r: r.x0)
    cells: list[_Cell] = []
    for r in runs:
        if cells and r.x0 < cells[-1].x1 + gap and r.x1 > cells[-1].x0 - gap:
            cells[-1].words += r.words
            cells[-1].rows = (cells[-1].rows or []) + (r.rows or [])
            cells[-1].x0, cells[-1].x1 = min(cells[-1].x0, r.x0), max(cells[-1].x1, r.x1)
        else:
            cells.append(r)
    return cells


def _find_header(lines: list[Line], gap: float, line_h: float,
                 s: ReaderSettings) -> tuple[int, int, list[_Cell]] | None:
    """(first line, number of lines, cells) of the indicator header: the block of one to
    ``max_header_lines`` consecutive lines on one page whose cells name the most column roles
    (an indicator header), the shorter block on a tie."""
    best: tuple[int, int, int, list[_Cell]] | None = None  # (-roles, k, start, cells)
    for start in range(min(len(lines), s.header_search_lines)):
        for k in range(1, s.max_header_lines + 1):
            block = lines[start:start + k]
            if len(block) < k or any(b.page != block[0].page for b in block):
                break
            if k > 1 and block[-1].top - block[-2].bottom > s.paragraph_gap * line_h:
                break
            cells = _header_cells(block, gap)
            if len(cells) < 2:
                continue
            roles = _header_columns(tuple(c.text for c in cells))
            if roles is None:
                continue
            named = len(column_roles([c.text for c in cells]))
            key = (-named, k, start, cells)
            if best is None or key[:3] < best[:3]:
                best = key
        if best is not None and best[2] == start:
            break  # the first header found wins over a later one
    if best is None:
        return None
    return best[2], best[1], best[3]


def _header_depth(lines: list[Line], start: int, k: int, anchor: _Cell, s: ReaderSettings) -> int:
    """The header block's lines, with the wrapped words under it ("Indicatore di" / "risultato")
    that name no column of their own: a line with nothing under the anchor column's header that
    stands closer to the header than to the first row's anchor line below it."""
    def in_anchor(ln: Line) -> bool:
        return any(w.x1 > anchor.x0 and w.x0 < anchor.x1 for w in ln.words)

    while k < s.max_header_lines:
        j = start + k
        if j >= len(lines) or lines[j].page != lines[start].page or in_anchor(lines[j]):
            break
        nxt = next((m for m in range(j + 1, len(lines)) if in_anchor(lines[m])), None)
        if nxt is None or lines[nxt].page != lines[j].page:
            break
        if lines[j].top - lines[j - 1].bottom >= lines[nxt].top - lines[j].bottom:
            break
        k += 1
    return k


def _borders(cells: list[_Cell], body: list[Word]) -> list[float]:
    """One x border between each two neighbouring header cells: the middle of the widest band
    no body word covers between the end of the left header cell and the start of the right one
    (the table's whitespace column); the middle of the header gap when words cover it all."""
    out = []
    for left, right in zip(cells, cells[1:]):
        lo, hi = left.x1, right.x0
        spans = sorted((max(w.x0, lo), min(w.x1, hi)) for w in body if w.x1 > lo and w.x0 < hi)
        free, x = [], lo
        for a, b in spans:
            if a > x:
                free.append((x, a))
            x = max(x, b)
        if hi > x:
            free.append((x, hi))
        if free:
            a, b = max(free, key=lambda f: f[1] - f[0])
            out.append((a + b) / 2)
        else:
            out.append((lo + hi) / 2)
    return out


def _gutters(cells: list[_Cell]) -> list[list[tuple[float, float]] | None]:
    """Per two neighbouring header cells, the x bands between them no body word covers yet
    (``None`` where the header cells touch: no gutter to measure)."""
    return [[(a.x1, b.x0)] if b.x0 > a.x1 else None for a, b in zip(cells, cells[1:])]


def _narrow(gutters: list[list[tuple[float, float]] | None], words: tuple[Word, ...] | list[Word]):
    """The gutters left free once ``words`` are laid over them."""
    out = []
    for free in gutters:
        if free is None:
            out.append(None)
            continue
        for w in words:
            free = [piece for a, b in free
                    for piece in ((a, min(b, w.x0)), (max(a, w.x1), b)) if piece[1] > piece[0]] \
                if any(w.x1 > a and w.x0 < b for a, b in free) else free
        out.append(free)
    return out


def _crosses(line: Line, gutters: list[list[tuple[float, float]] | None], space: float,
             s: ReaderSettings) -> bool:
    """The line closes a whitespace column the table's body keeps open between two header
    cells: none of its free bands there is wider than ``gutter_spaces`` spaces between words
    (the region's typical space, or the line's own narrowest when narrower): a paragraph, not
    a row. A name cell ending just short of the next column still leaves a band wider than a
    space."""
    ws = sorted(line.words, key=lambda w: w.x0)
    spaces = [b.x0 - a.x1 for a, b in zip(ws, ws[1:]) if b.x0 > a.x1]
    if not spaces:
        return False
    least = s.gutter_spaces * min(min(spaces), space)
    for free in _narrow(gutters, ws):
        if free is not None and not any(b - a > least for a, b in free):
            return True
    return False


def _column_of(w: Word, borders: list[float]) -> int:
    mid = (w.x0 + w.x1) / 2
    return sum(1 for b in borders if mid > b)


def _unit_alone(text: str) -> bool:
    """A weight cell's unit on its own line ("%", "punti"): the weight above goes on."""
    return re.fullmatch(patterns()["weight_unit"].pattern, text.strip(), re.IGNORECASE) is not None


def _name_starts(name: str, prev_name: str | None) -> bool:
    """A cell's line that can open a row: not lower case ("contribuenti"), and the line above
    it in the same column is not left open ("Controlli della velocità con")."""
    return not name[:1].islower() and not (prev_name and _open_end().search(prev_name))


def _target_starts(target: str, prev_target: str | None) -> bool:
    """A target cell's line that can open a row: a figure ("n. 300") or a capital, and the
    target line above it is not left open ("entro il")."""
    return (bool(re.search(r"\d", target)) or not target[:1].islower()) \
        and not (prev_target and _open_end().search(prev_target))


def tables_from_lines(lines: list[Line], s: ReaderSettings = S) -> list[Table]:
    """The unruled indicator table in a card's indicator region (lines with word boxes), as
    ruled-table fragments (one per page, header row first); ``[]`` when no header is found."""
    lines = [ln for ln in lines if ln.words]
    if not lines:
        return []
    line_h, gap, space = measures(lines, s)
    found = _find_header(lines, gap, line_h, s)
    if found is None:
        return []
    start, k, cells = found
    header = tuple(c.text for c in cells)
    roles = _header_columns(header) or {}
    anchor = "weight" if "weight" in roles else "target" if "target" in roles else None
    if anchor is None:
        return []
    a_col = roles[anchor]
    header_roles = set(roles)
    k = _header_depth(lines, start, k, cells[a_col], s)
    # the body: up to the first line that reads as prose across the columns
    body: list[Line] = []
    gutters = _gutters(cells)
    i = start + k
    while i < len(lines):
        ln = lines[i]
        last_page = body[-1].page if body else lines[start].page
        if ln.page != last_page:
            # the header printed again on the new page (a repeated header row): skipped
            again = _find_header(lines[i:i + s.max_header_lines], gap, line_h, s)
            if again and again[0] == 0 and \
                    set(_header_columns(tuple(c.text for c in again[2])) or {}) == header_roles:
                i += again[1]  # not deepened: the lines under it may be a row cut by the break
                continue
        if _crosses(ln, gutters, space, s):
            break
        gutters = _narrow(gutters, ln.words)
        body.append(ln)
        i += 1
    if not body:
        return []
    borders = _borders(cells, [w for ln in body for w in ln.words])
    # per column: (y top, y bottom, text, page) of each line's part; per line: its parts
    cols: list[list[tuple[float, float, str, int]]] = [[] for _ in cells]
    per_line: list[tuple[float, float, int, dict[int, str]]] = []
    for ln in body:
        parts: list[list[Word]] = [[] for _ in cells]
        for w in ln.words:
            if w.bottom - w.top < s.min_word_height * line_h:
                continue  # a speck flatter than the text
            parts[_column_of(w, borders)].append(w)
        texts: dict[int, str] = {}
        for c, ws in enumerate(parts):
            if ws:
                ws.sort(key=lambda w: w.x0)
                texts[c] = " ".join(w.text for w in ws)
                cols[c].append((_y(ln.page, min(w.top for w in ws)), _y(ln.page, max(w.bottom for w in ws)),
                                texts[c], ln.page))
        if texts:
            per_line.append((_y(ln.page, ln.top), _y(ln.page, ln.bottom), ln.page, texts))
    # the gap that parts two rows: wider than the tightest gap between two lines (a wrapped cell)
    gaps = [b[0] - a[1] for a, b in zip(per_line, per_line[1:]) if a[2] == b[2]]
    row_gap = min(gaps) + s.row_gap_extra * line_h if gaps else None
    # rows: one per anchor cell, or per name line that opens a row with its anchor cell blank
    name_col = roles.get("name")
    bands: list[list[float]] = []
    anchor_text: list[list[str]] = []
    pages: list[int] = []
    t_col = roles.get("target")
    prev_name: str | None = None
    prev_target: str | None = None
    prev_bottom: float | None = None
    for top, bottom, page, texts in per_line:
        name = _norm(texts.get(name_col, "")) if name_col is not None else ""
        gap = top - prev_bottom if prev_bottom is not None and prev_bottom // _PAGE_SPAN == top // _PAGE_SPAN else None
        a = texts.get(a_col)
        # a name line that opens a row: after a row-sized gap, or level with a target line that
        # opens a cell too (not the anchor cell of a row opened above without one: that row's
        # centred anchor cell); a formula or notes column wraps on, level with anything
        target = _norm(texts.get(t_col, "")) if t_col is not None else ""
        if t_col == a_col and bands and not anchor_text[-1]:
            target = ""
        opens = bool(name) and _name_starts(name, prev_name) and (
            bool(target) and _target_starts(target, prev_target)
            or (gap is not None and row_gap is not None and gap > row_gap))
        if a is not None:
            a_norm = _norm(a)
            if bands and not anchor_text[-1]:
                goes_on = not opens  # the anchor cell of a row opened by its name (a centred cell)
            elif anchor == "weight":
                goes_on = bool(bands) and _unit_alone(a_norm)  # "%", "punti" alone on their line
            else:
                goes_on = bool(bands) and not opens  # a target's wrapped line: no new name level with it
            if goes_on:
                bands[-1][1] = max(bands[-1][1], bottom)
                anchor_text[-1].append(a)
            else:
                bands.append([top, bottom])
                anchor_text.append([a])
                pages.append(page)
        elif opens or (name and not bands):
            bands.append([top, bottom])  # a row whose anchor cell is blank
            anchor_text.append([])
            pages.append(page)
        if name:
            prev_name = name
        if t_col is not None and texts.get(t_col):
            prev_target = _norm(texts[t_col])
        prev_bottom = bottom
    if not bands:
        return []
    cell_text: list[list[str]] = [["" for _ in cells] for _ in bands]
    spans = [(b[0], b[1]) for b in bands]
    for c, col in enumerate(cols):
        if c == a_col:
            for r, parts in enumerate(anchor_text):
                cell_text[r][c] = "\n".join(parts)
            continue
        if not col:
            continue
        empty = 1e6 if c == roles.get("name") else (s.empty_cell_cost * line_h) ** 2
        for r, group in enumerate(_segment([(a, b, t) for a, b, t, _ in col], spans, empty)):
            cell_text[r][c] = "\n".join(group)
    # one fragment per page, each with the header row; a row belongs to its anchor's page
    out: list[Table] = []
    for r, row in enumerate(cell_text):
        page = pages[r]
        if not out or out[-1].page != page:
            out.append(Table(page=page, rows=(header,), bbox=(cells[0].x0, 0.0, cells[-1].x1, 0.0)))
        t = out[-1]
        out[-1] = Table(page=t.page, rows=t.rows + (tuple(row),), bbox=t.bbox)
    return out


def rows_from_unruled(lines: list[Line], s: ReaderSettings = S) -> list[_Row] | None:
    """Indicator rows of the unruled table in ``lines``; ``None`` when there is none. Rows split
    by a page break are already joined here, so each page's fragment is read on its own."""
    tables = tables_from_lines(lines, s)
    if not tables:
        return None
    return [row for t in tables for row in _rows_from_tables([t])]
