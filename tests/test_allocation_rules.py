"""The allocation rules on plans built for the purpose (the expected Chiari cards plus a summary)."""

from __future__ import annotations

import pytest

from pipeline.allocation import allocate
from pipeline.checks import catalogue, findings_for, run_checks
from pipeline.record import PlanRecord, SummaryRow
from records import expected_record

RULES = ("allocation-mismatch", "strategic-level-missing", "staff-band-fallback", "allocation-incomplete",
         "summary-coverage")


def _levels(record: PlanRecord) -> dict[int, str]:
    names = list(record.plan.strategic_weights)
    return {o.number: names[i % len(names)] for i, o in enumerate(record.objectives)}


def plan_with_summary() -> PlanRecord:
    """The Chiari cards with a printed summary table that agrees with the plan's rules."""
    record = expected_record()
    counts = {o.number: o.staff_count or 2 + o.number % 9 for o in record.objectives}
    draft = record.model_copy(
        update={"objectives": [o.model_copy(update={"staff_count": counts[o.number]}) for o in record.objectives]}
    )
    computed = allocate(draft, _levels(record))
    summary = [
        SummaryRow(number=a.objective, scope=a.scope, strategic_level=a.strategic_level,
                   staff_count=a.staff_count, strategic_weight=a.strategic_weight,
                   staff_coefficient=a.staff_coefficient, points=a.points, amount_eur=a.amount_eur,
                   page=5 + i // 10)
        for i, a in enumerate(computed.allocations)
    ]
    plan = record.plan.model_copy(update={"summary": summary, "summary_total_eur": record.plan.budget.allocated})
    return record.model_copy(update={"plan": plan})


def _only(record: PlanRecord, rule: str):
    return [f for f in run_checks(allocate(record)).findings if f.rule == rule]


def test_catalogue_has_the_allocation_rules():
    for rule in RULES:
        assert catalogue()[rule]["severity"] in {"error", "warning", "info"}


def test_consistent_plan_has_no_allocation_findings():
    record = allocate(plan_with_summary())
    assert all(a.amount_eur is not None for a in record.allocations)
    for rule in RULES:
        assert findings_for(rule, record) == [], rule


@pytest.mark.parametrize("victim", [1, 16])
def test_amount_off_by_ten_euro_flags_that_objective_only(victim):
    record = plan_with_summary()
    rows = [r.model_copy(update={"amount_eur": round(r.amount_eur + 10, 2)}) if r.number == victim else r
            for r in record.plan.summary]
    record = record.model_copy(update={"plan": record.plan.model_copy(update={"summary": rows})})
    hits = _only(record, "allocation-mismatch")
    per_objective = [f for f in hits if f.objective is not None]
    assert [f.objective for f in per_objective] == [victim]
    assert per_objective[0].severity == "error"
    assert "€ 10,00" in per_objective[0].message
    # The printed amounts no longer add up to the printed total: said once, plan-level.
    assert [f.objective for f in hits if f.objective is None] == [None]


def test_one_cent_is_tolerated():
    record = plan_with_summary()
    rows = [r.model_copy(update={"amount_eur": round(r.amount_eur + 0.01, 2)}) if r.number == 3 else r
            for r in record.plan.summary]
    record = record.model_copy(update={"plan": record.plan.model_copy(update={"summary": rows})})
    assert [f for f in _only(record, "allocation-mismatch") if f.objective is not None] == []


def test_wrong_points_are_explained():
    record = plan_with_summary()
    rows = [r.model_copy(update={"points": r.points * 2, "amount_eur": r.amount_eur * 2}) if r.number == 4 else r
            for r in record.plan.summary]
    record = record.model_copy(update={"plan": record.plan.model_copy(update={"summary": rows})})
    [hit] = [f for f in _only(record, "allocation-mismatch") if f.objective is not None]
    assert hit.objective == 4 and "punteggio stampato" in hit.message


def test_printed_total_differs_from_budget():
    record = plan_with_summary()
    plan = record.plan.model_copy(update={"summary_total_eur": record.plan.budget.allocated + 100})
    hits = _only(record.model_copy(update={"plan": plan}), "allocation-mismatch")
    assert any(f.objective is None and "€ 100,00" in f.message for f in hits)
    assert all(f.objective is None for f in hits)


def test_missing_strategic_level_names_objectives_and_the_option():
    record = plan_with_summary()
    rows = [r.model_copy(update={"strategic_level": None}) if r.number in (2, 7) else r for r in record.plan.summary]
    record = record.model_copy(update={"plan": record.plan.model_copy(update={"summary": rows})})
    [hit] = _only(record, "strategic-level-missing")
    assert hit.severity == "warning"
    assert "2, 7" in hit.message and "--classification" in hit.message
    # Without them no amount is known, and the record says so instead of guessing.
    checked = run_checks(allocate(record))
    assert all(a.amount_eur is None for a in checked.allocations)
    [incomplete] = [f for f in checked.findings if f.rule == "allocation-incomplete"]
    assert "2, 7" in incomplete.message
    # A classification file fills the gap.
    filled = run_checks(allocate(record, {2: "innovativo", 7: "innovativo"}))
    assert not [f for f in filled.findings if f.rule in ("strategic-level-missing", "allocation-incomplete")]
    assert all(a.amount_eur is not None for a in filled.allocations)


def test_unknown_strategic_level():
    record = expected_record()
    levels = _levels(record) | {5: "bizzarro"}
    [hit] = findings_for("strategic-level-missing", allocate(record, levels))
    assert "5 («bizzarro»)" in hit.message


def test_head_count_no_band_covers_takes_next_band_and_says_so():
    record = plan_with_summary()
    bands = record.plan.staff_bands
    top_open = [b for b in bands if b.min is not None and b.max is None]
    uncovered = next(n for n in range(1, 100) if not any(
        b.min is not None and (b.min <= n) and (b.max is None or n <= b.max) for b in bands))
    rows = [r.model_copy(update={"staff_count": uncovered}) if r.number == 12 else r for r in record.plan.summary]
    record = record.model_copy(update={"plan": record.plan.model_copy(update={"summary": rows})})
    allocated = allocate(record)
    next_up = min((b for b in bands if b.min is not None and b.min > uncovered), key=lambda b: b.min)
    assert allocated.allocations[11].staff_coefficient == next_up.coefficient
    [hit] = findings_for("staff-band-fallback", allocated)
    assert hit.objective == 12 and next_up.label in hit.message and str(uncovered) in hit.message
    assert top_open  # the fixture's table has an open top band


def test_no_budget():
    record = plan_with_summary()
    plan = record.plan.model_copy(update={"budget": record.plan.budget.model_copy(update={"allocated": None})})
    checked = run_checks(allocate(record.model_copy(update={"plan": plan})))
    assert any(f.rule == "allocation-incomplete" for f in checked.findings)
    assert all(a.amount_eur is None for a in checked.allocations)


def test_summary_rows_without_cards_keep_their_share():
    """A truncated plan (say, a scan of the first pages) keeps the summary's allocation base."""
    record = plan_with_summary()
    kept = [o for o in record.objectives if o.number <= 3]
    truncated = record.model_copy(update={"objectives": kept})
    checked = run_checks(allocate(truncated))
    printed = {r.number: r.amount_eur for r in record.plan.summary}
    assert {a.objective: a.amount_eur for a in checked.allocations} == printed
    assert not [f for f in checked.findings if f.rule == "allocation-mismatch"]
    coverage = [f for f in checked.findings if f.rule == "summary-coverage"]
    assert sorted(f.objective for f in coverage) == sorted(n for n in printed if n > 3)


def test_card_missing_from_summary_is_reported():
    record = plan_with_summary()
    rows = [r for r in record.plan.summary if r.number != 9]
    record = record.model_copy(update={"plan": record.plan.model_copy(update={"summary": rows})})
    hits = findings_for("summary-coverage", allocate(record))
    assert [(f.objective, "scheda" in f.message) for f in hits] == [(9, True)]
