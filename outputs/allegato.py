"""allegato output (stub, to be written)."""

from __future__ import annotations

from pathlib import Path

from pipeline.record import PlanRecord


def write_allegato(record: PlanRecord, path: str | Path) -> None:
    raise NotImplementedError
