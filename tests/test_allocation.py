"""The allocation: exact apportionment, the plan's bands and strategicità, totals per scope."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.allocation import (
    allocate,
    apportion_cents,
    choose_band,
    fold,
    is_whole_staff,
    match_level,
    settore_of,
    totals_by_scope,
)
from pipeline.formatting import format_eur
from pipeline.money import to_cents
from pipeline.record import Budget, Objective, Plan, PlanRecord, Source, StaffBand, SummaryRow

# ----------------------------------------------------------------------------- apportionment

scores_st = st.lists(
    st.one_of(
        st.integers(min_value=1, max_value=10_000),
        st.floats(min_value=0.01, max_value=10_000, allow_nan=False, allow_infinity=False),
        st.fractions(min_value=Fraction(1, 1000), max_value=10_000),
    ),
    min_size=1,
    max_size=40,
)


def _exact(s):
    return Fraction(repr(s)) if isinstance(s, float) else Fraction(s)


@settings(max_examples=300, deadline=None)
@given(total=st.integers(min_value=0, max_value=10**11), scores=scores_st)
def test_apportion_properties(total, scores):
    shares = apportion_cents(total, scores)
    assert len(shares) == len(scores)
    assert sum(shares) == total
    weight_sum = sum(_exact(s) for s in scores)
    for share, score in zip(shares, scores):
        quota = total * _exact(score) / weight_sum
        assert abs(share - quota) < 1  # within one cent of the exact share
    for i in range(len(scores)):
        for j in range(len(scores)):
            if _exact(scores[i]) > _exact(scores[j]):
                assert shares[i] >= shares[j]  # a higher score never gets less


@given(total=st.integers(min_value=0, max_value=10**9), score=st.integers(1, 100), n=st.integers(1, 30))
def test_equal_scores_differ_by_at_most_a_cent_and_earlier_objectives_win_ties(total, score, n):
    shares = apportion_cents(total, [score] * n)
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)


def test_apportion_is_exact_where_floats_are_not():
    # 0.1 + 0.2 style scores: exact fractions keep the three equal thirds of 0.3 honest.
    assert apportion_cents(100, [0.1, 0.1, 0.1]) == [34, 33, 33]
    assert apportion_cents(1, [1, 1]) == [1, 0]
    assert apportion_cents(0, [1, 2]) == [0, 0]


def test_apportion_rejects_nonsense():
    with pytest.raises(ValueError):
        apportion_cents(-1, [1])
    with pytest.raises(ValueError):
        apportion_cents(100, [0, 0])
    with pytest.raises(ValueError):
        apportion_cents(100, [1, -1])


# ----------------------------------------------------------------------------- money


def test_format_eur_italian():
    assert format_eur(1234.56) == "€ 1.234,56"  # as the plans print it
    assert format_eur(0.5) == "€ 0,50"
    assert format_eur(-1000000) == "-€ 1.000.000,00"
    assert format_eur(None) == "n.d."
    assert to_cents(2.675) == 268  # decimal rounding, not the float's 2.67499...


# ----------------------------------------------------------------------------- bands

BANDS = [
    StaffBand(label="1", min=1, max=1, coefficient=0.5),
    StaffBand(label="Da 2 a 3", min=2, max=3, coefficient=1.0),
    StaffBand(label="Da 4 a 5", min=4, max=5, coefficient=1.5),
    StaffBand(label="Più di 10", min=11, max=None, coefficient=3.0),
    StaffBand(label="Tutto il personale dipendente", coefficient=3.5, all_staff=True),
]


@pytest.mark.parametrize(
    "count, label, fallback",
    [(1, "1", False), (3, "Da 2 a 3", False), (4, "Da 4 a 5", False), (11, "Più di 10", False),
     (200, "Più di 10", False), (6, "Più di 10", True), (10, "Più di 10", True)],
)
def test_band_for_head_count_and_next_band_up(count, label, fallback):
    choice = choose_band(BANDS, count)
    assert choice.band is not None and choice.band.label == label
    assert choice.fallback is fallback


def test_no_band_above_and_no_count_give_no_band():
    bounded = [b for b in BANDS if b.max is not None]
    assert choose_band(bounded, 50).band is None
    assert choose_band(BANDS, None).band is None
    assert choose_band(BANDS, 0).band is None


def test_whole_staff_band():
    choice = choose_band(BANDS, 4, whole_staff=True)
    assert choice.band.all_staff and choice.whole_staff and not choice.fallback
    # A plan without a whole-staff row prices the head-count instead.
    assert choose_band(BANDS[:-1], 4, whole_staff=True).band.label == "Da 4 a 5"


@pytest.mark.parametrize(
    "text, whole",
    [
        ("Tutto il personale dipendente", True),
        ("tutti i dipendenti dell'Ente", True),
        ("Tutto il Personale", True),
        ("tutti i dipendenti di ogni area", True),
        ("Tutto il personale operante del Comando di Polizia Locale", False),
        ("tutti i dipendenti dell'Area Tributi", False),
        ("n.3 dipendenti area", False),
        ("dipendenti delle aree coinvolte", False),
        (None, False),
    ],
)
def test_whole_staff_detection(text, whole):
    assert is_whole_staff(text) is whole


# ----------------------------------------------------------------------------- strategicità

WEIGHTS = {"strategico": 40, "innovativo": 25, "miglioramento": 20, "una tantum": 5}


@pytest.mark.parametrize(
    "written, name",
    [("Strategico", "strategico"), ("1. STRATEGICO", "strategico"), ("strategica", "strategico"),
     ("Una-Tantum", "una tantum"), ("  miglioramento ", "miglioramento"), ("boh", None), (None, None)],
)
def test_match_level_folds_case_accents_numbering(written, name):
    got = match_level(written, WEIGHTS)
    assert (got[0] if got else None) == name


def test_fold():
    assert fold("Più  di 10") == "piu di 10"
    assert fold("3) Mantenimento") == "mantenimento"


# ----------------------------------------------------------------------------- allocate


def _record(objectives, summary=(), allocated=1000.0, bands=BANDS, weights=WEIGHTS) -> PlanRecord:
    return PlanRecord(
        source=Source(file="p.pdf", sha256="0" * 64, pages=1),
        plan=Plan(
            budget=Budget(allocated=allocated),
            strategic_weights=weights,
            staff_bands=list(bands),
            summary=list(summary),
        ),
        objectives=objectives,
    )


def test_allocate_classification_then_summary_and_sums_exactly():
    objs = [
        Objective(number=2, staff_count=3, scope_line="SETTORE A / AREA X"),
        Objective(number=1, staff_count=1, scope_line="SETTORE A / AREA Y"),
        Objective(number=3, staff_count=99, staff_text="n.2 dipendenti", scope_line="SETTORE B"),
        Objective(number=4, staff_count=1, scope_line="SETTORE B"),
    ]
    summary = [SummaryRow(number=1, strategic_level="Strategico", staff_count=4),
               SummaryRow(number=3, strategic_level=None, staff_count=5),
               SummaryRow(number=4, strategic_level="Miglioramento", staff_count=2)]
    out = allocate(_record(objs, summary), {2: "innovativo", 3: "una tantum", 1: "una tantum"})
    by = {a.objective: a for a in out.allocations}
    assert [a.objective for a in out.allocations] == [1, 2, 3, 4]  # ordered by number
    # 1: the classification file wins over the summary's strategicità (contract, 2026-12-07);
    # the head-count is still the summary's (the file gives none), not the card's
    assert (by[1].strategic_level, by[1].strategic_level_source) == ("una tantum", "classification")
    assert by[1].staff_count == 4 and by[1].staff_count_source == "summary"
    assert by[1].staff_coefficient == 1.5 and by[1].points == 7.5
    # 2: no summary row: classification and the card's head-count
    assert (by[2].strategic_level, by[2].strategic_level_source) == ("innovativo", "classification")
    assert by[2].points == 25 and by[2].staff_count_source == "card"
    # 3: summary head-count 5 (not the card's 99), strategicità from the classification
    assert by[3].staff_count == 5 and by[3].points == 7.5
    # 4: nothing in the file: the summary's strategicità and head-count
    assert (by[4].strategic_level, by[4].strategic_level_source) == ("miglioramento", "plan")
    assert by[4].points == 20 and by[4].objective_weight == by[4].strategic_weight == 20
    assert to_cents(sum(a.amount_eur for a in out.allocations)) == 100000
    assert out.objective(2).strategic_level == "innovativo"
    expected = apportion_cents(100000, [7.5, 25, 7.5, 20])
    assert [to_cents(by[n].amount_eur) for n in (1, 2, 3, 4)] == expected
    assert out.allocations[0].scope == "SETTORE A / AREA Y"


def test_one_unscored_objective_leaves_every_amount_unknown():
    objs = [Objective(number=1, staff_count=2), Objective(number=2, staff_count=2)]
    out = allocate(_record(objs), {1: "strategico"})
    assert out.allocations[1].points is None and out.allocations[1].strategic_level is None
    assert all(a.amount_eur is None for a in out.allocations)
    assert out.allocations[0].points == 40  # the scored one keeps its points


def test_whole_staff_card_gets_whole_staff_band():
    objs = [Objective(number=1, staff_text="Tutto il personale dipendente"),
            Objective(number=2, staff_count=11)]
    out = allocate(_record(objs), {1: "strategico", 2: "strategico"})
    assert out.allocations[0].staff_coefficient == 3.5
    assert out.allocations[0].staff_band == "Tutto il personale dipendente"
    assert out.allocations[0].amount_eur > out.allocations[1].amount_eur


def test_totals_by_scope_add_up():
    objs = [
        Objective(number=1, staff_count=2, kind="generale", scope_line="GENERALE"),
        Objective(number=2, staff_count=2, kind="settore", scope_line="SETTORE A - AREA X"),
        Objective(number=3, staff_count=4, kind="settore", scope_line="SETTORE A / AREA Y"),
        Objective(number=4, staff_count=1, kind="settore", scope_line="Settore A - Area X"),
    ]
    out = allocate(_record(objs, allocated=999.99), {n: "strategico" for n in range(1, 5)})
    for by in ("scope", "settore"):
        totals = totals_by_scope(out, by=by)
        assert to_cents(sum(t.amount_eur for t in totals)) == 99999
        assert sorted(n for t in totals for n in t.objectives) == [1, 2, 3, 4]
    scopes = {t.scope: t.objectives for t in totals_by_scope(out)}
    assert scopes["SETTORE A - AREA X"] == [2, 4]  # case/punctuation folded
    settori = {t.scope: t.objectives for t in totals_by_scope(out, by="settore")}
    assert settori == {"Obiettivi generali": [1], "SETTORE A": [2, 3, 4]}


def test_settore_of():
    assert settore_of("SETTORE TERRITORIO / AREA LAVORI PUBBLICI", "settore") == "SETTORE TERRITORIO"
    assert settore_of("SETTORE X - AREA Y", "settore") == "SETTORE X"
    assert settore_of("ALTRO UFFICIO", "settore") == "ALTRO UFFICIO"
    assert settore_of("qualsiasi", "intersettoriale") == "Obiettivi intersettoriali"


def test_levels_from_a_classification_survive_reallocation_and_a_new_file_overrides_them():
    # `piao render` re-allocates a plan.json whose strategicità came from --classification:
    # the record's levels must hold, and a classification given now must win over them.
    from tests.records import expected_record

    record = expected_record()
    assert not record.plan.summary and all(o.strategic_level is None for o in record.objectives)
    numbers = [o.number for o in record.objectives]
    first = allocate(record, {n: "strategico" for n in numbers})
    assert {a.strategic_level_source for a in first.allocations} == {"classification"}

    again = allocate(first)
    assert [(a.strategic_level, a.strategic_level_source) for a in again.allocations] == \
        [(a.strategic_level, a.strategic_level_source) for a in first.allocations]

    changed = allocate(first, {numbers[0]: "una tantum"})
    assert changed.allocations[0].strategic_level == "una tantum"
    assert changed.allocations[1].strategic_level == "strategico"
