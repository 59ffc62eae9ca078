"""Normalise: the card values from printed text -- numbers, targets, weight phrases, kinds, and
the OCR slips that are safe to undo in Italian prose."""

from __future__ import annotations

import re
from functools import cache

from extractors.cards.vocabulary import patterns
from extractors.staff import count_staff


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
    "nazioni"/"no azioni" -> "n. azioni", ".1 azione" -> "n.1 azione", "n.s" -> "n.5",
    "n.] azione"/"n. l azioni" -> "n.1 ...", "2 85%" -> "≥ 85%".

    For OCR'd text only (a printed "2 85%" is what a digital plan says): see
    :func:`quantity_repairs`, which also says what it changed."""
    return quantity_repairs(text)[0]


def _quantity_slips() -> list[tuple[str, str]]:
    """(pattern, replacement) of :func:`quantity_fix`, applied in this order."""
    return [
        (r"\bnA(\d*)\b", r"n.1\1"),
        (r"\bn[-·,]\s?(\d)", r"n.\1"),
        (r"\bn\.s\b", "n.5"),
        (r"\bn\.\s?[\]|lI!](?=\s|$)", "n.1"),  # "n.]", "n. l": a lone 1 read as a lookalike
        # "≥ 85%" read as "2 85%" from a low-resolution scan: a lone 2 before a percentage is no quantity
        (r"^\s*2\s+(?=\d{1,3}(?:[.,]\d+)?\s?%)", "≥ "),
        (r"\bazion[t1l]\b", "azioni"),
        (r"\bn\s*°\s*(\d)", r"n°\1"),
        (r"\b(?:no\s+|n)(azion[ei])\b", r"n. \1"),
        (r"(?:(?<=\s)|^)\.(\d+\s+azion)", r"n.\1"),
        (r"(\bn\s*[.°]\s*\d+)(?=[a-zA-Zà-ù])", r"\1 "),
        # a unit word glued to the preposition after it ("corsoin" -> "corso in", "viesu" -> "vie su")
        (r"\b((?-i:" + _unit() + r"))(?-i:(" + "|".join(patterns()["quantity"]["glued_after_unit"])
         + r"))\b", r"\1 \2"),
    ]


def quantity_repairs(text: str) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with the OCR slips of quantity cells undone (:func:`quantity_fix`), and each
    change made as (fragment as read, fragment as repaired), in the order made."""
    changes: list[tuple[str, str]] = []
    t = text
    for pattern, repl in _quantity_slips():
        def sub(m: re.Match[str], repl: str = repl) -> str:
            out = m.expand(repl)
            if out != m.group(0):
                changes.append((m.group(0), out))
            return out

        t = re.sub(pattern, sub, t)
    return t, changes


def as_read(repaired: str, changes: list[tuple[str, str]]) -> str:
    """The text before the ``changes`` of :func:`quantity_repairs` that it shows (undone last
    first): what the OCR read."""
    out = repaired
    for before, after in reversed(changes):
        k = out.find(after)
        if k >= 0:
            out = out[:k] + before + out[k + len(after):]
    return out


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
        out = out + p if glued(out, p) else out + " " + p
    return out.strip()


def glued(out: str, p: str) -> bool:
    """Whether line ``p`` continues the last word of ``out`` with no space between."""
    last = out.split(" ")[-1]
    if out.endswith("/"):
        return True
    if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and p[:1].isalpha():
        return True
    # a token this long at the line's end is a word a narrow cell broke
    return len(last) >= 22 and p[:1].islower() and last[-1:].isalpha()


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
    t = target  # as given: OCR slips are repaired (and noted) where OCR'd cells are read
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


def _unit() -> str:
    """Alternation of the unit words a quantity cell counts ("azioni", "controlli", ...)."""
    return "|".join(patterns()["quantity"]["units"])


def _open_end() -> re.Pattern[str]:
    """A line ending in one of these words is unfinished: the next line continues the cell."""
    return patterns()["quantity"]["open_end"]


def _article_end() -> re.Pattern[str]:
    """An article (or article + preposition) wants its noun: no cell boundary right after it."""
    return patterns()["quantity"]["article_end"]


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
