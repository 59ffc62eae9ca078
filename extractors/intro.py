"""The plan-level rules, read from the plan's own introduction.

Entity, province, title, period and year; the budget paragraph (total, allocated, reserve,
welfare); the strategicità weights table; the staff-band table; the macro-categories list.
Everything is read from *lines* so it works the same on a PDF's text layer, a DOCX and noisy OCR
text ("Da4ab" for "Da 4 a 5", "Piu di 10", "€&", lost accents). Nothing about one particular
plan is written here: the words the rules look for are kept as data below.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import product

from extractors.cards import first_card_start
from extractors.layout import Document, Line
from extractors.normalize import (
    IT_NUMBER,
    as_number,
    clean_spaces,
    fold,
    money_amounts,
    parse_it_number,
    squash,
    strip_accents,
    strip_bullet,
    unify,
)
from pipeline.record import Budget, Plan, StaffBand

# -- patterns kept as data (matched against folded text: lower case, no accents) --------------------

#: Kinds of issuing body, printed on the cover as "COMUNE DI CHIARI" -> "Comune di Chiari".
ENTITY_PATTERNS = [
    (re.compile(r"^\s*comune\s+di\s+(?P<name>[a-z' \-]+?)\s*$"), "Comune di"),
    (re.compile(r"^\s*citta\s+di\s+(?P<name>[a-z' \-]+?)\s*$"), "Città di"),
    (re.compile(r"^\s*unione\s+(?:dei|di)\s+comuni\s+(?P<name>[a-z' \-]+?)\s*$"), "Unione dei Comuni"),
    (re.compile(r"^\s*comunita\s+montana\s+(?P<name>[a-z' \-]+?)\s*$"), "Comunità Montana"),
]
#: In running text (when the cover has no line of its own).
ENTITY_IN_TEXT_RE = re.compile(r"\b(comune|citta)\s+di\s+([A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+)*)")
PROVINCE_RE = re.compile(r"^\s*(?:provincia|citta\s+metropolitana)\s+di\s+(?P<name>[a-z' \-]+?)\s*$")

#: Document kinds, as the title names them (canonical spelling first).
TITLE_KINDS = [
    ("Piano della Performance", re.compile(r"\bpiano\s+(?:della|delle)\s+performance\b")),
    ("Piano Integrato di Attività e Organizzazione", re.compile(r"\bpiano\s+integrato\s+di\s+attivita\s+e\s+organizzazione\b")),
    ("Piano Esecutivo di Gestione", re.compile(r"\bpiano\s+esecutivo\s+di\s+gestione\b")),
]
#: "ESERCIZIO 2024-2026", "TRIENNIO 2024/2026".
PERIOD_RE = re.compile(r"\b(?P<word>esercizio|esercizi|triennio|periodo|anni)?\s*(?P<a>20\d\d)\s*[-/]\s*(?P<b>20\d\d)\b")
ANNEX_RE = re.compile(r"^\s*allegato\s+(?P<n>[0-9a-z]{1,3})\s*$")
#: "ANNO 2025" on its own line (cards), or a heading "... anno 2025".
YEAR_LINE_RE = re.compile(r"^\s*anno\s+(20\d\d)\s*$")
YEAR_HEADING_RE = re.compile(r"\briepilogo\b.*\banno\s+(20\d\d)\b")

#: Budget roles, by the words around the amount (folded text). Order does not matter.
BUDGET_ROLES: dict[str, list[str]] = {
    "total": [r"importo\s+massimo", r"ammontare\s+complessivo", r"complessivamente", r"fondo\s+(?:complessivo|totale)",
              r"risorse\s+complessiv", r"\btotale\b"],
    "allocated": [r"attribuit\w*\s+ai\s+settori", r"assegnat\w*\s+ai\s+settori", r"progettualita\s+finanziat",
                  r"ripartit\w*\s+tra\s+(?:i\s+)?(?:settori|obiettivi)", r"destinat\w*\s+agli\s+obiettivi"],
    "reserve": [r"ulteriori\s+progettualita", r"successivo\s+apposito\s+atto", r"\briserva\b", r"accantonat",
                r"dovessero\s+sorgere"],
    "welfare": [r"\bwelfare\b", r"politiche\s+retributive"],
}
#: How far (characters) a cue may be from its amount, and how much nearness counts.
CUE_WINDOW = 160
CUE_HALF_DISTANCE = 40.0

#: The strategicità table: heading words, then rows "1. strategico 40".
WEIGHTS_HEADING_RE = re.compile(r"\bstrategicita\b")
WEIGHT_ROW_RE = re.compile(rf"^\s*(?:\d+\s*[.)\-]\s*)?(?P<label>[a-zà-ÿ][a-zà-ÿ' ]*?[a-zà-ÿ])\s+(?P<value>{IT_NUMBER})\s*%?\s*$")

#: The staff-band table: heading words, then rows "Da 2 a 3 1,00".
BANDS_HEADING_RE = re.compile(r"\bdipendenti\b.*\b(?:coinvolt|impiegat|assegnat)|\bpersonale\s+coinvolto\b.*\bpeso\b")
BAND_ROW_RE = re.compile(r"^\s*(?P<label>.+?)\s+(?P<value>\d+[,.]\d+|\d+)\s*$")
#: Band labels, on the label with every space removed (OCR drops them). Digits may be misread:
#: an unreadable bound is left None and inferred from the neighbouring bands.
BAND_LABELS = [
    ("single", re.compile(r"^(?:n\.?)?(?P<a>\d+)(?:dipendent[ei]|unita|persona)?$")),
    ("range", re.compile(r"^(?:da|dai)(?P<a>\S{1,3}?)(?:a|ai)(?P<b>\S{0,3})(?:dipendenti|unita)?$")),
    ("range", re.compile(r"^(?P<a>\d+)[-/](?P<b>\d+)$")),
    ("above", re.compile(r"^(?:piu|oltre|superiorea|maggiore(?:di|a)|>)(?:di)?(?P<a>\S{1,3})(?:dipendenti|unita)?$")),
    ("from", re.compile(r"^(?:da)?(?P<a>\d+)(?:eoltre|inpoi|epiu|ineoltre)$")),
    ("upto", re.compile(r"^(?:fino|sino)a(?P<b>\S{1,3})(?:dipendenti|unita)?$")),
    ("all", re.compile(r"^tutt[oia](?:il|i|la)?(?:personale|dipendenti|struttura|l'ente|ente)\w*$")),
]
#: The macro-categories: a heading sentence, then one bulleted line per category.
CATEGORIES_HEADING_RE = re.compile(r"\bmacro\s*(?:-\s*)?categori")  # on folded text: "macro - categorie"
CATEGORY_MAX_LEN = 95
#: In a list, a lone letter or symbol before a lower-case word is a bullet OCR could not read.
OCR_MARKER_RE = re.compile(r"^(?:[^\w\s]|[A-Za-z])\s+(?=[a-zà-ù])")
BULLET_GLYPH_RE = re.compile(r"^[\uf000-\uf0ff\u2022\u25aa\u25a0\u25a1\u274f\u2751\u2752\u25cf\u25e6•·]")

#: Italian words kept lower case inside a proper name ("Comune di San Paolo d'Argon").
ELIDED_PARTICLES = {"d", "dell", "dall", "sull", "nell", "l"}
NAME_PARTICLES = {"di", "del", "della", "dei", "degli", "delle", "da", "de", "sul", "sulla", "in", "e", "al", "alla"}


@dataclass(frozen=True)
class _Text:
    """Lines joined into one string, remembering which page each character came from."""

    text: str
    starts: list[int]
    pages: list[int]

    def page_at(self, offset: int) -> int:
        page = self.pages[0] if self.pages else 0
        for start, p in zip(self.starts, self.pages):
            if start > offset:
                break
            page = p
        return page


def _join(lines: list[Line]) -> _Text:
    parts, starts, pages, pos = [], [], [], 0
    for line in lines:
        starts.append(pos)
        pages.append(line.page)
        parts.append(line.text)
        pos += len(line.text) + 1
    return _Text(" ".join(parts), starts, pages)


def intro_lines(doc: Document) -> list[Line]:
    """The lines before the first objective card, its header block included (the whole
    document if it has none): where the card parser itself says the first card starts."""
    lines = doc.lines()
    start = first_card_start(lines)
    return lines if start is None else lines[:start]


def proper_name(text: str) -> str:
    words = clean_spaces(unify(text)).lower().split(" ")
    out = []
    for i, w in enumerate(words):
        if i and w in NAME_PARTICLES:
            out.append(w)
            continue
        parts = []
        for part in w.split("-"):
            head, apostrophe, tail = part.partition("'")
            if apostrophe and i and head in ELIDED_PARTICLES:  # "d'argon" -> "d'Argon"
                parts.append(f"{head}'{tail[:1].upper()}{tail[1:]}")
            elif apostrophe:  # "sant'angelo" -> "Sant'Angelo"
                parts.append(f"{head[:1].upper()}{head[1:]}'{tail[:1].upper()}{tail[1:]}")
            else:
                parts.append(part[:1].upper() + part[1:])
        out.append("-".join(parts))
    return " ".join(out)


# -- header fields ------------------------------------------------------------------------------


def find_entity(lines: list[Line]) -> tuple[str | None, int | None]:
    for line in lines:
        f = fold(line.text)
        for rx, prefix in ENTITY_PATTERNS:
            m = rx.match(f)
            if m:
                name = printed_tail(line.text, m.group("name"))
                return f"{prefix} {proper_name(name)}", line.page
    for line in lines:
        m = ENTITY_IN_TEXT_RE.search(strip_accents_keep(line.text))
        if m:
            prefix = "Comune di" if m.group(1).lower() == "comune" else "Città di"
            return f"{prefix} {m.group(2)}", line.page
    return None, None


def printed_tail(text: str, folded_name: str) -> str:
    """The end of the printed ``text`` whose fold is ``folded_name``, accents kept. Not by
    length: fold() spaces out hyphens ("Rodengo-Saiano" folds to "rodengo - saiano")."""
    printed = clean_spaces(unify(text))
    for start in range(len(printed) - 1, -1, -1):
        if fold(printed[start:]) == folded_name.strip():
            return printed[start:].strip()
    return printed[-len(folded_name):]


def strip_accents_keep(text: str) -> str:
    """Text with quotes/dashes unified and accents removed, case kept (for proper-name search)."""
    return strip_accents(unify(text))


def find_province(lines: list[Line]) -> tuple[str | None, int | None]:
    for line in lines:
        m = PROVINCE_RE.match(fold(line.text))
        if m:
            return proper_name(printed_tail(line.text, m.group("name"))), line.page
    return None, None


def find_period(lines: list[Line]) -> tuple[str | None, str | None, int | None]:
    """("2024-2026", the word before it as printed, page). Prefers a line that is only the period."""
    best = None
    for line in lines:
        f = fold(line.text)
        for m in PERIOD_RE.finditer(f):
            a, b = int(m.group("a")), int(m.group("b"))
            if not 0 < b - a <= 5:
                continue
            score = (2 if m.group("word") else 0) + (1 if len(f) <= 40 else 0)
            if best is None or score > best[0]:
                best = (score, f"{a}-{b}", m.group("word"), line.page)
            break
    if best is None:
        return None, None, None
    return best[1], best[2], best[3]


def find_title(lines: list[Line], period: str | None, period_word: str | None) -> tuple[str | None, int | None]:
    """"<kind> - <period word> <period> - Allegato N", from the cover's own words."""
    kind = page = None
    for line in lines:
        f = fold(line.text)
        for canonical, rx in TITLE_KINDS:
            if rx.search(f) and len(f) <= 60:  # a heading line, not a sentence mentioning it
                kind, page = canonical, line.page
                break
        if kind:
            break
    if kind is None:
        return None, None
    parts = [kind]
    if period:
        parts.append(f"{period_word} {period}" if period_word else period)
    annex = next((m.group("n") for line in lines if (m := ANNEX_RE.match(fold(line.text)))), None)
    if annex:
        parts.append(f"Allegato {annex.upper() if annex.isalpha() else annex}")
    return " - ".join(parts), page


def find_year(doc: Document) -> tuple[int | None, int | None]:
    """The plan's year: the cards' "ANNO 2025" lines, else the summary heading's "anno 2025"."""
    counts: Counter[int] = Counter()
    first_page: dict[int, int] = {}
    for line in doc.lines():
        f = fold(line.text)
        m = YEAR_LINE_RE.match(f) or YEAR_HEADING_RE.search(f)
        if m:
            y = int(m.group(1))
            counts[y] += 1
            first_page.setdefault(y, line.page)
    if not counts:
        return None, None
    year = counts.most_common(1)[0][0]
    return year, first_page[year]


# -- budget -------------------------------------------------------------------------------------

_ROLE_RES = {role: [re.compile(p) for p in pats] for role, pats in BUDGET_ROLES.items()}


def find_budget(lines: list[Line]) -> Budget:
    """Total, allocated, reserve and welfare from the paragraph that states them.

    Each amount gets a score per role from the cue words near it (closer counts more); the
    roles are then assigned to amounts one-to-one so that the total score is highest.
    """
    joined = _join(lines)
    text = joined.text
    folded = fold_keep_length(text)
    amounts = money_amounts(text)
    if not amounts:
        return Budget()
    cues: list[tuple[str, int, int]] = []  # role, start, end
    for role, rxs in _ROLE_RES.items():
        for rx in rxs:
            cues.extend((role, m.start(), m.end()) for m in rx.finditer(folded))
    scores: list[dict[str, float]] = []
    for idx, (pos, _value) in enumerate(amounts):
        prev_pos = amounts[idx - 1][0] if idx else -10**9
        next_pos = amounts[idx + 1][0] if idx + 1 < len(amounts) else 10**9
        row: dict[str, float] = {}
        for role, start, end in cues:
            if end <= pos:
                dist = pos - end
                if start < prev_pos:  # beyond the previous amount: it is that one's cue
                    continue
            else:
                dist = start - pos
                if start > next_pos:
                    continue
            if dist > CUE_WINDOW:
                continue
            row[role] = row.get(role, 0.0) + 1.0 / (1.0 + dist / CUE_HALF_DISTANCE)
        scores.append(row)
    candidates = [i for i, row in enumerate(scores) if row]
    if not candidates:
        return Budget()
    roles = list(BUDGET_ROLES)
    best: tuple[float, dict[str, int]] = (0.0, {})
    # One-to-one assignment: for each role only the amounts with a cue for it (or none), so
    # the search grows with the amounts near each role's cues, not with the fourth power of
    # every amount in the introduction.
    options = [[i for i in candidates if scores[i].get(role, 0.0) > 0] + [None] for role in roles]
    for assignment in product(*options):
        picked = [i for i in assignment if i is not None]
        if len(picked) != len(set(picked)):
            continue  # one amount, one role
        chosen = {role: i for role, i in zip(roles, assignment) if i is not None}
        total = sum(scores[i][role] for role, i in chosen.items())
        if total > best[0]:
            best = (total, chosen)
    chosen = best[1]
    values = {role: round(amounts[i][1], 2) for role, i in chosen.items()}
    page_index = chosen.get("total", min(chosen.values()) if chosen else None)
    page = joined.page_at(amounts[page_index][0]) if page_index is not None else None
    return Budget(**values, page=page)


def fold_keep_length(text: str) -> str:
    """Lower case without accents, one character per character (offsets stay valid)."""
    out = []
    for c in unify(text).lower():
        s = strip_accents(c)
        out.append(s[:1] if s else c)
    return "".join(out)


# -- tables read from lines ----------------------------------------------------------------------


def _rows_after(lines: list[Line], start: int, row_re: re.Pattern, max_skip: int = 3) -> list[tuple[Line, re.Match]]:
    """Consecutive lines matching ``row_re`` after ``start`` (a few non-matching heading lines allowed)."""
    rows, skipped = [], 0
    for line in lines[start + 1:]:
        m = row_re.match(clean_spaces(unify(line.text)).lower())
        if m:
            rows.append((line, m))
            continue
        if rows or skipped >= max_skip:
            break
        skipped += 1
    return rows


def find_strategic_weights(lines: list[Line]) -> tuple[dict[str, int | float], int | None]:
    for i, line in enumerate(lines):
        if WEIGHTS_HEADING_RE.search(fold(line.text)) and len(line.text) <= 60:
            rows = _rows_after(lines, i, WEIGHT_ROW_RE)
            if len(rows) >= 2:
                weights = {}
                for _line, m in rows:
                    value = parse_it_number(m.group("value"))
                    if value is not None:
                        weights[clean_spaces(m.group("label"))] = as_number(value)
                return weights, rows[0][0].page
    return {}, None


def _digit(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def parse_band_label(label: str) -> tuple[str, int | None, int | None] | None:
    """("range"|"single"|..., min, max) for a band label, None if it is not one."""
    key = squash(label).replace(".", "") if not re.fullmatch(r"n\.?\s*\d+", fold(label)) else squash(label)
    for kind, rx in BAND_LABELS:
        m = rx.match(key)
        if not m:
            continue
        a = _digit(m.groupdict().get("a"))
        b = _digit(m.groupdict().get("b"))
        if kind == "single":
            return kind, a, a
        if kind == "range":
            return kind, a, b
        if kind == "above":
            return kind, a + 1 if a is not None else None, None
        if kind == "from":
            return kind, a, None
        if kind == "upto":
            return kind, 1, b
        return kind, None, None
    return None


def find_staff_bands(lines: list[Line]) -> tuple[list[StaffBand], int | None]:
    for i, line in enumerate(lines):
        if not BANDS_HEADING_RE.search(fold(line.text)):
            continue
        parsed = []
        skipped = 0
        for row in lines[i + 1:]:
            m = BAND_ROW_RE.match(clean_spaces(unify(row.text)))
            band = parse_band_label(m.group("label")) if m else None
            if band is None:
                if parsed or skipped >= 3:
                    break
                skipped += 1
                continue
            parsed.append((row, m.group("label"), band, parse_it_number(m.group("value"))))
        if len(parsed) >= 2:
            return _bands(parsed), parsed[0][0].page
    return [], None


def _bands(parsed) -> list[StaffBand]:
    kinds = [b[2][0] for b in parsed]
    mins = [b[2][1] for b in parsed]
    maxs = [b[2][2] for b in parsed]
    # Bands are contiguous: an unreadable bound (OCR) follows from its neighbours.
    for k in range(len(parsed)):
        if kinds[k] == "range":
            if maxs[k] is None and k + 1 < len(parsed) and mins[k + 1] is not None:
                maxs[k] = mins[k + 1] - 1
            if mins[k] is None and k > 0 and maxs[k - 1] is not None:
                mins[k] = maxs[k - 1] + 1
    bands = []
    for (row, label, (kind, _a, _b), coef), lo, hi in zip(parsed, mins, maxs):
        label = clean_spaces(unify(label))
        if kind == "range" and lo is not None and hi is not None and not re.fullmatch(r"(?i)da\s+\d+\s+a\s+\d+", label):
            label = f"Da {lo} a {hi}"  # the printed label was garbled; say what it means
        bands.append(StaffBand(label=label, min=lo, max=hi, coefficient=coef if coef is not None else 0.0,
                               all_staff=kind == "all"))
    return bands


def find_categories(lines: list[Line]) -> tuple[list[str], int | None]:
    for i, line in enumerate(lines):
        if not CATEGORIES_HEADING_RE.search(fold(line.text)):
            continue
        # Skip to the end of the heading sentence.
        j = i
        while j < len(lines) - 1 and j - i < 4 and not re.search(r"[.:]\s*$", lines[j].text):
            j += 1
        items: list[str] = []
        for row in lines[j + 1:]:
            raw = row.text.strip()
            if not raw:
                continue
            bulleted = bool(BULLET_GLYPH_RE.match(raw))
            text = strip_bullet(raw)
            marker = OCR_MARKER_RE.match(text)
            if marker:  # OCR read the bullet as one stray letter or symbol ("Q obiettivi ...")
                bulleted, text = True, text[marker.end():]
            text = text.rstrip(";.,").strip()
            if not text:
                continue
            if len(text) > CATEGORY_MAX_LEN and not bulleted:
                break
            if items and not bulleted and text[:1].isupper() and not fold(text).startswith(fold(items[0]).split(" ")[0]):
                break
            items.append(clean_spaces(text))
        if items:
            return items, lines[j + 1].page if j + 1 < len(lines) else line.page
    return [], None


# -- the whole introduction ---------------------------------------------------------------------


def parse_intro(doc: Document) -> Plan:
    """The plan-level record (no summary table: see :mod:`extractors.summary`)."""
    lines = intro_lines(doc)
    pages: dict[str, int] = {}

    def note(field: str, page: int | None) -> None:
        if page is not None:
            pages[field] = page

    entity, p = find_entity(lines)
    note("entity", p)
    province, p = find_province(lines)
    note("province", p)
    period, period_word, p = find_period(lines)
    note("period", p)
    title, p = find_title(lines, period, period_word)
    note("title", p)
    year, p = find_year(doc)
    note("year", p)
    budget = find_budget(lines)
    note("budget", budget.page)
    weights, p = find_strategic_weights(lines)
    note("strategic_weights", p)
    bands, p = find_staff_bands(lines)
    note("staff_bands", p)
    categories, p = find_categories(lines)
    note("categories", p)
    return Plan(entity=entity, province=province, title=title, period=period, year=year, budget=budget,
                strategic_weights=weights, staff_bands=bands, categories=categories, pages=pages)
