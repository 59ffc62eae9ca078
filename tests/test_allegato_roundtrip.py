"""Round trip: the Allegato written from the record of examples/chiari-2025.pdf, read back by the
real extractor (``piao run`` on the DOCX, and on LibreOffice's PDF export of it), gives the same
record: every contract field of the plan, the objectives, their indicators and the allocation.

One difference is by design: the card printed without a number in the original ("OBIETTIVO N.")
is regenerated with its number, so its ``number_printed`` becomes true.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flows.cli import main
from flows.run import extract, process
from outputs.allegato import write_allegato
from pipeline.record import PlanRecord

ROOT = Path(__file__).resolve().parent.parent
PLAN_PDF = ROOT / "examples" / "chiari-2025.pdf"

PLAN_FIELDS = ("entity", "province", "period", "year", "strategic_weights", "categories")
BUDGET_FIELDS = ("total", "allocated", "reserve", "welfare")
BAND_FIELDS = ("label", "min", "max", "coefficient", "all_staff")
OBJECTIVE_FIELDS = ("number", "scope_line", "kind", "title", "timeframe", "threshold_pct", "staff_text",
                    "staff_count", "description", "phases", "activities", "verification")
INDICATOR_FIELDS = ("name", "target", "target_value", "weight_pct", "activity")
ALLOCATION_FIELDS = ("objective", "strategic_level", "strategic_weight", "staff_count",
                     "staff_coefficient", "points", "amount_eur")


def _extract(path: Path) -> PlanRecord:
    return extract(path)


def _same(a, b, fold_space: bool) -> bool:
    if isinstance(a, str) and isinstance(b, str) and fold_space:
        # A PDF's text layer breaks prose into lines; only where the words are joined may differ.
        return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)
    return a == b


def differences(got: PlanRecord, want: PlanRecord, fold_space: bool = False) -> list[str]:
    """One line per contract field of ``got`` that differs from ``want``."""
    out: list[str] = []

    def check(where: str, a, b, fields):
        for f in fields:
            x, y = getattr(a, f), getattr(b, f)
            if not _same(x, y, fold_space):
                out.append(f"{where}.{f}: {x!r} != {y!r}")

    check("plan", got.plan, want.plan, PLAN_FIELDS)
    check("plan.budget", got.plan.budget, want.plan.budget, BUDGET_FIELDS)
    if len(got.plan.staff_bands) != len(want.plan.staff_bands):
        out.append(f"plan.staff_bands: {len(got.plan.staff_bands)} != {len(want.plan.staff_bands)}")
    for i, (a, b) in enumerate(zip(got.plan.staff_bands, want.plan.staff_bands)):
        check(f"plan.staff_bands[{i}]", a, b, BAND_FIELDS)
    if [o.number for o in got.objectives] != [o.number for o in want.objectives]:
        out.append(f"objective numbers: {[o.number for o in got.objectives]}")
    for a, b in zip(got.objectives, want.objectives):
        check(f"objective {b.number}", a, b, OBJECTIVE_FIELDS)
        if len(a.indicators) != len(b.indicators):
            out.append(f"objective {b.number}: {len(a.indicators)} indicators != {len(b.indicators)}")
        for i, (x, y) in enumerate(zip(a.indicators, b.indicators)):
            check(f"objective {b.number} indicator {i + 1}", x, y, INDICATOR_FIELDS)
    if len(got.allocations) != len(want.allocations):
        out.append(f"allocations: {len(got.allocations)} != {len(want.allocations)}")
    for a, b in zip(got.allocations, want.allocations):
        check(f"allocation {b.objective}", a, b, ALLOCATION_FIELDS)
    return out


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """The record of the original plan (as ``piao run`` makes it) and the Allegato written from it."""
    record = process(_extract(PLAN_PDF))
    path = tmp_path_factory.mktemp("roundtrip") / "allegato.docx"
    write_allegato(record, path)
    return record, path


def _piao_run(plan: Path, out: Path) -> PlanRecord:
    assert main(["run", str(plan), "--out", str(out), "--quiet"]) == 0
    return PlanRecord.from_json((out / "plan.json").read_text(encoding="utf-8"))


def _check_numbering(got: PlanRecord, want: PlanRecord) -> None:
    # The regenerated cards all print their number, the originally unnumbered one included.
    assert all(o.number_printed for o in got.objectives)
    unnumbered = [o.number for o in want.objectives if not o.number_printed]
    assert unnumbered, "the original plan has a card printed without its number"
    assert all(got.objective(n) is not None for n in unnumbered)


def test_the_comparison_is_not_empty(original):
    """The original's record knows what is compared: equal Nones would prove nothing."""
    record, _ = original
    plan = record.plan
    assert all(getattr(plan, f) for f in PLAN_FIELDS) and plan.staff_bands
    assert all(getattr(plan.budget, f) is not None for f in BUDGET_FIELDS)
    prose = ("title", "timeframe", "staff_text", "description", "phases", "activities", "verification")
    assert all(getattr(o, f) for o in record.objectives for f in prose)
    assert all(i.name and i.activity and i.weight_pct is not None
               for o in record.objectives for i in o.indicators)
    assert record.allocations and all(a.amount_eur is not None for a in record.allocations)


def test_allegato_docx_reads_back_the_same_record(original, tmp_path):
    record, allegato = original
    again = _piao_run(allegato, tmp_path / "out")
    _check_numbering(again, record)
    assert differences(again, record) == []


@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_allegato_through_libreoffice_pdf_reads_back_the_same_record(original, tmp_path):
    record, allegato = original
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(allegato)],
                   check=True, capture_output=True, timeout=180)
    again = _piao_run(tmp_path / "allegato.pdf", tmp_path / "out")
    _check_numbering(again, record)
    assert differences(again, record, fold_space=True) == []


def test_differences_sees_a_change(original):
    record, _ = original
    changed = record.model_copy(deep=True)
    changed.objectives[3].indicators[0].weight_pct = 99
    changed.objectives[5].phases = (changed.objectives[5].phases or "") + " (modificato)"
    changed.plan.categories = changed.plan.categories[:-1]
    found = differences(changed, record)
    assert len(found) == 3 and any("weight_pct" in d for d in found)


def test_render_of_the_runs_plan_json_gives_the_same_allegato(original, tmp_path):
    """`piao render` on the plan.json a run wrote regenerates the very same Allegato."""
    import zipfile

    from flows.run import render_plan

    record, allegato = original
    plan_json = tmp_path / "plan.json"
    plan_json.write_text(record.to_json(), encoding="utf-8")
    render_plan(plan_json, tmp_path / "out")

    def body(path):
        with zipfile.ZipFile(path) as z:
            return z.read("word/document.xml")

    assert body(tmp_path / "out" / "allegato.docx") == body(allegato)
