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
from dataclasses import dataclass, replace
from functools import cache
from itertools import product
from pathlib import Path

import yaml

from extractors.cards import first_card_start
from extractors.layout import Document, Line
from extractors.pageblocks import list_marker
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
from pipeline.record import Budget, Plan, StaffBand, Threshold, ThresholdBand

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
#: A title line is a heading, not a sentence that mentions the plan (folded characters).
TITLE_MAX_LEN = 72
ANNEX_RE = re.compile(r"^\s*allegato\s+(?P<n>[0-9a-z]{1,3})\s*$")
#: "ANNO 2025" on its own line (cards), or a heading "... anno 2025".
YEAR_LINE_RE = re.compile(r"^\s*anno\s+(20\d\d)\s*$")
YEAR_HEADING_RE = re.compile(r"\briepilogo\b.*\banno\s+(20\d\d)\b")

#: Budget roles, by the words around the amount (folded text): ``budget_roles`` in
#: intro_rules.yaml. Order does not matter.
#: How far (characters) a cue may be from its amount, and how much nearness counts.
CUE_WINDOW = 160
CUE_HALF_DISTANCE = 40.0

#: The strategicità table: heading words, then rows "1. strategico 40".
WEIGHTS_HEADING_RE = re.compile(r"\bstrategicita\b")
WEIGHT_ROW_RE = re.compile(rf"^\s*(?:\d+\s*[.)\-]\s*)?(?P<label>[a-zà-ÿ][a-zà-ÿ' ]*?[a-zà-ÿ])\s+(?P<value>{IT_NUMBER})\s*%?\s*$")

#: The staff-band table: heading words, then rows "Da 2 a 3 1,00".
BANDS_HEADING_RE = re.compile(r"\bdipendenti\b.*\b(?:coinvolt|impiegat|assegnat)|\bpersonale\s+coinvolto\b.*\bpeso\b")
BAND_ROW_RE = re.compile(r"^\s*(?P<label>.+?)\s+(?P<value>\d+[,.]\d+|\d+)\s*$")
#: Band labels: ``staff_bands.labels`` in intro_rules.yaml (see :func:`_band_labels`).
#: The macro-categories: a heading sentence, then one bulleted line per category.
CATEGORIES_HEADING_RE = re.compile(r"\bmacro\s*(?:-\s*)?categori")  # on folded text: "macro - categorie"
CATEGORY_MAX_LEN = 95
#: In a list, a lone letter or symbol before a lower-case word is a bullet OCR could not read.
OCR_MARKER_RE = re.compile(r"^(?:[^\w\s]|[A-Za-z])\s+(?=[a-zà-ù])")
BULLET_GLYPH_RE = re.compile(r"^[\uf000-\uf0ff\u2022\u25aa\u25a0\u25a1\u274f\u2751\u2752\u25cf\u25e6•·]")

#: Italian words kept lower case inside a proper name ("Comune di San Paolo d'Argon").
ELIDED_PARTICLES = {"d", "dell", "dall", "sull", "nell", "l"}
NAME_PARTICLES = {"di", "del", "della", "dei", "degli", "delle", "da", "de", "sul", "sulla", "in", "e", "al", "alla"}


RULES_FILE = Path(__file__).with_name("intro_rules.yaml")


@dataclass(frozen=True)
class _Rules:
    """The vocabulary of ``intro_rules.yaml``, compiled."""

    front_part_end: list[re.Pattern]
    year_cues: list[re.Pattern]
    level_headings: list[re.Pattern]
    level_window: int
    level_pair: re.Pattern
    level_separator: re.Pattern
    level_items: list[re.Pattern]
    level_not_labels: frozenset[str]
    points_cues: list[re.Pattern]
    band_headings: list[re.Pattern]
    band_window: int
    band_units: str
    band_row: re.Pattern
    band_ocr_bullet: re.Pattern
    budget_roles: dict[str, list[re.Pattern]]
    budget_nil: dict[str, list[re.Pattern]]
    budget_whole: list[re.Pattern]
    budget_whole_not_in_sentence: list[re.Pattern]
    budget_whole_not_in_intro: list[re.Pattern]
    soglia: list[re.Pattern]
    soglia_context: list[re.Pattern]
    payout: dict[str, list[re.Pattern]]
    ranges: dict[str, list[re.Pattern]]
    prereq_headings: list[re.Pattern]
    prereq_window: int
    prereq_item: re.Pattern


def _compile(patterns: list[str], flags: int = 0) -> list[re.Pattern]:
    return [re.compile(p, flags) for p in patterns]


@cache
def _rules() -> _Rules:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    lv, sb, th, pr = data["levels"], data["staff_bands"], data["threshold"], data["prerequisites"]
    units = "|".join(sorted((u.replace(" ", "") for u in sb["units"]), key=len, reverse=True))
    return _Rules(
        front_part_end=_compile(data["front_part_end"]),
        year_cues=_compile(data["year_cues"]),
        level_headings=_compile(lv["heading"]),
        level_window=int(lv["window"]),
        level_pair=re.compile(lv["inline_pair"]),
        level_separator=re.compile(lv["inline_separator"]),
        level_items=_compile(lv["list_item"]),
        level_not_labels=frozenset(lv["not_labels"]),
        points_cues=_compile(data["points_cues"]),
        band_headings=_compile(sb["heading"]),
        band_window=int(sb["window"]),
        band_units=units,
        band_ocr_bullet=re.compile(r"^(?:%s)\s+" % "|".join(map(re.escape, sb["ocr_bullets"]))),
        band_row=re.compile(
            rf"^(?P<label>.+?)\s*(?:[:=]|\s[-–]\s)?\s*(?:{sb['value_prefix']}\s*)?"
            rf"(?P<value>\d+[,.]\d+|\d+)\s*[;.,]?\s*$", re.IGNORECASE),
        budget_roles={k: _compile(v) for k, v in data["budget_roles"].items()},
        budget_nil={k: _compile(v) for k, v in data["budget_nil"].items()},
        budget_whole=_compile(data["budget_whole"]),
        budget_whole_not_in_sentence=_compile(data["budget_whole_not_in_sentence"]),
        budget_whole_not_in_intro=_compile(data["budget_whole_not_in_intro"]),
        soglia=_compile(th["soglia"]),
        soglia_context=_compile(th["soglia_context"]),
        payout={k: _compile(v) for k, v in th["payout"].items()},
        ranges={k: _compile(v) for k, v in th["range"].items()},
        prereq_headings=_compile(pr["heading"]),
        prereq_window=int(pr["window"]),
        prereq_item=re.compile(pr["item"], re.IGNORECASE),
    )


def _any(rxs: list[re.Pattern], text: str) -> bool:
    return any(rx.search(text) for rx in rxs)


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


def _join(lines: list[Line], sep: str = " ") -> _Text:
    parts, starts, pages, pos = [], [], [], 0
    for line in lines:
        starts.append(pos)
        pages.append(line.page)
        parts.append(line.text)
        pos += len(line.text) + 1
    return _Text(sep.join(parts), starts, pages)


def intro_lines(doc: Document) -> list[Line]:
    """The lines before the first objective card, its header block included (the whole
    document if it has none): where the card parser itself says the first card starts."""
    lines = doc.lines()
    start = first_card_start(lines)
    if start is None:  # a layout the card parser does not know: stop at the first objective
        start = next((i for i, line in enumerate(lines) if _any(_rules().front_part_end, fold(line.text))), None)
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


#: A letterhead or running header that goes on after the entity's name: "Comune di X – PIAO ...".
LETTERHEAD_SPLIT_RE = re.compile(r"\s[\u2013\u2014|]\s")


def find_entity(lines: list[Line]) -> tuple[str | None, int | None]:
    for line in lines:
        for text in dict.fromkeys((LETTERHEAD_SPLIT_RE.split(line.text)[0], line.text)):
            f = fold(text)
            for rx, prefix in ENTITY_PATTERNS:
                m = rx.match(f)
                if m:
                    name = printed_tail(text, m.group("name"))
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
            if rx.search(f) and len(f) <= TITLE_MAX_LEN:  # a heading line, not a sentence mentioning it
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
        return _year_from_cues(doc)
    year = counts.most_common(1)[0][0]
    return year, first_page[year]


def _year_from_cues(doc: Document) -> tuple[int | None, int | None]:
    """The year the objectives are for, from headings and sentences that name it ("Obiettivi
    operativi 2025", "per l'anno 2025", "Target 2025"); a period's years alone do not count."""
    counts: Counter[int] = Counter()
    first_page: dict[int, int] = {}
    for line in doc.lines():
        f = fold(line.text)
        for rx in _rules().year_cues:
            for m in rx.finditer(f):
                y = int(m.group(1))
                counts[y] += 1
                first_page.setdefault(y, line.page)
    if not counts:
        return None, None
    year = counts.most_common(1)[0][0]
    return year, first_page[year]


# -- budget -------------------------------------------------------------------------------------



def find_budget(lines: list[Line]) -> Budget:
    """Total, allocated, reserve and welfare from the paragraph that states them.

    Each amount gets a score per role from the cue words near it (closer counts more); the
    roles are then assigned to amounts one-to-one so that the total score is highest. A plan that
    states only its fund, in a sentence that makes it the amount to split among the objectives
    (``budget_whole`` in ``intro_rules.yaml``), has it as the share for the objectives too.
    """
    joined = _join(lines)
    text = joined.text
    folded = fold_keep_length(text)
    amounts = money_amounts(text)
    if not amounts:
        return Budget()
    cues: list[tuple[str, int, int]] = []  # role, start, end
    for role, rxs in _rules().budget_roles.items():
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
    roles = list(_rules().budget_roles)
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
    if set(values) == {"total"}:
        rules, sentence = _rules(), _sentence_at(folded, amounts[chosen["total"]][0])
        if _any(rules.budget_whole, sentence) and not _any(rules.budget_whole_not_in_sentence, sentence) \
                and not _any(rules.budget_whole_not_in_intro, folded):
            values["allocated"] = values["total"]  # the plan's words make the fund the amount to split
    page_index = chosen.get("total", min(chosen.values()) if chosen else None)
    page = joined.page_at(amounts[page_index][0]) if page_index is not None else None
    return Budget(**_complete_budget(values, folded), page=page)


def _sentence_at(text: str, pos: int) -> str:
    """The sentence of ``text`` around offset ``pos`` (a full stop or a semicolon before a space
    ends one; "48.500,00" is no sentence end)."""
    start = max((m.end() for m in re.finditer(r"[.;]\s", text[:pos])), default=0)
    m = re.compile(r"[.;](?:\s|$)").search(text, pos)
    return text[start:m.start() if m else len(text)]


def _complete_budget(values: dict[str, float], folded: str) -> dict[str, float]:
    """Parts the plan says are nil ("Non sono previste quote di riserva") are 0; when the total
    and the share for the objectives are both printed and the parts found already add up to the
    total, a part the plan does not mention is 0 (it cannot be anything else)."""
    out = dict(values)
    for role, rxs in _rules().budget_nil.items():
        if role not in out and any(rx.search(folded) for rx in rxs):
            out[role] = 0.0
    total, allocated = out.get("total"), out.get("allocated")
    if total is not None and allocated is not None:
        parts = ("reserve", "welfare")
        known = round(allocated + sum(out.get(k) or 0.0 for k in parts), 2)
        if abs(known - total) < 0.005:
            for k in parts:
                out.setdefault(k, 0.0)
    return out


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
    """The levels and their weights: a table under a heading ("Strategicità | Peso", rows
    "Strategico 40"), or, near a heading that names the weighting, one line of pairs
    ("Alta = 1,4 / Media = 1,2 / Bassa = 1,0") or a list ("– Alta (1,4): ...")."""
    rules = _rules()
    for i, line in enumerate(lines):
        if (WEIGHTS_HEADING_RE.search(fold(line.text)) or _any(rules.level_headings, fold(line.text))) \
                and len(line.text) <= 60:
            rows = _rows_after(lines, i, WEIGHT_ROW_RE)
            weights = {}
            for _line, m in rows:
                value = parse_it_number(m.group("value"))
                label = clean_spaces(m.group("label"))
                if value is not None and fold(label) not in rules.level_not_labels:
                    weights[label] = as_number(value)
            if len(weights) >= 2:
                return weights, rows[0][0].page
    for i, line in enumerate(lines):
        if not _any(rules.level_headings, fold(line.text)):
            continue
        # The sentence naming the levels after its colon, wrapped onto the next line ("... di
        # strategicità: Strategico 40," / "Rilevante 30, Ordinario 20.").
        tail = line.text.split(":", 1)[1].strip() if ":" in line.text else ""
        if tail and i + 1 < len(lines):
            weights = _inline_pairs(fold(f"{tail} {lines[i + 1].text}"))
            if weights:
                return weights, line.page
        window = lines[i:i + 1 + rules.level_window]
        for cand in window:
            weights = _inline_levels(fold(cand.text))
            if weights:
                return weights, cand.page
        weights, page = _listed_levels(lines[i + 1:i + 1 + rules.level_window + 20])
        if weights:
            return weights, page
    return {}, None


def _level_value(label: str, value: str) -> tuple[str, int | float] | None:
    label = clean_spaces(label.strip(" '"))
    number = parse_it_number(value)
    if number is None or not label or label in _rules().level_not_labels or len(label.split()) > 3:
        return None
    return label, as_number(number)


def _inline_levels(folded: str) -> dict[str, int | float]:
    """"alta = 1,4 / media = 1,2 / bassa = 1,0": every part a pair, at least two; also the pairs
    after the colon of a sentence introducing them ("... un livello di strategicita: strategico 40,
    rilevante 30, ordinario 20")."""
    weights = _inline_pairs(folded)
    if not weights and ":" in folded:
        weights = _inline_pairs(folded.split(":", 1)[1])
    return weights


def _inline_pairs(folded: str) -> dict[str, int | float]:
    rules = _rules()
    parts = [p for p in rules.level_separator.split(folded.strip(" .;:")) if p.strip()]
    if len(parts) < 2:
        return {}
    weights: dict[str, int | float] = {}
    for part in parts:
        m = rules.level_pair.fullmatch(part.strip())
        pair = _level_value(m.group("label"), m.group("value")) if m else None
        if pair is None:
            return {}
        weights[pair[0]] = pair[1]
    return weights if len(weights) >= 2 else {}


def _listed_levels(lines: list[Line]) -> tuple[dict[str, int | float], int | None]:
    """A list of levels, one item per level, each item possibly wrapped over a few lines."""
    weights: dict[str, int | float] = {}
    page, gap = None, 0
    for line in lines:
        f = fold(strip_bullet(line.text)) if not line.text.lstrip().startswith(("-", "\u2013")) else fold(line.text)
        m = next((m for rx in _rules().level_items if (m := rx.match(f))), None)
        pair = _level_value(m.group("label"), m.group("value")) if m else None
        if pair is None:
            gap += 1
            if weights and gap > 4:
                break
            continue
        weights[pair[0]] = pair[1]
        page = page or line.page
        gap = 0
    return (weights, page) if len(weights) >= 2 else ({}, None)


def find_weighting(lines: list[Line], weights: dict[str, int | float]) -> tuple[str | None, int | None]:
    """"levels" when the plan weighs objectives by level, "points" when it says each objective
    prints its own weight ("Peso dell'obiettivo: 30/100", "peso numerico espresso in centesimi")."""
    if weights:
        return "levels", None
    for line in lines:
        if _any(_rules().points_cues, fold(line.text)):
            return "points", line.page
    return None, None


_BOUND_LOOKALIKES = str.maketrans({"l": "1", "I": "1", "|": "1", "O": "0", "o": "0"})


def _digit(text: str | None) -> int | None:
    """A band bound: digits, or digits OCR read as lookalikes ("dala2" for "da 1 a 2": "l" is 1)."""
    if text and not text.isdigit() and re.fullmatch(r"[\dlI|Oo]+", text) and (
            re.search(r"\d", text) or text in ("l", "I", "|")):
        text = text.translate(_BOUND_LOOKALIKES)
    return int(text) if text and text.isdigit() else None


@cache
def _band_labels() -> list[tuple[str, re.Pattern]]:
    """(kind, pattern) for band labels, matched on the label with every space removed (OCR drops
    them); ``{u}`` in a pattern stands for the count nouns ("1-2 unità", "8 dipendenti e oltre").
    Digits may be misread: an unreadable bound is left None and inferred from the neighbours."""
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))["staff_bands"]["labels"]
    u = _rules().band_units
    return [(kind, re.compile(pattern.replace("{u}", u))) for kind, pattern in data]


def parse_band_label(label: str) -> tuple[str, int | None, int | None] | None:
    """("range"|"single"|..., min, max) for a band label, None if it is not one."""
    key = squash(label).replace(".", "") if not re.fullmatch(r"n\.?\s*\d+", fold(label)) else squash(label)
    for kind, rx in _band_labels():
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


def _band_row(text: str) -> tuple[str, tuple[str, int | None, int | None], float | None] | None:
    """(label as printed, parsed label, coefficient) for a band row: a table row "1-2 unità 0,8"
    or a list item "– da 1 a 2 dipendenti: coefficiente 1,00;"."""
    text = clean_spaces(unify(text))
    unbulleted = re.sub(r"^[-*\u2022]\s*", "", strip_bullet(text))
    ocr_unbulleted = _rules().band_ocr_bullet.sub("", text, count=1)
    for candidate in dict.fromkeys((text, unbulleted, ocr_unbulleted)):
        for rx in (BAND_ROW_RE, _rules().band_row):
            m = rx.match(candidate)
            if not m:
                continue
            label = m.group("label").strip(" :=-")
            band = parse_band_label(label)
            if band is not None:
                return label, band, parse_it_number(m.group("value"))
    return None


def find_staff_bands(lines: list[Line]) -> tuple[list[StaffBand], int | None]:
    rules = _rules()
    for i, line in enumerate(lines):
        f = fold(line.text)
        if not (BANDS_HEADING_RE.search(f) or _any(rules.band_headings, f)):
            continue
        parsed = []
        skipped = 0
        for row in lines[i + 1:]:
            found = _band_row(row.text)
            if found is None:
                if parsed or skipped >= rules.band_window:
                    break
                skipped += 1
                continue
            label, band, value = found
            parsed.append((row, label, band, value))
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
        printed_ok = bool(re.fullmatch(r"(?i)da\s+\d+\s+a\s+\d+", label)) or (
            [int(d) for d in re.findall(r"\d+", label)] == [lo, hi]
            and bool(re.search(r"\d\s*[-\u2013/]\s*\d|\d\s+a\s+\d", label)))
        if kind == "range" and lo is not None and hi is not None and not printed_ok:
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


# -- threshold rule and prerequisites ----------------------------------------------------------

#: Clause boundaries inside the joined front part: ";", a full stop before a space or a line
#: break, a colon ending a line (what follows is a list), a line that opens with a dash or bullet,
#: a blank line (put where a list item ends).
#: A heading line has at most this many words.
HEADING_MAX_WORDS = 6
_CLAUSE_SPLIT = re.compile(r";|\.(?=\s)|:(?=[ \t]*\n)|\n(?=\s*[-\u2013\u2022*])|\n(?=\n)")


def _clauses(lines: list[Line], paragraph_lines: bool = False) -> list[tuple[str, str, int]]:
    """(printed clause, folded clause, page) in document order. No clause runs over the end of
    a list item (:func:`_list_runs`: a blank line is put there, which ends a clause)."""
    runs = _list_runs(lines, paragraph_lines)
    marked = [replace(line, text=line.text + "\n") if k == len(run) - 1 and r < len(runs) - 1 else line
              for r, run in enumerate(runs) for k, line in enumerate(run)]
    joined = _join(marked, sep="\n")
    out, pos = [], 0
    for m in [*_CLAUSE_SPLIT.finditer(joined.text), None]:
        end = m.start() if m else len(joined.text)
        raw = joined.text[pos:end]
        parts = raw.strip("\n").split("\n")
        while len(parts) > 1 and _is_heading_line(parts[0], parts[1]):
            parts = parts[1:]  # a heading printed on its own line before the sentence
        printed = clean_spaces(" ".join(parts)).strip(" -\u2013\u2022*")
        if printed:
            out.append((printed, fold(printed), joined.page_at(pos + len(raw) - len(raw.lstrip()))))
        pos = m.end() if m else end
    return out


def _list_runs(lines: list[Line], paragraph_lines: bool = False) -> list[list[Line]]:
    """The lines cut where a list item begins (a bullet glyph or an enumerator, as data in
    ``pageblocks.yaml``) and where it ends: with ``paragraph_lines`` (a DOCX: one line per
    paragraph) at its line's end; with geometry at the first line that starts left of the
    item's text and opens a new paragraph (the line above ends a sentence, or the line's first
    word would have fitted on it). Plain lines without geometry cannot show where an item ends."""
    runs: list[list[Line]] = []
    item_x: float | None = None  # where the open item's text starts (None: no open item)
    right: dict[int, float] = {}
    for line in lines:
        right[line.page] = max(right.get(line.page, 0.0), line.x1)
    for line in lines:
        marker = list_marker(line.text)
        if marker is not None:
            runs.append([line])
            after = line.words[1:] if line.words and line.words[0].text == marker else line.words
            item_x = after[0].x0 if after else 0.0
            continue
        if item_x is not None and runs:
            prev = runs[-1][-1]
            if paragraph_lines or (line.words and _starts_paragraph(prev, line, item_x, right[prev.page])):
                runs.append([line])
                item_x = None
                continue
        if not runs:
            runs.append([])
        runs[-1].append(line)
    return runs


def _starts_paragraph(prev: Line, line: Line, item_x: float, right: float) -> bool:
    """Whether ``line``, after ``prev`` (a list item's line), starts a paragraph of its own: it
    starts left of the item's text, and ``prev`` ended a sentence or stopped short of the
    right edge by more than ``line``'s first word."""
    h = max(1.0, prev.bottom - prev.top)
    if not item_x or line.x0 >= item_x - 0.3 * h:
        return False
    first = line.words[0]
    return bool(re.search(r"[.;:!?]$", prev.text.strip())) or prev.x1 + 0.25 * h + (first.x1 - first.x0) <= right - 0.15 * h


def _is_heading_line(line: str, following: str) -> bool:
    """A short line without closing punctuation, followed by a line that opens a sentence."""
    line, following = line.strip(), following.strip()
    return (0 < len(line.split()) <= HEADING_MAX_WORDS and not re.search(r"[,;:]$", line)
            and following[:1].isupper())


def _pct(text: str | None) -> int | float | None:
    return as_number(parse_it_number(text)) if text else None


def _achievement_range(folded: str) -> tuple[int | float | None, int | float | None] | None:
    ranges = _rules().ranges
    for rx in ranges["between"]:
        m = rx.search(folded)
        if m:
            return _pct(m.group("a")), _pct(m.group("b"))
    for rx in ranges["at_least"]:
        m = rx.search(folded)
        if m:
            return _pct(m.group("a")), None
    for rx in ranges["below"]:
        m = rx.search(folded)
        if m:
            return None, _pct(m.group("b"))
    return None


def _payout(folded: str) -> str | None:
    for kind in ("proportional", "none", "full"):
        if _any(_rules().payout[kind], folded):
            return kind
    return None


def find_threshold(lines: list[Line], paragraph_lines: bool = False) -> Threshold:
    """The plan-level rule: payout bands ("≥ 90% quota intera; 60–90% proporzionale; < 60%
    nessuna erogazione": default_pct 60 and three bands), else one soglia for every objective
    ("l'obiettivo si considera raggiunto ... almeno pari al 60%": default_pct 60, no bands)."""
    clauses = _clauses(lines, paragraph_lines)
    runs: list[list[tuple[str, ThresholdBand, int]]] = []
    gap = 99
    for printed, folded, page in clauses:
        kind = _payout(folded)
        span = _achievement_range(folded) if kind else None
        if kind is None or span is None:
            gap += 1
            continue
        band = ThresholdBand(min_pct=span[0], max_pct=span[1], payout=kind)
        if gap > 2:
            runs.append([])
        runs[-1].append((printed, band, page))
        gap = 0
    run = next((r for r in runs if len(r) >= 2 and len({b.payout for _, b, _ in r}) >= 2), None)
    if run:
        bands = [b for _, b, _ in run]
        paying = [b.min_pct for b in bands if b.payout != "none" and b.min_pct is not None]
        nil = [b.max_pct for b in bands if b.payout == "none" and b.max_pct is not None]
        default = min(paying) if paying else (max(nil) if nil else None)
        return Threshold(default_pct=default, bands=bands, text="; ".join(p for p, _, _ in run), page=run[0][2])
    rules = _rules()
    for printed, folded, page in clauses:
        if not _any(rules.soglia_context, folded):
            continue
        m = next((m for rx in rules.soglia if (m := rx.search(folded))), None)
        if m:
            return Threshold(default_pct=_pct(m.group("pct")), text=printed, page=page)
    return Threshold()


def find_prerequisites(lines: list[Line]) -> tuple[list[str], int | None]:
    """Weightless objectives marked "X" (not scored) that gate the whole bonus: the lines ending
    with an "X" where a weight would stand, after a paragraph that introduces them."""
    rules = _rules()
    for i, line in enumerate(lines):
        if not _any(rules.prereq_headings, fold(line.text)):
            continue
        items: list[str] = []
        page, gap = None, 0
        for row in lines[i + 1:]:
            text = clean_spaces(unify(row.text))
            m = rules.prereq_item.match(text)
            if m is None and items and gap == 0 and text[:1].islower():
                items[-1] = f"{items[-1]} {text.rstrip(' .;:|')}"  # a table cell wrapped over lines
                continue
            if m is None:
                gap += 1
                if gap > (1 if items else rules.prereq_window):
                    break
                continue
            items.append(clean_spaces(m.group("text")).rstrip(" .;:|"))
            page = page or row.page
            gap = 0
        if items:
            return items, page
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
    weighting, p = find_weighting(lines, weights)
    if weighting == "points" and p is None:
        weighting, p = find_weighting(doc.lines(), weights)
    if weighting is None:  # the cards may print points the front part never mentions
        weighting, p = find_weighting(doc.lines(), weights)
    note("objective_weighting", p if weighting == "points" else pages.get("strategic_weights"))
    threshold = find_threshold(lines, paragraph_lines=doc.format == "docx")
    note("threshold", threshold.page)
    prerequisites, p = find_prerequisites(lines)
    note("prerequisites", p)
    return Plan(entity=entity, province=province, title=title, period=period, year=year, budget=budget,
                strategic_weights=weights, objective_weighting=weighting, staff_bands=bands,
                threshold=threshold, prerequisites=prerequisites, categories=categories, pages=pages)
