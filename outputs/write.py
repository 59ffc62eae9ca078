"""Write every output file for one record (stub: plan.json only, to be made atomic)."""

from __future__ import annotations

from pathlib import Path

from pipeline.record import PlanRecord


def write_outputs(record: PlanRecord, out_dir: str | Path) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "plan.json").write_text(record.to_json(), encoding="utf-8")
