"""What changed between two plans (usually two years of one entity), whatever their numbering.

:func:`compare_plans` pairs the objectives of the old and the new record on what they say —
title, description and indicator names by text similarity, plus the printed code and the scope
line (weights and threshold in ``compare.yaml``) — one to one, best pairs first. Each pair lists
the fields that differ; objectives left unpaired are removed (old) or added (new). The plan's
rules (strategicità weights, staff bands, budget, threshold rule) are compared too.

A change in an objective's amount counts as a change *of that objective* only when its own score
(``points``: weight x staff coefficient) changed; an amount that moved because the budget or the
other objectives changed shows in the amount columns and in the plan rules, not as a change of
every card.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from pipeline.money import to_cents
from pipeline.record import Allocation, Objective, PlanRecord

Change = Literal["added", "removed", "changed", "unchanged"]

#: changes.csv: the contract's columns first, then additions.
CHANGE_COLUMNS = [
    "change", "old_number", "new_number", "fields", "similarity",
    "renumbered", "old_code", "new_code", "old_title", "new_title", "old_amount_eur", "new_amount_eur",
    "old_year", "new_year", "old_sha256", "new_sha256",
]
RULE_COLUMNS = ["rule", "old", "new", "old_year", "new_year"]


@lru_cache(maxsize=1)
def settings() -> dict[str, Any]:
    return yaml.safe_load(Path(__file__).with_name("compare.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class ObjectiveChange:
    change: Change
    old: Objective | None
    new: Objective | None
    similarity: float | None = None
    fields: list[FieldChange] = field(default_factory=list)
    old_amount_eur: float | None = None
    new_amount_eur: float | None = None

    @property
    def old_number(self) -> int | None:
        return self.old.number if self.old else None

    @property
    def new_number(self) -> int | None:
        return self.new.number if self.new else None


@dataclass
class Comparison:
    old: PlanRecord
    new: PlanRecord
    objectives: list[ObjectiveChange]
    rules: list[FieldChange]

    def counts(self) -> dict[str, int]:
        kinds = [c.change for c in self.objectives]
        return {k: kinds.count(k) for k in ("added", "removed", "changed", "unchanged")}

    def changes_frame(self) -> pd.DataFrame:
        """``changes.csv``: one row per pair or unmatched objective."""
        rows = [{
            "change": c.change,
            "old_number": c.old_number,
            "new_number": c.new_number,
            "fields": ";".join(f.field for f in c.fields),
            "similarity": None if c.similarity is None else round(c.similarity, 3),
            "renumbered": (c.old_number != c.new_number) if c.old and c.new else None,
            "old_code": c.old.code if c.old else None,
            "new_code": c.new.code if c.new else None,
            "old_title": c.old.title if c.old else None,
            "new_title": c.new.title if c.new else None,
            "old_amount_eur": c.old_amount_eur,
            "new_amount_eur": c.new_amount_eur,
            "old_year": self.old.plan.year,
            "new_year": self.new.plan.year,
            "old_sha256": self.old.source.sha256,
            "new_sha256": self.new.source.sha256,
        } for c in self.objectives]
        df = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
        for col in ("old_number", "new_number", "old_year", "new_year"):
            df[col] = df[col].astype("Int64")
        df["renumbered"] = df["renumbered"].astype("boolean")
        for col in ("similarity", "old_amount_eur", "new_amount_eur"):
            df[col] = df[col].astype(object).where(df[col].notna(), None)
        return df

    def rules_frame(self) -> pd.DataFrame:
        """``plan_changes.csv``: one row per plan rule that changed (values as JSON-like text)."""
        rows = [{"rule": r.field, "old": _text(r.old), "new": _text(r.new),
                 "old_year": self.old.plan.year, "new_year": self.new.plan.year} for r in self.rules]
        df = pd.DataFrame(rows, columns=RULE_COLUMNS)
        for col in ("old_year", "new_year"):
            df[col] = df[col].astype("Int64")
        return df


def _text(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return value


# ------------------------------------------------------------------------------ similarity


def normalize(text: str | None) -> str:
    """Lower case, no accents, no punctuation, single spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.findall(r"\w+", text))


def text_similarity(a: str | None, b: str | None) -> float | None:
    """0..1: mean of the character-sequence ratio and the word-set overlap; None if one is empty."""
    a, b = normalize(a), normalize(b)
    if not a or not b:
        return None
    wa, wb = set(a.split()), set(b.split())
    jaccard = len(wa & wb) / len(wa | wb)
    return (SequenceMatcher(None, a, b, autojunk=False).ratio() + jaccard) / 2


def _indicator_text(o: Objective) -> str:
    return " ".join(i.name or "" for i in o.indicators)


def similarity(old: Objective, new: Objective) -> float:
    """How likely two objectives are the same one, 0..1 (``compare.yaml``)."""
    cfg = settings()["similarity"]
    parts = [
        (cfg["title"], text_similarity(old.title, new.title)),
        (cfg["description"], text_similarity(old.description, new.description)),
        (cfg["indicators"], text_similarity(_indicator_text(old), _indicator_text(new))),
    ]
    known = [(w, s) for w, s in parts if s is not None]
    score = sum(w * s for w, s in known) / sum(w for w, _ in known) if known else 0.0
    if old.code and new.code and normalize(old.code) == normalize(new.code):
        score += cfg["same_code_bonus"]
    if old.scope_line and new.scope_line and normalize(old.scope_line) == normalize(new.scope_line):
        score += cfg["same_scope_bonus"]
    return min(score, 1.0)


def match(old: list[Objective], new: list[Objective]) -> list[tuple[int, int, float]]:
    """One-to-one pairs (old index, new index, similarity), best first, above the minimum."""
    minimum = settings()["similarity"]["minimum"]
    scored = sorted(
        ((similarity(o, n), i, j) for i, o in enumerate(old) for j, n in enumerate(new)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs = []
    for score, i, j in scored:
        if score < minimum:
            break
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        pairs.append((i, j, score))
    return pairs


# ------------------------------------------------------------------------------ differences


def _field_values(o: Objective) -> dict[str, Any]:
    return {
        **{name: getattr(o, name) for name in (
            "title", "description", "scope_line", "kind", "code", "timeframe", "threshold_pct",
            "staff_count", "staff_text", "strategic_level", "objective_weight")},
        "indicators": [i.name for i in o.indicators],
        "indicator_weights": [i.weight_pct for i in o.indicators],
        "indicator_targets": [i.target for i in o.indicators],
    }


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()) == " ".join(b.split())
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 1e-9
    return a == b


def objective_fields(old: Objective, new: Objective,
                     old_alloc: Allocation | None = None, new_alloc: Allocation | None = None) -> list[FieldChange]:
    """The fields that differ between two versions of one objective (names as in compare.yaml)."""
    a, b = _field_values(old), _field_values(new)
    changes = [FieldChange(k, a[k], b[k]) for k in a if not _same(a[k], b[k])]
    old_amount = old_alloc.amount_eur if old_alloc else None
    new_amount = new_alloc.amount_eur if new_alloc else None
    old_points = old_alloc.points if old_alloc else None
    new_points = new_alloc.points if new_alloc else None
    amounts_differ = (old_amount is None) != (new_amount is None) or (
        old_amount is not None and new_amount is not None and to_cents(old_amount) != to_cents(new_amount))
    if amounts_differ and (old_points is None or new_points is None or not _same(old_points, new_points)):
        changes.append(FieldChange("amount_eur", old_amount, new_amount))
    return changes


def _rules(record: PlanRecord) -> dict[str, Any]:
    p = record.plan
    return {
        "objective_weighting": p.objective_weighting,
        "strategic_weights": dict(p.strategic_weights),
        "staff_bands": [{"label": b.label, "min": b.min, "max": b.max, "coefficient": b.coefficient}
                        for b in p.staff_bands],
        "budget_total": p.budget.total,
        "budget_allocated": p.budget.allocated,
        "budget_reserve": p.budget.reserve,
        "budget_welfare": p.budget.welfare,
        "threshold_default_pct": p.threshold.default_pct,
        "threshold_bands": [b.model_dump() for b in p.threshold.bands],
        "prerequisites": list(p.prerequisites),
    }


def rule_changes(old: PlanRecord, new: PlanRecord) -> list[FieldChange]:
    a, b = _rules(old), _rules(new)
    return [FieldChange(k, a[k], b[k]) for k in a if not _same(a[k], b[k])]


def _allocation_by_card(record: PlanRecord) -> dict[int, Allocation]:
    """Allocation per card index (allocations follow the cards, matched by number)."""
    by_number: dict[int | None, Allocation] = {}
    for a in record.allocations:
        by_number.setdefault(a.objective, a)
    return {k: by_number[o.number] for k, o in enumerate(record.objectives) if o.number in by_number}


def compare_plans(old: PlanRecord, new: PlanRecord) -> Comparison:
    """Pair the objectives of ``old`` and ``new`` and say what changed, added and removed."""
    pairs = match(old.objectives, new.objectives)
    old_alloc, new_alloc = _allocation_by_card(old), _allocation_by_card(new)
    paired_old = {i for i, _, _ in pairs}
    paired_new = {j: (i, s) for i, j, s in pairs}
    changes: list[ObjectiveChange] = []
    for j, n in enumerate(new.objectives):  # in the new plan's order
        na = new_alloc.get(j)
        if j not in paired_new:
            changes.append(ObjectiveChange("added", None, n, new_amount_eur=na.amount_eur if na else None))
            continue
        i, score = paired_new[j]
        oa = old_alloc.get(i)
        diff = objective_fields(old.objectives[i], n, oa, na)
        changes.append(ObjectiveChange(
            "changed" if diff else "unchanged", old.objectives[i], n, score, diff,
            oa.amount_eur if oa else None, na.amount_eur if na else None))
    for i, o in enumerate(old.objectives):
        if i not in paired_old:
            oa = old_alloc.get(i)
            changes.append(ObjectiveChange("removed", o, None, old_amount_eur=oa.amount_eur if oa else None))
    return Comparison(old, new, changes, rule_changes(old, new))
