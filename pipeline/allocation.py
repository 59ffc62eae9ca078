"""Split the allocated budget among objectives by strategicità weight x staff coefficient (stub)."""

from __future__ import annotations

from pipeline.record import PlanRecord


def allocate(record: PlanRecord, classification: dict[int, str] | None = None) -> PlanRecord:
    return record
