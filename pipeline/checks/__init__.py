"""Consistency checks: small functions over the record (never over the PDF again).

Each rule is registered by id with :func:`rule`; its severity and Italian message template live
in ``messages*.yaml`` beside this file (data, not code). :func:`run_checks` runs them all.

A rule function takes the record and yields :class:`RuleHit` (objective, page, template values);
the registry turns hits into :class:`~pipeline.record.Finding` with the templated message and,
when the rule has one, the templated proposed correction (``correction``, or per variant in
``corrections``).
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipeline.record import Finding, PlanRecord, Severity


@dataclass(frozen=True)
class RuleHit:
    objective: int | None = None
    page: int | None = None
    values: dict[str, Any] = field(default_factory=dict)
    #: optional message variant key in messages.yaml (e.g. "missing" vs "range")
    variant: str | None = None
    #: override the rule's default severity for this hit
    severity: str | None = None


RuleFn = Callable[[PlanRecord], Iterable[RuleHit]]
_RULES: dict[str, RuleFn] = {}


def rule(rule_id: str) -> Callable[[RuleFn], RuleFn]:
    """Register a rule function under its contract id."""

    def register(fn: RuleFn) -> RuleFn:
        _RULES[rule_id] = fn
        return fn

    return register


@cache
def catalogue() -> dict[str, dict[str, Any]]:
    """Rule id -> {severity, message, [variants], [correction, corrections]} from every ``messages*.yaml`` beside this file."""
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(__file__).parent.glob("messages*.yaml")):
        merged.update(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    return merged


def registered_rules() -> dict[str, RuleFn]:
    _load_rule_modules()
    return dict(_RULES)


def _load_rule_modules() -> None:
    # Importing the modules registers their rules.
    from pipeline.checks import allocation_rules, card_rules, plan_rules, reading_rules  # noqa: F401


def findings_for(rule_id: str, record: PlanRecord) -> list[Finding]:
    """Run one rule and render its hits as findings."""
    _load_rule_modules()
    entry = catalogue()[rule_id]
    out = []
    for hit in _RULES[rule_id](record):
        template = entry["variants"][hit.variant] if hit.variant else entry["message"]
        fix = (entry.get("corrections") or {}).get(hit.variant) or entry.get("correction")
        out.append(
            Finding(
                rule=rule_id,
                severity=hit.severity or entry["severity"],
                objective=hit.objective,
                page=hit.page,
                message=template.format(**hit.values),
                correction=" ".join(fix.format(**hit.values).split()) if fix else None,
            )
        )
    return out


#: The severities, most serious first.
SEVERITIES: tuple[str, ...] = typing.get_args(Severity)
#: What ``--fail-on LEVEL`` fails on: that severity and the more serious ones.
FAIL_ON = {level: SEVERITIES[: SEVERITIES.index(level) + 1] for level in ("error", "warning")}


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """``{"error": n, "warning": n, "info": n}`` (every severity, zeros included)."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


def fails(counts: Mapping[str, int], fail_on: str | None) -> bool:
    """Whether findings counted by severity meet ``--fail-on`` (None: never)."""
    return bool(fail_on) and any(counts.get(s, 0) for s in FAIL_ON[fail_on])  # type: ignore[index]


def run_checks(record: PlanRecord) -> PlanRecord:
    """Return a copy of the record with ``findings`` replaced by every rule's findings."""
    findings = [f for rule_id in registered_rules() for f in findings_for(rule_id, record)]
    order = {s: k for k, s in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (f.objective is not None, f.objective or 0, order[f.severity], f.rule))
    return record.model_copy(update={"findings": findings})
