"""Parse the objective cards ("schede obiettivo") of a Piano della Performance.

Input is the layout :class:`~extractors.layout.Document` any back-end produces (PDF text layer,
DOCX, Tesseract, plain OCR text); output is a list of :class:`~pipeline.record.Objective`.

A card reads::

    PERFORMANCE ORGANIZZATIVA / ANNO 2025 / <scope line> / OBIETTIVO N. x / OBIETTIVO: <title> /
    Descrizione dell'obiettivo / Tempi di attuazione / Fasi di attuazione / Attività operative ... /
    <indicators table: Indicatori operativi | Quantità | Attività riferibile agli indicatori> /
    Soglia minima risultato atteso / Personale da coinvolgere ... / Indicatori per la verifica ...

The card is cut into fields by its labels (patterns in ``cards_patterns.yaml``). Indicators come
from the ruled table when the back-end found one (digital PDF, DOCX): fragments of a table broken
across pages are joined and a row split by the page break is merged back. Without a table
(scans, OCR text) the indicator region is read from the lines alone: by column position when the
words have boxes, by the shape of the text otherwise (rows end at the "(se completata =
raggiungimento X% obiettivo)" line, the quantity is the "n.1 azione"-like token).

General rules only: nothing here knows one plan's titles, numbers or pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from extractors.cards.vocabulary import patterns
from extractors.layout import Document, Line, Table
from extractors.normalize import fold
from extractors.staff import count_staff
from pipeline.record import Indicator, Objective

FIELDS = ("title", "description", "timeframe", "phases", "activities", "indicators",
          "threshold", "staff", "verification", "scope", "responsible", "stakeholder",
          "contributor", "dimension", "source", "objective_weight")


# -- text helpers --------------------------------------------------------------------------------

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u00b4": "'", "`": "'", "\u00a0": " "})


def _norm(text: str) -> str:
    """One line for matching: single spaces, one apostrophe style (accents and case kept)."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip()


def ocr_fix(text: str) -> str:
    """Undo OCR slips that are safe to undo anywhere in Italian prose (general rules).

    "I'" for "l'", "Awvio"/"Awio" for "Avvio", "dellArea" for "dell'Area", "€&"/"&" for "è",
    stray "|" column rules.
    """
    t = text
    t = re.sub(r"(?<![A-Za-zÀ-ÿ])I(['’])(?=[A-Za-zÀ-ÿ])", r"l\1", t)
    t = re.sub(r"\b([Aa])wv?(?=i[oa])", r"\1vv", t)
    t = re.sub(r"\b([Dd]ell|[Nn]ell|[Aa]ll|[Dd]all|[Ss]ull)(?=[A-ZÀ-Ü][a-zà-ù])", r"\1'", t)
    # "dellintervento": the apostrophe lost before a vowel ("della", "nello"... are words, so a
    # single vowel after the stem is left alone; "all" starts real words: "allegato")
    t = re.sub(r"\b([Dd]ell|[Nn]ell|[Dd]all|[Ss]ull)(?=[aeiouàèéìòù][a-zà-ù]{2,})", r"\1'", t)
    t = re.sub(r"(?<=\b\d)\s?[~^\"”](?=\s+[a-zà-ù])", "ª", t)  # "1~ giornata": an OCR'd ordinal
    t = re.sub(r"€&", "è", t)
    t = re.sub(r"(?<=\s)[€&](?=\s+[a-zà-ù])", "è", t)
    t = re.sub(r"\s*\|\s*", " ", t)
    t = re.sub(r"^[\s\[\]|]+", "", t)
    return re.sub(r"\s+", " ", t).strip()


def quantity_fix(text: str) -> str:
    """OCR slips in quantity cells: "nA20" -> "n.120", "n.1azione" -> "n.1 azione", "n-12" -> "n.12",
    "nazioni"/"no azioni" -> "n. azioni", ".1 azione" -> "n.1 azione", "n.s" -> "n.5"."""
    t = text
    t = re.sub(r"\bnA(\d*)\b", r"n.1\1", t)
    t = re.sub(r"\bn[-·,]\s?(\d)", r"n.\1", t)
    t = re.sub(r"\bn\.s\b", "n.5", t)
    t = re.sub(r"\bazion[t1l]\b", "azioni", t)
    t = re.sub(r"\bn\s*°\s*(\d)", r"n°\1", t)
    t = re.sub(r"\b(?:no\s+|n)(azion[ei])\b", r"n. \1", t)
    t = re.sub(r"(?:(?<=\s)|^)\.(\d+\s+azion)", r"n.\1", t)
    t = re.sub(r"(\bn\s*[.°]\s*\d+)(?=[a-zA-Zà-ù])", r"\1 ", t)
    # a unit word glued to the preposition after it ("corsoin" -> "corso in", "viesu" -> "vie su")
    t = re.sub(r"\b((?-i:" + _unit() + r"))(?-i:(" + "|".join(patterns()["quantity"]["glued_after_unit"])
               + r"))\b", r"\1 \2", t)
    return t


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines of one paragraph or cell into one string.

    A line ending in a hyphen or slash glued to a word continues the word ("SUE-SUAP-" +
    "commercio"); a long single-token line cut mid-word by a narrow cell continues likewise.
    """
    out = ""
    for raw in parts:
        p = _norm(raw)
        if not p:
            continue
        if not out:
            out = p
            continue
        last = out.split(" ")[-1]
        glue = False
        if out.endswith("/"):
            glue = True
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha() and p[:1].isalpha():
            glue = True
        elif len(last) >= 22 and p[:1].islower() and last[-1:].isalpha():
            glue = True  # a token this long at the line's end is a word a narrow cell broke
        out = out + p if glue else out + " " + p
    return out.strip()


_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"


def _to_number(token: str) -> int | float:
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "")
    token = token.replace(",", ".")
    value = float(token)
    return int(value) if value.is_integer() else value


def target_value(target: str | None) -> int | float | None:
    """The number a Quantità cell states: "n.1 azione" -> 1, "Almeno n.32 vie su 45 (70%)" -> 32,
    "3 documenti" -> 3, "n. azioni" / "Continua" -> None. The first number printed is the target."""
    if not target:
        return None
    t = quantity_fix(target)
    # the first number printed; of a date its day ("entro il 31/05/2025": 31)
    found = [m for m in (re.search(r"(?<![\d/])(" + _NUM + r")(?![\d/])", t),
                         re.search(r"(?<![\d/])(\d{1,2})(?=/\d)", t)) if m]
    m = min(found, key=lambda m: m.start()) if found else None
    return _to_number(m.group(1)) if m else None


def weight_of(text: str) -> tuple[int | float | None, str]:
    """(weight %, text without the weight phrase) from "(se completata = raggiungimento X% obiettivo)"."""
    p = patterns()
    found = list(p["weight"].finditer(text))
    for rx in p["weight_phrases"]:
        if found:
            break
        found = list(rx.finditer(text))
    if not found:
        return None, text
    m = found[-1]
    rest = (text[: m.start()] + " " + text[m.end():]).strip()
    return _to_number(m.group(1)), re.sub(r"\s+", " ", rest).strip()


def kind_of(scope: str | None) -> str | None:
    """generale / intersettoriale / settore, from the card's scope line."""
    if not scope:
        return None
    k = patterns()["kind"]
    if k["intersettoriale"].search(scope):
        return "intersettoriale"
    if k["generale"].search(scope):
        return "generale"
    if len(k["settore_word"].findall(scope)) >= 2:
        return "intersettoriale"
    return "settore"


def _count_staff(text: str | None, year: int | None) -> int | None:
    return count_staff(text, year) if text else None


# -- card segmentation ---------------------------------------------------------------------------


@dataclass
class _Card:
    start: int  # index of the first header line (banner) in the line list
    number_line: int
    end: int
    number: int | None
    scope_lines: list[int]
    year: int | None = None
    heading_title: str | None = None  # "Obiettivo n. 3 – <title>": the title on the heading line
    heading: str = ""  # the heading line as printed


@dataclass
class _Row:
    name: list[str] = field(default_factory=list)
    target: list[str] = field(default_factory=list)
    activity: list[str] = field(default_factory=list)
    weight: int | float | None = None
    page: int | None = None
    baseline: list[str] = field(default_factory=list)
    formula: list[str] = field(default_factory=list)


def _number_token(token: str) -> int | None:
    if not token:
        return None
    token = token.translate(str.maketrans("OoIl", "0011"))
    return int(token) if token.isdigit() else None


def heading_of(text: str) -> tuple[int | None, str | None] | None:
    """(running number or None when printed blank, title on the same line or None) when the
    line is a card heading in any of the vocabulary's forms, else None."""
    p = patterns()
    m = p["card_number"].match(text)
    if m and len(text) <= 30:
        return _number_token(m.group(1)), None
    for rx in p["card_headings"]:
        m = rx.match(text)
        if m:
            rest = (m.group("rest") or "").strip() or None
            if rest is None and len(text) > 40:
                continue  # a heading alone is short; a long line is prose
            return _number_token(m.group("num")), rest
    return None


def _find_cards(texts: list[str]) -> list[_Card]:
    p = patterns()
    cards: list[_Card] = []
    for i, t in enumerate(texts):
        head = heading_of(t)
        if head is None:
            continue
        number, rest = head
        # the header block above: banner, year, scope (within a few lines)
        lo = cards[-1].number_line + 1 if cards else 0
        banner = year_idx = None
        j = i - 1
        seen = 0
        while j >= lo and seen < 8:
            if texts[j]:
                seen += 1
                if p["card_banner"].match(texts[j]):
                    banner = j
                    break
                if year_idx is None and p["card_year"].match(texts[j]):
                    year_idx = j
            j -= 1
        top = year_idx if year_idx is not None else banner
        if top is None:
            # no banner, no year: the scope is the non-empty line right above, when it is no
            # field of the previous card (a label) and no heading of a group
            k = i - 1
            while k >= lo and not texts[k]:
                k -= 1
            scope = [k] if k >= lo and _label_of(texts[k], "other") is None else []
            start = scope[0] if scope else i
        else:
            scope = [k for k in range(top + 1, i) if texts[k]]
            start = banner if banner is not None else top
        year = None
        if year_idx is not None:
            ym = p["card_year"].match(texts[year_idx])
            year = int(ym.group(1)) if ym else None
        if cards:
            cards[-1].end = start
        cards.append(_Card(start=start, number_line=i, end=len(texts), number=number,
                           scope_lines=scope, year=year, heading_title=rest, heading=t))
    return cards


#: The order labels are tried in: specific before general ("Indicatori per la verifica" before
#: "Indicatori"; "Descrizione dell'obiettivo" before "Obiettivo:").
LABEL_ORDER = ("verification", "staff", "threshold", "indicators", "activities", "phases",
               "timeframe", "description", "objective_weight", "scope", "responsible",
               "stakeholder", "contributor", "dimension", "source", "title")


def _label_of(text: str, state: str | None) -> tuple[str, str] | None:
    """(field, rest of line) when the line opens a field."""
    labels = patterns()["labels"]
    for name in LABEL_ORDER:
        if name == "title" and state not in (None, "scope", "responsible"):
            continue  # "Obiettivo:" opens a card's fields, it is no label inside them
        for rx in labels.get(name, ()):
            m = rx.match(text)
            if m:
                return name, text[m.end():].strip()
    if state not in ("indicators", "threshold", "staff", "verification") \
            and patterns()["indicators_header"].search(text):
        return "indicators", text  # the table's header row, its first label lost to OCR
    if state != "indicators" and is_table_header_line(text):
        return "indicators", text  # an indicator table's header row, wherever it stands
    return None


# -- indicators from ruled tables ----------------------------------------------------------------


def column_roles(row: tuple[str | None, ...] | list[str]) -> dict[str, int]:
    """{role: column index} from a header row: each cell's role from the vocabulary's synonyms
    (``column_roles``), matched at the start of the folded cell text; first cell wins a role."""
    roles = patterns()["column_roles"]
    found: dict[str, int] = {}
    for idx, cell in enumerate(row):
        text = fold(_norm(cell or "")).strip(" :")
        if not text or len(text) > 80:
            continue
        for role, variants in roles.items():
            if role in found:
                continue
            if any(rx.match(text) for rx in variants):
                found[role] = idx
                break
    return found


def is_indicator_header(roles: dict[str, int]) -> bool:
    """An indicator table's header names the indicator and its target, weight or activity."""
    return "name" in roles and bool({"target", "weight", "activity"} & roles.keys())


def is_table_header_line(text: str) -> bool:
    """A line that is an indicator table's header row read as text: the indicator column first
    and two or more other column synonyms after it ("Indicatore Formula di calcolo Target 2025
    Peso %")."""
    f = fold(_norm(text))
    if len(f) > 160:
        return False
    roles = patterns()["column_roles"]
    first = next((rx for rx in roles["name"] if rx.match(f)), None)
    if first is None:
        return False
    hits = {role for role, variants in roles.items() if role != "name"
            for rx in variants if rx.search(f, 1)}
    return len(hits & {"target", "weight", "baseline", "formula", "activity"}) >= 2


def _header_columns(row: tuple[str | None, ...]) -> dict[str, int] | None:
    roles = column_roles(row)
    if not is_indicator_header(roles):
        return None
    if "activity" not in roles and "weight" not in roles:
        # a weight phrase lives in the column right of the target when none is named (Chiari)
        nxt = max(roles.values()) + 1
        if nxt < len(row):
            roles["activity"] = nxt
    return roles


def _is_indicator_table(table: Table) -> bool:
    return bool(table.rows) and _header_columns(table.rows[0]) is not None


def _cell_lines(cell: str | None) -> list[str]:
    return [ln for ln in (cell or "").split("\n") if ln.strip()]


def weight_cell(text: str | None) -> int | float | None:
    """The number of a weight column's cell: "30", "30%", "30 punti", "0,25" as printed."""
    if not text:
        return None
    m = re.search(r"(?<![\d/])(" + _NUM + r")\s*(?:%|punti|pt)?", _norm(text))
    return _to_number(m.group(1)) if m else None


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


# -- indicators from lines -----------------------------------------------------------------------


def _strip_header(text: str) -> str:
    for frag in patterns()["header_fragments"]:
        text = frag.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip(" |")


def _has_boxes(lines: list[Line]) -> bool:
    return bool(lines) and all(ln.words and any(w.x1 > 0 for w in ln.words) for ln in lines)


def _rows_from_boxed_lines(lines: list[Line]) -> list[_Row] | None:
    """Assign words to the three columns by x, rows by the weight lines.

    The quantity column starts at the "Quantità" header word; the activity column at the left
    edge of the weight phrases "(se completata ...)", which sit left-aligned in their cells
    (header words may be centred), else at the "Attività riferibile" header word. Words of the
    header band and OCR specks (far flatter than the text) are dropped.
    """
    th = patterns()["table_header"]
    q_x = a_x = None
    header_bottom: dict[int, float] = {}
    for ln in lines[:6]:
        words = list(ln.words)
        if _strip_header(_norm(ln.text)) != _norm(ln.text) or th["target"].search(_norm(ln.text)):
            header_bottom[ln.page] = max(header_bottom.get(ln.page, 0.0), max(w.bottom for w in words))
        for k, w in enumerate(words):
            wt = _norm(w.text)
            if q_x is None and th["target"].match(wt):
                q_x = w.x0
            elif q_x is not None and a_x is None and re.match(r"\W?attivit", wt, re.I) and w.x0 > q_x:
                nxt = " ".join(x.text for x in words[k:k + 3])
                if th["activity"].search(_norm(nxt)):
                    a_x = w.x0
    if q_x is None:
        return None
    weight_x = [w.x0 for ln in lines for w in ln.words
                if re.fullmatch(r"\(?se", w.text, re.I) and w.x0 > q_x]
    if weight_x:
        a_x = min(weight_x)
    if a_x is None:
        return None
    heights = sorted(w.bottom - w.top for ln in lines for w in ln.words if w.bottom > w.top)
    line_h = heights[len(heights) // 2] if heights else 10.0
    min_h = 0.5 * line_h
    b2 = a_x - 4
    # more header lines right under the header (same cell: no padding gap), none in the activity column
    for ln in lines:
        hb = header_bottom.get(ln.page)
        if hb is None or ln.top <= hb - 0.5 * line_h:
            continue
        if ln.top - hb < 0.3 * line_h and all(w.x0 < b2 for w in ln.words):
            header_bottom[ln.page] = max(hb, ln.bottom)
        elif ln.top > hb:
            break
    # the name/quantity border: the emptiest x left of the "Quantità" header (a centred quantity
    # may start left of its header word)
    body = [w for ln in lines for w in ln.words
            if (w.top + w.bottom) / 2 > header_bottom.get(ln.page, -1.0) and w.bottom - w.top >= min_h]

    def coverage(x: float) -> int:
        return sum(1 for w in body if w.x0 < x < w.x1)

    xs = [q_x - 6 - d for d in range(0, 50)]
    b1 = min(xs, key=lambda x: (coverage(x), q_x - 6 - x))
    # per column: (page, top, bottom, text)
    cols: list[list[tuple[int, float, float, str]]] = [[], [], []]
    for ln in lines:
        if _is_header_line(ln.text):
            continue
        groups: list[list[Any]] = [[], [], []]
        for w in ln.words:
            if w.bottom - w.top < min_h or (w.top + w.bottom) / 2 < header_bottom.get(ln.page, -1.0):
                continue
            if _is_speck(w.text):
                continue
            # centred quantity cells may start left of their header: decide by the word's centre
            groups[0 if (w.x0 + w.x1) / 2 < b1 else 1 if w.x0 < b2 else 2].append(w)
        for c, ws in enumerate(groups):
            if len(ws) == 1 and re.fullmatch(r"[A-ZÀ-Ü]", ws[0].text):
                continue  # a lone capital letter alone in its cell on this line: a speck
            if ws:
                text = " ".join(w.text for w in ws)
                cols[c].append((ln.page, min(w.top for w in ws), max(w.bottom for w in ws), text))
    for col in cols:
        col.sort(key=lambda item: (item[0], item[1]))
    # rows: activity blocks ending at weight lines
    bands: list[tuple[tuple[int, float], tuple[int, float], _Row]] = []
    acc: list[tuple[int, float, float, str]] = []
    rows: list[_Row] = []
    for item in cols[2]:
        acc.append(item)
        w, _ = weight_of(_norm(" ".join(a[3] for a in acc)))
        if w is not None:
            row = _Row(activity=[a[3] for a in acc], weight=w, page=acc[0][0])
            rows.append(row)
            bands.append(((acc[0][0], acc[0][1]), (acc[-1][0], acc[-1][2]), row))
            acc = []
    if acc:
        if rows and not weight_of(_norm(" ".join(a[3] for a in acc)))[0]:
            rows[-1].activity += [a[3] for a in acc]
        else:
            row = _Row(activity=[a[3] for a in acc], page=acc[0][0])
            rows.append(row)
            bands.append(((acc[0][0], acc[0][1]), (acc[-1][0], acc[-1][2]), row))
    if not rows:
        return None

    page_span = 100000.0  # (page, y) -> one vertical coordinate

    def y_of(page: int, y: float) -> float:
        return page * page_span + y

    spans = [(y_of(*lo), y_of(*hi)) for lo, hi, _ in bands]
    line_h = heights[len(heights) // 2] if heights else 10.0
    # a name is never empty; a quantity cell may be, when no line fits it (two lines' height off)
    for c, empty_cost in ((0, 1e6), (1, (2.0 * line_h) ** 2)):
        items = [(y_of(page, top), y_of(page, bottom), text) for page, top, bottom, text in cols[c]]
        for k, group in enumerate(_segment(items, spans, empty_cost)):
            for text in group:
                (bands[k][2].name if c == 0 else bands[k][2].target).append(text)
    return rows


def _segment(items: list[tuple[float, float, str]], bands: list[tuple[float, float]],
             empty_cost: float) -> list[list[str]]:
    """Cut a column's lines (in reading order) into one contiguous group per table row.

    A cell's text sits level with its row's activity cell: centred (the group's middle near the
    band's middle) or top-aligned (the tops near each other), whichever fits. Dynamic
    programming over (rows, lines); an empty group costs ``empty_cost``.
    """
    n, k = len(items), len(bands)
    inf = float("inf")

    def cost(i: int, j: int, r: int) -> float:
        top, bottom = items[i][0], items[j - 1][1]
        b_top, b_bottom = bands[r]
        centred = ((top + bottom) - (b_top + b_bottom)) / 2
        return min(centred * centred, (top - b_top) ** 2)

    best = [[inf] * (n + 1) for _ in range(k + 1)]
    back = [[0] * (n + 1) for _ in range(k + 1)]
    best[0][0] = 0.0
    for r in range(1, k + 1):
        for j in range(n + 1):
            best[r][j], back[r][j] = best[r - 1][j] + empty_cost, j
            for i in range(j):
                if best[r - 1][i] < inf:
                    v = best[r - 1][i] + cost(i, j, r - 1)
                    if v < best[r][j]:
                        best[r][j], back[r][j] = v, i
    groups: list[list[str]] = [[] for _ in range(k)]
    j = n
    for r in range(k, 0, -1):
        i = back[r][j]
        groups[r - 1] = [t for _, _, t in items[i:j]]
        j = i
    return groups


def _is_speck(token: str) -> bool:
    """An OCR speck: one or two characters that are no Italian word, number or symbol of note."""
    t = token.strip()
    if not t:
        return True
    if not re.search(r"[\w%&+/\-–—]", t):
        return True
    return len(t) <= 2 and t.strip(".,;:") in patterns()["not_short_words"]  # lower case only: "L." is a word


def _is_header_line(text: str) -> bool:
    return not _strip_header(_norm(text))


def _unit() -> str:
    """Alternation of the unit words a quantity cell counts ("azioni", "controlli", ...)."""
    return "|".join(patterns()["quantity"]["units"])


def _open_end() -> re.Pattern[str]:
    """A line ending in one of these words is unfinished: the next line continues the cell."""
    return patterns()["quantity"]["open_end"]


def _article_end() -> re.Pattern[str]:
    """An article (or article + preposition) wants its noun: no cell boundary right after it."""
    return patterns()["quantity"]["article_end"]


#: Characters of the name column in OCR text when no row tells better (a third of the line).
_NAME_WIDTH = 26
_LIST_ITEM = re.compile(r"^\d{1,2}[.)]\s+\S")


@cache
def _qty_classes() -> list[tuple[int, re.Pattern[str]]]:
    """Quantity-cell candidates with a base score (stronger evidence first)."""
    # units are lower case: a capitalised word after the number starts the next cell
    unit = r"(?:\s*(?-i:" + _unit() + r")\b(?:\s*/\s*anno)?(?!/))"
    pre = r"(?:\b(?:almeno|circa)\s+(?:il\s+)?)?"
    flags = re.IGNORECASE
    return [
        (3, re.compile(pre + r"\bn\s*[.°º]\s*\d[\d.]*" + unit + "?", flags)),
        (3, re.compile(r"\bn\s*[.°º]\s*azion[ei]\b", flags)),
        (2, re.compile(pre + r"(?<![\w./,])\d{1,4}" + unit, flags)),
        (1, re.compile(pre + r"(?<![\w./,()\-])\d{1,3}(?![\w./,%)\-])", flags)),
        (1, re.compile(r"\b(?:" + "|".join(patterns()["quantity"]["qualitative"]) + r")\b", flags)),
    ]


@dataclass
class _PLine:
    text: str
    gap_before: bool
    weight: int | float | None = None
    noisy: bool = False  # OCR crumbs were removed from this line
    lone_bracket: bool = False  # a "]" standing alone between words: OCR's reading of a lone "1"


def _split_capital(text: str, width: int = 30, column: int | None = None) -> tuple[str, str] | None:
    """Split a line where a new cell starts: before a capitalised word, "(" or "-" (OCR reads
    the cells of one table row into one line). The left part must fit the name column. After an
    article the noun is normally awaited, unless the left part fills the name ``column`` (its
    estimated width): then the noun is on the name's next line."""
    if re.match(r"^[-(•]", text) or _LIST_ITEM.match(text):
        return None
    tokens = text.split(" ")
    pos = 0
    found = None
    for k, tok in enumerate(tokens):
        if pos - 1 > width:
            break
        list_no = (k >= 2 and re.fullmatch(r"\d{1,2}", tok) is not None and k + 1 < len(tokens)
                   and not re.fullmatch(r"n[.°º]?", tokens[k - 1], re.I)
                   and re.match(r"[A-Za-zÀ-ÿ]{3}", tokens[k + 1]) is not None
                   and not re.fullmatch(_unit(), tokens[k + 1]))  # "... 3 Verbale": a list item
        if k >= 1 and tok and (tok[0].isupper() or tok[0] == "(" or (tok[0] == "-" and k >= 2) or list_no):
            left = " ".join(tokens[:k])
            full = column is not None and column - 2 <= len(left) <= column + 2
            if re.search(r"[a-zà-ù]", left) and (full or not _article_end().search(left)):
                found = (left, " ".join(tokens[k:]))  # the last cell start that fits the column
        pos += len(tok) + 1
    return found


def _rows_from_plain_lines(items: list[tuple[int, float, str]]) -> list[_Row]:
    """Plain text, no boxes: rows end at weight lines; then, per row, the quantity is the best
    quantity-like token, the name is the run of narrow-column fragments around it (text left of
    the quantity or of a "|", short lines, the left part of a line where a new cell visibly
    starts) within one paragraph, and the rest is the activity. Heuristic by nature: OCR
    interleaves the cells line by line or emits a cell as a paragraph of its own.
    """
    P = patterns()
    groups: list[tuple[list[_PLine], list[_PLine], int | None]] = []  # (lines, trailing name lines, page)
    cur: list[_PLine] = []
    cur_page: int | None = None
    after_weight = False
    pending = False  # a weight phrase opened on the previous line, its number still to come
    tail_open = False  # the weight phrase of the previous line lacks its "obiettivo)"
    prev_top: float | None = None
    for page, top, raw in items:
        lone_bracket = re.search(r"(?<=\s)\](?=\s)", raw) is not None
        t = quantity_fix(_strip_header(raw)).replace("]", "|")
        t = re.sub(r"(?<![A-Za-zÀ-ÿ])I(['’])(?=[a-zà-ù])", r"l\1", t)  # "I'esecuzione": not a capital
        gap = prev_top is not None and top > prev_top + 1.0
        prev_top = top
        if not t:
            continue
        w, rest = weight_of(t)
        if w is None:
            tail = P["weight_tail"].search(rest)
            if tail:
                w = _to_number(tail.group(1))
                rest = (rest[: tail.start()] + " " + rest[tail.end():]).strip()
        if w is None and pending:
            m = re.search(r"(?:^|\s)(\d{1,3})\s*%\s*(?:obiettiv\w*)?\s*\)?", rest)
            if m:
                w = _to_number(m.group(1))
                rest = (rest[: m.start()] + " " + rest[m.end():]).strip()
        pending = w is None and bool(re.search(r"se\s+complet\w*|raggiungiment\w*\s*$|\(\s*se\s*$", rest, re.I))
        rest = P["weight_start"].sub(" ", rest)
        rest = re.sub(r"\(\s*se\s*$", "", rest)
        if w is not None:
            rest = re.sub(r"\bcomplet\w{0,4}\s*=?", " ", rest)
        rest = re.sub(r"\s*=?\s*raggiungiment\w*\s*$", "", rest)
        rest = re.sub(r"\s+", " ", rest).strip()
        if tail_open and w is None:  # "obiettivo)" ending the weight phrase of the line above
            rest = re.sub(r"(?:^|\s)obiettiv\w*\s*\)", " ", rest, flags=re.I).strip()
            if not rest:
                tail_open = False
                continue
        tail_open = w is not None and not re.search(r"%\s*(?:dell\W{0,2}\s*)?obiettiv", t, re.I)
        # leading junk goes, but not the opening quote of a quoted word ('"Sorit" e supporto')
        rest = re.sub(r"^(?:(?![\"“]\w[^\"”]*[\"”])[^\w(\-|])+|\s+[^\w\s(%|\-]+$", "", rest).strip()
        before_crumbs = rest
        rest = re.sub(r"(?:\s+[^\w\s|\-–—]{1,3})+(?=\s|$)", "", rest).strip()  # OCR crumbs ". . ;"
        rest = re.sub(r"(?:\s+\S(?=\s|$)){2,}$", "", rest).strip()  # "... o o", ". 0 ."
        shorts = sum(len(tok) <= 2 for tok in rest.split())
        noisy = rest != before_crumbs or (shorts >= 3 and 2 * shorts >= len(rest.split()))
        if w is None and re.fullmatch(r"\W*obiettiv\w*\W*", rest, re.I):
            continue  # the tail of a weight phrase
        if after_weight and gap and groups and groups[-1][1]:
            after_weight = False  # a paragraph break ends the name block
        if after_weight and w is None and not cur and groups:
            if _is_name_line(rest) or (len(rest) <= 32 and "|" not in rest and rest[:1].isupper()
                                       and not _LIST_ITEM.match(rest)):
                groups[-1][1].append(_PLine(rest, gap, None, noisy))
                continue
            left, bar, right = rest.partition("|")
            # crumbs (tokens without three letters in a row) do not count in the right part
            right = " ".join(tok for tok in right.split() if re.search(r"[A-Za-zÀ-ÿ]{3}", tok))
            if bar and _is_name_line(left.strip()) and len(right.strip()) <= 15:
                groups[-1][1].append(_PLine(left.strip(), gap))
                prev_row_lines = groups[-1][0]
                prev_row_lines.append(_PLine(f"| {right.strip()}", False))
                continue
        after_weight = False
        if cur_page is None:
            cur_page = page
        cur.append(_PLine(rest, gap, w, noisy, lone_bracket))
        if w is not None:
            groups.append((cur, [], cur_page))
            cur, cur_page, after_weight = [], None, True
    if cur:
        if groups:
            groups[-1][0].extend(cur)
        else:
            groups.append((cur, [], cur_page))
    width = _name_width([ln for lines, trailing, _ in groups for ln in lines + trailing])
    rows: list[_Row] = []
    carry: list[_PLine] = []
    for k, (lines, trailing, page) in enumerate(groups):
        if carry:
            lines = carry + lines
            carry = []
        row = _plain_row(lines, page, width)
        if trailing:
            # a name block after a weight line: the end of this row's name (lower-case lines
            # going on from it), then the next row's name
            name = join_lines(row.name)
            if not name or k + 1 == len(groups):
                row.name += [t.text for t in trailing]
            else:
                cut = 0
                while cut < len(trailing) and (trailing[cut].text[:1].islower()
                                               or _open_end().search(join_lines(row.name))):
                    row.name.append(trailing[cut].text)
                    cut += 1
                carry = trailing[cut:]
        rows.append(row)
    return rows


def _name_width(lines: list[_PLine]) -> int:
    """The name column's width in characters, from the lines that are a lone name fragment
    (short, no column rule, no quantity, two words or more): their upper quartile (the longest
    one may be two cells OCR joined), when there are at least three."""
    lone = sorted(len(ln.text) for ln in lines if ln.weight is None and _is_name_line(ln.text)
                  and len(ln.text.split()) >= 2)
    if len(lone) < 3:
        return _NAME_WIDTH
    return max(18, min(32, lone[(3 * (len(lone) - 1)) // 4]))


def _is_name_line(text: str) -> bool:
    if not text or len(text) > 32 or "|" in text:
        return False
    if re.match(r"^[-(]", text) or (re.match(r"^\d", text) and not _LIST_ITEM.match(text)
                                      and not re.match(r"^\d{1,2}\s?[ª°º~\"'^]", text)
                                      and not re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}", text)):
        return False
    if _qty_any(text) or re.match(r"n\s*[.°º]\s*(?:\d|[A-ZÀ-Ü]|$)", text):
        return False  # a quantity cell ("n." opening it even when OCR lost the number)
    return re.search(r"[A-Za-zÀ-ÿ]{3}|\b\d{1,2}/\d{1,2}/\d{2,4}\b", text) is not None


def _qty_candidates(lines: list[_PLine]) -> list[tuple[int, int, int, int]]:
    """(score, line, start, end) of every quantity-like token of a row."""
    out = []
    for li, ln in enumerate(lines):
        for base, rx in _qty_classes():
            for m in rx.finditer(ln.text):
                tok = m.group(0).strip()
                if not tok:
                    continue
                before, after = ln.text[: m.start()].rstrip(), ln.text[m.end():].lstrip()
                if base == 1 and tok[0].isdigit() and not before and re.match(r"[A-ZÀ-Ü]", after):
                    continue  # "1 Preliminari valutazioni": a list number, not a quantity
                score = base
                if base < 3 and re.match(r"(?:Almeno|Circa)\b", tok):
                    score += 2  # "Almeno 50" opening a cell (capitalised: not inside a sentence)
                if before.endswith("|") or after.startswith("|"):
                    score += 3
                elif not after and not before:
                    score += 1
                    if all(len(x.text) <= 40 for x in lines[:li]):
                        score += 1  # a quantity cell read before any activity text
                out.append((score, li, m.start(), m.end()))
    return out


def _plain_row(lines: list[_PLine], page: int | None, width: int = _NAME_WIDTH) -> _Row:
    row = _Row(page=page)
    row.weight = next((ln.weight for ln in lines if ln.weight is not None), None)
    lines = list(lines)
    # "n." opening a line with its number slipped onto the next line as ".4" (skewed scan)
    for i in range(len(lines) - 1):
        m = re.match(r"n\s*[.°º]\s+(?=[A-ZÀ-Ü])", lines[i].text)
        num = re.search(r"(?<!\S)\.(\d{1,4})(?!\S)", lines[i + 1].text)
        if m and num and not lines[i + 1].gap_before:
            lines[i] = _PLine(f"n.{num.group(1)} {lines[i].text[m.end():]}", lines[i].gap_before,
                              lines[i].weight, lines[i].noisy)
            nt = lines[i + 1].text
            lines[i + 1] = _PLine(re.sub(r"\s+", " ", nt[: num.start()] + nt[num.end():]).strip(),
                                  False, lines[i + 1].weight, lines[i + 1].noisy)
    # 1. the quantity: best candidate (column rule next to it, or alone on its line, scores more)
    cands = _qty_candidates(lines)
    best = max(cands, key=lambda c: (c[0], -c[1], -c[2])) if cands else None
    anchor: int | None = None
    taken: set[int] = set()  # lines of a multi-line quantity cell: no name there
    name_parts: dict[int, str] = {}
    act_parts: dict[int, str] = {}
    if best is not None:
        anchor = best[1]
        ln = lines[anchor].text
        target = ln[best[2]: best[3]].strip()
        left, right = ln[: best[2]].strip(" |"), ln[best[3]:].strip(" |")
        # "Almeno" printed alone on the line above the number belongs to the quantity
        if anchor > 0 and re.match(r"^(almeno|circa)\b", lines[anchor - 1].text, re.I) \
                and not re.match(r"^(almeno|circa)", target, re.I):
            word = lines[anchor - 1].text.split(" ")[0]
            target = f"{word} {target}"
            lines[anchor - 1] = _PLine(lines[anchor - 1].text[len(word):].strip(), lines[anchor - 1].gap_before)
        if re.fullmatch(r"(almeno|circa)", left, re.I):
            target, left = f"{left} {target}", ""
        # a unit word on the next line(s) completes "almeno n.1" / "n.15" / "Almeno 100"
        # a quantity word without a number ("continua") may have its head noun a line or two
        # above, at the same column, between the name and the activity ("... tra Assistenza vari
        # uffici" / "... continua"): a capitalised word inside a sentence that is not starting
        if not re.search(r"\d", target) and best[2] >= 8:
            for h in (anchor - 1, anchor - 2):
                if h < 1 or lines[h + 1].gap_before:
                    break
                prev = lines[h - 1].text.rstrip()
                if not prev or prev[-1] in ".;:)" or lines[h].gap_before:
                    continue
                hm = next((m for m in re.finditer(r"(?<=\s)([A-ZÀ-Ü][a-zà-ù]{3,})\s+(?=[a-zà-ù])", lines[h].text)
                           if abs(m.start(1) - best[2]) <= 3), None)
                if hm:
                    target = f"{hm.group(1)} {target}"
                    ht = lines[h].text
                    lines[h] = _PLine(f"{ht[: hm.start(1)].rstrip()} | {ht[hm.end():]}".strip(),
                                      lines[h].gap_before, lines[h].weight, lines[h].noisy)
                    break
        last, last_left = anchor, left  # the line where the quantity ends, and its name part
        if re.search(r"\d", target) and not re.search(_unit(), target):
            for k in (anchor + 1, anchor + 2):
                if k >= len(lines):
                    break
                nxt = lines[k].text
                # a lone digit before the unit, in the same row as a quantity that has its number,
                # is an OCR stray ("Almeno 50" / "9 controlli")
                nxt = re.sub(r"^\W*\d\s+(?=(?-i:" + _unit() + r")\b)", "", nxt) if k == anchor + 1 else nxt
                um = re.search(r"(?:^|[\s|])(" + _unit() + r")(?:\b|$)", nxt[:40])
                if um and (k == anchor + 1 or um.start(1) == 0 or nxt[: um.start(1)].strip().endswith("|")) \
                        and not _qty_any(nxt):
                    target = f"{target} {um.group(1)}"
                    pre_u, post_u = nxt[: um.start(1)].strip(" |"), nxt[um.end(1):].strip(" |")
                    target, post_u = _absorb_open_tail(target, post_u)
                    last, last_left = k, pre_u
                    lines[k] = _PLine(f"{pre_u} | {post_u}" if pre_u else post_u, lines[k].gap_before)
                    if pre_u:
                        name_parts[k], act_parts[k] = pre_u, post_u
                    break
        if last == anchor:
            target, right = _absorb_open_tail(target, right)
        # the quantity opens its line and a column rule follows it: this line shows no name part,
        # so the neighbouring "X | Y" lines carry the same quantity cell in X
        if last == anchor and not left and ln[best[3]:].lstrip().startswith("|"):
            for step in (-1, 1):
                h = anchor + step
                while 0 <= h < len(lines) and not lines[max(h, h - step)].gap_before \
                        and "|" in lines[h].text and h not in name_parts:
                    x, _, y = lines[h].text.partition("|")
                    if not x.strip() or len(x.strip()) > width + 2 or _qty_any(x):
                        break
                    target = f"{x.strip()} {target}" if step < 0 else f"{target} {x.strip()}"
                    lines[h] = _PLine(y.strip(), lines[h].gap_before, lines[h].weight, lines[h].noisy)
                    taken.add(h)
                    last = max(last, h)
                    h += step
            # still unfinished ("..., una"): it goes on in a later run of short lines opening
            # with a preposition or conjunction, that do not continue the line above them
            # ("Sperimentazione" / "strategie" / "per ognuna" / "delle tematiche")
            if _open_end().search(target):
                for h in range(last + 1, len(lines)):
                    t = lines[h].text
                    above = lines[h - 1].text
                    if h in taken or not _is_name_line(t) or not _open_end().search(t.split(" ")[0]) \
                            or _open_end().search(above) or (len(above) > width + 2 and not lines[h].gap_before):
                        continue
                    while h < len(lines) and _is_name_line(lines[h].text):
                        target = f"{target} {lines[h].text}"
                        lines[h] = _PLine("", lines[h].gap_before)
                        taken.add(h)
                        h += 1
                        if h < len(lines) and lines[h].gap_before:
                            break
                    break
        # an unfinished quantity ("n.32 vie su", "3 documenti di", "(350") goes on at the start of
        # the next line: up to a column rule, or the whole line when it is short. Only when its
        # line shows no name part: else the next line starts with the name's continuation
        j = last + 1
        if j < len(lines) and not lines[j].gap_before and not last_left.strip(" |") and (
                _open_end().search(target) or target.count("(") > target.count(")")):
            nxt = lines[j].text
            if "|" in nxt:
                piece, _, remain = nxt.partition("|")
            elif len(nxt) <= 24:
                piece, remain = nxt, ""
            else:
                piece, _, remain = nxt.partition(" ")
            if piece.strip() and not _qty_any(piece):
                target = f"{target} {piece.strip()}"
                lines[j] = _PLine(remain.strip(), lines[j].gap_before)
        row.target = [target]
        name_parts[anchor] = left if len(left) <= 40 else ""
        act_parts[anchor] = right if len(left) <= 40 else f"{left} {right}".strip()
    elif any(ln.lone_bracket for ln in lines):
        # no quantity at all, but a lone "]" between the name and the activity: a "1" (OCR
        # confuses 1 / ] / |); it still separates the cells as a column rule would
        row.target = ["1"]
    # 2. the name: a run of narrow-column fragments around the anchor, within one paragraph
    def is_name(i: int) -> bool:
        """A short line that is a name fragment, not the end of the sentence above it."""
        text = lines[i].text
        if not _is_name_line(text):
            return False
        prev = lines[i - 1].text if i > 0 else ""
        return not (len(prev) > 32 and _open_end().search(prev) and text[:1].islower())

    if anchor is None:
        anchor = next((i for i, ln in enumerate(lines) if "|" in ln.text and len(ln.text.split("|")[0]) <= 32), None)
    if anchor is None:
        anchor = next((i for i, ln in enumerate(lines) if is_name(i)), None)

    def fragment(i: int, prev_act: str) -> tuple[str, str] | None:
        text = lines[i].text
        if i in name_parts:
            return name_parts[i], act_parts.get(i, "")
        if "|" in text:
            left, _, right = text.partition("|")
            left, right = left.strip(), right.strip()
            col = max(width, _NAME_WIDTH)
            if len(left) > col:
                # wider than the name column: its tail is the next column's ("... gestione di |")
                cut = _cut_at_width(left, col)
                if cut and len(cut[0]) >= 0.6 * col:
                    left, right = cut[0], f"{cut[1]} {right}".strip()
            if left and len(left) <= 32:
                return left, right
            return None
        if _is_name_line(text):
            if prev_act and _open_end().search(prev_act) and text[:1].islower():
                return None  # the activity cell's sentence goes on
            if len(text) > max(width, _NAME_WIDTH) + 2:
                # wider than the name column: a cell visibly starts inside it ("... attivita Controllo e")
                split = _split_capital(text, width=max(width, _NAME_WIDTH) + 2, column=width)
                if split and len(split[0]) >= 0.6 * width:
                    return split
            return text, ""
        return _split_capital(text, width=max(width, _NAME_WIDTH) + 2, column=width)

    run: set[int] = set()
    if anchor is not None:
        frag = fragment(anchor, "")
        if frag:
            name_parts[anchor], act_parts[anchor] = frag
            run = {anchor}
        def crosses(lower: int) -> bool:
            """A blank line stops the run, unless the name visibly goes on below it."""
            return not lines[lower].gap_before or name_parts.get(lower, lines[lower].text)[:1].islower()

        def by_width(i: int, beyond: int) -> tuple[str, str] | None:
            """A lower-case line between two name fragments: cut it at the name column's width."""
            text = lines[i].text
            if "|" in text or _LIST_ITEM.match(text) or not re.match(r"[A-Za-zÀ-ÿ]", text):
                return None
            if text[:1].isupper():
                # the name's first line, right above the run
                if beyond > i or not (0 <= i + 1 < len(lines)) or lines[i + 1].gap_before:
                    return None
            elif beyond > i and i > 0 and _open_end().search(name_parts.get(i - 1, "") or "x") \
                    and not lines[i].gap_before:
                pass  # the name above is unfinished ("... aggiornamento del"): it goes on here
            else:
                if not 0 <= beyond < len(lines):
                    return None
                if beyond < i and lines[i].gap_before or beyond > i and lines[beyond].gap_before:
                    return None
                if fragment(beyond, "") is None:
                    return None
            seen = [len(v) for v in name_parts.values() if v]
            if not seen:
                return None
            return _cut_at_width(text, max(seen + [_NAME_WIDTH]))

        def unfinished_above(i: int) -> bool:
            """The quantity line shows no name part and the line above is an unfinished name
            fragment ("... intervengono nella"): the name goes on across the blank line."""
            t = lines[i].text
            return name_parts.get(i + 1) == "" and _is_name_line(t) and _open_end().search(t) is not None

        i = anchor - 1
        while run and i >= 0 and i not in taken and (crosses(i + 1) or unfinished_above(i)):
            frag = fragment(i, "") or by_width(i, i - 1)
            if not frag or re.search(r"[a-zà-ù]{4}\.$", frag[0]):
                break  # nothing to take, or the end of a sentence above the name
            name_parts[i], act_parts[i] = frag
            run.add(i)
            i -= 1
        # the name cell is top-aligned: when the row's first line visibly opens with a full name
        # line ("N. incontri verbalizzati Individuazione ..."), the lines down to the run are name
        # lines too, cut at the column's width, whatever blank lines OCR put between them
        top = min(run) if run else 0
        head = _split_capital(lines[0].text, column=width) if top > 0 and 0 not in name_parts else None
        if head and len(head[0]) >= width - 3 and head[0][:1].isupper():
            parts: dict[int, tuple[str, str]] | None = {0: head}
            for m in range(1, top):
                t = lines[m].text
                f = _cut_at_width(t, max(width, _NAME_WIDTH)) if "|" not in t else \
                    (t.partition("|")[0].strip(), t.partition("|")[2].strip())
                if not f or not f[0] or _LIST_ITEM.match(t) or len(f[0]) > max(width, _NAME_WIDTH) + 2:
                    parts = None
                    break
                parts[m] = f
            for m, f in (parts or {}).items():
                name_parts[m], act_parts[m] = f
                run.add(m)
        i = anchor + 1
        while run and i < len(lines) and i not in taken:
            named = [name_parts[k] for k in sorted(run) if name_parts.get(k)]
            if named and re.search(r"[-,(]$", named[-1]) and i + 1 < len(lines) and "|" not in lines[i].text \
                    and not _is_name_line(lines[i].text) and i + 1 not in taken and not lines[i + 1].gap_before \
                    and _is_name_line(lines[i + 1].text) and not lines[i + 1].text[:1].isupper():
                i += 1  # an activity line between two fragments of an unfinished name
                continue
            frag = fragment(i, act_parts.get(i - 1, "")) or by_width(i, i + 1)
            full_above = len(name_parts.get(i - 1, "")) >= width - 3 and not frag[1] if frag else False
            if not frag or (lines[i].gap_before and not frag[0][:1].islower() and not full_above):
                break  # a blank line ends the name, unless the name line above filled its column
            name_parts[i], act_parts[i] = frag
            run.add(i)
            i += 1
        for i in list(name_parts):
            if i not in run:
                del name_parts[i]
    has_activity = any(act_parts.get(i) for i in run) or any(
        ln.text and not is_name(i) for i, ln in enumerate(lines) if i not in run)
    if not any(name_parts.values()) or not has_activity:
        # a name printed as a paragraph of its own: the nearest paragraph of short lines
        paras: list[list[int]] = []
        for i, ln in enumerate(lines):
            if i == 0 or ln.gap_before:
                paras.append([])
            paras[-1].append(i)
        ref = anchor if anchor is not None else len(lines) - 1
        pick = [[i for i in para if lines[i].text] for para in paras if not (set(para) & run)
                and any(lines[i].text for i in para) and all(is_name(i) for i in para if lines[i].text)]
        if pick:
            if not has_activity:
                for i in run:
                    name_parts[i], act_parts[i] = "", lines[i].text.replace("|", " ")
            para = min(pick, key=lambda pa: min(abs(i - ref) for i in pa))
            for i in para:
                name_parts[i], act_parts[i] = lines[i].text, ""
    for i, ln in enumerate(lines):
        if i in name_parts:
            if name_parts[i]:
                row.name.append(_strip_crumbs(name_parts[i]) if ln.noisy
                                else re.sub(r"(?<!\S)[B-DF-HJ-NP-TV-Z](?!\S)\s*", "", name_parts[i]).strip())
            if act_parts.get(i):
                row.activity.append(act_parts[i])
        elif ln.text:
            row.activity.append(ln.text.replace("|", " "))
    return row


def _cut_at_width(text: str, col: int) -> tuple[str, str] | None:
    """(left, rest) of a line cut at the last word boundary within ``col`` characters; None when
    the left part is too short to be a name line (unless it ends in an article)."""
    tokens, left = text.split(" "), ""
    for k in range(1, len(tokens)):
        cand = " ".join(tokens[:k])
        if len(cand) > col:
            break
        left = cand
    if not left or _article_end().search(left) is None and len(left) < 0.6 * col:
        return None
    return left, text[len(left):].strip()


def _absorb_open_tail(target: str, rest: str) -> tuple[str, str]:
    """A preposition right after a quantity, before a column rule, the line's end or the next
    cell's start, still belongs to the quantity ("n.32 vie su |", "n.1 corso in - ...")."""
    m = re.match(r"((?:[a-zà-ù']{1,5}\s+)?)(\S+)\s*(?=\||$|-\s|[(A-ZÀ-Ü])", rest)
    if m and not m.group(1) and len(m.group(2)) >= 2 and _open_end().search(m.group(2)):
        return f"{target} {m.group(2)}", rest[m.end():].lstrip(" |")
    return target, rest


def _strip_crumbs(text: str) -> str:
    """Drop a trailing run of three or more OCR crumbs ("epe s o ae") from a name fragment."""
    tokens = text.split(" ")
    # a lone capital consonant is no Italian word ("commerciali/ R promozione")
    tokens = [t for t in tokens if not re.fullmatch(r"[B-DF-HJ-NP-TV-Z]", t)]
    if not tokens:
        return ""
    k = len(tokens)
    while k > 1 and len(tokens[k - 1]) <= 4 and not re.fullmatch(r"\d{4}|[-–—]", tokens[k - 1]):
        k -= 1
    if len(tokens) - k >= 3:
        tokens = tokens[:k]
    return " ".join(tokens)


def _qty_any(text: str) -> bool:
    return any(base >= 2 and rx.search(text) for base, rx in _qty_classes())


def _indicator_from_row(row: _Row, ocr: bool) -> Indicator:
    fix = ocr_fix if ocr else _norm
    name = join_lines([fix(x) for x in row.name]) or None
    target = join_lines([fix(quantity_fix(x) if ocr else x) for x in row.target]) or None
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


# -- the parser ----------------------------------------------------------------------------------


def first_card_start(lines: list[Line]) -> int | None:
    """Index in ``lines`` of the first card's first line (its banner, year or scope line, as
    the card parser itself finds them), or None when there is no card."""
    cards = _find_cards([_norm(ln.text) for ln in lines])
    return cards[0].start if cards else None


def read_cards(doc: Document, year: int | None = None):
    """The card-by-card reading of the document (a :class:`~extractors.cards.Reading`)."""
    from extractors.cards import Reading

    notes: list[str] = []
    objectives = _read_cards(doc, year, notes)
    return Reading(layout="cards", objectives=objectives, notes=notes)


def _read_cards(doc: Document, year: int | None, notes: list[str]) -> list[Objective]:
    """Every objective card of the document, in order.

    ``year`` is the plan's year (used by staff counting for texts like "2025: ...; 2026: ...");
    when ``None`` the card's own "ANNO" line is used.
    """
    lines: list[Line] = []
    ocr_flags: list[bool] = []
    for page in doc.pages:
        for ln in page.lines:
            lines.append(ln)
            ocr_flags.append(page.ocr or doc.format == "text")
    texts = _with_cell_labels([_norm(ln.text) for ln in lines], doc)
    cards = _find_cards(texts)
    heights = {p.number: p.height for p in doc.pages}
    all_tables = [t for p in doc.pages for t in p.tables if _is_indicator_table(t)]
    used: set[int] = set()
    objectives: list[Objective] = []
    for k, card in enumerate(cards):
        nxt = cards[k + 1] if k + 1 < len(cards) else None
        obj = _parse_card(card, lines, texts, ocr_flags, heights, all_tables, used, nxt, year=year,
                          paragraph_lines=doc.format == "docx")
        objectives.append(obj)
    _fill_numbers(objectives)
    _running_numbers(objectives, [c.heading for c in cards])
    for t in {id(t): t for t in all_tables}.values():
        unknown = unknown_columns(t.rows[0])
        if unknown:
            notes.append(f"tabella degli indicatori a pag. {t.page}: colonna non riconosciuta "
                         + ", ".join(f"«{u}»" for u in unknown))
    return objectives


def _label_cells(doc: Document) -> dict[str, str]:
    """Label/value tables (a card as rows "Descrizione | <text>", "Obiettivo n. 3 | <title>"):
    {first cell as printed: separator} for every row whose first cell is a field label (the
    label then reads as if followed by ": ") or a card heading (" – ")."""
    out: dict[str, str] = {}
    for page in doc.pages:
        for table in page.tables:
            found: dict[str, str] = {}
            for row in table.rows:
                if len(row) < 2 or not (row[0] or "").strip() or not any((c or "").strip() for c in row[1:]):
                    continue
                cell = _norm((row[0] or "").split("\n")[0])
                if len(cell) > 60 or cell.endswith(":"):
                    continue
                if heading_of(cell) is not None:
                    found[cell] = " – "
                elif _label_of(cell + ":", "other") is not None or _label_of(cell + ":", None) is not None:
                    found[cell] = ": "
            if len(found) >= 2:  # one label in a table is a coincidence; two are a layout
                out.update(found)
    return out


def _with_cell_labels(texts: list[str], doc: Document) -> list[str]:
    """Lines of label/value rows with the separator the label cell implies ("Scadenza 31/12"
    -> "Scadenza: 31/12"), so the card reader cuts them into fields like printed labels."""
    cells = _label_cells(doc)
    if not cells:
        return texts
    out = []
    for t in texts:
        for cell, sep in cells.items():
            if t.startswith(cell + " ") and not t[len(cell):].lstrip().startswith((":", "–", "-")):
                t = cell + sep + t[len(cell):].strip()
                break
        out.append(t)
    return out


def unknown_columns(header: tuple[str | None, ...]) -> list[str]:
    """Header cells of a table whose role the vocabulary does not know (as printed)."""
    roles = column_roles(header)
    return [_norm(c or "") for k, c in enumerate(header) if (c or "").strip() and k not in roles.values()]


def _running_numbers(objectives: list[Objective], headings: list[str]) -> None:
    """Numbering that restarts per service ("Servizio Tributi – Obiettivo n. 1", then "Polizia
    Locale – Obiettivo n. 1"): every segment starts again at 1. Then ``number`` is the running
    number 1..N in document order and ``printed_label`` the heading as printed. A single number
    printed twice is not a restart (the numbering check reports it)."""
    printed = [o.number for o in objectives]
    starts = [k for k, n in enumerate(printed) if n == 1]
    if len(starts) < 2 or starts[0] != 0:
        return
    def bare(heading: str) -> str:
        return re.sub(r"\d+", "", fold(heading))

    for k in starts[1:]:
        if objectives[k].scope_line == objectives[k - 1].scope_line and bare(headings[k]) == bare(headings[k - 1]):
            return  # same service, same heading: a number printed again, not a restart
    for k, o in enumerate(objectives):
        o.printed_label = headings[k]
        o.number = k + 1


def _fill_numbers(objectives: list[Objective]) -> None:
    """A card printed without a number gets the one its position implies."""
    for i, o in enumerate(objectives):
        if o.number is not None:
            continue
        prev = next((objectives[j].number for j in range(i - 1, -1, -1) if objectives[j].number is not None), None)
        if prev is not None:
            o.number = prev + (i - max(j for j in range(i) if objectives[j].number is not None))
        else:
            nxt = next(((j, objectives[j].number) for j in range(i + 1, len(objectives))
                        if objectives[j].number is not None), None)
            o.number = nxt[1] - (nxt[0] - i) if nxt else i + 1


def _is_footer(line: Line, height: float) -> bool:
    """A page number printed in the footer (only recognisable with geometry)."""
    return bool(height) and line.top > 0.9 * height and re.fullmatch(r"\W*\d{1,3}\W*", line.text or "") is not None


def _parse_card(card: _Card, lines: list[Line], texts: list[str], ocr_flags: list[bool],
                heights: dict[int, float], tables: list[Table], used: set[int], nxt: _Card | None,
                year: int | None, paragraph_lines: bool = False) -> Objective:
    p = patterns()
    ocr = any(ocr_flags[card.start:card.end])
    fix = ocr_fix if ocr else _norm
    buckets: dict[str, list[int]] = {f: [] for f in FIELDS}
    buckets["other"] = []
    first_text: dict[str, str] = {}
    state: str | None = None
    for i in range(card.number_line + 1, card.end):
        t = texts[i]
        if not t:
            continue
        if _is_footer(lines[i], heights.get(lines[i].page, 0.0)):
            continue
        awaiting = (state is not None and len(buckets.get(state, [])) == 1
                    and not first_text.get(f"{state}:{buckets[state][0]}"))  # label alone, value next
        if (state != "indicators" and re.fullmatch(r"[^\w%]*\d{1,3}[^\w%]*", t)
                and state not in (None, "title") and not awaiting):
            # a bare page number in text without geometry (never inside the indicator region,
            # never the value a label on its own announces; "70%" is a value, not a page number)
            continue
        lab = _label_of(t, state)
        if lab is not None and not (state == "indicators" and lab[0] == "indicators"):
            state, rest = lab
            buckets[state].append(i)
            first_text[f"{state}:{i}"] = rest
            continue
        if state == "staff" and p["sub_heading"].match(t):
            state = "other"
        if state == "threshold" and buckets["threshold"] and i != buckets["threshold"][0] and (
                first_text[f"threshold:{buckets['threshold'][0]}"] or len(buckets["threshold"]) > 1):
            state = "other"  # one line of threshold, the label's own or (label alone) the next
        if state is None:
            state = "other"
        buckets[state].append(i)

    def text_of(name: str) -> str | None:
        parts = []
        for i in buckets[name]:
            key = f"{name}:{i}"
            parts.append(first_text[key] if key in first_text else texts[i])
        out = join_lines([fix(x) for x in parts])
        return out or None

    def page_of(name: str) -> int | None:
        idx = buckets[name]
        return lines[idx[0]].page if idx else None

    if not buckets["description"] and len(buckets["title"]) > 1:
        # a title label followed by unlabelled paragraphs (piano-tipo cards): the title is the
        # label's own paragraph, the paragraphs after it describe the objective
        keep = _first_paragraph([lines[i] for i in buckets["title"]], paragraph_lines)
        buckets["description"] = buckets["title"][keep:]
        buckets["title"] = buckets["title"][:keep]
    scope = join_lines([fix(texts[i]) for i in card.scope_lines]) or None
    if text_of("scope"):
        scope = text_of("scope")  # "Settore: ..." printed on the card wins over a line above it
    title = text_of("title") or (fix(card.heading_title) if card.heading_title else None)
    weight_txt = text_of("objective_weight")
    objective_weight = printed_points(weight_txt) if weight_txt else None
    threshold_txt = text_of("threshold")
    threshold = None
    if threshold_txt:
        m = p["threshold_value"].search(threshold_txt)
        if m:
            threshold = _to_number(m.group(1))
    staff_text = text_of("staff")
    if staff_text:
        staff_text = staff_text.strip()

    # indicators: the card's ruled table(s) when present, else its line region
    pages_span = sorted({lines[i].page for i in range(card.start, card.end) if texts[i]})
    first_page = pages_span[0] if pages_span else None
    last_page = pages_span[-1] if pages_span else None
    mine = _tables_for_card(card, lines, tables, used, first_page, last_page, nxt)
    if mine:
        rows = _rows_from_tables(mine)
    else:
        region = [lines[i] for i in buckets["indicators"]]
        region_txt = [(lines[i].page, lines[i].top, first_text.get(f"indicators:{i}", texts[i]))
                      for i in buckets["indicators"]]
        rows = None
        if _has_boxes(region):
            rows = _rows_from_boxed_lines(region)
        if rows is None:
            rows = _rows_from_plain_lines(region_txt)
    indicators = [_indicator_from_row(r, ocr) for r in rows if r.name or r.target or r.weight is not None]

    field_pages: dict[str, int] = {}
    for f_name, key in (("title", "title"), ("timeframe", "timeframe"), ("description", "description"),
                        ("phases", "phases"), ("activities", "activities"), ("threshold_pct", "threshold"),
                        ("staff_text", "staff"), ("staff_count", "staff"), ("verification", "verification"),
                        ("indicators", "indicators")):
        pg = page_of(key)
        if pg is not None:
            field_pages[f_name] = pg
    if mine:
        field_pages["indicators"] = mine[0].page
    field_pages["number"] = lines[card.number_line].page
    if card.scope_lines:
        field_pages["scope_line"] = lines[card.scope_lines[0]].page

    number_printed = card.number is not None
    return Objective(
        number=card.number,
        number_printed=number_printed,
        scope_line=scope,
        kind=kind_of(scope),
        title=title,
        timeframe=text_of("timeframe"),
        threshold_pct=threshold,
        staff_text=staff_text,
        staff_count=_count_staff(staff_text, year if year is not None else card.year),
        pages=[first_page, last_page] if first_page is not None else [],
        description=text_of("description"),
        phases=text_of("phases"),
        activities=text_of("activities"),
        verification=text_of("verification"),
        indicators=indicators,
        field_pages=field_pages,
        objective_weight=objective_weight,
    )


def _first_paragraph(lines: list[Line], paragraph_lines: bool) -> int:
    """How many of ``lines`` (a label's line first) make the label's own paragraph.

    A back-end whose lines are paragraphs (DOCX) gives one; with geometry, the lines that
    continue at the label line's left edge with no more than a line's spacing before them;
    without either (plain text), all of them.
    """
    if paragraph_lines:
        return 1
    first = lines[0]
    if not first.x1:
        return len(lines)
    height = max(first.bottom - first.top, 1.0)
    n = 1
    for prev, ln in zip(lines, lines[1:]):
        if ln.page != prev.page or abs(ln.x0 - first.x0) > 0.25 * height \
                or ln.top - prev.bottom > 0.8 * height:
            break
        n += 1
    return n


def printed_points(text: str) -> int | float | None:
    """The weight an objective prints for itself: "30/100" -> 30, "35 punti" -> 35, "20" -> 20."""
    m = re.search(r"(" + _NUM + r")\s*(?:/\s*100\b|punti\b|pt\b|%)?", _norm(text))
    return _to_number(m.group(1)) if m else None


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
