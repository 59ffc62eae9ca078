"""``piao render plan.json --out DIR``: the Word documents from an edited record, without the PDF."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from docx import Document
from records import EXPECTED

from flows.cli import main
from flows.run import RENDER_FILES, render_plan


def _plan_json(tmp_path: Path, edit=None) -> Path:
    raw = json.loads(EXPECTED.read_text(encoding="utf-8"))
    raw.pop("_note", None)
    data = {"source": {"file": "chiari-2025.pdf", "sha256": "0" * 64, "pages": 49}, **raw}
    if edit:
        edit(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _bad_weight(data):
    data["objectives"][3]["indicators"][0]["weight_pct"] = "abc"


def test_malformed_plan_exit_2_one_line_with_the_path(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["render", str(_plan_json(tmp_path, _bad_weight)), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "objectives/3/indicators/0/weight_pct: 'abc' non è di tipo numero" in err
    assert "plan.json" in err
    assert not out.exists()  # nothing written


def test_missing_or_broken_json_exit_2(tmp_path, capsys):
    assert main(["render", str(tmp_path / "nope.json"), "--out", str(tmp_path / "o")]) == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert main(["render", str(broken), "--out", str(tmp_path / "o")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and "non trovato" in lines[0] and "JSON non valido" in lines[1]


def test_console_script_rejects_malformed_plan(tmp_path):
    exe = shutil.which("piao", path=str(Path(sys.executable).parent)) or "piao"
    proc = subprocess.run([exe, "render", str(_plan_json(tmp_path, _bad_weight)), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("objectives/3/indicators/0/weight_pct: 'abc' non è di tipo numero")


def test_render_writes_the_two_documents_from_the_edited_record(tmp_path):
    def edit(data):
        data["objectives"][0]["title"] = "Titolo corretto a mano"
        # a finding left over from before the edit: render redoes the checks, so it must go
        data["findings"] = [{"rule": "weights-sum", "severity": "error", "objective": 1,
                             "page": 8, "message": "superata"}]

    out = tmp_path / "out"
    record = render_plan(_plan_json(tmp_path, edit), out)
    assert sorted(p.name for p in out.iterdir()) == sorted(RENDER_FILES)
    allegato = Document(str(out / "allegato.docx"))
    texts = [p.text for p in allegato.paragraphs]
    assert "OBIETTIVO: Titolo corretto a mano" in texts
    assert all(f.message != "superata" for f in record.findings)
    assert len(allegato.tables) >= 3 and Document(str(out / "verifica.docx")).paragraphs


def test_a_head_count_corrected_in_plan_json_completes_the_allocation(tmp_path):
    # README workflow: a plan without summary table, some staff uncountable -> no amounts;
    # the office writes the head-counts into plan.json and renders again.
    from flows.run import render_plan
    from pipeline.allocation import allocate
    from tests.records import expected_record

    record = expected_record()
    record = allocate(record, {o.number: "miglioramento" for o in record.objectives})
    uncountable = [o.number for o in record.objectives if o.staff_count is None]
    assert uncountable and all(a.amount_eur is None for a in record.allocations)

    raw = json.loads(record.to_json())
    for o in raw["objectives"]:
        if o["staff_count"] is None:
            o["staff_count"] = 4
    edited = tmp_path / "plan.json"
    edited.write_text(json.dumps(raw), encoding="utf-8")
    rendered = render_plan(edited, tmp_path / "out")
    cents = [round(a.amount_eur * 100) for a in rendered.allocations]
    assert sum(cents) == round(record.plan.budget.allocated * 100)
    assert (tmp_path / "out" / "allegato.docx").exists()


# -- a record with year-end results: relazione.docx is rewritten from the corrected record ---------


def _payout_row(relazione: Path, objective: int) -> list[str]:
    doc = Document(str(relazione))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "N." and t.rows[0].cells[-1].text == "Economia")
    return next([c.text for c in row.cells] for row in table.rows if row.cells[0].text == str(objective))


def _results_then_edit(tmp_path: Path, edit) -> Path:
    from tests.results_records import valmorena_record, write_csv
    from tests.test_results import valmorena_rows

    plan = tmp_path / "piano.json"
    plan.write_text(valmorena_record().to_json(), encoding="utf-8")
    year_end = tmp_path / "fine-anno"
    assert main(["results", str(plan), str(write_csv(tmp_path / "r.csv", valmorena_rows())), "--out",
                 str(year_end), "--quiet"]) == 0
    # Objective 7 (own soglia 80%): 70 points met, "≥ 85%" measured 80% not met -> 70% < 80%: nothing.
    assert _payout_row(year_end / "relazione.docx", 7)[:4] == ["7", "70%", "80%", "0%"]
    data = json.loads((year_end / "plan.json").read_text(encoding="utf-8"))
    edit(data)
    edited = tmp_path / "plan.json"
    edited.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return edited


def _objective(data, number):
    return next(o for o in data["objectives"] if o["number"] == number)


def test_render_rewrites_relazione_when_the_record_has_results(tmp_path, capsys):
    def lower_the_target(data):  # the Segretario corrects the printed target: 80% now meets it
        _objective(data, 7)["indicators"][1]["target"] = "≥ 75%"

    plan = _results_then_edit(tmp_path, lower_the_target)
    out = tmp_path / "out"
    assert main(["render", str(plan), "--out", str(out)]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["allegato.docx", "relazione.docx", "verifica.docx"]
    assert "relazione.docx" in capsys.readouterr().out
    # 70 + 30 = 100% achieved, over the 80% soglia: paid in full.
    assert _payout_row(out / "relazione.docx", 7)[:4] == ["7", "100%", "80%", "100%"]


def test_render_without_results_writes_no_relazione(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", str(_plan_json(tmp_path)), "--out", str(out)]) == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["allegato.docx", "verifica.docx"]


def test_render_refuses_results_that_no_longer_fit_the_record(tmp_path, capsys):
    def drop_an_indicator(data):  # the results name indicator 2 of objective 7, now gone
        ind = _objective(data, 7)["indicators"]
        ind[0]["weight_pct"] = 100
        del ind[1]

    plan = _results_then_edit(tmp_path, drop_an_indicator)
    out = tmp_path / "out"
    assert main(["render", str(plan), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "plan.json" in err and "piao results" in err, err
    assert not out.exists()


def test_render_keeps_each_result_with_its_indicator_when_the_card_is_reordered(tmp_path, capsys):
    def reverse_the_indicators(data):  # same indicators, same weights, printed in the other order
        card = _objective(data, 7)
        card["indicators"].reverse()
        assert all(r["name"] for r in next(o for o in data["results"]["objectives"]
                                           if o["objective"] == 7)["indicators"])

    plan = _results_then_edit(tmp_path, reverse_the_indicators)
    out = tmp_path / "out"
    assert main(["render", str(plan), "--out", str(out)]) == 0, capsys.readouterr().err
    # Paired by position, the 80% measured against "≥ 85%" would land on the other indicator and the
    # 70 points would change hands; paired by name the objective reads as before: 70%, nothing paid.
    assert _payout_row(out / "relazione.docx", 7)[:4] == ["7", "70%", "80%", "0%"]


def test_render_refuses_a_result_whose_indicator_was_renamed(tmp_path, capsys):
    old_name = {}

    def rename(data):
        ind = _objective(data, 7)["indicators"][1]
        old_name["name"] = ind["name"]
        ind["name"] = "Un altro indicatore"

    plan = _results_then_edit(tmp_path, rename)
    out = tmp_path / "out"
    assert main(["render", str(plan), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and f"«{old_name['name']}»" in err and "obiettivo 7" in err, err
    assert "riga" not in err  # the stored results have no rows a user could look for
    assert not out.exists()
