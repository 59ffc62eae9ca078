"""Every card and plan rule, firing and not firing, on small crafted records."""

from __future__ import annotations

import pytest

from pipeline.checks import catalogue, findings_for, registered_rules, run_checks
from pipeline.checks.card_rules import achievable_sums
from pipeline.checks.plan_rules import band_coverage
from pipeline.record import Budget, Indicator, Objective, Plan, PlanRecord, Source, StaffBand, SummaryRow

CONTRACT_RULES = [
    "weights-sum", "threshold-missing", "threshold-range", "numbering", "date-outside-period",
    "target-mismatch", "staff-uncountable", "staff-band-gap", "budget-sum", "missing-field",
    "threshold-granularity",
]


def ind(weight=100, name="Azione", target="n.1 azione", value=1, activity=None, page=None):
    return Indicator(name=name, target=target, target_value=value, weight_pct=weight,
                     activity=activity, page=page)


def card(number=1, **kw) -> Objective:
    base = dict(
        number=number, title=f"Obiettivo {number}", timeframe="2025", threshold_pct=100,
        staff_text="n.2 dipendenti", staff_count=2, pages=[10 + (number or 0)] * 2,
        indicators=[ind()],
    )
    base.update(kw)
    return Objective(**base)


def record(*objectives: Objective, **plan) -> PlanRecord:
    p = dict(year=2025, period="2024-2026")
    p.update(plan)
    return PlanRecord(source=Source(file="p.pdf", sha256="0" * 64, pages=40),
                      plan=Plan(**p), objectives=list(objectives))


def hits(rule_id: str, rec: PlanRecord):
    return findings_for(rule_id, rec)


def test_catalogue_covers_contract_rules():
    rules = registered_rules()
    cat = catalogue()
    for rule_id in CONTRACT_RULES:
        assert rule_id in rules
        assert cat[rule_id]["severity"] in ("error", "warning", "info")


def test_clean_card_has_no_findings_from_card_and_plan_rules():
    rec = record(card(1), card(2))
    for rule_id in CONTRACT_RULES:
        assert hits(rule_id, rec) == [], rule_id


# ---------------------------------------------------------------- weights-sum


def test_weights_sum_fires_with_figures():
    rec = record(card(3, indicators=[ind(60, page=14), ind(30)]))
    [f] = hits("weights-sum", rec)
    assert f.severity == "error" and f.objective == 3 and f.page == 14
    assert "90%" in f.message and "60 + 30" in f.message


def test_weights_sum_missing_weight_and_passing_case():
    rec = record(card(1, indicators=[ind(60), ind(None, name="Senza peso")]),
                 card(2, indicators=[ind(50), ind(50)]))
    [f] = hits("weights-sum", rec)
    assert f.objective == 1 and "Senza peso" in f.message


# ---------------------------------------------------------------- threshold


def test_threshold_missing_and_range():
    rec = record(card(1, threshold_pct=None), card(2, threshold_pct=120), card(3, threshold_pct=80,
                 indicators=[ind(50), ind(30), ind(20)]))
    assert [f.objective for f in hits("threshold-missing", rec)] == [1]
    [r] = hits("threshold-range", rec)
    assert r.objective == 2 and "120%" in r.message and r.severity == "error"


def test_threshold_zero_is_a_warning():
    [f] = hits("threshold-range", record(card(1, threshold_pct=0)))
    assert f.severity == "warning"


def test_achievable_sums():
    assert achievable_sums([60, 40]) == {0, 4000, 6000, 10000}
    assert 8000 in achievable_sums([10, 50, 20, 20])


def test_threshold_granularity_fires_when_only_100_reaches_threshold():
    rec = record(card(1, threshold_pct=80, indicators=[ind(60), ind(40)]))
    [f] = hits("threshold-granularity", rec)
    assert f.objective == 1 and "80%" in f.message and "60%" in f.message


def test_threshold_granularity_single_indicator():
    [f] = hits("threshold-granularity", record(card(1, threshold_pct=90)))
    assert "100%" in f.message


def test_threshold_granularity_silent_when_a_subset_lands_in_range():
    rec = record(card(1, threshold_pct=80, indicators=[ind(10), ind(50), ind(20), ind(20)]),
                 card(2, threshold_pct=100, indicators=[ind(60), ind(40)]),
                 card(3, threshold_pct=70, indicators=[ind(35), ind(35), ind(30)]))
    assert hits("threshold-granularity", rec) == []


# ---------------------------------------------------------------- numbering


def test_numbering_unprinted_card_reported_with_implied_number():
    rec = record(card(1), card(2, number_printed=False), card(3))
    [f] = hits("numbering", rec)
    assert f.objective == 2 and "2" in f.message


def test_numbering_missing_repeated_and_out_of_order():
    rec = record(card(1), card(2), card(2), card(5), card(4))
    found = hits("numbering", rec)
    messages = " ".join(f.message for f in found)
    assert any(f.severity == "error" and f.objective == 2 for f in found)  # repeated
    assert "manca" in messages and "3" in messages  # 3 missing between 2 and 5
    assert any(f.objective == 4 and "fuori sequenza" in f.message for f in found)


def test_numbering_sequence_ok():
    assert hits("numbering", record(card(1), card(2), card(3))) == []


# ---------------------------------------------------------------- dates


def test_date_outside_period_deadline_after_timeframe():
    rec = record(card(6, timeframe="2025", phases="ENTRO IL 30.04.2025 ricognizione; ENTRO IL 31.12.2026 approvazione",
                      field_pages={"phases": 13}))
    [f] = hits("date-outside-period", rec)
    assert f.objective == 6 and f.page == 13 and "31/12/2026" in f.message


def test_date_outside_period_past_period_in_description():
    rec = record(card(24, timeframe="Nel periodo ricompreso tra il 15/06/2025 ed il 30/09/2025",
                      description="servizi serali nel periodo tra il 15/06/2024 ed il 31/12/2024"))
    [f] = hits("date-outside-period", rec)
    assert "15/06/2024" in f.message and f.severity == "warning"


def test_date_outside_period_uses_plan_year_when_card_states_none():
    rec = record(card(1, timeframe=None, phases="entro il 31/03/2026 consegna"))
    [f] = hits("date-outside-period", rec)
    assert "anno del piano" in f.message


def test_date_outside_period_silent_inside_and_for_law_dates():
    rec = record(
        card(1, timeframe="biennio 2024-2025", phases="Entro aprile 2024: strumenti",
             description="In applicazione del D.L. 24/2/2023 n.13 e del Piano 2020-2022"),
        card(2, timeframe="triennio 2025-2027", phases="entro il mese di aprile: gruppo"),
        card(3, timeframe="Triennale", phases="entro il 31/12/2026"),
        card(4, timeframe="Gennaio — dicembre 2025", indicators=[ind(name="Attivazione entro il 7/1/2025")]),
    )
    assert hits("date-outside-period", rec) == []


def test_date_outside_period_checks_indicator_text():
    rec = record(card(1, timeframe="2025", indicators=[ind(name="Proposta alla Giunta entro il 31/07/2026", page=33)]))
    [f] = hits("date-outside-period", rec)
    assert f.page == 33


# ---------------------------------------------------------------- target-mismatch


def test_target_mismatch_activity_figure():
    rec = record(card(26, indicators=[ind(name="Controllo territorio con drone", target="n. 100 controlli",
                                           value=100, activity="Rispetto del numero (minimo 150 controlli)",
                                           page=48)]))
    [f] = hits("target-mismatch", rec)
    assert f.objective == 26 and f.page == 48 and "150" in f.message and "100" in f.message


def test_target_mismatch_same_noun_group_strade_vie():
    rec = record(card(5, indicators=[ind(name="Controlli di n. 40 strade del centro",
                                          target="Almeno n.32 vie su 45 (70%)", value=32)]))
    [f] = hits("target-mismatch", rec)
    assert "40" in f.message and "45" in f.message


def test_target_mismatch_card_text_figure_for_single_indicator():
    rec = record(card(7, description="Saranno organizzati n. 6 corsi sulla sicurezza.",
                      indicators=[ind(name="Gestione corsi obbligatori", target="n. 5 corsi", value=5)]))
    [f] = hits("target-mismatch", rec)
    assert "6" in f.message


def test_target_mismatch_silent_when_consistent_or_other_noun():
    rec = record(
        card(1, indicators=[ind(name="Controllo", target="n. 100 controlli", value=100,
                                activity="almeno 100 controlli sul territorio, 2 verbali al mese")]),
        card(2, description="n.30 webinar di 2 ore", indicators=[ind(target="n. 5 corsi", value=5)]),
        # two indicators count controlli: card prose cannot be tied to one of them
        card(3, description="in tutto 50 controlli", indicators=[
            ind(50, target="Almeno 50 controlli", value=50), ind(50, target="Almeno 20 controlli", value=20)]),
    )
    assert hits("target-mismatch", rec) == []


# ---------------------------------------------------------------- staff and fields


def test_staff_uncountable():
    rec = record(card(1, staff_text="Tutto il personale del Comando", staff_count=None), card(2))
    [f] = hits("staff-uncountable", rec)
    assert f.objective == 1 and "Tutto il personale" in f.message


def test_missing_field_lists_what_is_missing():
    rec = record(card(1, title=None, indicators=[]), card(2, staff_text=None, staff_count=None), card(3))
    found = {f.objective: f for f in hits("missing-field", rec)}
    assert set(found) == {1, 2}
    assert "titolo" in found[1].message and "indicatori" in found[1].message
    assert found[1].severity == "error" and found[2].severity == "warning"


def test_staff_band_gap_names_objectives_in_gap():
    bands = [StaffBand(label="1", min=1, max=1, coefficient=0.5),
             StaffBand(label="Da 2 a 9", min=2, max=9, coefficient=1),
             StaffBand(label="Più di 10", min=11, max=None, coefficient=3),
             StaffBand(label="Tutto il personale", all_staff=True, coefficient=3)]
    rec = record(card(1, staff_count=10), card(2), staff_bands=bands,
                 summary=[SummaryRow(number=3, staff_count=10)], pages={"staff_bands": 3})
    [f] = hits("staff-band-gap", rec)
    assert f.objective is None and f.page == 3
    assert "10 dipendenti" in f.message and "n. 1" in f.message and "n. 3" in f.message


def test_staff_band_overlap_and_clean_table():
    overlapping = [StaffBand(label="1-5", min=1, max=5, coefficient=1),
                   StaffBand(label="5-9", min=5, max=9, coefficient=2),
                   StaffBand(label="Oltre 9", min=10, coefficient=3)]
    gaps, overlaps = band_coverage(overlapping)
    assert gaps == [] and overlaps[0][0] == [5]
    [f] = hits("staff-band-gap", record(card(1), staff_bands=overlapping))
    assert "più righe" in f.message
    clean = [StaffBand(label="1-5", min=1, max=5, coefficient=1),
             StaffBand(label="Più di 5", min=6, coefficient=2)]
    assert hits("staff-band-gap", record(card(1), staff_bands=clean)) == []


def test_budget_sum_to_the_cent():
    ok = Budget(total=91223.09, allocated=69223.09, reserve=4000.0, welfare=18000.0)
    assert hits("budget-sum", record(card(1), budget=ok)) == []
    bad = Budget(total=91223.10, allocated=69223.09, reserve=4000.0, welfare=18000.0, page=4)
    [f] = hits("budget-sum", record(card(1), budget=bad))
    assert f.objective is None and f.page == 4 and f.severity == "error"
    assert "€ 91.223,10" in f.message and "€ 0,01" in f.message


@pytest.mark.parametrize("rule_id", CONTRACT_RULES)
def test_rules_survive_an_empty_record(rule_id):
    assert hits(rule_id, PlanRecord(source=Source(file="x.pdf", sha256="0" * 64, pages=1))) == []


def test_run_checks_orders_plan_findings_first():
    bad = Budget(total=10, allocated=5)
    rec = run_checks(record(card(1, threshold_pct=None), budget=bad))
    assert rec.findings[0].objective is None
    assert {f.rule for f in rec.findings} >= {"budget-sum", "threshold-missing", "missing-field"}


def test_numbering_card_without_any_number():
    rec = record(card(1), card(None, pages=[20, 21]))
    [f] = hits("numbering", rec)
    assert f.objective is None and f.page == 20 and "20" in f.message


def test_numbering_repeated_names_pages():
    rec = record(card(1, pages=[8, 8]), card(1, pages=[9, 9]))
    [f] = hits("numbering", rec)
    assert f.severity == "error" and f.page == 8 and "8" in f.message and "9" in f.message


def test_staff_band_overlap_names_objectives():
    bands = [StaffBand(label="1-5", min=1, max=5, coefficient=1),
             StaffBand(label="5-9", min=5, max=9, coefficient=2)]
    [f] = hits("staff-band-gap", record(card(1, staff_count=5), staff_bands=bands))
    assert "n. 1" in f.message and "«1-5»" in f.message and "«5-9»" in f.message


def test_every_message_variant_formats():
    """Each hit a rule can yield renders without leftover placeholders."""
    bands = [StaffBand(label="1", min=1, max=1, coefficient=1), StaffBand(label="3+", min=3, coefficient=2)]
    rec = record(
        card(2, title=None, threshold_pct=None, indicators=[ind(None)], timeframe=None,
             phases="entro il 31/03/2027", staff_text="vari", staff_count=None),
        card(None, staff_text=None, staff_count=None, threshold_pct=-5),
        card(2, threshold_pct=0, indicators=[ind(50), ind(30)]),
        staff_bands=bands, budget=Budget(total=10, allocated=1),
    )
    findings = run_checks(rec).findings
    # The record above is built to trip each of these (else the loop below checks nothing).
    assert {"missing-field", "threshold-missing", "threshold-range", "numbering", "date-outside-period",
            "staff-uncountable", "staff-band-gap", "weights-sum", "budget-sum"} <= {f.rule for f in findings}
    for f in findings:
        assert "{" not in f.message and "}" not in f.message, f.message
        assert f.message.strip()


def test_severity_counts_and_fail_on_levels():
    from pipeline.checks import fails, severity_counts
    from pipeline.record import Finding

    findings = [Finding(rule="r", severity="warning", message="m"), Finding(rule="r", severity="info", message="m")]
    counts = severity_counts(findings)
    assert counts == {"error": 0, "warning": 1, "info": 1}
    assert fails(counts, "warning") and not fails(counts, "error") and not fails(counts, None)
    assert fails(severity_counts([Finding(rule="r", severity="error", message="m")]), "warning")


def test_every_error_and_warning_rule_proposes_a_correction():
    """verifica.docx gives a "Correzione proposta" for each error and warning: data per rule."""
    from pipeline.checks import catalogue

    for rule_id, entry in catalogue().items():
        if entry["severity"] in ("error", "warning"):
            assert entry.get("correction"), rule_id
        for variant in entry.get("corrections") or {}:
            assert variant in entry.get("variants", {}), (rule_id, variant)
