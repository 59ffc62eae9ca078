"""Fuzzing (issue 8): noise, truncation and shuffled lines thrown at the card parser, and random
records thrown at the rules and the allocation. They may produce findings but never crash.

The example budget is fixed (``max_examples``) so that CI time stays bounded and repeatable.
"""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.cards import parse_cards
from extractors.layout import Document, Line, Page
from pipeline.allocation import allocate
from pipeline.checks import run_checks
from pipeline.record import Budget, Indicator, Objective, PlanRecord, Source, StaffBand
from tests.records import DATA, expected_record

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@cache
def ocr_lines() -> tuple[str, ...]:
    text = (DATA / "chiari-2025.ocr.txt").read_text(encoding="utf-8")
    return tuple(text.splitlines())


def _document(lines: list[str], per_page: int = 60) -> Document:
    pages = []
    for n, start in enumerate(range(0, max(len(lines), 1), per_page), start=1):
        chunk = lines[start:start + per_page]
        pages.append(Page(number=n, lines=[Line(text=t, page=n) for t in chunk]))
    return Document(path="fuzz.txt", sha256="0" * 64, format="text", pages=pages)


def _check_objectives(objectives: list[Objective]) -> None:
    for o in objectives:
        Objective.model_validate(o.model_dump())  # still a valid record
        for i in o.indicators:
            assert i.weight_pct is None or i.weight_pct >= 0


# Slices of the real OCR text: a window of lines, some dropped, some shuffled, with noise.
window = st.integers(min_value=0, max_value=2400).flatmap(
    lambda start: st.integers(min_value=1, max_value=300).map(lambda n: (start, n)))
noise_chars = st.text(alphabet=st.sampled_from(list("|‘’“”—–-.,;:%°?!/\\()[]{}0123456789ÈàéìòùAaNn ")), max_size=12)


@FUZZ
@given(window=window, drops=st.sets(st.integers(0, 299), max_size=30),
       swaps=st.lists(st.tuples(st.integers(0, 299), st.integers(0, 299)), max_size=20),
       noise=st.lists(st.tuples(st.integers(0, 299), noise_chars), max_size=20))
def test_card_parser_survives_damaged_ocr_text(window, drops, swaps, noise):
    start, n = window
    lines = list(ocr_lines()[start:start + n])
    lines = [line for i, line in enumerate(lines) if i not in drops]
    for a, b in swaps:
        if a < len(lines) and b < len(lines):
            lines[a], lines[b] = lines[b], lines[a]
    for i, junk in noise:
        if i < len(lines):
            cut = len(lines[i]) // 2
            lines[i] = lines[i][:cut] + junk + lines[i][cut:]
    _check_objectives(parse_cards(_document(lines), 2025))


@FUZZ
@given(st.lists(st.text(max_size=80), max_size=80), st.one_of(st.none(), st.integers(1990, 2100)))
def test_card_parser_survives_arbitrary_text(lines, year):
    _check_objectives(parse_cards(_document(lines), year))


@FUZZ
@given(cut=st.integers(min_value=0, max_value=2542))
def test_card_parser_survives_truncation(cut):
    _check_objectives(parse_cards(_document(list(ocr_lines()[:cut])), 2025))


numbers = st.one_of(st.none(), st.integers(-5, 200), st.floats(-10, 1000, allow_nan=False))
indicators = st.builds(Indicator, name=st.one_of(st.none(), st.text(max_size=30)),
                       target=st.one_of(st.none(), st.text(max_size=30)),
                       target_value=numbers, weight_pct=numbers)
objectives = st.builds(
    Objective,
    number=st.one_of(st.none(), st.integers(-3, 60)),
    number_printed=st.booleans(),
    title=st.one_of(st.none(), st.text(max_size=40)),
    timeframe=st.one_of(st.none(), st.sampled_from(["2025", "biennio 2024-2025", "Triennale", "entro il 31/12/2025",
                                                    "dal 31/12/2025 al 01/01/2025", "99/99/9999", ""])),
    phases=st.one_of(st.none(), st.sampled_from(["Entro aprile 2024", "entro il 30.04.2031", "31/02/2025", "n.3 controlli"])),
    threshold_pct=numbers,
    staff_text=st.one_of(st.none(), st.text(max_size=40)),
    staff_count=st.one_of(st.none(), st.integers(0, 50)),
    strategic_level=st.one_of(st.none(), st.sampled_from(["strategico", "innovativo", "boh"])),
    pages=st.lists(st.integers(1, 60), max_size=2),
    indicators=st.lists(indicators, max_size=8),
)
bands = st.lists(st.builds(StaffBand, label=st.text(max_size=10), min=st.one_of(st.none(), st.integers(0, 20)),
                           max=st.one_of(st.none(), st.integers(0, 20)),
                           coefficient=st.floats(0, 5, allow_nan=False), all_staff=st.booleans()), max_size=8)
money = st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False).map(lambda x: round(x, 2)))


@FUZZ
@given(objectives=st.lists(objectives, max_size=12), bands=bands, total=money, allocated=money,
       reserve=money, welfare=money, weights=st.dictionaries(st.sampled_from(["strategico", "innovativo", "una tantum"]),
                                                             st.integers(0, 50)))
def test_allocation_and_rules_never_crash(objectives, bands, total, allocated, reserve, welfare, weights):
    base = expected_record()
    plan = base.plan.model_copy(update={
        "budget": Budget(total=total, allocated=allocated, reserve=reserve, welfare=welfare),
        "staff_bands": bands, "strategic_weights": weights, "summary": []})
    record = PlanRecord(source=Source(file="f.pdf", sha256="0" * 64, pages=1), plan=plan, objectives=objectives)
    checked = run_checks(allocate(record))
    for f in checked.findings:
        assert f.message.strip() and f.severity in {"error", "warning", "info"}
    cents = [round(a.amount_eur * 100) for a in checked.allocations if a.amount_eur is not None]
    if cents and allocated is not None:
        assert sum(cents) == round(allocated * 100)
