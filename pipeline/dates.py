"""Date mentions in Italian plan text: deadlines, periods, year ranges, with spaCy Matcher patterns.

The patterns live in ``date_patterns.yaml`` beside this module (data, not code). The blank Italian
pipeline (``spacy.blank("it")``, no trained model) only tokenizes; its tokenizer is taught to split
dashes glued to numbers ("30.04.2025-Ricognizione", "2025 -2026", "2025/2027").

Public API:

- :func:`find_dates` — text -> list of :class:`DateSpan` (kind, start, end, text, offsets)
- :func:`parse_timeframe` — a card's "Tempi di attuazione" -> :class:`Period` (or ``None``)
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

DateKind = Literal["deadline", "period", "start", "year-range", "duration", "date", "year"]

_PATTERNS_FILE = Path(__file__).with_name("date_patterns.yaml")

MONTHS = {
    name: i
    for i, name in enumerate(
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
        start=1,
    )
}
_ORDINALS = {"primo": 1, "secondo": 2, "terzo": 3, "quarto": 4, "1°": 1, "2°": 2, "3°": 3, "4°": 4,
             "i": 1, "ii": 2, "iii": 3, "iv": 4}
_MULTI_YEARS = {"bienn": 2, "trienn": 3, "quadrienn": 4, "quinquenn": 5}

_FULL_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})$")
_OPEN_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./]$")
_DAY = re.compile(r"^(\d{1,2})(?:°|º)?$")
_YEAR = re.compile(r"^(19|20)\d{2}$")
#: A year heading a block of phases: "2026: entro settembre ...", "Fasi previste nel 2026:".
_YEAR_HEADING = re.compile(r"(?<![\d/.\-])((?:19|20)\d{2})\s*:")


@dataclass(frozen=True)
class Period:
    """An inclusive span of days."""

    start: date
    end: date

    def contains(self, other_start: date | None, other_end: date | None) -> bool:
        return (other_start is None or other_start >= self.start) and (
            other_end is None or other_end <= self.end
        )

    def label(self) -> str:
        """Italian rendering: "01/01/2025 – 31/12/2025"."""
        return f"{fmt_date(self.start)} – {fmt_date(self.end)}"


@dataclass(frozen=True)
class DateSpan:
    kind: DateKind
    text: str
    start: date | None
    end: date | None
    start_char: int
    end_char: int
    #: number of years of a multi-year word ("Triennale" -> 3), else None
    years: int | None = None
    #: True when a year was supplied from the default (the mention printed none)
    year_implied: bool = False

    def label(self) -> str:
        if self.kind == "deadline" and self.end:
            return fmt_date(self.end)
        if self.kind == "start" and self.start:
            return "dal " + fmt_date(self.start)
        if self.start and self.end:
            return fmt_date(self.start) if self.start == self.end else f"{fmt_date(self.start)} – {fmt_date(self.end)}"
        return self.text


def fmt_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


@cache
def _config() -> dict:
    return yaml.safe_load(_PATTERNS_FILE.read_text(encoding="utf-8"))


@cache
def _nlp():
    import spacy
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    nlp = spacy.blank("it")
    dashes = "-‐–—÷"
    prefixes = list(nlp.Defaults.prefixes) + [rf"[{dashes}](?=\d)"]
    infixes = list(nlp.Defaults.infixes) + [
        rf"(?<=\d)[{dashes}](?=[^\W\d_])",
        rf"(?<=\d)[{dashes}](?=\d)",
        r"(?<=\d{4})/(?=\d{4})",
    ]
    suffixes = list(nlp.Defaults.suffixes) + [rf"(?<=\d)[{dashes}]"]
    nlp.tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    nlp.tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    return nlp


@cache
def _matcher():
    from spacy.matcher import Matcher

    cfg = _config()
    tokens = cfg["tokens"]
    matcher = Matcher(_nlp().vocab)
    for kind, sequences in cfg["patterns"].items():
        patterns = []
        for seq in sequences:
            pattern = []
            for name in seq.split():
                op = name[-1] if name[-1] in "?*+" else None
                spec = dict(tokens[name.rstrip("?*+")])
                if op:
                    spec["OP"] = op
                pattern.append(spec)
            patterns.append(pattern)
        matcher.add(kind, patterns)
    return matcher


@dataclass
class _Point:
    year: int | None = None
    month: int | None = None
    day: int | None = None
    quarter: int | None = None

    def first_day(self) -> date:
        if self.quarter and not self.month:
            return date(self.year, 3 * self.quarter - 2, 1)
        return date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> date:
        month = self.month or (3 * self.quarter if self.quarter else 12)
        day = self.day or calendar.monthrange(self.year, month)[1]
        return date(self.year, month, day)


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if y < 100 else y


def _points(tokens: list[str]) -> list[_Point]:
    """The dates a matched span names, in order (year possibly missing)."""
    points: list[_Point] = []
    i = 0
    n = len(tokens)
    while i < n:
        t = tokens[i]
        low = t.lower()
        if m := _FULL_DATE.match(t):
            points.append(_Point(_year(m[3]), int(m[2]), int(m[1])))
        elif (m := _OPEN_DATE.match(t)) and i + 1 < n and _YEAR.match(tokens[i + 1]):
            points.append(_Point(int(tokens[i + 1]), int(m[2]), int(m[1])))
            i += 1
        elif (
            _DAY.match(t)
            and i + 4 < n
            and tokens[i + 1] in "-‐/."
            and _DAY.match(tokens[i + 2])
            and tokens[i + 3] in "-‐/."
            and _YEAR.match(tokens[i + 4])
        ):
            points.append(_Point(int(tokens[i + 4]), int(_DAY.match(tokens[i + 2])[1]), int(_DAY.match(t)[1])))
            i += 4
        elif (m := _DAY.match(t)) and i + 1 < n and tokens[i + 1].lower() in MONTHS:
            p = _Point(None, MONTHS[tokens[i + 1].lower()], int(m[1]))
            i += 1
            if i + 1 < n and _YEAR.match(tokens[i + 1]):
                p.year = int(tokens[i + 1])
                i += 1
            points.append(p)
        elif low in MONTHS:
            p = _Point(None, MONTHS[low])
            if i + 1 < n and _YEAR.match(tokens[i + 1]):
                p.year = int(tokens[i + 1])
                i += 1
            points.append(p)
        elif low in _ORDINALS and i + 1 < n and tokens[i + 1].lower() == "trimestre":
            p = _Point(None, quarter=_ORDINALS[low])
            i += 1
            while i + 1 < n and not _YEAR.match(tokens[i + 1]) and tokens[i + 1].lower() in (
                "di", "del", "dell'", "anno", "esercizio", "annualità", "annualita"):
                i += 1
            if i + 1 < n and _YEAR.match(tokens[i + 1]):
                p.year = int(tokens[i + 1])
                i += 1
            points.append(p)
        elif _YEAR.match(t):
            points.append(_Point(int(t)))
        i += 1
    return points


def _multi_years(tokens: list[str]) -> int | None:
    for t in tokens:
        low = t.lower()
        for stem, years in _MULTI_YEARS.items():
            if low.startswith(stem):
                return years
    return None


def _build(kind: str, text: str, tokens: list[str], start_char: int, end_char: int,
           default_year: int | None) -> DateSpan | None:
    if kind == "duration":
        return DateSpan("duration", text, None, None, start_char, end_char, years=_multi_years(tokens))
    points = _points(tokens)
    if not points:
        return None
    implied = False
    # A point without a year takes the next point's year, else the default.
    for idx, p in enumerate(points):
        if p.year is None:
            later = next((q.year for q in points[idx + 1:] if q.year is not None), None)
            if later is None:
                if default_year is None:
                    return None
                later, implied = default_year, True
            p.year = later
    try:
        if kind == "deadline":
            start, end = None, points[-1].last_day()
        elif kind == "start":
            start, end = points[0].first_day(), None
        else:
            start, end = points[0].first_day(), points[-1].last_day()
    except ValueError:  # 31/02, month 13 ...
        return None
    if start and end and start > end:
        return None
    return DateSpan(kind, text, start, end, start_char, end_char,  # type: ignore[arg-type]
                    years=_multi_years(tokens), year_implied=implied)


def find_dates(text: str | None, default_year: int | None = None) -> list[DateSpan]:
    """Every date mention in ``text``, longest match first wins, in reading order.

    A mention that prints no year ("entro il mese di aprile") takes the year heading its block
    ("2026: ... entro settembre"), else ``default_year``; without either it is dropped (a guess is
    not a fact).
    """
    if not text:
        return []
    from spacy.util import filter_spans

    headings = [(m.start(), int(m.group(1))) for m in _YEAR_HEADING.finditer(text)]
    nlp = _nlp()
    doc = nlp(text)
    matches = _matcher()(doc)
    spans = [doc[s:e] for _, s, e in matches]
    labels = {(s, e): [] for _, s, e in matches}
    for match_id, s, e in matches:
        labels[(s, e)].append(nlp.vocab.strings[match_id])
    precedence = ["deadline", "period", "start", "year-range", "date", "duration", "year"]
    out = []
    for span in sorted(filter_spans(spans), key=lambda sp: sp.start):
        kinds = sorted(labels[(span.start, span.end)], key=precedence.index)
        # A mention with no year of its own takes the year heading the block it sits in.
        year = next((y for pos, y in reversed(headings) if pos < span.start_char), default_year)
        built = _build(kinds[0], span.text, [t.text for t in span], span.start_char, span.end_char,
                       year)
        if built:
            out.append(built)
    return out


def parse_year_range(text: str | None) -> Period | None:
    """"2024-2026" -> 01/01/2024 – 31/12/2026 (a plan's period)."""
    spans = [s for s in find_dates(text) if s.start and s.end]
    if not spans:
        return None
    return Period(min(s.start for s in spans), max(s.end for s in spans))  # type: ignore[type-var]


def parse_timeframe(text: str | None, year: int | None = None,
                    plan_period: str | None = None) -> Period | None:
    """The period a card's "Tempi di attuazione" names.

    - a period or year range ("dal 01/01/2025 al 31/12/2025", "biennio 2024-2025") -> its span;
    - a deadline ("Entro il 31/12/2025", "fino al 30 marzo 2025") -> from 1 January of the plan's
      year (or of the deadline's year, if earlier) to the deadline;
    - a start only ("dal 01/03/2025") -> from it to the end of the plan's year;
    - a single year or date -> that year / day;
    - a multi-year word with no years ("Triennale") -> the plan's period when it spans as many
      years, else that many years from the plan's year;
    - nothing recognisable -> ``None`` (the caller falls back to the plan's year).
    """
    spans = find_dates(text, default_year=year)
    ranged = [s for s in spans if s.kind in ("period", "year-range") and s.start and s.end]
    if ranged:
        return Period(min(s.start for s in ranged), max(s.end for s in ranged))  # type: ignore[type-var]
    deadlines = [s for s in spans if s.kind == "deadline" and s.end]
    if deadlines:
        end = max(s.end for s in deadlines)  # type: ignore[type-var]
        start_year = min(year, end.year) if year else end.year
        return Period(date(start_year, 1, 1), end)
    starts = [s for s in spans if s.kind == "start" and s.start]
    if starts:
        start = min(s.start for s in starts)  # type: ignore[type-var]
        return Period(start, date(max(year or start.year, start.year), 12, 31))
    dated = [s for s in spans if s.kind in ("date", "year") and s.start and s.end]
    if dated:
        return Period(min(s.start for s in dated), max(s.end for s in dated))  # type: ignore[type-var]
    durations = [s for s in spans if s.kind == "duration" and s.years]
    if durations:
        years = durations[0].years or 1
        plan = parse_year_range(plan_period)
        if plan and plan.end.year - plan.start.year + 1 == years:
            return plan
        if year:
            return Period(date(year, 1, 1), date(year + years - 1, 12, 31))
    return None
