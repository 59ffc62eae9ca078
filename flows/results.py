"""Year end as plain function calls: plan.json + results file -> results -> files.

This is what ``piao results`` executes; the Prefect flows in :mod:`flows.results_flow` wrap
exactly these stage functions as tasks.
"""

from __future__ import annotations

from pathlib import Path

from extractors.results_file import read_results
from outputs.risultati import RESULTS_WRITERS
from outputs.schema import load_plan
from outputs.write import write_outputs
from pipeline.record import PlanRecord
from pipeline.results import ResultsFile, apply_results

#: What ``piao results`` treats as a results file in a folder (batch form).
RESULTS_SUFFIXES = (".csv", ".xlsx")


def read_inputs(plan_json: str | Path, results_path: str | Path) -> tuple[PlanRecord, ResultsFile]:
    """The validated record and the results file read against it (InputError when unusable)."""
    record = load_plan(plan_json)
    return record, read_results(results_path, record)


def apply(record: PlanRecord, results: ResultsFile) -> PlanRecord:
    """Achievement and payout per objective (pure)."""
    return apply_results(record, results)


def write(record: PlanRecord, out_dir: str | Path) -> list[Path]:
    """plan.json, payouts.csv, risultati.xlsx, relazione.docx into ``out_dir``, all or nothing."""
    return write_outputs(record, out_dir, writers=RESULTS_WRITERS)


def results_plan(plan_json: str | Path, results_path: str | Path, out_dir: str | Path) -> PlanRecord:
    """The whole year-end stage on one plan; every output lands in ``out_dir`` or none does."""
    record = apply(*read_inputs(plan_json, results_path))
    write(record, out_dir)
    return record


def results_pairs(plans_dir: str | Path, results_dir: str | Path) -> list[tuple[str, Path, Path]]:
    """(stem, plan.json, results file) for each results file ``STEM.csv|xlsx`` of ``results_dir``
    whose plan is ``plans_dir/STEM/plan.json`` (the layout ``piao batch`` writes)."""
    from pipeline.errors import InputError

    files = sorted(p for p in Path(results_dir).iterdir()
                   if p.suffix.lower() in RESULTS_SUFFIXES and not p.name.startswith((".", "~$")))
    stems = [p.stem for p in files]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        raise InputError(str(results_dir), f"più file di risultati per lo stesso piano: {', '.join(twice)}")
    if not files:
        raise InputError(str(results_dir), "nessun file di risultati (.csv, .xlsx) nella cartella")
    return [(p.stem, Path(plans_dir) / p.stem / "plan.json", p) for p in files]
