"""Plan-level rules applied to the objectives (pipeline.plan_rules), the summary-mismatch check and
classification decisions that disagree with the plan."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from extractors import parse_plan, read_document
from pipeline.allocation import allocate
from pipeline.checks import findings_for, run_checks
from pipeline.classification import Decision
from pipeline.plan_rules import apply_plan_rules, threshold_in_force
from pipeline.record import (
    Budget,
    Indicator,
    Objective,
    Plan,
    PlanRecord,
    Source,
    StaffBand,
    SummaryRow,
    Threshold,
)

ROOT = Path(__file__).resolve().parent.parent
BANDS = [StaffBand(label="1-2 unità", min=1, max=2, coefficient=0.8),
         StaffBand(label="3 e oltre", min=3, max=None, coefficient=1.0)]


def _record(objectives, *, weights=None, weighting=None, threshold=None, summary=()):
    return PlanRecord(
        source=Source(file="p.pdf", sha256="0" * 64, pages=3),
        plan=Plan(budget=Budget(total=1000, allocated=1000, reserve=0, welfare=0),
                  strategic_weights=weights or {}, objective_weighting=weighting,
                  staff_bands=BANDS, threshold=threshold or Threshold(), summary=list(summary)),
        objectives=objectives,
    )


def _obj(number, **kw):
    base = dict(number=number, title=f"Obiettivo {number}", staff_text="n. 2 istruttori", staff_count=2,
                indicators=[Indicator(name="a", weight_pct=50), Indicator(name="b", weight_pct=50)])
    return Objective(**{**base, **kw})


def test_plan_soglia_fills_cards_without_one_and_the_card_wins():
    record = _record([_obj(1), _obj(2, threshold_pct=80)],
                     threshold=Threshold(default_pct=60, text="almeno pari al 60%", page=3))
    out = apply_plan_rules(record)
    assert [o.threshold_pct for o in out.objectives] == [60, 80]
    assert out.objectives[0].page_of("threshold_pct") == 3
    assert apply_plan_rules(out) == out  # idempotent
    # The checks honour the plan's rule even on a record the rules were not applied to.
    assert threshold_in_force(record, record.objectives[0]) == 60
    rules = {f.rule for f in run_checks(record).findings}
    assert "threshold-missing" not in rules and "missing-field" not in rules
    # Without a plan-level rule the card without a soglia is flagged.
    bare = _record([_obj(1), _obj(2, threshold_pct=80)])
    assert [f.objective for f in findings_for("threshold-missing", bare)] == [1]


def test_level_weight_becomes_the_objective_weight_under_levels_only():
    levels = _record([_obj(1, strategic_level="Alta"), _obj(2, strategic_level="boh"), _obj(3)],
                     weights={"alta": 1.4, "bassa": 1.0}, weighting="levels")
    assert [o.objective_weight for o in apply_plan_rules(levels).objectives] == [1.4, None, None]
    points = _record([_obj(1, strategic_level="alta", objective_weight=35), _obj(2)],
                     weights={"alta": 1.4}, weighting="points")
    assert [o.objective_weight for o in apply_plan_rules(points).objectives] == [35, None]


def test_points_allocation_uses_the_printed_weight_and_says_when_one_is_missing():
    record = _record([_obj(1, objective_weight=30), _obj(2, objective_weight=70, staff_count=4)],
                     weighting="points")
    out = allocate(record)
    assert [(a.objective_weight, a.strategic_weight, a.points) for a in out.allocations] == \
        [(30, 30, 24), (70, 70, 70)]
    assert [a.amount_eur for a in out.allocations] == [255.32, 744.68]  # 1000 x 24/94, 70/94
    missing = run_checks(allocate(_record([_obj(1, objective_weight=30), _obj(2)], weighting="points")))
    [incomplete] = [f for f in missing.findings if f.rule == "allocation-incomplete"]
    assert "peso dell'obiettivo non indicato per l'obiettivo 2" in incomplete.message


def test_a_decision_that_disagrees_with_the_plan_wins_and_the_info_says_so():
    record = apply_plan_rules(_record(
        [_obj(1, strategic_level="bassa"), _obj(2, strategic_level="alta", staff_count=None,
                                               staff_text="personale del servizio")],
        weights={"alta": 1.4, "bassa": 1.0}, weighting="levels"))
    out = run_checks(allocate(record, {1: Decision(strategic_level="alta"),
                                       2: Decision(staff_count=3, note="da confermare")}))
    by = {a.objective: a for a in out.allocations}
    assert (by[1].strategic_level, by[1].objective_weight, by[1].points) == ("alta", 1.4, pytest.approx(1.12))
    assert (by[2].staff_count, by[2].staff_coefficient, by[2].points) == (3, 1.0, 1.4)
    info = {f.objective: f.message for f in out.findings if f.rule == "classification-applied"}
    assert "strategicità «alta» (nel piano: «bassa»)" in info[1]
    assert "dipendenti coinvolti 3 (nel piano: non indicato)" in info[2] and "Nota: da confermare" in info[2]
    # Re-allocating the written record (piao render) keeps the decisions and what the plan said.
    again = run_checks(allocate(out))
    assert [a.amount_eur for a in again.allocations] == [a.amount_eur for a in out.allocations]
    assert {f.objective: f.message for f in again.findings if f.rule == "classification-applied"} == info


def test_summary_mismatch_names_each_disagreement():
    cards = [_obj(1, staff_count=3, title="Riorganizzazione dell'ufficio tributi"),
             _obj(2, title="Digitalizzazione delle pratiche edilizie", strategic_level="alta",
                  field_pages={"strategic_level": 5}, objective_weight=1.4),
             _obj(3, title="Nuovo regolamento del verde pubblico e delle aree gioco")]
    summary = [SummaryRow(number=1, staff_count=4, title="Riorganizzazione dell'ufficio tributi", page=2),
               SummaryRow(number=2, strategic_level="Media", strategic_weight=1.2,
                          title="Digitalizzazione delle pratiche edil.", page=2),
               SummaryRow(number=3, title="Censimento delle biciclette comunali", page=2)]
    record = _record(cards, weights={"alta": 1.4, "media": 1.2}, weighting="levels", summary=summary)
    hits = {f.objective: f for f in findings_for("summary-mismatch", record)}
    assert set(hits) == {1, 2, 3} and all(f.severity == "warning" and f.page == 2 for f in hits.values())
    assert "numero di dipendenti (riepilogo 4, scheda 3)" in hits[1].message
    assert "strategicità (riepilogo «Media», scheda «alta»)" in hits[2].message
    assert "peso dell'obiettivo (riepilogo «1,2», scheda «1,4»)" in hits[2].message
    assert "titolo" not in hits[2].message  # a shortened title is the same title
    assert "titolo (riepilogo «Censimento delle biciclette comunali»" in hits[3].message
    agreeing = _record([_obj(1, staff_count=4)], summary=[SummaryRow(number=1, staff_count=4, title="Obiettivo 1")])
    assert findings_for("summary-mismatch", agreeing) == []


@pytest.mark.slow
def test_parse_plan_applies_the_plan_level_soglia(tmp_path):
    """The Chiari DOCX with a plan-level soglia added to its introduction and one card's own soglia
    line removed: that card gets the plan's, the others keep their own."""
    d = docx.Document(str(ROOT / "examples" / "chiari-2025.docx"))
    paragraphs = d.paragraphs
    intro = next(p for p in paragraphs if p.text.strip() == "Gli obiettivi di performance organizzativa")
    intro.insert_paragraph_before(
        "Un obiettivo la cui scheda non indica una propria soglia si considera raggiunto quando il "
        "risultato ponderato è almeno pari al 55%.")
    first = next(p for p in paragraphs if p.text.startswith("Soglia minima risultato atteso"))
    first._element.getparent().remove(first._element)
    path = tmp_path / "chiari-soglia.docx"
    d.save(str(path))
    record = parse_plan(read_document(str(path)))
    assert record.plan.threshold.default_pct == 55 and record.plan.threshold.bands == []
    original = parse_plan(read_document(str(ROOT / "examples" / "chiari-2025.docx")))
    changed = [(a.number, a.threshold_pct, b.threshold_pct)
               for a, b in zip(original.objectives, record.objectives) if a.threshold_pct != b.threshold_pct]
    assert changed == [(1, 100, 55)]
    assert record.objectives[0].page_of("threshold_pct") == record.plan.threshold.page
    assert "threshold-missing" not in {f.rule for f in run_checks(allocate(record)).findings}
