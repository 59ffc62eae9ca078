"""Rules over the plan as a whole: numbering of the cards, the staff-band table, the budget."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from difflib import SequenceMatcher

from pipeline.allocation import fold
from pipeline.checks import RuleHit, rule
from pipeline.checks.card_rules import card_name, join_it
from pipeline.formatting import format_eur
from pipeline.money import to_cents
from pipeline.record import Budget, PlanRecord, StaffBand

# ---------------------------------------------------------------- numbering


def _ranges_text(numbers: list[int]) -> str:
    """[3, 4, 5, 9] -> "3-5 e 9"."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return join_it([str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs])


def _missing_text(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"manca il numero {numbers[0]}"
    return f"mancano i numeri {_ranges_text(numbers)}"


@rule("numbering")
def numbering(record: PlanRecord) -> Iterator[RuleHit]:
    objectives = record.objectives
    for o in objectives:
        if not o.number_printed and o.number is not None:
            yield RuleHit(o.number, o.page_of("title"), {"card": card_name(o), "number": o.number},
                          "unprinted")
        elif o.number is None:
            yield RuleHit(None, o.page_of("title"), {"page": o.page_of("title") or "n.d."}, "none")

    pages: dict[int, list[int | None]] = defaultdict(list)
    for o in objectives:
        if o.number is not None:
            pages[o.number].append(o.page_of("title"))
    for number, where in sorted(pages.items()):
        if len(where) > 1:
            yield RuleHit(number, next((p for p in where if p), None), {
                "number": number, "times": len(where),
                "pages": join_it([str(p) if p else "n.d." for p in where])}, "repeated", "error")

    numbered = [o for o in objectives if o.number is not None]
    previous = None
    for o in numbered:
        n = o.number
        assert n is not None
        if previous is not None and n < previous:
            yield RuleHit(n, o.page_of("title"), {"card": card_name(o), "number": n,
                                                  "previous": previous}, "order")
        elif previous is not None and n > previous + 1:
            gap = list(range(previous + 1, n))
            yield RuleHit(None, o.page_of("title"), {
                "numbers_text": _missing_text(gap),
                "before": previous, "after": n}, "missing")
        previous = n if previous is None else max(previous, n)
    if numbered:
        first = min(o.number for o in numbered if o.number is not None)
        if first > 1:
            yield RuleHit(None, numbered[0].page_of("title"), {
                "numbers_text": _missing_text(list(range(1, first))), "before": "l'inizio",
                "after": first}, "missing")


# ---------------------------------------------------------------- staff bands


def band_label(b: StaffBand) -> str:
    return f"«{b.label}»"


def band_coverage(bands: list[StaffBand]) -> tuple[list[list[int]], list[tuple[list[int], list[StaffBand]]]]:
    """(gaps, overlaps) of the head-count table over 1 .. its largest finite bound + 1.

    Each gap is a run of uncovered head-counts; each overlap a run covered by the same >1 rows.
    A table with no open-ended row is not faulted for head-counts above its last row.
    """
    counted = [b for b in bands if not b.for_all_staff]
    bounds = [v for b in counted for v in (b.min, b.max) if v is not None]
    if not counted or not bounds:
        return [], []
    top = max(bounds)
    open_ended = any(b.max is None for b in counted)
    limit = top if not open_ended else top + 1
    gaps: list[list[int]] = []
    overlaps: list[tuple[list[int], list[StaffBand]]] = []
    for n in range(1, limit + 1):
        rows = [b for b in counted if b.covers(n)]
        if not rows:
            if n > top and not open_ended:
                continue
            if gaps and gaps[-1][-1] == n - 1:
                gaps[-1].append(n)
            else:
                gaps.append([n])
        elif len(rows) > 1:
            if overlaps and overlaps[-1][0][-1] == n - 1 and overlaps[-1][1] == rows:
                overlaps[-1][0].append(n)
            else:
                overlaps.append(([n], rows))
    return gaps, overlaps


def _counts_text(run: list[int]) -> str:
    if len(run) == 1:
        return "il caso di " + ("1 dipendente" if run[0] == 1 else f"{run[0]} dipendenti")
    return f"i casi da {run[0]} a {run[-1]} dipendenti"


def _neighbours(bands: list[StaffBand], run: list[int]) -> str:
    below = [b for b in bands if not b.for_all_staff and b.max is not None and b.max < run[0]]
    above = [b for b in bands if not b.for_all_staff and b.min is not None and b.min > run[-1]]
    parts = []
    if below:
        parts.append(f"la riga {band_label(max(below, key=lambda b: b.max or 0))} si ferma a "
                     f"{max(b.max for b in below if b.max is not None)}")
    if above:
        first = min(above, key=lambda b: b.min or 0)
        parts.append(f"la riga {band_label(first)} parte da {first.min}")
    return "; ".join(parts) or "nessuna riga lo comprende"


def _objectives_in(record: PlanRecord, run: list[int]) -> list[str]:
    """Cards (and summary rows) whose head-count falls in ``run``."""
    out: dict[object, str] = {}
    for o in record.objectives:
        if o.staff_count is not None and o.staff_count in run:
            out[o.number] = f"obiettivo n. {o.number} ({o.staff_count} dipendenti nella scheda)"
    for row in record.plan.summary:
        if row.staff_count is not None and row.staff_count in run and row.number not in out:
            out[row.number] = (f"obiettivo n. {row.number} ({row.staff_count} dipendenti nel "
                               f"riepilogo)")
    return [out[k] for k in sorted(out, key=lambda k: (k is None, k if isinstance(k, int) else 0))]


@rule("staff-band-gap")
def staff_band_gap(record: PlanRecord) -> Iterator[RuleHit]:
    bands = record.plan.staff_bands
    page = record.plan.pages.get("staff_bands")
    gaps, overlaps = band_coverage(bands)
    for run in gaps:
        objectives = _objectives_in(record, run)
        values = {"counts_text": _counts_text(run), "neighbours": _neighbours(bands, run),
                  "objectives": join_it(objectives), "counts": run}
        yield RuleHit(None, page, values, "gap_objectives" if objectives else "gap")
    for run, rows in overlaps:
        objectives = _objectives_in(record, run)
        values = {"counts_text": _counts_text(run), "bands": join_it([band_label(b) for b in rows]),
                  "objectives": join_it(objectives)}
        yield RuleHit(None, page, values, "overlap_objectives" if objectives else "overlap")


# ---------------------------------------------------------------- budget


def budget_balance(budget: Budget) -> tuple[int, int] | None:
    """``(total, sum of the parts)`` in cents; None when the total or the share for the
    objectives is unknown, so the check cannot be made (a missing reserve or welfare is 0)."""
    if budget.total is None or budget.allocated is None:
        return None
    parts = [budget.allocated, budget.reserve or 0, budget.welfare or 0]
    return to_cents(budget.total), sum(to_cents(p) for p in parts)


@rule("budget-sum")
def budget_sum(record: PlanRecord) -> Iterator[RuleHit]:
    b = record.plan.budget
    balance = budget_balance(b)
    if balance is None:
        return
    total_cents, parts_cents = balance
    if total_cents == parts_cents:
        return
    yield RuleHit(None, b.page or record.plan.pages.get("budget"), {
        "total": format_eur(b.total), "allocated": format_eur(b.allocated),
        "reserve": format_eur(b.reserve or 0), "welfare": format_eur(b.welfare or 0),
        "parts": format_eur(parts_cents / 100), "difference": format_eur((total_cents - parts_cents) / 100),
    })


# ---------------------------------------------------------------- summary table against the cards

#: Below this similarity (folded text) a summary title and a card title name different things;
#: a summary that shortens the title (a prefix of it) is not a disagreement.
TITLE_SIMILARITY = 0.6


def _text_key(text: str | None) -> str:
    return " ".join(re.sub(r"[^\w%]+", " ", fold(text)).split())


def titles_disagree(summary_title: str | None, card_title: str | None) -> bool:
    a, b = _text_key(summary_title or ""), _text_key(card_title or "")
    if not a or not b or a.startswith(b) or b.startswith(a):
        return False
    shorter, longer = sorted((a, b), key=len)
    if longer.startswith(shorter.rstrip(" .")[: max(len(shorter) - 3, 1)]):
        return False  # truncated in the table ("Riorganizzazione dell'uff...")
    return SequenceMatcher(None, a, b).ratio() < TITLE_SIMILARITY


def _quote(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"«{str(value).replace('.', ',') if isinstance(value, float) else value}»"


@rule("summary-mismatch")
def summary_mismatch(record: PlanRecord) -> Iterator[RuleHit]:
    """The plan's printed summary table and a card disagree (staff count, level, weight, title)."""
    cards = {o.number: o for o in record.objectives if o.number is not None}
    seen: set[int] = set()
    for row in record.plan.summary:
        o = cards.get(row.number) if row.number is not None else None
        if o is None or row.number in seen:
            continue
        seen.add(row.number)
        diffs = []
        if row.staff_count is not None and o.staff_count is not None and row.staff_count != o.staff_count:
            diffs.append(f"il numero di dipendenti (riepilogo {row.staff_count}, scheda {o.staff_count})")
        if row.strategic_level and o.strategic_level and fold(row.strategic_level) != fold(o.strategic_level) \
                and "strategic_level" in o.field_pages:
            diffs.append(f"la strategicità (riepilogo {_quote(row.strategic_level)}, scheda {_quote(o.strategic_level)})")
        if row.strategic_weight is not None and o.objective_weight is not None \
                and abs(float(row.strategic_weight) - float(o.objective_weight)) > 1e-9:
            diffs.append(f"il peso dell'obiettivo (riepilogo {_quote(row.strategic_weight)}, "
                         f"scheda {_quote(o.objective_weight)})")
        if titles_disagree(row.title, o.title):
            diffs.append(f"il titolo (riepilogo {_quote(row.title)}, scheda {_quote(o.title)})")
        if diffs:
            yield RuleHit(o.number, row.page, {"objective": o.number, "differences": join_it(diffs)})
