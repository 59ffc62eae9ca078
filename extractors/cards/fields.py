"""Label fields: the labels that open a card's fields, in all their variants, and the values
printed after them."""

from __future__ import annotations

import re

from extractors.cards.columns import is_table_header_line
from extractors.cards.settings import DEFAULT as S
from extractors.cards.values import _NUM, _norm, _to_number
from extractors.cards.vocabulary import patterns
from extractors.layout import Line


FIELDS = ("title", "description", "timeframe", "phases", "activities", "indicators",
          "threshold", "staff", "verification", "scope", "responsible", "stakeholder",
          "contributor", "dimension", "source", "objective_weight", "level")


#: The order labels are tried in: specific before general ("Indicatori per la verifica" before
#: "Indicatori"; "Descrizione dell'obiettivo" before "Obiettivo:").
LABEL_ORDER = ("verification", "staff", "threshold", "indicators", "activities", "phases",
               "timeframe", "description", "objective_weight", "level", "scope", "responsible",
               "stakeholder", "contributor", "dimension", "source", "title")

#: Fields whose value is a short phrase: an unknown "Etichetta:" line after them ends them.
SHORT_FIELDS = {"timeframe", "threshold", "objective_weight", "level", "scope", "responsible",
                "stakeholder", "contributor", "dimension", "source"}


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


def _first_paragraph(lines: list[Line], paragraph_lines: bool, aligned_to_words: bool = False) -> int:
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
    # where a continuation may start: the line's left edge, or (a heading whose title follows it,
    # maybe in the next cell) any word start of the first line
    starts = [first.x0] + ([w.x0 for w in first.words] if aligned_to_words else [])
    n = 1
    for prev, ln in zip(lines, lines[1:]):
        if ln.page != prev.page or min(abs(ln.x0 - x) for x in starts) > S.paragraph_indent * height \
                or ln.top - prev.bottom > S.paragraph_gap * height:
            break
        n += 1
    return n


def level_value(text: str | None) -> tuple[str | None, int | float | None]:
    """(level, its printed weight) of a weighting value: ("Alta", 1.4) from "Alta (1,4)",
    ("Strategico", None) from "Strategico", (None, 30) from "30/100" or "35 punti"."""
    text = _norm(text or "")
    if not text:
        return None, None
    m = patterns()["level_value"].match(text)
    if m and re.search(r"[A-Za-zÀ-ÿ]{3,}", m.group(1)) and not re.fullmatch(r"(?i)punti|pt|centesimi", m.group(1)):
        return m.group(1).strip(), (_to_number(m.group(2)) if m.group(2) else None)
    if re.search(_NUM, text):
        return None, printed_points(text)
    return None, None


def printed_points(text: str) -> int | float | None:
    """The weight an objective prints for itself: "30/100" -> 30, "35 punti" -> 35, "20" -> 20."""
    m = re.search(r"(" + _NUM + r")\s*(?:/\s*100\b|punti\b|pt\b|%)?", _norm(text))
    return _to_number(m.group(1)) if m else None
