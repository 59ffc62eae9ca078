"""Records for the year-end tests: Chiari from a real ``piao run`` of its PDF, Valmorena built by
hand from its expected record and the amounts of its NOTES.md (its reader is not ready yet)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.record import Allocation, Indicator, Objective, Plan, PlanRecord, Source, Threshold, ThresholdBand

ROOT = Path(__file__).resolve().parent.parent
CHIARI_PDF = ROOT / "examples" / "chiari-2025.pdf"
FIXTURES = Path("/work/shared/fixtures")
VALMORENA_EXPECTED = FIXTURES / "valmorena-2025.expected.json"

#: Valmorena's amounts (NOTES.md, "Per card": not printed in the plan; € 27.450,00 x points / 540).
VALMORENA_AMOUNTS = {
    1: "1906.25", 2: "3050.00", 3: "1016.67", 4: "1016.67", 5: "3050.00", 6: "2223.96",
    7: "1270.83", 8: "2223.96", 9: "1588.54", 10: "3050.00", 11: "4193.75", 12: "2859.37",
}


def chiari_record() -> PlanRecord:
    """The record ``piao run`` makes of the Chiari PDF (read, allocated, checked)."""
    from flows.run import extract, process

    return process(extract(CHIARI_PDF))


def valmorena_record() -> PlanRecord:
    """Valmorena 2025 with its payout bands (≥ 90 full, 60-90 proportional, < 60 none) and
    the cards' own soglie (7: 80, 12: 70), from the expected record and NOTES.md."""
    data = json.loads(VALMORENA_EXPECTED.read_text(encoding="utf-8"))
    p = data["plan"]
    plan = Plan(
        entity=p["entity"], province=p["province"], title=p["title"], period=p["period"], year=p["year"],
        budget=p["budget"], strategic_weights={}, objective_weighting="points",
        staff_bands=p["staff_bands"],
        threshold=Threshold(default_pct=60, bands=[
            ThresholdBand(min_pct=90, max_pct=None, payout="full"),
            ThresholdBand(min_pct=60, max_pct=90, payout="proportional"),
            ThresholdBand(min_pct=None, max_pct=60, payout="none"),
        ]),
    )
    objectives = []
    for o in data["objectives"]:
        objectives.append(Objective(
            number=o["number"], scope_line=o["scope_line"], kind=o["kind"], title=o["title"],
            timeframe=o["timeframe"], threshold_pct=o["threshold_pct"], staff_text=o["staff_text"],
            staff_count=o["staff_count"], objective_weight=o["objective_weight"], pages=[o["number"] + 3],
            indicators=[Indicator(**i) for i in o["indicators"]],
        ))
    allocations = [Allocation(objective=n, objective_weight=objectives[n - 1].objective_weight,
                              amount_eur=float(a)) for n, a in VALMORENA_AMOUNTS.items()]
    return PlanRecord(source=Source(file="valmorena-2025.pdf", sha256="ab" * 32, pages=19),
                      plan=plan, objectives=objectives, allocations=allocations)


def write_csv(path: Path, rows: list[tuple], header: str = "obiettivo,indicatore,valore_rilevato,raggiunto") -> Path:
    """A results CSV; each row a tuple of cells (None -> empty)."""
    def cell(v) -> str:
        text = "" if v is None else str(v)
        return f'"{text}"' if ("," in text or '"' in text) else text

    path.write_text("\n".join([header, *(",".join(cell(v) for v in r) for r in rows)]) + "\n", encoding="utf-8")
    return path
