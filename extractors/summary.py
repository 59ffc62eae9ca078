"""The plan's printed summary table ("Riepilogo obiettivi"): one row per objective and a TOTALE.

Read from the ruled table cells when the back-end found them (PDF, DOCX): title and scope cells
span several lines there. Without tables (OCR text), rows are read from lines that end with the
table's numeric columns; the title and scope then stay unknown (None).
"""

from __future__ import annotations

import re

from extractors.layout import Document, Line, Table
from extractors.normalize import IT_NUMBER, as_number, clean_spaces, fold, parse_it_number, unify
from pipeline.record import SummaryRow

#: Header words -> field, checked in this order against the folded header cell.
COLUMNS: list[tuple[str, re.Pattern]] = [
    ("strategic_weight", re.compile(r"\bpeso\b.*\bstrategic")),
    ("staff_coefficient", re.compile(r"\bpeso\b.*\b(?:personale|dipendenti|coinvolt)")),
    # a plan weighing by points: the objective's own weight ("Peso", "Peso dell'obiettivo")
    ("strategic_weight", re.compile(r"^peso\b(?!.*\b(?:personale|dipendenti|indicator))")),
    ("staff_count", re.compile(r"\b(?:dipendenti|personale|addetti)\b")),
    ("strategic_level", re.compile(r"\bstrategicita\b|\blivello\b")),
    ("points", re.compile(r"\bpunteggio\b|\bpunti\b")),
    ("amount_eur", re.compile(r"\bimporto\b|\bquota\b|€|\beuro\b")),
    ("scope", re.compile(r"\bsettore\b|\barea\b|\bservizio\b")),
    ("title", re.compile(r"\bobiettivo\b|\bdescrizione\b|\btitolo\b")),
    ("number", re.compile(r"^(?:n|nr|num|numero)\s*[.°º]?$")),
]
#: A header needs at least one of these sets of fields to be the summary table: amounts per
#: objective, or (a plan weighing by points) each objective's title and weight.
REQUIRED_ANY = ({"number", "amount_eur"}, {"number", "title", "strategic_weight"})
TOTAL_RE = re.compile(r"^\s*totale\b")
#: Line fallback: "<n> <title/scope words> <level> <staff> <weight> <coef> <points> <amount>".
_NUM = rf"(?:{IT_NUMBER})"
ROW_LINE_TEMPLATE = (
    r"^(?P<number>[\dlI|O]{1,3})\s+(?P<text>.*?)\s*(?<![\w-])(?P<level><LEVEL>)\s+(?P<staff>\d{1,3})\s+"
    rf"(?P<weight>{_NUM})\s+(?P<coef>{_NUM})\s+(?P<points>{_NUM})\s+(?P<amount>{_NUM})\s*$"
)
#: Without the plan's own level names: one or two lower-case words.
ANY_LEVEL = r"[a-zà-ù]+(?:\s[a-zà-ù]+)?"


def _row_line_re(levels: list[str] | None) -> re.Pattern:
    alt = "|".join(re.escape(x) for x in sorted(levels, key=len, reverse=True)) if levels else ANY_LEVEL
    return re.compile(ROW_LINE_TEMPLATE.replace("<LEVEL>", alt), re.IGNORECASE if levels else 0)


TOTAL_LINE_RE = re.compile(rf"^\s*totale\b.*?(?P<amount>{_NUM})\s*$")
HEADING_RE = re.compile(r"\briepilogo\b")

INT_FIELDS = {"number", "staff_count"}
NUMBER_FIELDS = {"strategic_weight", "staff_coefficient", "points", "amount_eur"}


def _columns(header: tuple[str | None, ...]) -> dict[int, str]:
    cols: dict[int, str] = {}
    taken: set[str] = set()
    for i, cell in enumerate(header):
        f = fold(cell or "")
        for name, rx in COLUMNS:
            if name not in taken and rx.search(f):
                cols[i] = name
                taken.add(name)
                break
    return cols


#: Month columns (a Gantt grid): a table with several is a list of objectives, not a summary.
MONTH_RE = re.compile(r"^(?:gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic)[a-z]*\.?$")
MAX_MONTH_COLUMNS = 2


def _is_header(fields: set[str], cells: tuple[str | None, ...] = ()) -> bool:
    months = sum(1 for c in cells if MONTH_RE.match(fold(c or "")))
    return len(fields) >= 4 and months <= MAX_MONTH_COLUMNS and any(required <= fields for required in REQUIRED_ANY)


#: A weight printed as points out of a hundred ("30/100", "30 / 100", "30 punti").
POINTS_RE = re.compile(r"^\s*(?P<n>\d+(?:,\d+)?)\s*(?:/\s*100|punti)\s*$", re.IGNORECASE)


def _value(name: str, cell: str | None):
    if cell is None or not cell.strip():
        return None
    text = clean_spaces(unify(cell))
    if name in INT_FIELDS:
        m = re.search(r"\d+", text)
        return int(m.group(0)) if m else None
    if name in NUMBER_FIELDS:
        points = POINTS_RE.match(text) if name == "strategic_weight" else None
        v = parse_it_number(points.group("n") if points else text)
        return as_number(v) if name in {"strategic_weight"} else v
    if name == "strategic_level":
        return text.lower()
    return cell_text(cell)


def cell_text(cell: str) -> str:
    """A multi-line cell as one line; a line ending in a hyphen joins the next without a space
    ("AMMINISTRATIVO-\nFINANZIARIO" -> "AMMINISTRATIVO-FINANZIARIO")."""
    parts = [clean_spaces(p) for p in cell.splitlines() if p.strip()]
    out = ""
    for part in parts:
        if out and not (re.search(r"\w-$", out) and part[:1].isalpha()):
            out += " "
        out += part
    return out


def _from_tables(tables: list[Table]) -> tuple[list[SummaryRow], float | None]:
    rows: list[SummaryRow] = []
    total: float | None = None
    cols: dict[int, str] | None = None
    for table in tables:
        for cells in table.rows:
            found = _columns(cells)
            if _is_header(set(found.values()), cells):
                cols = found  # a (repeated) header row
                continue
            if cols is None:
                continue
            first = next((c for c in cells if c and c.strip()), "")
            if TOTAL_RE.match(fold(first)):
                amount_col = next((i for i, n in cols.items() if n == "amount_eur"), None)
                cell = cells[amount_col] if amount_col is not None and amount_col < len(cells) else None
                if cell is None:  # merged cells may shift the amount: take the row's last number
                    cell = next((c for c in reversed(cells) if c and parse_it_number(c) is not None), None)
                total = parse_it_number(cell)
                continue
            weight_col = next((i for i, n in cols.items() if n == "strategic_weight"), None)
            if weight_col is not None and weight_col < len(cells) and (cells[weight_col] or "").strip() in {"X", "x"}:
                continue  # a weightless prerequisite marked "X", not an objective
            values = {name: _value(name, cells[i] if i < len(cells) else None) for i, name in cols.items()}
            if values.get("number") is None:
                number_col = next((i for i, n in cols.items() if n == "number"), None)
                raw = (cells[number_col] or "").strip() if number_col is not None and number_col < len(cells) else ""
                values["number"] = _ocr_int(raw, rows[-1].number if rows else None) if raw else None
            if values.get("number") is None and values.get("amount_eur") is not None:
                rows.append(SummaryRow(**values, page=table.page))  # a row whose number is unreadable
                continue
            if values.get("number") is None:
                if rows and any(values.get(k) for k in ("title", "scope")):
                    # A row split across pages: its continuation carries no number.
                    prev = rows[-1]
                    for k in ("title", "scope"):
                        if values.get(k):
                            setattr(prev, k, clean_spaces(f"{getattr(prev, k) or ''} {values[k]}"))
                continue
            rows.append(SummaryRow(**values, page=table.page))
    return rows, total


def _summary_tables(doc: Document) -> list[Table]:
    out = []
    inside = False
    for page in doc.pages:
        for table in page.tables:
            header = table.rows[0] if table.rows else ()
            if _is_header(set(_columns(header).values()), header):
                inside = True
                out.append(table)
            elif inside and any(TOTAL_RE.match(fold(next((c for c in r if c), "") or "")) for r in table.rows):
                out.append(table)  # last page without a repeated header
                inside = False
    return out


#: Glyphs OCR puts for digits in a row number ("ll" for 11).
OCR_DIGITS = str.maketrans({"l": "1", "I": "1", "|": "1", "O": "0"})


def _ocr_int(token: str, previous: int | None) -> int | None:
    """A row number; a misread one (letters for digits) only when it continues the sequence."""
    if token.isdigit():
        return int(token)
    fixed = token.translate(OCR_DIGITS)
    if fixed.isdigit() and previous is not None and int(fixed) == previous + 1:
        return int(fixed)
    return None


def _from_lines(lines: list[Line], levels: list[str] | None) -> tuple[list[SummaryRow], float | None]:
    row_re = _row_line_re(levels)
    rows: list[SummaryRow] = []
    total = None
    in_summary = False
    for line in lines:
        text = clean_spaces(unify(line.text))
        f = fold(text)
        if HEADING_RE.search(f):
            in_summary = True
            continue
        if not in_summary:
            continue
        m = row_re.match(text)
        number = _ocr_int(m.group("number"), rows[-1].number if rows else None) if m else None
        if m and number is not None:
            rows.append(SummaryRow(
                number=number,
                strategic_level=m.group("level").strip().lower(),
                staff_count=int(m.group("staff")),
                strategic_weight=as_number(parse_it_number(m.group("weight"))),
                staff_coefficient=parse_it_number(m.group("coef")),
                points=parse_it_number(m.group("points")),
                amount_eur=parse_it_number(m.group("amount")),
                page=line.page,
            ))
            continue
        t = TOTAL_LINE_RE.match(f)
        if t and rows:
            total = parse_it_number(t.group("amount"))
            break
    return rows, total


def parse_summary(doc: Document, levels: list[str] | None = None) -> tuple[list[SummaryRow], float | None]:
    """The summary rows and the TOTALE amount; ``([], None)`` when the plan prints no summary.

    ``levels``: the plan's strategicità names (from its weights table), which make the
    line-based fallback exact; without them a level is one or two lower-case words.
    """
    tables = _summary_tables(doc)
    if tables:
        rows, total = _from_tables(tables)
        if rows:
            return rows, total
    return _from_lines(doc.lines(), levels)
