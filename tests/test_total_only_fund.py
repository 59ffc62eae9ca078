"""A plan that states only its fund (the Roccaverde test plan: "Il fondo destinato alla
performance organizzativa per l'anno 2026 ammonta a € 48.500,00"). Its own words make the fund
the amount the objectives split: it is allocated, to the cent. A fund whose sentence does not say
so ("Il fondo complessivo per il salario accessorio ... ammonta a") is not split: the finding
says what is missing and how to write it."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document as Docx

from extractors import parse_plan, read_document
from pipeline.allocation import allocate
from pipeline.checks import run_checks
from tests import planmaker as pm
from tests.test_layouts import _roccaverde

FUND = "Il fondo destinato alla performance organizzativa per l'anno 2026 ammonta a € 48.500,00."
#: By hand: obiettivo 1 Strategico 40 x 1,2 (4 dipendenti) = 48; obiettivo 2 Ordinario 20 x 1,5
#: (9 dipendenti) = 30; € 48.500,00 x 48/78 = 29.846,1538..., x 30/78 = 18.653,8461...
AMOUNTS = [29846.15, 18653.85]


def _checked(path: Path):
    return run_checks(allocate(parse_plan(read_document(str(path)))))


def _with_fund(src: Path, dst: Path, sentence: str) -> Path:
    doc = Docx(str(src))
    [para] = [p for p in doc.paragraphs if p.text == FUND]
    para.text = sentence
    doc.save(str(dst))
    return dst


def test_a_fund_destined_to_organisational_performance_is_split(tmp_path):
    _roccaverde(tmp_path / "roccaverde.docx")
    record = _checked(tmp_path / "roccaverde.docx")
    assert (record.plan.budget.total, record.plan.budget.allocated) == (48500, 48500)
    assert [a.amount_eur for a in record.allocations] == AMOUNTS
    assert not [f for f in record.findings if f.rule in ("allocation-incomplete", "budget-sum")]


@pytest.mark.libreoffice
@pytest.mark.skipif(pm.soffice() is None, reason="LibreOffice not installed")
def test_the_same_from_the_pdf(tmp_path):
    _roccaverde(tmp_path / "roccaverde.docx")
    record = _checked(pm.to_pdf(tmp_path / "roccaverde.docx", tmp_path, tmp_path / "lo-profile"))
    assert [a.amount_eur for a in record.allocations] == AMOUNTS


def test_a_fund_that_is_not_said_to_be_the_objectives_share_is_not_split(tmp_path):
    _roccaverde(tmp_path / "roccaverde.docx")
    plan = _with_fund(tmp_path / "roccaverde.docx", tmp_path / "altro.docx",
                      "Il fondo complessivo per il salario accessorio dell'anno 2026 ammonta a € 48.500,00.")
    record = _checked(plan)
    assert (record.plan.budget.total, record.plan.budget.allocated) == (48500, None)
    assert all(a.amount_eur is None for a in record.allocations)
    [finding] = [f for f in record.findings if f.rule == "allocation-incomplete"]
    assert "fondo di € 48.500,00 (pag. 1)" in finding.message
    assert "non quanta parte ne va ripartita tra gli obiettivi" in finding.message
    assert "quota del fondo di € 48.500,00 da ripartire tra gli obiettivi" in finding.correction
    assert "interamente ripartito tra gli obiettivi" in finding.correction


def test_a_fund_said_to_be_split_whole_among_the_objectives_is_split(tmp_path):
    _roccaverde(tmp_path / "roccaverde.docx")
    plan = _with_fund(tmp_path / "roccaverde.docx", tmp_path / "intero.docx",
                      "Il fondo complessivo di € 48.500,00 è interamente ripartito tra gli obiettivi.")
    record = _checked(plan)
    assert record.plan.budget.allocated == 48500
    assert [a.amount_eur for a in record.allocations] == AMOUNTS


@pytest.mark.parametrize("text", [
    "Il fondo destinato alla performance organizzativa e individuale ammonta a € 48.500,00.",
    "Il fondo destinato alla performance organizzativa e alla performance individuale ammonta a "
    "€ 48.500,00.",
    "Il fondo destinato alla performance organizzativa ammonta a € 100.000,00, di cui il 60% agli "
    "obiettivi e il 40% alla performance individuale.",
    "Il fondo destinato alla performance organizzativa ammonta a € 48.500,00, di cui il 20% a "
    "titolo di riserva.",
    "Il fondo destinato alla performance organizzativa ammonta a € 48.500,00. Il 30% del fondo "
    "remunera la performance individuale.",
])
def test_a_fund_with_other_parts_is_not_split_whole(text):
    """The fund also pays individual performance, a reserve or welfare: the share for the
    objectives is not the whole fund, and the reserve is not taken as nil."""
    from extractors.intro import find_budget
    from extractors.layout import Line

    budget = find_budget([Line(text=text, page=1)])
    assert budget.total is not None
    assert budget.allocated is None and not budget.reserve == 0.0
