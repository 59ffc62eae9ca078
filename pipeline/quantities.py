"""Quantities with a unit noun in plan text: "n. 40 strade", "Almeno n.32 vie su 45", "minimo 150 controlli".

The unit nouns and their groups (strade = vie, corsi = seminari ...) live in
``quantity_units.yaml`` beside this module. Used by the ``target-mismatch`` rule to compare an
indicator's Quantità with the figures the same card's text gives for the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

_UNITS_FILE = Path(__file__).with_name("quantity_units.yaml")

_NUMBER_WORDS = {
    "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7,
    "otto": 8, "nove": 9, "dieci": 10, "undici": 11, "dodici": 12, "quindici": 15, "venti": 20,
    "trenta": 30, "cinquanta": 50, "cento": 100,
}
_NUM = r"\d{1,3}(?:\.\d{3})+|\d+(?:,\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_PREFIX = r"(?:n\s*\.\s*|n\s*°\s*|nr\s*\.?\s*|n\s+)?"


@dataclass(frozen=True)
class Quantity:
    value: float
    #: the unit group ("strade" for "vie"), see quantity_units.yaml
    unit: str
    #: the "su N" total when printed ("32 vie su 45" -> 45)
    total: float | None
    text: str
    #: "almeno" / "minimo" / "massimo" / "circa" when printed
    qualifier: str | None = None


@cache
def unit_groups() -> dict[str, str]:
    """Noun form (lower case) -> group key."""
    data = _units_data()
    return {form.lower(): group for group, forms in data.items() if not group.startswith("_")
            for form in forms}


@cache
def _units_data() -> dict[str, list[str]]:
    return yaml.safe_load(_UNITS_FILE.read_text(encoding="utf-8"))


def generic_units() -> frozenset[str]:
    """Groups too generic to compare across a card (see ``_generic`` in quantity_units.yaml)."""
    return frozenset(_units_data().get("_generic", []))


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    nouns = "|".join(sorted((re.escape(f) for f in unit_groups()), key=len, reverse=True))
    qual = r"(?:(?P<qual>almeno|minimo|massimo|oltre|circa|non\s+meno\s+di)\s+)?"
    # "n. 32 vie su 45", "minimo 150 controlli"
    after = re.compile(
        rf"(?<![\w/.,]){qual}{_PREFIX}(?P<num>{_NUM})\s+(?P<noun>{nouns})(?!\w)"
        rf"(?:\s+su\s+(?:n\.?\s*)?(?P<total>\d+))?",
        re.IGNORECASE,
    )
    # "32 su 45 vie"
    ratio = re.compile(
        rf"(?<![\w/.,]){qual}{_PREFIX}(?P<num>\d+)\s+su\s+(?P<total>\d+)\s+(?P<noun>{nouns})(?!\w)",
        re.IGNORECASE,
    )
    return after, ratio


def _number(text: str) -> float:
    low = text.lower()
    if low in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[low])
    return float(text.replace(".", "").replace(",", "."))


def find_quantities(text: str | None) -> list[Quantity]:
    """Every "<number> <unit noun>" in ``text``, in reading order."""
    if not text:
        return []
    groups = unit_groups()
    found: list[tuple[int, Quantity]] = []
    taken: list[range] = []
    after, ratio = _patterns()
    for pattern in (ratio, after):
        for m in pattern.finditer(text):
            if any(m.start() in r or m.end() - 1 in r for r in taken):
                continue
            taken.append(range(m.start(), m.end()))
            qual = m.group("qual")
            found.append((m.start(), Quantity(
                value=_number(m.group("num")),
                unit=groups[m.group("noun").lower()],
                total=float(m.group("total")) if m.group("total") else None,
                text=m.group(0).strip(),
                qualifier=" ".join(qual.lower().split()) if qual else None,
            )))
    return [q for _, q in sorted(found, key=lambda x: x[0])]


def first_unit(text: str | None) -> str | None:
    """The unit group of the first unit noun in ``text`` (for a bare-number Quantità cell)."""
    if not text:
        return None
    groups = unit_groups()
    for word in re.findall(r"[^\W\d_]+", text):
        if word.lower() in groups:
            return groups[word.lower()]
    return None
