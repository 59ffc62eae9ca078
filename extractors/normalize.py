"""Text normalisation shared by the parsers: folding for comparisons, Italian numbers, bullets.

Everything here is tolerant of what OCR does to Italian text (lost accents, curly/straight
quotes, dash styles, "€" read as "&" or "€&", "5" read as "b"...). Pure functions, no state.
"""

from __future__ import annotations

import re

# The folding helpers live in pipeline.italian (one comparison key for the whole project).
from pipeline.italian import DASHES, DOUBLE_QUOTES, SINGLE_QUOTES, fold, strip_accents, unify  # noqa: E402,F401


def squash(text: str) -> str:
    """Fold and also drop every space (for OCR'd labels like "Da4a5" vs "Da 4 a 5")."""
    return fold(text).replace(" ", "")


def clean_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def strip_bullet(text: str) -> str:
    """Remove a leading list-bullet glyph (real or OCR'd) from a line."""
    text = text.strip()
    # Private-use glyphs (Wingdings) and real bullets always go.
    text = re.sub(r"^[\uf000-\uf0ff\u2022\u25aa\u25a0\u25a1\u274f\u2751\u2752\u25cf\u25e6\u2023\u2043\u2219•·]+\s*", "", text)
    # OCR renders a bullet as one stray symbol or letter before a lower-case word.
    text = re.sub(r"^(?:[°‘'\.,;:\*\-]|[QGqco]\b)\s*(?=[a-zà-ù])", "", text)
    return text.strip()


# -- numbers ------------------------------------------------------------------------------------

#: An Italian-format number: 1.234,56 / 1234,56 / 40 / 0,50 (also tolerates OCR "1.234.56").
IT_NUMBER = r"\d{1,3}(?:[.\s]\d{3})+(?:,\d+)?|\d+(?:,\d+)?"

#: The euro sign and what OCR makes of it.
EURO = r"(?:€\s*&?|&|EUR|euro|Euro|EURO)"
#: A money amount "€ 1.234,56" (the sign may follow the number, OCR may mangle it).
MONEY_RE = re.compile(rf"(?:{EURO}\s*(?P<a>{IT_NUMBER}))|(?:(?P<b>{IT_NUMBER})\s*{EURO})")


def parse_it_number(text: str | None) -> float | None:
    """"1.234,56" -> 1234.56, "40" -> 40.0, "0,50" -> 0.5; None when there is no number."""
    if text is None:
        return None
    s = text.strip().replace("€", "").replace("%", "").strip()
    s = s.replace("\u00a0", "").replace(" ", "")
    if not s:
        return None
    m = re.fullmatch(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?|[+-]?\d+(?:,\d+)?", s)
    if m:
        return float(s.replace(".", "").replace(",", "."))
    # A dot before exactly two trailing digits is a decimal mark mistyped or mis-read.
    m = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})*)[.,](\d{1,2})", s)
    if m:
        return float(re.sub(r"[.,]", "", m.group(1)) + "." + m.group(2))
    m = re.fullmatch(r"[+-]?\d+\.\d+", s)
    if m:
        return float(s)
    return None


def as_number(value: float | None) -> int | float | None:
    """A float that is a whole number becomes an int (JSON ``40``, not ``40.0``)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def money_amounts(text: str) -> list[tuple[int, float]]:
    """Every euro amount in a text, as (offset, value), in order."""
    out = []
    for m in MONEY_RE.finditer(text):
        raw = m.group("a") or m.group("b")
        value = parse_it_number(raw)
        if value is not None:
            out.append((m.start(), value))
    return out
