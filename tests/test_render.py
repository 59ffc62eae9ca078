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
