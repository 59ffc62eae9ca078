"""Read tables: a card's ruled indicator table (fragments broken across pages joined, a row split
by the page break merged back) into indicator rows, by column role."""

from __future__ import annotations

from dataclasses import dataclass, field

from extractors.cards.columns import _cell_lines, _header_columns, weight_cell
from extractors.cards.find import _Card
from extractors.cards.values import _norm, as_read, join_lines, ocr_fix, quantity_repairs, target_value, weight_of
from extractors.layout import Line, Table
from pipeline.record import Indicator


@dataclass
class _Row:
    name: list[str] = field(default_factory=list)
    target: list[str] = field(default_factory=list)
    activity: list[str] = field(default_factory=list)
    weight: int | float | None = None
    page: int | None = None
    baseline: list[str] = field(default_factory=list)
    formula: list[str] = field(default_factory=list)
    #: OCR slips undone in the row's lines before its target was cut from them (fragment as
    #: read, as repaired): the target is then quoted as read in a reading note.
    repairs: list[tuple[str, str]] = field(default_factory=list)


#: An OCR repair of a quantity cell: (indicator's position in the card, 1-based; page; target as
#: read; target as repaired).
Repair = tuple[int, int | None, str, str]


def _rows_from_tables(tables: list[Table]) -> list[_Row]:
    rows: list[_Row] = []
    cols: dict[str, int] = {}
    for t_index, table in enumerate(tables):
        first_data = True
        for r_index, raw in enumerate(table.rows):
            hdr = _header_columns(raw)
            if hdr is not None:
                cols = hdr
                continue
            if all(not (c or "").strip() for c in raw) or not cols:
                continue

            def get(role: str) -> list[str]:
                k = cols.get(role)
                return _cell_lines(raw[k]) if k is not None and k < len(raw) else []

            name, target, activity = get("name"), get("target"), get("activity")
            weight_text = " ".join(get("weight"))
            if "weight" in cols:
                continuation = rows and first_data and t_index > 0 and (
                    not name or (not weight_text.strip() and rows[-1].weight is not None and not target))
            else:
                continuation = (rows and first_data and t_index > 0
                                and (not name or rows[-1].weight is None))
            first_data = False
            if continuation:
                row = rows[-1]
            else:
                row = _Row(page=table.page)
                rows.append(row)
            row.name += name
            row.target += target
            row.activity += activity
            row.baseline += get("baseline")
            row.formula += get("formula")
            if "weight" in cols:
                w = weight_cell(weight_text)
                if w is not None:
                    row.weight = w
            else:
                w, _ = weight_of(_norm(" ".join(row.activity)))
                row.weight = w
    return rows


def _indicator_from_row(row: _Row, ocr: bool, repairs: list[Repair] | None = None,
                        position: int = 0) -> Indicator:
    """The indicator of a row. On OCR'd text (``ocr``) the quantity cell's OCR slips are undone
    (:func:`~extractors.cards.values.quantity_repairs`); each target whose value the repair
    changed ("2 85%": 2, "≥ 85%": 85) is added to ``repairs`` (as read and as repaired) for a
    reading note. Digital text is kept as printed."""
    fix = ocr_fix if ocr else _norm
    name = join_lines([fix(x) for x in row.name]) or None
    if ocr:
        fixed = [quantity_repairs(x) for x in row.target]
        target = join_lines([fix(t) for t, _ in fixed]) or None
        read = join_lines([fix(x) for x in row.target]) or None
        if read and row.repairs:  # repaired before the target was cut from its line
            read = as_read(read, [c for c in row.repairs if c[1] in read])
        if repairs is not None and target and read and target_value(read) != target_value(target):
            repairs.append((position, row.page, read, target))  # the repair changed the value
    else:
        target = join_lines([fix(x) for x in row.target]) or None
    activity_text = join_lines([fix(x) for x in row.activity])
    weight, activity_text = weight_of(activity_text)
    if row.weight is not None:
        weight = row.weight
    return Indicator(
        name=name,
        target=target,
        target_value=target_value(target),
        weight_pct=weight,
        activity=activity_text or None,
        baseline=join_lines([fix(x) for x in row.baseline]) or None,
        formula=join_lines([fix(x) for x in row.formula]) or None,
        page=row.page,
    )


def _tables_for_card(card: _Card, lines: list[Line], tables: list[Table], used: set[int],
                     first_page: int | None, last_page: int | None, nxt: _Card | None) -> list[Table]:
    """The indicator table of a card: one fragment per page, on consecutive pages of the card.

    With geometry, a fragment on the card's first page must lie below the card's number line and
    one on the next card's first page above that card's banner. Without geometry (DOCX), tables
    are taken in document order, one per page.
    """
    if first_page is None:
        return []
    start_line = lines[card.number_line]
    next_line = lines[nxt.start] if nxt is not None else None
    mine: list[Table] = []
    for idx, t in enumerate(tables):
        if idx in used or t.page < first_page or t.page > last_page:
            continue
        has_geo = any(t.bbox)
        if has_geo and t.page == start_line.page and start_line.bottom and t.bbox[1] < start_line.top:
            continue
        if has_geo and next_line is not None and t.page == next_line.page and next_line.top \
                and t.bbox[1] > next_line.top:
            continue
        if mine and t.page != mine[-1].page + 1:
            break
        if mine and t.page == mine[-1].page:
            break
        mine.append(t)
        used.add(idx)
    return mine
