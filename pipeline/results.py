"""Year-end results: measured values in, achievement and payout out (``piao results``).

Pure functions over the record; the words they read (yes/no, which way a target points) live in
``results.yaml`` beside this module.

- An indicator is judged from the reporter's ``raggiunto`` when given (sì -> 100, no -> 0, a
  percentage as is), else from the measured value against the target: the target's number and its
  direction come from its own text ("≥ 50%", "almeno", "n. 120": more is better; "entro 30
  giorni", "≤ 15 giorni", "max": less is better; "Sì": done is the goal). A measured value that
  reaches the target scores 100, one that does not scores 0 (the plans score indicators done /
  not done; a partial share is stated in ``raggiunto``). What cannot be judged is a
  ``result-unclear`` finding and an unknown (``None``) share, never a guess.
- An objective's achievement is the sum of its indicator weights, each scaled by its share,
  rounded to two decimals (the figure printed in the report, so anyone can redo the payout).
- The payout follows ``plan.threshold``: with no bands, below the soglia nothing, at or above it
  the whole amount; with bands, below the soglia nothing, in the "full" band the whole amount,
  otherwise "proportional" = the amount times the achievement percentage. The soglia is the
  card's own (``Objective.threshold_pct``), else the plan's ``default_pct``; it replaces the
  plan's lower bound of the proportional band.
- A prerequisite ("X", ``plan.prerequisites``) reported as not met stops the whole payout.
- Money is integer cents (:mod:`pipeline.money`): paid = amount x payout % rounded half up to
  the cent; economia = allocated - paid.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from pipeline.errors import InputError
from pipeline.money import from_cents, to_cents
from pipeline.record import (
    Finding,
    Indicator,
    IndicatorResult,
    Objective,
    ObjectiveResult,
    PlanRecord,
    PrerequisiteResult,
    Results,
    ThresholdBand,
)

Direction = Literal["more", "less", "yes"]
RESULT_RULES = ("result-unclear", "prerequisite-unmet")


@cache
def vocabulary() -> dict[str, Any]:
    return yaml.safe_load(Path(__file__).with_name("results.yaml").read_text(encoding="utf-8"))


def fold(text: Any) -> str:
    """Lower case, accents dropped, spaces collapsed: "Sì " -> "si"."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().split())


@cache
def _words(key: str) -> frozenset[str]:
    return frozenset(fold(w) for w in vocabulary()[key])


def is_yes(text: Any) -> bool:
    return fold(text) in _words("yes_words")


def is_no(text: Any) -> bool:
    return fold(text) in _words("no_words")


# --------------------------------------------------------------------------- numbers in cells

_NUMBER = re.compile(r"^[+-]?(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$|^[+-]?(\d+)\.(\d+)$")


def parse_number(value: Any) -> Fraction | None:
    """A number as written in an Italian cell ("1.234,5", "12,5", "80", "12.5"); else None.

    A "." followed by groups of exactly three digits is a thousands mark ("1.234" = 1234), like
    the plans print it; otherwise it is a decimal mark ("12.5").
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return Fraction(Decimal(repr(value))) if isinstance(value, float) else Fraction(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    m = _NUMBER.match(text)
    if not m:
        return None
    sign = -1 if text.startswith("-") else 1
    if m.group(1) is not None:
        whole = int(m.group(1).replace(".", ""))
        frac = m.group(2) or ""
    else:
        whole, frac = int(m.group(3)), m.group(4)
    number = Fraction(whole) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    return sign * number


def parse_measured(value: Any) -> Fraction | str | None:
    """A measured-value cell: a number ("80", "80%", "1.234,5") or its text; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip().endswith("%"):
        number = parse_number(value.strip()[:-1])
        return number if number is not None else value.strip()
    number = parse_number(value)
    return number if number is not None else str(value).strip()


class StatedError(ValueError):
    """A "raggiunto" cell that is neither sì/no nor a percentage between 0 and 100."""


def parse_stated(value: Any, percent_format: bool = False) -> Fraction | None:
    """A "raggiunto" cell as a share 0-100: sì -> 100, no -> 0, "80%" or 80 -> 80; None if empty.

    ``percent_format``: a spreadsheet cell shown as a percentage holds the fraction (0.8 = 80%).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) and is_yes(value):
        return Fraction(100)
    if isinstance(value, str) and is_no(value):
        return Fraction(0)
    measured = parse_measured(value)
    if not isinstance(measured, Fraction):
        raise StatedError(f"«{value}» non è sì, no né una percentuale")
    if percent_format and not isinstance(value, str):
        measured *= 100
    if not 0 <= measured <= 100:
        raise StatedError(f"{_show(measured)}% è fuori dall'intervallo 0-100")
    return measured


# --------------------------------------------------------------------------- targets

#: A number in a target, dates excluded ("31/03/2025" is a deadline, not a quantity).
_DATE = re.compile(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
_TARGET_NUMBER = re.compile(r"(?<![0-9a-z,])\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class TargetRule:
    """How a target is judged: its number (None for a Sì/No target) and which way is better."""

    direction: Direction
    value: Fraction | None = None


def _marker_before(prefix: str) -> Direction | None:
    """The marker nearest the target's number in ``prefix`` (the folded text before it), with
    at most two words between them ("almeno il 60%", "entro i 30 giorni")."""
    best: tuple[int, Direction] | None = None
    for key, direction in (("more_before", "more"), ("less_before", "less")):
        for word in _words(key):
            at = prefix.rfind(word)
            while at >= 0:
                end = at + len(word)
                starts_word = not (word[0].isalnum() and at > 0 and prefix[at - 1].isalnum())
                ends_word = not (word[-1].isalnum() and end < len(prefix) and prefix[end].isalnum())
                if starts_word and ends_word:
                    break
                at = prefix.rfind(word, 0, at)
            if at < 0 or len(prefix[at + len(word):].split()) > 2:
                continue
            if best is None or at + len(word) > best[0]:
                best = (at + len(word), direction)  # type: ignore[assignment]
    return best[1] if best else None


def _marker_after(suffix: str) -> Direction | None:
    head = " ".join(suffix.split()[:4])
    for key, direction in (("more_after", "more"), ("less_after", "less")):
        if any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", head) for w in _words(key)):
            return direction  # type: ignore[return-value]
    return None


def target_rule(indicator: Indicator) -> TargetRule | None:
    """The rule the target's text states, or None when it states no number nor a Sì/No."""
    text = indicator.target
    if text is None or not text.strip():
        return None
    folded = fold(text)
    if folded in _words("yes_targets"):
        return TargetRule("yes")
    clean = _DATE.sub(lambda m: " " * len(m.group(0)), folded)
    numbers = [(m.start(), m.end(), parse_number(m.group(0))) for m in _TARGET_NUMBER.finditer(clean)]
    numbers = [n for n in numbers if n[2] is not None]
    if not numbers:
        return None
    wanted = parse_number(indicator.target_value) if indicator.target_value is not None else None
    start, end, value = next((n for n in numbers if n[2] == wanted), numbers[0])
    direction = _marker_before(clean[:start]) or _marker_after(clean[end:]) or vocabulary()["bare_number"]
    return TargetRule(direction, value)


class NeedsNumber(ValueError):
    """A measured value in words where the target asks for a number."""


def judge(indicator: Indicator, measured: Fraction | str | None) -> tuple[Fraction | None, Direction | None, str | None]:
    """(share 0-100 or None, direction, unclear-message key) for a measured value.

    Raises :class:`NeedsNumber` for text where the target asks for a number.
    """
    rule = target_rule(indicator)
    if measured is None:
        return None, rule.direction if rule else None, "unclear_no_value"
    if rule is None:
        return None, None, "unclear_no_target"
    if rule.direction == "yes":
        if isinstance(measured, str) and is_yes(measured):
            return Fraction(100), "yes", None
        if isinstance(measured, str) and is_no(measured):
            return Fraction(0), "yes", None
        return None, "yes", "unclear_yes_target"
    if not isinstance(measured, Fraction):
        raise NeedsNumber(f"«{measured}» non è un numero (il target «{indicator.target}» chiede una quantità)")
    assert rule.value is not None
    met = measured >= rule.value if rule.direction == "more" else measured <= rule.value
    return Fraction(100 if met else 0), rule.direction, None


# --------------------------------------------------------------------------- objective and payout


def round2(value: Fraction | Decimal) -> Decimal:
    """Half up to two decimals (the percentage as printed)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def objective_achievement(weights: Sequence[Any], shares: Sequence[Fraction | None]) -> Decimal | None:
    """Σ weight x share / 100, two decimals; None when a weight or a share is unknown."""
    if not weights or any(w is None for w in weights) or any(s is None for s in shares):
        return None
    total = sum((parse_number(w) * s / 100 for w, s in zip(weights, shares)), Fraction(0))  # type: ignore[operator]
    return round2(total)


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def payout_rule(achievement: Decimal, soglia: Decimal | None, bands: Sequence[ThresholdBand]) -> tuple[str, Decimal] | None:
    """("full" | "proportional" | "none", payout %) for an achievement; None if no soglia nor bands.

    Below the soglia nothing; at or above it, the band the achievement falls in among the bands
    that pay ("full", "proportional"); an achievement under all of them (a card's soglia lower
    than the plan's) takes the lowest paying band. No bands: the whole amount.
    """
    paying = [b for b in bands if b.payout != "none"]
    if soglia is None:
        # without a soglia, the plan's bands alone decide (the lowest paying band's floor)
        floors = [_number(b.min_pct) for b in paying if b.min_pct is not None]
        if not paying or not floors:
            return None
        soglia = min(floors)  # type: ignore[type-var]
    if achievement < soglia:
        return "none", Decimal(0)
    if not paying:
        return "full", Decimal(100)

    def contains(b: ThresholdBand) -> bool:
        lo, hi = _number(b.min_pct), _number(b.max_pct)
        return (lo is None or achievement >= lo) and (hi is None or achievement < hi)

    band = next((b for b in paying if contains(b)), None)
    if band is None:  # under every paying band (a card's soglia below the plan's): the lowest
        band = min(paying, key=lambda b: _number(b.min_pct) if b.min_pct is not None else Decimal(-1))
    if band.payout == "full":
        return "full", Decimal(100)
    return "proportional", min(achievement, Decimal(100))


def paid_cents(amount_cents: int, payout_pct: Decimal) -> int:
    """amount x payout % in cents, half up (never more than the amount)."""
    cents = (Decimal(amount_cents) * payout_pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(int(cents), amount_cents)


def _json_number(value: Decimal | Fraction | None) -> int | float | None:
    if value is None:
        return None
    d = round2(value) if isinstance(value, Fraction) else value
    return int(d) if d == d.to_integral_value() else float(d)


def _show(value: Fraction | Decimal | Any) -> str:
    if isinstance(value, (Fraction, Decimal)):
        n = _json_number(value if isinstance(value, Decimal) else round2(value))
        return str(n).replace(".", ",")
    return str(value)


# --------------------------------------------------------------------------- the results file rows


@dataclass(frozen=True)
class ResultRow:
    """One row of a results file, cells already typed; ``row`` is its line/row in the file
    (0 for a result a record carries, which has no row: messages then name what it is for)."""

    row: int
    objective: int | None
    indicator: int
    measured: Fraction | str | None = None
    stated: Fraction | None = None
    stated_text: str | None = None
    #: a prerequisite row ("X" in the objective column)
    prerequisite: bool = False


@dataclass(frozen=True)
class ResultsFile:
    """A results file read by :mod:`extractors.results_file`: its rows and what it says it is for."""

    path: str
    sha256: str
    rows: tuple[ResultRow, ...]
    entity: str | None = None
    year: int | None = None
    plan_sha256: str | None = None


def check_results_file(record: PlanRecord, results: ResultsFile) -> None:
    """Refuse a results file that does not fit the record (InputError naming file and row)."""
    path = results.path
    if results.plan_sha256 and results.plan_sha256.lower() != record.source.sha256.lower():
        raise InputError(path, f"è per un altro piano (sha256 {results.plan_sha256[:12]}…, il piano ha "
                               f"{record.source.sha256[:12]}…)")
    if results.entity and record.plan.entity and fold(results.entity) != fold(record.plan.entity):
        raise InputError(path, f"è per un altro ente («{results.entity}», il piano è di «{record.plan.entity}»)")
    if results.year and record.plan.year and results.year != record.plan.year:
        raise InputError(path, f"è per un altro anno ({results.year}, il piano è del {record.plan.year})")
    seen: dict[tuple[bool, int | None, int], int] = {}
    for r in results.rows:
        where = _where(r)
        if r.prerequisite:
            n = len(record.plan.prerequisites)
            if not 1 <= r.indicator <= n:
                raise InputError(path, f"{where}: il piano ha {n} prerequisiti, non c'è il prerequisito {r.indicator}")
        else:
            objective = record.objective(r.objective) if r.objective is not None else None
            if objective is None:
                raise InputError(path, f"{where}: l'obiettivo {r.objective} non è nel piano")
            if not 1 <= r.indicator <= len(objective.indicators):
                raise InputError(path, f"{where}: l'obiettivo {r.objective} ha {len(objective.indicators)} "
                                       f"indicatori, non c'è l'indicatore {r.indicator}")
        key = (r.prerequisite, r.objective, r.indicator)
        if key in seen:
            what = f"prerequisito {r.indicator}" if r.prerequisite else f"obiettivo {r.objective}, indicatore {r.indicator}"
            raise InputError(path, f"{where}: risultato ripetuto ({what}, "
                                   f"{f'già alla riga {seen[key]}' if seen[key] else 'già registrato'})")
        seen[key] = r.row


# --------------------------------------------------------------------------- the whole plan


def _message(key: str, **values: Any) -> str:
    return vocabulary()["messages"][key].format(**values)


def _indicator_result(objective: Objective, position: int, row: ResultRow | None,
                      path: str) -> tuple[IndicatorResult, str | None]:
    indicator = objective.indicators[position - 1]
    measured = row.measured if row else None
    shown = _json_number(measured) if isinstance(measured, Fraction) else measured
    if row is not None and row.stated is not None:
        rule = target_rule(indicator)
        return IndicatorResult(indicator=position, name=indicator.name, measured=shown,
                               achieved_pct=_json_number(row.stated), how="raggiunto", stated=row.stated_text,
                               direction=rule.direction if rule else None), None
    try:
        share, direction, unclear = judge(indicator, measured)
    except NeedsNumber as err:
        raise InputError(path, f"{_where(row) if row else 'riga ?'}: {err}") from err
    result = IndicatorResult(indicator=position, name=indicator.name, measured=shown,
                             achieved_pct=_json_number(share), how="valore" if share is not None else None,
                             direction=direction)
    message = None
    if unclear:
        message = _message(unclear, indicator=position, target=indicator.target or "",
                           measured=f"«{_show(measured)}»")
    return result, message


def apply_results(record: PlanRecord, results: ResultsFile) -> PlanRecord:
    """The record with ``results`` and its findings (``result-unclear``, ``prerequisite-unmet``).

    Raises InputError (file, row, cause) for a results file that does not fit the record.
    Earlier results and their findings are replaced.
    """
    check_results_file(record, results)
    rows = {(r.objective, r.indicator): r for r in results.rows if not r.prerequisite}
    pre_rows = {r.indicator: r for r in results.rows if r.prerequisite}
    findings = [f for f in record.findings if f.rule not in RESULT_RULES]

    prerequisites = []
    payable = True
    for n, text in enumerate(record.plan.prerequisites, start=1):
        row = pre_rows.get(n)
        met = None
        if row is not None:
            share = row.stated if row.stated is not None else (
                Fraction(100) if isinstance(row.measured, str) and is_yes(row.measured) else
                Fraction(0) if isinstance(row.measured, str) and is_no(row.measured) else None)
            if share is None:
                raise InputError(results.path, f"{_where(row)}: per un prerequisito serve sì o no")
            met = share == 100
        prerequisites.append(PrerequisiteResult(prerequisite=n, text=text, met=met))
        if met is False:
            payable = False
            findings.append(Finding(rule="prerequisite-unmet", severity="error",
                                    message=_message("prerequisite_unmet", n=n, text=text)))
        elif met is None:
            findings.append(Finding(rule="result-unclear", severity="warning",
                                    message=_message("prerequisite_missing", n=n, text=text)))

    amounts = {a.objective: a.amount_eur for a in record.allocations}
    plan_soglia = record.plan.threshold.default_pct
    bands = record.plan.threshold.bands
    out: list[ObjectiveResult] = []
    for objective in record.objectives:
        page = objective.pages[0] if objective.pages else None

        def unclear(message: str) -> None:
            findings.append(Finding(rule="result-unclear", severity="warning", objective=objective.number,
                                    page=page, message=message))

        indicator_results = []
        for position in range(1, len(objective.indicators) + 1):
            result, message = _indicator_result(objective, position, rows.get((objective.number, position)),
                                                results.path)
            indicator_results.append(result)
            if message:
                unclear(message)
        weights = [i.weight_pct for i in objective.indicators]
        for position, w in enumerate(weights, start=1):
            if w is None:
                unclear(_message("unclear_weight", indicator=position))
        shares = [None if r.achieved_pct is None else parse_number(r.achieved_pct) for r in indicator_results]
        achievement = objective_achievement(weights, shares)
        soglia_value = objective.threshold_pct if objective.threshold_pct is not None else plan_soglia
        soglia = _number(soglia_value)
        amount = amounts.get(objective.number)
        rule = payout_rule(achievement, soglia, bands) if achievement is not None else None
        if achievement is not None and rule is None:
            unclear(_message("unclear_threshold"))
        if not payable:  # a prerequisite not met: nothing is paid, whatever the achievement
            rule = ("none", Decimal(0))
        if rule is not None and amount is None:
            unclear(_message("unclear_amount"))
        paid = from_cents(paid_cents(to_cents(amount), rule[1])) if rule is not None and amount is not None else None
        out.append(ObjectiveResult(
            objective=objective.number,
            achievement_pct=_json_number(achievement),
            threshold_pct=soglia_value,
            payout_pct=_json_number(rule[1]) if rule else None,
            payout=rule[0] if rule else None,  # type: ignore[arg-type]
            amount_eur=amount,
            paid_eur=paid,
            indicators=indicator_results,
        ))

    allocated_cents = [to_cents(a.amount_eur) for a in record.allocations if a.amount_eur is not None]
    complete = bool(record.allocations) and len(allocated_cents) == len(record.allocations)
    allocated = sum(allocated_cents) if complete else None
    paid_all = [o.paid_eur for o in out]
    paid_total = sum(to_cents(p) for p in paid_all) if out and all(p is not None for p in paid_all) else None
    if paid_total is not None and out and len({o.objective for o in out}) < len(record.allocations):
        paid_total = None  # allocations without a card: the totals would not cover them
    economia = allocated - paid_total if allocated is not None and paid_total is not None else None
    summary = Results(
        objectives=out,
        paid_total=from_cents(paid_total) if paid_total is not None else None,
        economia=from_cents(economia) if economia is not None else None,
        allocated=from_cents(allocated) if allocated is not None else None,
        prerequisites=prerequisites,
        payable=payable,
        file=Path(results.path).name,
        sha256=results.sha256,
    )
    return record.model_copy(update={"results": summary, "findings": findings})


def _where(row: ResultRow) -> str:
    """Where a result came from, for a message: its row in the file, or what it is for."""
    if row.row > 0:
        return f"riga {row.row}"
    if row.prerequisite:
        return f"prerequisito {row.indicator}"
    return f"obiettivo {row.objective}, indicatore {row.indicator}"


def _stored_position(record: PlanRecord, objective: int, stored: IndicatorResult, path: str) -> int:
    """The position, in the record as it now reads, of the indicator a stored result was for.

    The result stays with the indicator of the same name: indicators reordered in a corrected
    plan keep their results; a renamed or removed one is refused rather than paired by position."""
    card = record.objective(objective)
    if stored.name is None or card is None:
        return stored.indicator  # results stored before names were kept: by position
    names = [i.name for i in card.indicators]
    if 1 <= stored.indicator <= len(names) and names[stored.indicator - 1] == stored.name:
        return stored.indicator
    if names.count(stored.name) == 1:
        return names.index(stored.name) + 1
    raise InputError(path, f"obiettivo {objective}: l'indicatore «{stored.name}» non è più nel piano")


def stored_results(record: PlanRecord) -> ResultsFile | None:
    """The results a record carries (``piao results`` put them there) as the rows of a results
    file, so that they apply again to the record once corrected (``piao render``): the measured
    values are judged anew against the targets, the payouts taken from the new amounts."""
    res = record.results
    if res is None:
        return None
    rows: list[ResultRow] = []
    for o in res.objectives:
        if o.objective is None:
            continue
        for r in o.indicators:
            stated = parse_number(r.achieved_pct) if r.how == "raggiunto" else None
            measured = parse_number(r.measured) if isinstance(r.measured, (int, float)) else r.measured
            if measured is None and stated is None:
                continue  # nothing was reported for it
            position = _stored_position(record, o.objective, r, res.file or "risultati")
            rows.append(ResultRow(row=0, objective=o.objective, indicator=position,
                                  measured=measured, stated=stated, stated_text=r.stated))
    for p in res.prerequisites:
        if p.met is not None:
            rows.append(ResultRow(row=0, objective=None, indicator=p.prerequisite,
                                  stated=Fraction(100 if p.met else 0), prerequisite=True))
    return ResultsFile(path=res.file or "risultati", sha256=res.sha256 or "", rows=tuple(rows))


def result_findings(record: PlanRecord) -> Iterable[Finding]:
    """The findings the year-end stage added."""
    return (f for f in record.findings if f.rule in RESULT_RULES)
