"""piao compare on two real editions of one plan: the Chiari DOCX and a next-year edition made
from it with python-docx (two cards dropped, one added, renumbered, weights and a level changed),
both through the whole pipeline. The oracle is the list of edits (tests/editions.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from flows.cli import main
from flows.run import run_plan
from pipeline.compare import compare_plans, text_similarity
from pipeline.tables import read_plan
from tests.editions import make_next_edition
from tests.records import expected_record

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    base = tmp_path_factory.mktemp("editions")
    edition = make_next_edition(EXAMPLES / "chiari-2025.docx", base / "chiari-2026.docx")
    run_plan(EXAMPLES / "chiari-2025.docx", base / "old")
    run_plan(base / "chiari-2026.docx", base / "new")
    return edition, base


@pytest.fixture(scope="module")
def compared(editions):
    edition, base = editions
    assert main(["compare", str(base / "old"), str(base / "new" / "plan.json"), "--out", str(base / "cmp"),
                 "--quiet"]) == 0
    with (base / "cmp" / "changes.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return edition, base / "cmp", rows


def _int(text: str) -> int | None:
    return int(text) if text else None


def test_compare_finds_exactly_the_edits(compared):
    edition, _, rows = compared
    assert list(rows[0])[:5] == ["change", "old_number", "new_number", "fields", "similarity"]
    removed = sorted(_int(r["old_number"]) for r in rows if r["change"] == "removed")
    added = [r for r in rows if r["change"] == "added"]
    assert removed == edition.dropped
    assert [(_int(r["new_number"]), r["new_title"]) for r in added] == [(edition.added_number, edition.added_title)]
    pairs = {_int(r["old_number"]): _int(r["new_number"]) for r in rows if r["change"] in ("changed", "unchanged")}
    assert pairs == edition.renumbered
    changed = {_int(r["old_number"]): set(r["fields"].split(";")) for r in rows if r["change"] == "changed"}
    assert set(changed) == set(edition.new_weights) | set(edition.new_levels)
    assert changed[7] == {"indicator_weights"}
    # the level's weight and so the amount move with it; objective_weight where the record has it
    assert {"strategic_level", "amount_eur"} <= changed[10] <= {"strategic_level", "amount_eur", "objective_weight"}
    for r in rows:
        if r["change"] == "unchanged":
            assert r["fields"] == "" and float(r["similarity"]) >= 0.99
            assert r["renumbered"] == ("true" if r["old_number"] != r["new_number"] else "false")


def test_confronto_docx_says_it_in_italian_with_old_and_new_values(compared):
    edition, out, _ = compared
    doc = Document(str(out / "confronto.docx"))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    for title in ("Obiettivi nuovi", "Obiettivi non più presenti", "Obiettivi modificati"):
        assert title in headings
    assert any(h.startswith("N. 7 → N. 6") for h in headings)
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert ["Pesi degli indicatori (%)", "20; 25; 30; 25", "25; 25; 25; 25"] in cells
    assert ["Strategicità", "mantenimento", "strategico"] in cells
    assert any(edition.added_title in row for row in cells)
    old = read_plan(out.parent / "old")
    for n in edition.dropped:
        assert any(old.objective(n).title in row for row in cells)


def test_confronto_xlsx_has_one_row_per_pair_or_unmatched(compared):
    _, out, rows = compared
    wb = openpyxl.load_workbook(out / "confronto.xlsx")
    assert wb.sheetnames == ["Obiettivi", "Regole del piano"]
    ws = wb["Obiettivi"]
    assert ws.max_row == len(rows) + 1
    assert sorted(ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)).count("nuovo") == 1


def test_plan_rules_are_compared():
    old = expected_record()
    plan = old.plan.model_copy(update={
        "strategic_weights": {**old.plan.strategic_weights, "strategico": 45},
        "budget": old.plan.budget.model_copy(update={"total": 95000.0}),
    })
    new = old.model_copy(update={"plan": plan})
    result = compare_plans(old, new)
    assert [r.field for r in result.rules] == ["strategic_weights", "budget_total"]
    assert result.counts() == {"added": 0, "removed": 0, "changed": 0, "unchanged": len(old.objectives)}
    assert compare_plans(old, old).rules == []


def test_a_reworded_title_is_still_the_same_objective():
    old = expected_record()
    o = old.objectives[1]
    new = old.model_copy(update={"objectives": [
        o.model_copy(update={"title": "Riqualificazione e accessibilità dei servizi pubblici per l'inclusione",
                             "number": 9})]})
    (pair,) = compare_plans(old.model_copy(update={"objectives": [o]}), new).objectives
    assert (pair.change, pair.old_number, pair.new_number) == ("changed", 2, 9)
    assert [f.field for f in pair.fields] == ["title"]
    assert text_similarity("", "x") is None


def test_compare_is_all_or_nothing_and_refuses_bad_input(tmp_path, monkeypatch, capsys):
    import outputs.compare as outputs_compare

    record = tmp_path / "a.json"
    record.write_text(expected_record().to_json(), encoding="utf-8")

    def broken(c, path):
        raise RuntimeError("disco pieno")

    monkeypatch.setitem(outputs_compare.COMPARE_WRITERS, "confronto.docx", broken)
    assert main(["compare", str(record), str(record), "--out", str(tmp_path / "cmp")]) == 1
    assert not (tmp_path / "cmp").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]
    capsys.readouterr()
    assert main(["compare", str(record), str(tmp_path / "manca"), "--out", str(tmp_path / "cmp")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "manca" in err[0]
