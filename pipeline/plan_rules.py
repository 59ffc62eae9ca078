"""Apply the plan-level rules to the objectives, once the cards are parsed.

The front part of a plan states rules that hold for every card unless the card says otherwise
(contract, additions of 2026-12-07):

- ``plan.threshold.default_pct``: the soglia of every card that prints none of its own
  (``objectives[].threshold_pct`` is always the one in force);
- ``plan.strategic_weights`` under ``"levels"`` weighting: an objective's ``objective_weight`` is
  its level's weight; under ``"points"`` it is the number the card prints (filled by the card
  reader, left as it is here).

A plain function over the record: it never overwrites what a card states.
"""

from __future__ import annotations

from pipeline.allocation import match_level
from pipeline.record import Number, Objective, PlanRecord


def threshold_in_force(record: PlanRecord, objective: Objective) -> Number | None:
    """The card's own soglia, else the plan's default one, else None."""
    if objective.threshold_pct is not None:
        return objective.threshold_pct
    return record.plan.threshold.default_pct


def level_weight(record: PlanRecord, objective: Objective) -> Number | None:
    """The weight of the objective's level in the plan's table (None when it has no level or the
    table does not list it)."""
    matched = match_level(objective.strategic_level, record.plan.strategic_weights)
    return matched[1] if matched else None


def apply_plan_rules(record: PlanRecord) -> PlanRecord:
    """A copy of the record whose objectives carry the plan-level threshold and weight where the
    card states none. Idempotent."""
    plan = record.plan
    default = plan.threshold.default_pct
    objectives = []
    for o in record.objectives:
        update: dict = {}
        if o.threshold_pct is None and default is not None:
            update["threshold_pct"] = default
            if plan.threshold.page is not None:
                update["field_pages"] = {**o.field_pages, "threshold_pct": plan.threshold.page}
        if o.objective_weight is None and plan.objective_weighting != "points":
            weight = level_weight(record, o)
            if weight is not None:
                update["objective_weight"] = weight
        objectives.append(o.model_copy(update=update) if update else o)
    if plan.objective_weighting is None and not plan.strategic_weights and objectives \
            and all(o.objective_weight is not None and o.strategic_level is None for o in objectives):
        # the front part names no weighting, but every card prints its own points and none a
        # level: the plan weights by points
        plan = plan.model_copy(update={"objective_weighting": "points"})
    return record.model_copy(update={"objectives": objectives, "plan": plan})
