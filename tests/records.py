"""Records for tests that do not need the extractor: built from the expected extraction."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.record import Indicator, Objective, Plan, PlanRecord, Source

DATA = Path(__file__).parent / "data"
EXPECTED = DATA / "chiari-2025.expected.json"


def expected_record() -> PlanRecord:
    """The expected extraction of the Chiari plan as a PlanRecord (no findings, no allocations)."""
    raw = json.loads(EXPECTED.read_text(encoding="utf-8"))
    plan = Plan.model_validate(raw["plan"])
    objectives = [
        Objective(**{k: v for k, v in o.items() if k != "indicators"},
                  indicators=[Indicator(**i) for i in o["indicators"]])
        for o in raw["objectives"]
    ]
    return PlanRecord(
        source=Source(file="chiari-2025.pdf", sha256="0" * 64, pages=49),
        plan=plan,
        objectives=objectives,
    )
