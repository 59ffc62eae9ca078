"""Parse a layout Document into the record (stub)."""

from __future__ import annotations

from extractors.layout import Document
from pipeline.record import PlanRecord


def parse_plan(doc: Document) -> PlanRecord:
    raise NotImplementedError
