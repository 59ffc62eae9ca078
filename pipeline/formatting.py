"""Italian figures for people: the project's one number, percentage, money and date format.

Every user-facing figure (findings, verifica.docx, allegato.docx, piano.xlsx, the command line)
goes through these functions, so "2,5" and "1.500" read the same everywhere:

- :func:`format_number` — ``1500`` -> ``"1.500"``, ``2.5`` -> ``"2,5"``, ``99.999`` -> ``"100"``
  (at most two decimals, no trailing zeros; ``decimals=`` fixes the count);
- :func:`format_pct` — ``90`` -> ``"90%"``;
- :func:`format_eur` — ``1234.5`` -> ``"€ 1.234,50"`` (money as the plans print it; exact cents,
  see :mod:`pipeline.money`);
- :func:`format_date` — ``date(2025, 3, 4)`` -> ``"4 marzo 2025"`` (month names from the one month
  table, :data:`pipeline.dates.MONTHS`);
- :func:`plural` — ``plural(1, "nota", "note")`` -> ``"1 nota"``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pipeline.dates import MONTHS as _MONTH_NUMBERS
from pipeline.money import Amount, to_cents, to_decimal

#: Italian month names, January first (index ``month - 1``): the one month table, pipeline.dates.
MONTHS: tuple[str, ...] = tuple(_MONTH_NUMBERS)

_SWAP = str.maketrans(",.", ".,")


def format_number(value: Amount | None, decimals: int | None = None, missing: str = "n.d.") -> str:
    """Italian figure: thousands with ".", decimals with ","; ``None`` -> ``missing``.

    ``decimals=None``: rounded (half up) to two decimals, trailing zeros dropped (``2.50`` ->
    ``"2,5"``, ``40.0`` -> ``"40"``). ``decimals=2``: always two (``"2,50"``).
    """
    if value is None:
        return missing
    places = 2 if decimals is None else decimals
    d = to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)  # no "-0"
    text = f"{d:,.{places}f}"
    if decimals is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.translate(_SWAP)


def format_pct(value: Amount | None, missing: str = "n.d.") -> str:
    """``90`` -> ``"90%"``, ``33.333`` -> ``"33,33%"``."""
    return missing if value is None else format_number(value) + "%"


def format_eur(value: Amount | None, missing: str = "n.d.") -> str:
    """Money as the plans print it: ``1234.5`` -> ``"€ 1.234,50"``, ``-10`` -> ``"-€ 10,00"``."""
    if value is None:
        return missing
    cents = to_cents(value)
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}€ {euros:,}".replace(",", ".") + f",{rest:02d}"


def format_date(d: date) -> str:
    """``date(2025, 3, 4)`` -> ``"4 marzo 2025"``."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def plural(n: int, singular: str, plural_form: str) -> str:
    """``plural(1, "nota", "note")`` -> ``"1 nota"``; ``plural(3, ...)`` -> ``"3 note"``."""
    return f"{n} {singular if n == 1 else plural_form}"
