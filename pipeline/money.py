"""Money helpers: exact cents (the Italian text of amounts ("€ 1.234,56") is :func:`pipeline.formatting.format_eur`).

Amounts in the record are JSON numbers rounded to cents; arithmetic on them goes through integer
cents (:func:`to_cents`) so that sums and comparisons carry no float error.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

Amount = int | float | Decimal | Fraction


def to_decimal(value: Amount) -> Decimal:
    """The value as a Decimal; floats go through their shortest repr (0.1 -> Decimal('0.1'))."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, float):
        return Decimal(repr(float(value)))  # float(): numpy floats repr as "np.float64(...)"
    return Decimal(value)


def to_cents(value: Amount) -> int:
    """Euros -> integer cents, rounding half away from zero (12.345 -> 1235)."""
    return int((to_decimal(value) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> float:
    """Integer cents -> euros as a JSON-friendly float (1234 -> 12.34)."""
    return float(Decimal(cents) / 100)
