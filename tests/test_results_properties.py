"""Properties of the year-end payout over generated plans and results (hypothesis): nothing pays
more than its amount, paid + economia is the allocated sum to the cent, and more achievement
never pays less."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.money import from_cents, to_cents
from pipeline.record import (
    Allocation, Indicator, Objective, Plan, PlanRecord, Source, Threshold, ThresholdBand,
)
from pipeline.results import ResultRow, ResultsFile, apply_results, paid_cents, payout_rule

BANDS = [ThresholdBand(min_pct=90, payout="full"), ThresholdBand(min_pct=60, max_pct=90, payout="proportional"),
         ThresholdBand(max_pct=60, payout="none")]


@st.composite
def weights(draw) -> list[int]:
    """2-4 integer weights adding up to 100."""
    k = draw(st.integers(1, 4))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=k - 1, max_size=k - 1, unique=True)))
    edges = [0, *cuts, 100]
    return [b - a for a, b in zip(edges, edges[1:])]


@st.composite
def plan_data(draw):
    """(bands?, [(weights, soglia, amount cents, shares in hundredths of %)] per objective)."""
    use_bands = draw(st.booleans())
    cards = []
    for _ in range(draw(st.integers(1, 6))):
        w = draw(weights())
        soglia = draw(st.one_of(st.none(), st.integers(0, 100))) if use_bands else draw(st.integers(0, 100))
        amount = draw(st.integers(0, 10_000_000))
        shares = draw(st.lists(st.integers(0, 10_000), min_size=len(w), max_size=len(w)))
        cards.append((w, soglia, amount, shares))
    return use_bands, cards


def build(data) -> tuple[PlanRecord, dict[int, list[int]]]:
    """The record of generated plan data, and the shares per objective number."""
    use_bands, cards = data
    objectives, allocations, shares = [], [], {}
    for number, (w, soglia, amount, ss) in enumerate(cards, start=1):
        objectives.append(Objective(number=number, threshold_pct=soglia,
                                    indicators=[Indicator(name=f"i{j}", target="n. 1", target_value=1, weight_pct=x)
                                                for j, x in enumerate(w)]))
        allocations.append(Allocation(objective=number, amount_eur=from_cents(amount)))
        shares[number] = list(ss)
    threshold = Threshold(default_pct=60, bands=BANDS) if use_bands else Threshold()
    record = PlanRecord(source=Source(file="p.pdf", sha256="0" * 64, pages=1),
                        plan=Plan(year=2025, threshold=threshold), objectives=objectives, allocations=allocations)
    return record, shares


def results_of(shares: dict[int, list[int]]) -> ResultsFile:
    rows = [ResultRow(row=r, objective=n, indicator=i, stated=Fraction(s, 100))
            for r, (n, i, s) in enumerate(((n, i, s) for n, ss in shares.items()
                                           for i, s in enumerate(ss, start=1)), start=2)]
    return ResultsFile(path="r.csv", sha256="1" * 64, rows=tuple(rows))


@settings(max_examples=150, deadline=None)
@given(plan_data())
def test_paid_within_amount_and_paid_plus_economia_is_allocated(data):
    record, shares = build(data)
    results = apply_results(record, results_of(shares)).results
    for o in results.objectives:
        assert 0 <= to_cents(o.paid_eur) <= to_cents(o.amount_eur)
        assert o.payout_pct in (0, 100) or o.payout == "proportional"
    allocated = sum(to_cents(a.amount_eur) for a in record.allocations)
    assert to_cents(results.allocated) == allocated
    assert sum(to_cents(o.paid_eur) for o in results.objectives) == to_cents(results.paid_total)
    assert to_cents(results.paid_total) + to_cents(results.economia) == allocated


@settings(max_examples=150, deadline=None)
@given(plan_data(), st.data())
def test_more_achievement_never_pays_less(plan, data):
    record, shares = build(plan)
    number = data.draw(st.sampled_from(sorted(shares)))
    position = data.draw(st.integers(0, len(shares[number]) - 1))
    better = {n: list(s) for n, s in shares.items()}
    better[number][position] = data.draw(st.integers(shares[number][position], 10_000))
    before = apply_results(record, results_of(shares)).results
    after = apply_results(record, results_of(better)).results
    for a, b in zip(before.objectives, after.objectives):
        assert b.achievement_pct >= a.achievement_pct
        assert to_cents(b.paid_eur) >= to_cents(a.paid_eur)
    assert to_cents(after.economia) <= to_cents(before.economia)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000), st.one_of(st.none(), st.integers(0, 100)),
       st.booleans(), st.integers(0, 10_000_000))
def test_payout_rule_is_monotone_in_achievement(a, b, soglia, bands, amount):
    low, high = sorted((Decimal(a) / 100, Decimal(b) / 100))
    rule_bands = BANDS if bands else []
    s = Decimal(soglia) if soglia is not None else (None if bands else Decimal(60))
    pay_low, pay_high = payout_rule(low, s, rule_bands), payout_rule(high, s, rule_bands)
    assert paid_cents(amount, pay_low[1]) <= paid_cents(amount, pay_high[1]) <= amount
