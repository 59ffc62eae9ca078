"""Rules over each objective card: weights, threshold, dates, quantities, staff, missing fields.

Each rule yields :class:`~pipeline.checks.RuleHit` with the figures its Italian message needs
(templates in ``messages.yaml``). Rules read the record only and never raise on odd values.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date

from pipeline.checks import RuleHit, rule
from pipeline.dates import DateSpan, Period, find_dates, fmt_date, parse_timeframe
from pipeline.formatting import format_number
from pipeline.plan_rules import threshold_in_force
from pipeline.quantities import Quantity, find_quantities, first_unit, generic_units
from pipeline.record import Indicator, Objective, PlanRecord

#: tolerance for percentages read from text: three weights printed as 33,33 add up to 99,99
EPS = 0.05


# ---------------------------------------------------------------- formatting helpers


def card_name(o: Objective) -> str:
    """How a message names a card: "Obiettivo n. 5", or by page when it has no number."""
    if o.number is not None:
        return f"Obiettivo n. {o.number}"
    page = o.page_of("title")
    return f"Obiettivo a pag. {page}" if page else "Obiettivo senza numero"


def join_it(items: list[str]) -> str:
    """["a", "b", "c"] -> "a, b e c"."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " e " + items[-1]


def short(text: str | None, limit: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _weights_text(indicators: list[Indicator]) -> str:
    return " + ".join(format_number(i.weight_pct) for i in indicators)


# ---------------------------------------------------------------- weights and threshold


@rule("weights-sum")
def weights_sum(record: PlanRecord) -> Iterator[RuleHit]:
    for o in record.objectives:
        if not o.indicators:
            continue  # missing-field reports it
        page = o.indicators[0].page or o.page_of("indicators")
        missing = [i for i in o.indicators if i.weight_pct is None]
        total = float(o.weights_total() or 0)
        if missing:
            names = join_it([f"«{short(i.name, 60)}»" for i in missing])
            count = "un indicatore" if len(missing) == 1 else f"{len(missing)} indicatori"
            yield RuleHit(o.number, page, {"card": card_name(o), "count_text": count,
                                            "names": names, "total": format_number(total)}, "missing")
        elif abs(total - 100) > EPS:
            yield RuleHit(o.number, page, {"card": card_name(o), "total": format_number(total),
                                            "weights": _weights_text(o.indicators)})


@rule("threshold-missing")
def threshold_missing(record: PlanRecord) -> Iterator[RuleHit]:
    for o in record.objectives:
        if threshold_in_force(record, o) is None:  # neither the card nor the plan states one
            yield RuleHit(o.number, o.page_of("threshold_pct"), {"card": card_name(o)})


@rule("threshold-range")
def threshold_range(record: PlanRecord) -> Iterator[RuleHit]:
    for o in record.objectives:
        t = o.threshold_pct
        if t is None:
            continue
        values = {"card": card_name(o), "threshold": format_number(t)}
        if t < 0 or t > 100:
            yield RuleHit(o.number, o.page_of("threshold_pct"), values)
        elif t == 0:
            yield RuleHit(o.number, o.page_of("threshold_pct"), values, "zero", "warning")


def achievable_sums(weights: list[float]) -> set[int]:
    """Every total (in hundredths of a percent) a subset of the weights can add up to."""
    sums = {0}
    for w in weights:
        step = round(w * 100)
        sums |= {s + step for s in sums}
    return sums


@rule("threshold-granularity")
def threshold_granularity(record: PlanRecord) -> Iterator[RuleHit]:
    for o in record.objectives:
        t = threshold_in_force(record, o)
        weights = [i.weight_pct for i in o.indicators]
        if t is None or not weights or any(w is None or w <= 0 for w in weights):
            continue
        total = round(sum(float(w) for w in weights) * 100)  # type: ignore[arg-type]
        threshold = round(float(t) * 100)
        if threshold <= 0 or threshold >= total:
            continue  # a 100% threshold asks for everything openly; nothing to flag
        partial = [s for s in achievable_sums([float(w) for w in weights]) if s < total]  # type: ignore[arg-type]
        if any(threshold <= s for s in partial):
            continue
        best = max(partial) if partial else 0
        yield RuleHit(o.number, o.page_of("threshold_pct"), {
            "card": card_name(o), "weights": _weights_text(o.indicators),
            "threshold": format_number(t), "best": format_number(best / 100),
        }, "single" if len(weights) == 1 else None)


# ---------------------------------------------------------------- staff and missing fields


@rule("staff-uncountable")
def staff_uncountable(record: PlanRecord) -> Iterator[RuleHit]:
    for o in record.objectives:
        if o.staff_count is None and o.staff_text and o.staff_text.strip():
            yield RuleHit(o.number, o.page_of("staff_text"),
                          {"card": card_name(o), "staff": short(o.staff_text, 160)})


_FIELD_NAMES = {
    "title": "il titolo dell'obiettivo",
    "indicators": "la tabella degli indicatori",
    "threshold_pct": "la soglia minima del risultato atteso",
    "staff_text": "l'indicazione del personale coinvolto",
}


@rule("missing-field")
def missing_field(record: PlanRecord) -> Iterator[RuleHit]:
    for o in record.objectives:
        missing = []
        if not (o.title and o.title.strip()):
            missing.append("title")
        if not o.indicators:
            missing.append("indicators")
        if threshold_in_force(record, o) is None:
            missing.append("threshold_pct")
        if not (o.staff_text and o.staff_text.strip()) and o.staff_count is None:
            missing.append("staff_text")
        if not missing:
            continue
        values = {"card": card_name(o), "fields_text": join_it([_FIELD_NAMES[f] for f in missing]),
                  "fields": ",".join(missing)}
        if missing == ["staff_text"]:
            yield RuleHit(o.number, o.page_of("staff_text"), values, "staff", "warning")
        else:
            yield RuleHit(o.number, o.page_of(missing[0]), values)


# ---------------------------------------------------------------- dates


_TEXT_FIELDS = {
    "description": "nella descrizione dell'obiettivo",
    "phases": "nelle fasi di attuazione",
    "activities": "nelle attività operative",
    "verification": "negli indicatori di verifica",
}


def card_texts(o: Objective) -> Iterator[tuple[str, str, int | None]]:
    """(where, text, page) for every prose part of a card, indicators included."""
    for field, where in _TEXT_FIELDS.items():
        text = getattr(o, field)
        if text:
            yield where, text, o.page_of(field)
    for ind in o.indicators:
        page = ind.page or o.page_of("indicators")
        name = short(ind.name, 60)
        for text in (ind.name, ind.target, ind.activity):
            if text:
                yield f"nell'indicatore «{name}»", text, page


def card_period(o: Objective, record: PlanRecord) -> tuple[Period | None, bool]:
    """The card's own timeframe as a period, else the plan's year (second value True)."""
    year = record.plan.year
    period = parse_timeframe(o.timeframe, year, record.plan.period)
    if period:
        return period, False
    if year:
        return Period(date(year, 1, 1), date(year, 12, 31)), True
    return None, False


_WHAT = {"deadline": "la scadenza", "period": "il periodo", "start": "la data di avvio"}


def _when(span: DateSpan) -> str:
    label = span.label()
    when = span.end or span.start
    if span.year_implied and when:
        label += f", anno non indicato: inteso il {when.year}"
    return label


@rule("date-outside-period")
def date_outside_period(record: PlanRecord) -> Iterator[RuleHit]:
    for o in record.objectives:
        period, from_plan = card_period(o, record)
        if period is None:
            continue
        year = record.plan.year
        default_year = year if year and period.start.year <= year <= period.end.year else period.start.year
        seen: set[tuple[str, str]] = set()
        for where, text, page in card_texts(o):
            for span in find_dates(text, default_year=default_year):
                if span.kind not in ("deadline", "period", "start"):
                    continue  # bare dates cite laws and deeds; year ranges name plans
                end = span.start if span.kind == "start" else span.end
                if period.contains(span.start, end):
                    continue
                key = (where, span.text.lower())
                if key in seen:
                    continue
                seen.add(key)
                values = {
                    "card": card_name(o), "where": where,
                    "what": _WHAT[span.kind],
                    "text": span.text, "when": _when(span),
                    "timeframe": short(o.timeframe, 80), "period": period.label(),
                    "date": fmt_date(span.end) if span.end else "",
                }
                # A start date alone is often background ("attivo dal ..."): reported as info.
                yield RuleHit(o.number, page, values, "plan_year" if from_plan else None,
                              "info" if span.kind == "start" else None)


# ---------------------------------------------------------------- quantities


def indicator_quantities(ind: Indicator) -> list[Quantity]:
    """The quantities an indicator's Quantità cell states (a bare number takes the name's noun)."""
    found = find_quantities(ind.target)
    if found:
        return found
    if ind.target_value is not None:
        unit = first_unit(ind.target) or first_unit(ind.name)
        if unit:
            return [Quantity(float(ind.target_value), unit, None, (ind.target or "").strip())]
    return []


def _contradicts(figure: Quantity, allowed: set[float]) -> bool:
    if figure.value not in allowed:
        return True
    return figure.total is not None and figure.total not in allowed


@rule("target-mismatch")
def target_mismatch(record: PlanRecord) -> Iterator[RuleHit]:
    generic = generic_units()
    for o in record.objectives:
        per_indicator = [(ind, indicator_quantities(ind)) for ind in o.indicators]
        unit_count = Counter(q.unit for _, qs in per_indicator for q in {q.unit: q for q in qs}.values())
        card_figures = [
            (where, q, o.page_of(field))
            for field, where in _TEXT_FIELDS.items()
            for q in find_quantities(getattr(o, field))
        ]
        for position, (ind, quantities) in enumerate(per_indicator, start=1):
            page = ind.page or o.page_of("indicators")
            reported: set[str] = set()
            for tq in quantities:
                if tq.unit in reported:
                    continue
                allowed = {tq.value} | ({tq.total} if tq.total is not None else set())
                row = [("nel nome dell'indicatore", q, page) for q in find_quantities(ind.name)]
                row += [("nell'attività riferibile all'indicatore", q, page)
                        for q in find_quantities(ind.activity)]
                candidates = [c for c in row if c[1].unit == tq.unit]
                if unit_count[tq.unit] == 1 and tq.unit not in generic:
                    candidates += [c for c in card_figures if c[1].unit == tq.unit]
                for where, figure, fig_page in candidates:
                    if not _contradicts(figure, allowed):
                        continue
                    reported.add(tq.unit)
                    target_text = tq.text or format_number(tq.value)
                    shown = format_number(tq.value) + (f" su {format_number(tq.total)}" if tq.total else "")
                    other = format_number(figure.value) + (f" su {format_number(figure.total)}" if figure.total else "")
                    yield RuleHit(o.number, fig_page or page, {
                        "card": card_name(o),
                        "indicator": f"«{short(ind.name, 70)}»" if ind.name else f"n. {position}",
                        "target": short(ind.target or target_text, 60), "value": shown,
                        "unit": tq.unit, "where": where, "text": figure.text, "other": other,
                    })
                    break
