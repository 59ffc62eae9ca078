"""Split the allocated budget among objectives by the plan's own rule.

Each objective scores its weight times the coefficient of its staff band, and
``budget.allocated`` is shared in proportion to the scores. The weight is the plan's:
under ``"levels"`` weighting the weight of the objective's strategicità in the plan's table
(Strategico 40, Alta 1,4); under ``"points"`` the number the objective prints ("Peso
dell'obiettivo: 30/100"). Amounts are integer cents by the largest-remainder method, so they
add up exactly to the budget.

Where the inputs come from, in order of preference:

- the ``--classification`` file (the Segretario's decisions: a value given there wins over the
  plan's, and the checks record it as an info finding);
- strategicità: the plan's printed summary table, else the card itself (if the extractor found it
  there), else unknown;
- weight: the level's weight (levels), the objective's printed points (points);
- head-count: the summary table's "N. dipendenti", else the one counted on the card;
- coefficient: the plan's band table; a card whose staff is the whole staff takes the
  "tutto il personale" band; a head-count no band covers takes the next band up.

Amounts depend on the sum of all scores, so when any objective cannot be scored no amount is
known: every ``amount_eur`` stays ``None`` (and the checks say which objectives lack what).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from pipeline.italian import fold_words
from pipeline.classification import Decision
from pipeline.money import from_cents, to_cents
from pipeline.record import Allocation, Objective, PlanRecord, StaffBand, SummaryRow

Score = int | float | Decimal | Fraction
#: What ``--classification`` gives per objective: a strategicità (the original form) or a Decision.
Classification = Mapping[int, "str | Decision"]


# --------------------------------------------------------------------------- apportionment


def _exact(value: Score) -> Fraction:
    if isinstance(value, float):
        return Fraction(repr(value))  # the decimal the float was meant to be (0.1 -> 1/10)
    return Fraction(value)


def apportion_cents(total_cents: int, scores: Sequence[Score]) -> list[int]:
    """Split ``total_cents`` in proportion to ``scores`` by the largest-remainder method.

    Each share is the floor of its exact quota; the cents left over go one each to the largest
    remainders, ties broken by position (callers list objectives by number). The result adds up
    exactly to ``total_cents``, each share is within one cent of its exact quota, and a higher
    score never gets less. Computed in exact fractions: no float error.
    """
    if total_cents < 0:
        raise ValueError("total_cents must not be negative")
    exact = [_exact(s) for s in scores]
    if any(s < 0 for s in exact):
        raise ValueError("scores must not be negative")
    weight_sum = sum(exact, Fraction(0))
    if total_cents == 0:
        return [0] * len(exact)
    if weight_sum == 0:
        raise ValueError("at least one score must be positive")
    quotas = [total_cents * s / weight_sum for s in exact]
    shares = [q.numerator // q.denominator for q in quotas]
    left = total_cents - sum(shares)
    by_remainder = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - shares[i]), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


# --------------------------------------------------------------------------- strategicità


def fold(text: str) -> str:
    """Lower case, no accents, words only: ``"1. Una-Tantum"`` -> ``"una tantum"``."""
    return re.sub(r"^\d+\s+", "", fold_words(text))  # a leading list number ("1. strategico")


def _stem(folded: str) -> str:
    # Italian gender/number endings: strategico / strategica / strategici.
    return re.sub(r"[aeio]\b", "", folded)


def match_level(level: str | None, weights: Mapping[str, Score]) -> tuple[str, Score] | None:
    """The plan's (name, weight) for a strategicità as written anywhere, or None."""
    if not level or not weights:
        return None
    wanted = fold(level)
    if not wanted:
        return None
    for name, weight in weights.items():
        if fold(name) == wanted:
            return name, weight
    stems = [(name, weight) for name, weight in weights.items() if _stem(fold(name)) == _stem(wanted)]
    return stems[0] if len(stems) == 1 else None


# --------------------------------------------------------------------------- staff bands

_WHOLE_STAFF = re.compile(
    r"\b(?:tutt[oaie]\s+(?:(?:il|i|le|gli|l)\s+)?(?:personale|dipendenti)"
    r"|(?:intero|l\s+intero)\s+personale|personale\s+tutto)\b"
)
#: After "tutto il personale": a qualifier that narrows it to part of the staff...
_NARROWING = re.compile(
    r"^\s*(?:\w+\s+){0,2}?(?:del|della|dello|dell|dei|degli|delle|di|da|presso|assegnat\w*"
    r"|appartenent\w*|afferent\w*|addett\w*|in\s+servizio)\s+(\w+)"
)
#: ...unless what follows names the whole entity.
_WHOLE_ENTITY = {"ente", "comune", "amministrazione", "struttura", "ogni", "tutti", "tutte", "tutto"}


def is_whole_staff(staff_text: str | None) -> bool:
    """Whether a card's staff line involves the whole staff ("Tutto il personale dipendente").

    "Tutto il personale del Comando di Polizia Locale" is part of the staff, not all of it.
    """
    if not staff_text:
        return False
    text = fold(staff_text)
    for match in _WHOLE_STAFF.finditer(text):
        rest = text[match.end():]
        narrowed = _NARROWING.match(rest)
        if narrowed is None or narrowed.group(1) in _WHOLE_ENTITY:
            return True
    return False


@dataclass(frozen=True)
class BandChoice:
    """The staff band an objective is priced at, and why."""

    band: StaffBand | None
    #: the head-count fell in no band and the next band up was taken
    fallback: bool = False
    #: priced at the whole-staff band because the card's staff is the whole staff
    whole_staff: bool = False


def choose_band(bands: Sequence[StaffBand], count: int | None, whole_staff: bool = False) -> BandChoice:
    """The plan's band for a head-count (or for the whole staff); next band up where none covers."""
    if whole_staff:
        band = next((b for b in bands if b.for_all_staff), None)
        if band is not None:
            return BandChoice(band, whole_staff=True)
    if count is None or count < 1:
        return BandChoice(None)
    covering = next((b for b in bands if b.covers(count)), None)
    if covering is not None:
        return BandChoice(covering)
    above = [b for b in bands if not b.for_all_staff and b.min is not None and b.min > count]
    if above:
        return BandChoice(min(above, key=lambda b: b.min), fallback=True)
    return BandChoice(None)


# --------------------------------------------------------------------------- scoring


@dataclass
class ObjectiveScore:
    """Everything the allocation decided for one objective (the checks read this too)."""

    objective: Objective
    number: int | None
    #: False when the objective is known only from the printed summary table (no card)
    card: bool = True
    level: str | None = None
    #: "plan" (summary table or card) or "classification"
    level_source: str | None = None
    weight: Score | None = None
    #: "plan" or "classification"
    weight_source: str | None = None
    staff_count: int | None = None
    #: "summary", "card" or "classification"
    staff_source: str | None = None
    band: BandChoice = field(default_factory=lambda: BandChoice(None))
    points: Fraction | None = None
    #: why the objective has no points (machine keys, see pipeline.checks.allocation_rules)
    missing: list[str] = field(default_factory=list)
    #: the classification file's note, if any
    note: str | None = None
    #: what the plan gives for the values taken from the classification file instead
    plan_values: dict[str, str | int | float | None] = field(default_factory=dict)


def summary_rows(record: PlanRecord) -> dict[int, SummaryRow]:
    """The printed summary table by objective number (first row wins)."""
    rows: dict[int, SummaryRow] = {}
    for row in record.plan.summary:
        if row.number is not None:
            rows.setdefault(row.number, row)
    return rows


def _ordered(objectives: Sequence[Objective]) -> list[Objective]:
    indexed = list(enumerate(objectives))
    indexed.sort(key=lambda p: (p[1].number is None, p[1].number or 0, p[0]))
    return [o for _, o in indexed]


def decisions(record: PlanRecord, classification: Classification | None = None) -> dict[int, Decision]:
    """The classification in force: the decisions an earlier allocation took from a file (kept in
    ``allocations``, so that ``piao render`` re-allocates the same way), overridden by the file
    given now. A bare strategicità stands for a Decision with that level only."""
    out: dict[int, Decision] = {}
    current = {o.number: o for o in record.objectives if o.number is not None}
    for a in record.allocations:
        if a.objective is None:
            continue
        # The objective keeps a level its card prints; one the file filled in and a user has
        # since edited by hand in plan.json (no longer the same) gives way to the edit.
        obj = current.get(a.objective)
        level_kept = a.strategic_level_source == "classification" and (
            obj is None or not obj.strategic_level or "strategic_level" in obj.field_pages
            or fold(obj.strategic_level) == fold(a.strategic_level or ""))
        kept = Decision(
            strategic_level=a.strategic_level if level_kept else None,
            staff_count=a.staff_count if a.staff_count_source == "classification" else None,
            objective_weight=a.objective_weight if a.objective_weight_source == "classification" else None,
            note=a.classification_note,
        )
        if not kept.is_empty():
            out[a.objective] = kept
    for number, given in (classification or {}).items():
        given = given if isinstance(given, Decision) else Decision(strategic_level=given)
        old = out.get(number, Decision())
        out[number] = Decision(
            strategic_level=given.strategic_level or old.strategic_level,
            staff_count=given.staff_count if given.staff_count is not None else old.staff_count,
            objective_weight=given.objective_weight if given.objective_weight is not None else old.objective_weight,
            note=given.note or old.note,
        )
    return out


def weighting(record: PlanRecord) -> str | None:
    """The plan's weighting: as read ("levels"/"points"), else what the record shows."""
    if record.plan.objective_weighting:
        return record.plan.objective_weighting
    if record.plan.strategic_weights:
        return "levels"
    if any(o.objective_weight is not None for o in record.objectives):
        return "points"
    return None


def score_objectives(record: PlanRecord, classification: Classification | None = None) -> list[ObjectiveScore]:
    """Score every objective (ordered by number) under the plan's own rules.

    An objective the printed summary lists but whose card is missing (a truncated scan, a card
    left out) still takes its share of the budget: it is scored from its summary row.
    """
    decided = decisions(record, classification)
    earlier = {a.objective: a for a in record.allocations if a.objective is not None}
    summary = summary_rows(record)
    weights = record.plan.strategic_weights
    rule = weighting(record)
    card_numbers = {o.number for o in record.objectives}
    summary_only = [
        Objective(number=n, scope_line=row.scope, title=row.title, pages=[row.page] if row.page else [])
        for n, row in summary.items()
        if n not in card_numbers
    ]
    scores = []
    for obj in _ordered([*record.objectives, *summary_only]):
        row = summary.get(obj.number) if obj.number is not None else None
        decision = decided.get(obj.number, Decision()) if obj.number is not None else Decision()
        s = ObjectiveScore(objective=obj, number=obj.number, card=obj.number in card_numbers,
                           note=decision.note)

        # strategicità: the classification file (a Segretario's decision wins), then the printed
        # summary table, then the card's own value (or one corrected by hand in plan.json).
        for level, source in (
            (decision.strategic_level, "classification"),
            (row.strategic_level if row else None, "plan"),
            (obj.strategic_level, "plan"),
        ):
            if level and level.strip():
                s.level, s.level_source = level.strip(), source
                break
        matched = match_level(s.level, weights)
        if matched:
            s.level = matched[0]

        # weight: the file's, else the plan's rule (the level's weight, or the printed points)
        if decision.objective_weight is not None:
            s.weight, s.weight_source = decision.objective_weight, "classification"
        elif rule == "points":
            printed = obj.objective_weight if obj.objective_weight is not None else (
                row.strategic_weight if row is not None else None)  # the card's, else the summary's
            if printed is not None:
                s.weight, s.weight_source = printed, "plan"
            else:
                s.missing.append("objective-weight")
        elif matched:
            s.weight, s.weight_source = matched[1], "plan"
        elif s.level is None and not weights and obj.objective_weight is not None:
            s.weight, s.weight_source = obj.objective_weight, "plan"
        elif s.level is None:
            s.missing.append("strategic-level")
        else:
            s.missing.append("strategic-weight")

        s.plan_values = _plan_values(record, obj, row, earlier.get(obj.number), rule)

        # head-count and band
        if decision.staff_count is not None:
            s.staff_count, s.staff_source = decision.staff_count, "classification"
        elif row is not None and row.staff_count is not None:
            s.staff_count, s.staff_source = row.staff_count, "summary"
        elif obj.staff_count is not None:
            s.staff_count, s.staff_source = obj.staff_count, "card"
        whole = is_whole_staff(obj.staff_text) and s.staff_source != "classification"
        s.band = choose_band(record.plan.staff_bands, s.staff_count, whole)
        if s.band.band is None:
            s.missing.append("staff-count" if s.staff_count is None else "staff-band")

        if s.weight is not None and s.band.band is not None:
            s.points = _exact(s.weight) * _exact(s.band.band.coefficient)
            if s.points < 0:
                s.missing.append("negative-points")
        scores.append(s)
    return scores


def _plan_values(record: PlanRecord, obj: Objective, row: SummaryRow | None, earlier: Allocation | None,
                 rule: str | None) -> dict[str, str | int | float | None]:
    """The plan's own strategicità, head-count and weight for an objective, whatever a
    classification file says (a level an earlier file filled into the objective is not the plan's)."""
    level = row.strategic_level if row is not None and row.strategic_level else None
    if level is None and obj.strategic_level:
        filled = (earlier is not None and earlier.strategic_level_source == "classification"
                  and "strategic_level" not in obj.field_pages
                  and fold(obj.strategic_level) == fold(earlier.strategic_level or ""))
        level = earlier.plan_values.get("strategic_level") if filled else obj.strategic_level  # type: ignore[union-attr, assignment]
    staff = row.staff_count if row is not None and row.staff_count is not None else obj.staff_count
    matched = match_level(level, record.plan.strategic_weights)  # type: ignore[arg-type]
    weight = obj.objective_weight if rule == "points" else (matched[1] if matched else None)
    if weight is None and rule != "points" and not record.plan.strategic_weights:
        weight = obj.objective_weight
    return {"strategic_level": level, "staff_count": staff,
            "objective_weight": _number(weight) if weight is not None else None}


def _number(value: Fraction | Score) -> int | float:
    value = _exact(value)
    return int(value) if value.denominator == 1 else float(value)


def allocate(record: PlanRecord, classification: Classification | None = None) -> PlanRecord:
    """Return a copy of the record with ``allocations`` filled; objectives that state no
    strategicità or weight of their own get the ones the allocation used."""
    scores = score_objectives(record, classification)
    allocated = record.plan.budget.allocated
    amounts: list[int] | None = None
    points = [s.points for s in scores]
    if (
        scores
        and allocated is not None
        and allocated >= 0
        and all(p is not None and p >= 0 for p in points)
        and sum(points) > 0
    ):
        amounts = apportion_cents(to_cents(allocated), points)  # type: ignore[arg-type]

    allocations = []
    used: dict[int, ObjectiveScore] = {}
    for i, s in enumerate(scores):
        band = s.band.band
        weight = _number(s.weight) if s.weight is not None else None
        allocations.append(
            Allocation(
                objective=s.number,
                strategic_level=s.level,
                strategic_weight=weight,
                objective_weight=weight,
                staff_count=s.staff_count,
                staff_coefficient=_number(band.coefficient) if band is not None else None,
                points=_number(s.points) if s.points is not None else None,
                amount_eur=from_cents(amounts[i]) if amounts is not None else None,
                scope=s.objective.scope_line,
                strategic_level_source=s.level_source if s.level is not None else None,
                staff_band=band.label if band is not None else None,
                staff_count_source=s.staff_source,
                objective_weight_source=s.weight_source,
                classification_note=s.note,
                plan_values={k: v for k, v in s.plan_values.items()
                             if (k, "classification") in {("strategic_level", s.level_source),
                                                          ("staff_count", s.staff_source),
                                                          ("objective_weight", s.weight_source)}},
            )
        )
        if s.number is not None:
            used[s.number] = s
    objectives = []
    for o in record.objectives:
        s = used.get(o.number) if o.number is not None else None
        update: dict = {}
        if s is not None:
            # The card's own printed values stay (the allocation's carry the decisions); the
            # summary or the file fills a level the card leaves out; the plan's rule a weight.
            printed = "strategic_level" in o.field_pages
            if s.level is not None and (not o.strategic_level or (s.level_source == "classification" and not printed)):
                update["strategic_level"] = s.level
            if s.weight is not None and o.objective_weight is None and s.weight_source == "plan":
                update["objective_weight"] = _number(s.weight)
        objectives.append(o.model_copy(update=update) if update else o)
    return record.model_copy(update={"allocations": allocations, "objectives": objectives})


# --------------------------------------------------------------------------- totals

_AREA_START = re.compile(r"\s*(?:/|\bAREA\b|\bAREE\b)", re.IGNORECASE)


def settore_of(scope: str | None, kind: str | None = None) -> str:
    """The settore part of a card's scope line ("SETTORE TERRITORIO / AREA X" -> "SETTORE TERRITORIO").

    Objectives assigned to the whole structure or to several settori are grouped by their kind.
    """
    if kind == "generale":
        return "Obiettivi generali"
    if kind == "intersettoriale":
        return "Obiettivi intersettoriali"
    if not scope:
        return "Non indicato"
    head = _AREA_START.split(scope, maxsplit=1)[0]
    head = re.sub(r"[\s\-–—/,]+$", "", head).strip()
    return head or scope.strip()


@dataclass
class ScopeTotal:
    """Total points and money of the objectives booked to one settore or settore/area."""

    scope: str
    objectives: list[int | None]
    points: float | None
    amount_eur: float | None


def totals_by_scope(record: PlanRecord, by: str = "scope") -> list[ScopeTotal]:
    """Totals per settore/area (``by="scope"``: the card's scope line) or per settore
    (``by="settore"``), in order of each group's first objective. Sums are exact (cents)."""
    if by not in ("scope", "settore"):
        raise ValueError("by must be 'scope' or 'settore'")
    kinds = {o.number: o.kind for o in record.objectives}
    groups: dict[str, tuple[str, list[Allocation]]] = {}
    for a in record.allocations:
        label = a.scope if by == "scope" else settore_of(a.scope, kinds.get(a.objective))
        label = label or "Non indicato"
        groups.setdefault(fold(label), (label, []))[1].append(a)
    totals = []
    for label, items in groups.values():
        pts = [a.points for a in items]
        amounts = [a.amount_eur for a in items]
        totals.append(
            ScopeTotal(
                scope=label,
                objectives=[a.objective for a in items],
                points=_number(sum(_exact(p) for p in pts)) if all(p is not None for p in pts) else None,
                amount_eur=from_cents(sum(to_cents(x) for x in amounts))
                if all(x is not None for x in amounts)
                else None,
            )
        )
    return totals
