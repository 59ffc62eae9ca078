"""Rules over the allocation: printed amounts against the plan's own rules, and what is missing.

Messages and severities: ``messages_allocation.yaml``. The rules read ``record.allocations``
(filled by :func:`pipeline.allocation.allocate`) and, where they need to know why, re-score the
objectives with the same functions the allocation used.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.allocation import ObjectiveScore, allocate, fold, score_objectives
from pipeline.checks import RuleHit, rule
from pipeline.formatting import format_eur, format_number
from pipeline.money import to_cents
from pipeline.record import Allocation, PlanRecord, SummaryRow


def _allocations(record: PlanRecord) -> list[Allocation]:
    if record.allocations or not record.objectives:
        return record.allocations
    return allocate(record).allocations


def _scores(record: PlanRecord) -> list[ObjectiveScore]:
    """Re-score with the decisions the allocation took from the classification file (kept in
    ``record.allocations``)."""
    return score_objectives(record)


def _label(number: int | None) -> str:
    return str(number) if number is not None else "senza numero"


def _count_text(n: int) -> str:
    return "l'obiettivo" if n == 1 else f"{n} obiettivi"


def _summary_page(record: PlanRecord) -> int | None:
    pages = [r.page for r in record.plan.summary if r.page is not None]
    return record.plan.pages.get("summary_total") or (max(pages) if pages else record.plan.pages.get("summary"))


def printed_vs_computed(record: PlanRecord, allocations: list[Allocation] | None = None,
                        ) -> list[tuple[SummaryRow, Allocation, int]]:
    """Each summary row with a printed amount, its computed allocation and the difference in cents
    (printed - computed); more than one cent is an ``allocation-mismatch``."""
    allocations = _allocations(record) if allocations is None else allocations
    computed = {a.objective: a for a in allocations if a.objective is not None}
    out = []
    for row in record.plan.summary:
        alloc = computed.get(row.number) if row.number is not None else None
        if row.amount_eur is None or alloc is None or alloc.amount_eur is None:
            continue
        out.append((row, alloc, to_cents(row.amount_eur) - to_cents(alloc.amount_eur)))
    return out


@rule("allocation-mismatch")
def allocation_mismatch(record: PlanRecord) -> Iterator[RuleHit]:
    """Every printed amount more than a cent away from the computed one; a wrong printed total."""
    for row, alloc, diff in printed_vs_computed(record, _allocations(record)):
        if abs(diff) <= 1:
            continue
        values = {
            "objective": _label(row.number),
            "printed": format_eur(row.amount_eur),
            "computed": format_eur(alloc.amount_eur),
            "difference": format_eur(diff / 100),
        }
        variant = None
        if (
            row.points is not None
            and alloc.points is not None
            and abs(to_cents(row.points) - to_cents(alloc.points)) > 0
            and alloc.strategic_weight is not None
            and alloc.staff_coefficient is not None
        ):
            variant = "points"
            values |= {
                "printed_points": format_number(row.points),
                "computed_points": format_number(alloc.points),
                "weight": format_number(alloc.strategic_weight),
                "coefficient": format_number(alloc.staff_coefficient),
            }
        yield RuleHit(objective=row.number, page=row.page, values=values, variant=variant)

    printed_total = record.plan.summary_total_eur
    allocated = record.plan.budget.allocated
    if printed_total is None:
        return
    if allocated is not None and to_cents(printed_total) != to_cents(allocated):
        yield RuleHit(
            page=_summary_page(record),
            variant="total",
            values={
                "printed": format_eur(printed_total),
                "allocated": format_eur(allocated),
                "difference": format_eur((to_cents(printed_total) - to_cents(allocated)) / 100),
            },
        )
    amounts = [r.amount_eur for r in record.plan.summary]
    if amounts and all(a is not None for a in amounts):
        printed_sum = sum(to_cents(a) for a in amounts)  # type: ignore[arg-type]
        if printed_sum != to_cents(printed_total):
            yield RuleHit(
                page=_summary_page(record),
                variant="sum",
                severity="warning",
                values={
                    "printed_sum": format_eur(printed_sum / 100),
                    "printed": format_eur(printed_total),
                    "difference": format_eur((printed_sum - to_cents(printed_total)) / 100),
                },
            )


def _example_level(record: PlanRecord) -> str:
    weights = record.plan.strategic_weights
    return next(iter(weights)) if weights else "strategico"


@rule("strategic-level-missing")
def strategic_level_missing(record: PlanRecord) -> Iterator[RuleHit]:
    """Objectives without a strategicità, or with one the plan's weight table does not list."""
    scores = _scores(record)
    missing = [s for s in scores if "strategic-level" in s.missing]
    if missing:
        yield RuleHit(
            page=record.plan.pages.get("summary") or record.plan.pages.get("strategic_weights"),
            values={
                "count_text": _count_text(len(missing)),
                "objectives": ", ".join(_label(s.number) for s in missing),
                "example_number": missing[0].number if missing[0].number is not None else 1,
                "example_level": _example_level(record),
            },
        )
    unknown = [s for s in scores if "strategic-weight" in s.missing]
    if unknown:
        allowed = ", ".join(record.plan.strategic_weights) or "nessuno (tabella dei pesi non trovata)"
        yield RuleHit(
            page=record.plan.pages.get("strategic_weights"),
            variant="unknown",
            values={
                "count_text": _count_text(len(unknown)),
                "objectives": ", ".join(f"{_label(s.number)} («{s.level}»)" for s in unknown),
                "allowed": allowed,
            },
        )


@rule("staff-band-fallback")
def staff_band_fallback(record: PlanRecord) -> Iterator[RuleHit]:
    """A head-count no band covers: priced at the next band up (or at none, if none is above)."""
    for s in _scores(record):
        if s.staff_count is None or s.staff_count < 1 or s.band.whole_staff:
            continue
        page = s.objective.page_of("staff_count") if s.staff_source == "card" else None
        if page is None:
            page = record.plan.pages.get("staff_bands")
        if s.band.fallback and s.band.band is not None:
            yield RuleHit(
                objective=s.number,
                page=page,
                values={
                    "objective": _label(s.number),
                    "count": s.staff_count,
                    "band": s.band.band.label,
                    "coefficient": format_number(s.band.band.coefficient),
                },
            )
        elif s.band.band is None and record.plan.staff_bands:
            yield RuleHit(
                objective=s.number,
                page=page,
                variant="none",
                values={"objective": _label(s.number), "count": s.staff_count},
            )


_REASONS = {
    "strategic-level": "strategicità non indicata",
    "strategic-weight": "strategicità non prevista dalla tabella dei pesi",
    "staff-count": "numero di dipendenti non indicato né contabile dalla scheda",
    "staff-band": "nessuna fascia del personale applicabile",
    "objective-weight": "peso dell'obiettivo non indicato",
    "negative-points": "punteggio negativo",
}


@rule("allocation-incomplete")
def allocation_incomplete(record: PlanRecord) -> Iterator[RuleHit]:
    """Why no amount could be computed (the budget or some objective's score is unknown)."""
    if not record.objectives:
        return
    allocations = _allocations(record)
    if allocations and all(a.amount_eur is not None for a in allocations):
        return
    budget = record.plan.budget
    if budget.allocated is None:
        if budget.total is not None:  # a fund, but not the share of it the objectives split
            page = budget.page or record.plan.pages.get("budget")
            yield RuleHit(page=page, variant="total_only",
                          values={"total": format_eur(budget.total), "where": f" (pag. {page})" if page else ""})
        else:
            yield RuleHit(page=budget.page, variant="budget")
        return
    scores = _scores(record)
    by_reason: dict[str, list[str]] = {}
    for s in scores:
        for reason in s.missing:
            by_reason.setdefault(reason, []).append(_label(s.number))
    details = [
        f"{_REASONS[reason]} per "
        + (f"l'obiettivo {numbers[0]}" if len(numbers) == 1 else f"gli obiettivi {', '.join(numbers)}")
        for reason, numbers in by_reason.items()
    ]
    if not details and scores and all(s.points == 0 for s in scores):
        details = ["tutti i punteggi sono nulli"]
    if details:
        yield RuleHit(page=_summary_page(record), values={"details": "; ".join(details)})


@rule("summary-coverage")
def summary_coverage(record: PlanRecord) -> Iterator[RuleHit]:
    """Summary rows without a card, and cards the summary table leaves out (when there is one)."""
    if not record.plan.summary:
        return
    cards = {o.number for o in record.objectives if o.number is not None}
    rows = {r.number: r for r in record.plan.summary if r.number is not None}
    for number in sorted(set(rows) - cards):
        yield RuleHit(objective=number, page=rows[number].page, values={"objective": number})
    for obj in record.objectives:
        if obj.number is not None and obj.number not in rows:
            yield RuleHit(objective=obj.number, page=obj.page_of("title"), variant="card",
                          values={"objective": obj.number})


def _said(value: object) -> str:
    if value is None:
        return "non indicato"
    if isinstance(value, float):
        return _num(value)
    return f"«{value}»" if isinstance(value, str) else str(value)


@rule("classification-applied")
def classification_applied(record: PlanRecord) -> Iterator[RuleHit]:
    """Every value the allocation took from the --classification file, beside the plan's own."""
    cards = {o.number: o for o in record.objectives if o.number is not None}
    for a in record.allocations:
        if a.objective is None:
            continue
        parts = []
        for key, source, label, value in (
            ("strategic_level", a.strategic_level_source, "strategicità", a.strategic_level),
            ("staff_count", a.staff_count_source, "dipendenti coinvolti", a.staff_count),
            ("objective_weight", a.objective_weight_source, "peso dell'obiettivo", a.objective_weight),
        ):
            if source != "classification":
                continue
            plan = a.plan_values.get(key)
            same = plan is not None and (fold(str(plan)) == fold(str(value)) if isinstance(plan, str)
                                         else value is not None and float(plan) == float(value))  # type: ignore[arg-type]
            parts.append(f"{label} {_said(value)} ({'uguale al piano' if same else 'nel piano: ' + _said(plan)})")
        if parts:
            card = cards.get(a.objective)
            note = f" Nota: {a.classification_note}" if a.classification_note else ""
            yield RuleHit(a.objective, card.page_of("title") if card else None,
                          {"objective": a.objective, "decisions": "; ".join(parts), "note": note})
