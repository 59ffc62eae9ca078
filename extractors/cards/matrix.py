"""Matrix layouts: one table per Area holding many objectives, one indicator per row.

A matrix table's header names its columns (``column_roles`` in the vocabulary): the objective's
code or title, the indicator, and its weight or target; maybe a description, the weighting
level, the staff, the deadline. The objective's own cells are merged vertically over its
indicator rows, so a row whose code and title cells are empty continues the objective above it:
it adds an indicator, or (a row broken by a page break) more text to the objective's cells. The
header row repeats on every page; the Area the table belongs to is the scope heading printed
above it ("AREA 2 – ECONOMICO-FINANZIARIA E TRIBUTI").

Stages: :func:`matrix_tables` (which tables, with their column roles) -> :func:`_objective_rows`
(rows grouped per objective) -> :func:`_objective` (cells to record fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractors.cards.columns import _cell_lines, column_roles, unknown_columns, weight_cell
from extractors.cards.fields import _label_of, level_value
from extractors.cards.values import _norm, join_lines, kind_of, quantity_repairs, target_value
from extractors.cards.vocabulary import patterns
from extractors.layout import Document, Table
from extractors.normalize import fold
from extractors.staff import count_staff
from pipeline.notes import ocr_repair_note
from pipeline.record import Indicator, Objective


#: Cells that belong to the objective (merged over its rows), not to one indicator.
OBJECTIVE_ROLES = ("code", "title", "description", "level", "staff", "timeframe", "scope",
                   "responsible", "source", "weight")
INDICATOR_ROLES = ("name", "target", "weight", "baseline", "formula", "activity")


@dataclass
class _Group:
    """The rows of one objective: its merged cells' text and its indicator rows."""

    table: Table
    scope: str | None
    cells: dict[str, list[str]] = field(default_factory=dict)
    indicators: list[dict[str, list[str]]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    gantt: dict[int, str] = field(default_factory=dict)  # Gantt grid: column -> mark, over its rows


def is_matrix_header(roles: dict[str, int], header: tuple[str | None, ...] = ()) -> bool:
    """A header that holds objectives: a title (or code) and their indicators (the indicator
    name, and its weight or target) -- or, in a list of objectives without indicators, their
    weight and a deadline or Gantt grid of months."""
    if not ("code" in roles or "title" in roles):
        return False
    if "name" in roles:
        return bool({"weight", "target"} & roles.keys())
    # (a summary table -- titles, levels, staff, amounts -- has no deadline nor Gantt grid:
    # it repeats the objectives printed elsewhere, it is not a list of them)
    return "title" in roles and bool({"weight", "level"} & roles.keys()) and (
        "timeframe" in roles or len(month_columns(header)) >= 3)


def month_columns(header: tuple[str | None, ...]) -> dict[int, int]:
    """{column index: month 1-12} for a Gantt grid's month columns ("Gen", "febbraio", "MAR")."""
    from pipeline.dates import gantt_months

    months = {k: m for k, (m, _) in gantt_months(header, 2000).items()}
    return months if len(months) >= 3 else {}


def matrix_tables(doc: Document) -> list[tuple[Table, dict[str, int]]]:
    """Every table of a matrix layout in document order, with its columns' roles. A table
    without a header that follows a matrix table on the next page, with as many columns,
    continues it with the same roles."""
    out: list[tuple[Table, dict[str, int]]] = []
    for page in doc.pages:
        for table in page.tables:
            if not table.rows:
                continue
            roles = column_roles(table.rows[0])
            if is_matrix_header(roles, table.rows[0]):
                out.append((table, roles))
            elif out and table.page - out[-1][0].page == 1 and len(table.rows[0]) == len(out[-1][0].rows[0]) \
                    and not roles:
                out.append((table, out[-1][1]))
    return out


def _scope_before(doc: Document, table: Table, header: tuple[str | None, ...]) -> str | None:
    """The last scope heading ("AREA 1 – ...") printed before the table, in reading order."""
    rx = patterns()["scope_heading"]
    first_cell = fold(_norm(next((c for c in header if c and c.strip()), "") or "")).split("\n")[0][:20]
    found: str | None = None
    for page in doc.pages:
        if page.number > table.page:
            break
        for line in page.lines:
            if page.number == table.page:
                if any(table.bbox) and line.x1:
                    if line.top >= table.bbox[1] - 1:
                        break
                elif first_cell and fold(_norm(line.text)).startswith(first_cell):
                    break
            if rx.match(_norm(line.text)) and len(line.text) < 160:
                found = _norm(line.text)
    return found


def _cells(row: tuple[str | None, ...], roles: dict[str, int], wanted: tuple[str, ...]) -> dict[str, list[str]]:
    return {r: (_paragraph_lines if r == "title" else _cell_lines)(row[roles[r]])
            for r in wanted if r in roles and roles[r] < len(row)}


def _paragraph_lines(cell: str | None) -> list[str]:
    """A cell's lines, with one "" where a blank line parts two of its paragraphs (the PDF
    back-end marks so a change of type inside a cell: a title and its description)."""
    out: list[str] = []
    for ln in (cell or "").split("\n"):
        if ln.strip():
            out.append(ln)
        elif out and out[-1]:
            out.append("")
    return out[:-1] if out and not out[-1] else out


def _objective_rows(doc: Document) -> list[_Group]:
    groups: list[_Group] = []
    for t_index, (table, roles) in enumerate(matrix_tables(doc)):
        header = table.rows[0]
        scope = _scope_before(doc, table, header)
        if groups and scope is None:
            scope = groups[-1].scope
        for raw in table.rows:
            if column_roles(raw) == roles:
                continue  # the header row (repeated on each page)
            if all(not (c or "").strip() for c in raw):
                continue
            own = _cells(raw, roles, OBJECTIVE_ROLES if "name" not in roles else OBJECTIVE_ROLES[:-1])
            ind = _cells(raw, roles, INDICATOR_ROLES) if "name" in roles else {}
            # a code opens an objective; without a code column, a title does (a title cell
            # continued after a page break is no new objective when there is a code column)
            opens = bool(own.get("code")) if "code" in roles else bool(own.get("title"))
            if opens or not groups:
                groups.append(_Group(table=table, scope=scope))
            g = groups[-1]
            if table.page not in g.pages:
                g.pages.append(table.page)
            for k in month_columns(header):
                if k < len(raw) and (raw[k] or "").strip():
                    g.gantt[k] = raw[k].strip()
            if "name" not in roles:  # a list of objectives: the weight column is the objective's
                own.update({"level": own.pop("weight", [])} if "weight" in own and "level" not in own else {})
            for role, lines in own.items():
                g.cells.setdefault(role, []).extend(lines)
            if not any(ind.values()):
                continue
            broken = (not opens and g.indicators and not ind.get("weight") and not ind.get("target")
                      and raw is _first_data_row(table, roles))
            if broken:  # the rest of a row cut by the page break
                for role, lines in ind.items():
                    g.indicators[-1].setdefault(role, []).extend(lines)
            else:
                g.indicators.append({**ind, "_page": [str(table.page)]})
    return groups


def _first_data_row(table: Table, roles: dict[str, int]) -> tuple[str | None, ...] | None:
    for raw in table.rows:
        if column_roles(raw) != roles and any((c or "").strip() for c in raw):
            return raw
    return None


def _split_labels(lines: list[str]) -> dict[str, list[str]]:
    """A description cell cut at labelled lines inside it ("Fasi: ..."): {field: lines}."""
    out: dict[str, list[str]] = {"description": []}
    state = "description"
    for ln in lines:
        lab = _label_of(_norm(ln), "other")
        if lab is not None and lab[0] in ("phases", "timeframe", "staff", "threshold", "source"):
            state, rest = lab
            out.setdefault(state, []).append(rest)
            continue
        out.setdefault(state, []).append(ln)
    return out


def _code_and_number(lines: list[str]) -> tuple[str | None, int | None]:
    text = " ".join(_norm(x) for x in lines)
    cc = patterns()["code_cell"]
    code = cc["code"].search(text)
    num = cc["number"].search(text)
    number = int(num.group(1)) if num else None
    if number is None and code is None:
        bare = re.fullmatch(r"\W*(\d{1,3})\W*", text)
        number = int(bare.group(1)) if bare else None
    return (code.group(1) if code else None), number


def _only_code(lines: list[str]) -> bool:
    """The lines hold an objective's code or running number ("OB. 3", "2.3") and nothing else."""
    text = " ".join(_norm(x) for x in lines)
    cc = patterns()["code_cell"]
    rest = cc["number"].sub(" ", cc["code"].sub(" ", text))
    return bool(text.strip()) and not re.search(r"\w", rest)


def _level(lines: list[str]) -> tuple[str | None, int | float | None]:
    return level_value(" ".join(_norm(x) for x in lines))


def _timeframe(lines: list[str], period_start: str | None, g: _Group | None = None,
               year: int | None = None) -> str | None:
    from pipeline.dates import gantt_period, month_name

    text = join_lines(lines) or None
    if text and period_start and re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
        return f"{period_start} – {text}"
    if not text and g is not None and g.gantt:  # a Gantt grid: the first marked month to the last
        header = g.table.rows[0]
        row = [g.gantt.get(k) for k in range(len(header))]
        if year:
            period = gantt_period(header, row, year)
            return period.label() if period else None
        months = sorted(month_columns(header)[k] for k in g.gantt)
        first, last = month_name(months[0]), month_name(months[-1])
        return first if first == last else f"{first} – {last}"
    return text


def period_start(doc: Document) -> str | None:
    """The day the plan says every objective's period starts ("decorre dal 1° gennaio 2025"),
    as dd/mm/yyyy, when the cards print only their deadline."""
    from pipeline.dates import month_number

    rx = patterns()["period_start"]
    for line in doc.lines():
        m = rx.search(fold(_norm(line.text)))
        if m:
            month = month_number(m.group(2))
            if month:
                return f"{int(m.group(1)):02d}/{month:02d}/{m.group(3)}"
    return None


def _kind(scope: str | None, title: str | None, description: str | None) -> str:
    first = (description or "").split(".")[0]
    for text in (title, first):
        k = kind_of(text) if text else None
        if k == "intersettoriale":
            return k
    return kind_of(scope) or "settore"


def _indicator(cells: dict[str, list[str]]) -> Indicator:
    target = join_lines(cells.get("target", [])) or None
    weight = weight_cell(" ".join(cells.get("weight", [])))
    return Indicator(
        name=join_lines(cells.get("name", [])) or None,
        target=target,
        target_value=target_value(target),
        weight_pct=weight,
        activity=join_lines(cells.get("activity", [])) or None,
        baseline=join_lines(cells.get("baseline", [])) or None,
        formula=join_lines(cells.get("formula", [])) or None,
        page=int(cells["_page"][0]) if cells.get("_page") else None,
    )


def _objective(g: _Group, position: int, start: str | None, year: int | None,
               paragraph_cells: bool = False) -> Objective:
    code, number = _code_and_number(g.cells.get("code", []))
    title_lines, description_lines = g.cells.get("title", []), g.cells.get("description", [])
    if not paragraph_cells and not description_lines and "" in title_lines:
        # no description column, and the title cell changes type (bold title, italic text):
        # the lines after the change describe the objective, unless what stands before the
        # change is only the objective's code ("OB. 3" in bold over the title)
        k = title_lines.index("")
        if _only_code(title_lines[:k]):
            if not g.cells.get("code"):
                code, number = _code_and_number(title_lines[:k])
            title_lines = title_lines[k + 1:]
        if "" in title_lines:
            k = title_lines.index("")
            title_lines, description_lines = title_lines[:k], title_lines[k + 1:]
    title_lines = [ln for ln in title_lines if ln]
    description_lines = [ln for ln in description_lines if ln]
    if paragraph_cells and not description_lines and len(title_lines) > 1:
        # no description column: the title cell's first paragraph is the title, the paragraphs
        # under it describe the objective (cells of a DOCX keep their paragraphs)
        title_lines, description_lines = title_lines[:1], title_lines[1:]
    title = join_lines(title_lines) or None
    parts = _split_labels(description_lines)
    description = join_lines(parts.get("description", [])) or None
    level, level_value = _level(g.cells.get("level", []))
    staff_text = join_lines(g.cells.get("staff", [])) or None
    timeframe = _timeframe(g.cells.get("timeframe", []) or parts.get("timeframe", []), start, g, year)
    scope = join_lines(g.cells.get("scope", [])) or g.scope
    pages = sorted(set(g.pages))
    return Objective(
        number=number if number is not None else position,
        number_printed=number is not None,
        code=code,
        scope_line=scope,
        kind=_kind(scope, title, description),
        title=title,
        timeframe=timeframe,
        staff_text=staff_text,
        staff_count=count_staff(staff_text, year) if staff_text else None,
        strategic_level=level,
        objective_weight=level_value,
        pages=[pages[0], pages[-1]] if pages else [],
        description=description,
        phases=join_lines(parts.get("phases", [])) or None,
        indicators=[_indicator(c) for c in g.indicators],
        field_pages={"number": g.table.page, "title": g.table.page, "indicators": g.table.page},
    )


def is_prerequisite(g: _Group) -> bool:
    """A weightless objective marked "X" in its weight column: it gates the whole bonus."""
    mark = " ".join(g.cells.get("level", [])).strip()
    weights = {" ".join(i.get("weight", [])).strip() for i in g.indicators}
    return mark.upper() == "X" or (bool(weights) and weights <= {"X", "x"})


def _repair_ocr_targets(reading, doc: Document) -> None:
    """The OCR slips of the targets on OCR'd pages undone
    (:func:`~extractors.cards.values.quantity_repairs`), each one that changes the value noted
    with the target as read and as repaired. Digital pages keep their targets as printed."""
    ocr_pages = {p.number for p in doc.pages if p.ocr or doc.format == "text"}
    if not ocr_pages:
        return
    for o in reading.objectives:
        for position, ind in enumerate(o.indicators, 1):
            page = ind.page if ind.page is not None else (o.pages[0] if o.pages else None)
            if not ind.target or page not in ocr_pages:
                continue
            fixed = join_lines([quantity_repairs(ind.target)[0]])
            value = target_value(fixed)
            if fixed != ind.target:
                if value != ind.target_value:
                    reading.notes.append(ocr_repair_note(o.number, position, page, ind.target, fixed))
                o.indicators[position - 1] = ind.model_copy(update={"target": fixed, "target_value": value})


def read_matrix(doc: Document, year: int | None = None):
    """Every objective of the document's matrix tables, in order (a Reading; no objectives
    when it has none). Rows marked "X" instead of a weight are prerequisites, not objectives."""
    from extractors.cards import Reading

    groups = [g for g in _objective_rows(doc) if g.cells.get("code") or g.cells.get("title")]
    reading = Reading(layout="matrix")
    if not groups:
        return reading
    start = period_start(doc)
    kept = [g for g in groups if not is_prerequisite(g)]
    reading.prerequisites = [join_lines(g.cells.get("title", [])) for g in groups if is_prerequisite(g)]
    reading.objectives = [_objective(g, k + 1, start, year, paragraph_cells=doc.format == "docx")
                          for k, g in enumerate(kept)]
    if all(not o.indicators for o in reading.objectives):
        reading.layout = "list"
    _repair_ocr_targets(reading, doc)
    seen: set[str] = set()
    for table, _ in matrix_tables(doc):
        unknown = [u for u in unknown_columns(table.rows[0]) if u not in seen and not month_columns((u,) * 3)]
        seen.update(unknown)
        if unknown:
            reading.notes.append(f"tabella degli obiettivi a pag. {table.page}: colonna non riconosciuta "
                                 + ", ".join(f"«{u}»" for u in unknown))
    return reading
