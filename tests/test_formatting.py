"""The project's one Italian format for numbers, money, percentages and dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from pipeline.formatting import MONTHS, format_date, format_eur, format_number, format_pct, plural


@pytest.mark.parametrize("value, text", [
    (1500, "1.500"), (1234567, "1.234.567"), (2.5, "2,5"), (2.50, "2,5"), (40.0, "40"),
    (1234.5, "1.234,5"), (99.999, "100"), (1234.001, "1.234"), (0.004, "0"), (-0.001, "0"),
    (Fraction(1, 3), "0,33"), (Decimal("2.675"), "2,68"), (None, "n.d."),
])
def test_format_number(value, text):
    assert format_number(value) == text


def test_format_number_fixed_decimals_and_missing():
    assert format_number(2.5, 2) == "2,50" and format_number(91223.09, 2) == "91.223,09"
    assert format_number(7, 0) == "7" and format_number(None, missing="") == ""


@pytest.mark.parametrize("value, text", [
    (91223.09, "€ 91.223,09"), (4000, "€ 4.000,00"), (0.5, "€ 0,50"), (2.675, "€ 2,68"),
    (-10, "-€ 10,00"), (None, "n.d."),
])
def test_format_eur_as_the_plans_print_it(value, text):
    assert format_eur(value) == text


def test_pct_date_months_plural():
    assert format_pct(90) == "90%" and format_pct(33.333) == "33,33%" and format_pct(None) == "n.d."
    assert format_date(date(2025, 3, 4)) == "4 marzo 2025" and len(MONTHS) == 12
    assert MONTHS[0] == "gennaio" and MONTHS[-1] == "dicembre"
    assert plural(1, "nota", "note") == "1 nota" and plural(0, "nota", "note") == "0 note"


def test_every_output_uses_the_one_format():
    """The helpers that used to disagree ("2,50" vs "2,5", "1500" vs "1.500") now agree."""
    from outputs.allegato import it_money, it_number
    from pipeline.checks.card_rules import format_number as card_fmt

    for v in (2.5, 1500, 91223.09, 1.4):
        assert it_number(v) == card_fmt(v) == format_number(v)
    assert it_money(91223.09) == format_eur(91223.09)


def test_numpy_floats_format_like_floats():
    np = pytest.importorskip("numpy")
    assert format_number(np.float64(1500.0)) == "1.500" and format_eur(np.float64(0.5)) == "€ 0,50"
