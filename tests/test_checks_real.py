"""The checks on the real Chiari plan: what a careful reader finds, from general rules.

Runs on the extraction of ``examples/chiari-2025.pdf``; the
card-text rules (dates, quantities) need the extracted prose. The structural rules are also run on
the expected record (tests/data/chiari-2025.expected.json), which needs no extractor.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.checks import run_checks
from pipeline.record import PlanRecord
from records import expected_record

PDF = Path(__file__).parent.parent / "examples" / "chiari-2025.pdf"


@pytest.fixture(scope="module")
def extracted() -> PlanRecord:
    from flows.run import extract

    return run_checks(extract(PDF))


@pytest.fixture(scope="module")
def expected() -> PlanRecord:
    return run_checks(expected_record())


def rules(record: PlanRecord, severity: str | None = None) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in record.findings:
        if severity is None or f.severity == severity:
            out.setdefault(f.rule, []).append(f)
    return out


def _structural_expectations(record: PlanRecord) -> None:
    found = rules(record)
    unprinted = [o.number for o in record.objectives if not o.number_printed]
    assert unprinted, "the plan has a card with no printed number"
    assert {f.objective for f in found.get("numbering", [])} >= set(unprinted)
    uncountable = [o.number for o in record.objectives if o.staff_count is None and o.staff_text]
    assert len(found.get("staff-uncountable", [])) == len(uncountable) >= 3
    gaps = found.get("staff-band-gap", [])
    assert gaps and all(f.objective is None for f in gaps)
    assert any("10 dipendenti" in f.message for f in gaps)  # "Più di 10" starts at 11
    granular = found.get("threshold-granularity", [])
    assert len(granular) >= 3
    for f in granular:  # each flagged card really has a threshold below 100
        o = record.objective(f.objective)
        assert o is not None and o.threshold_pct is not None and o.threshold_pct < 100
    errors = rules(record, "error")
    assert "weights-sum" not in errors, errors.get("weights-sum")
    assert "budget-sum" not in errors, errors.get("budget-sum")


def test_expected_record_structural_findings(expected):
    _structural_expectations(expected)


@pytest.mark.slow
def test_real_plan_structural_findings(extracted):
    _structural_expectations(extracted)


@pytest.mark.slow
def test_real_plan_dates_outside_their_timeframe(extracted):
    found = [f for f in extracted.findings if f.rule == "date-outside-period" and f.severity != "info"]
    assert found
    for f in found:
        o = extracted.objective(f.objective)
        assert o is not None and o.timeframe  # compared with the card's own timeframe
        assert f.page in range(o.pages[0], o.pages[-1] + 1)


@pytest.mark.slow
def test_real_plan_target_contradicts_card_text(extracted):
    found = [f for f in extracted.findings if f.rule == "target-mismatch"]
    assert found
    # the finding quotes two different figures for the same unit
    assert any("controlli" in f.message or "strade" in f.message for f in found)
    assert len(found) <= 5  # a handful, not noise


@pytest.mark.slow
def test_real_plan_has_no_missing_fields(extracted):
    assert not [f for f in extracted.findings if f.rule in ("missing-field", "threshold-missing")]
