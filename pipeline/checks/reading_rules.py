"""Rules about the reading itself: where the reader is unsure of what it read."""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.checks import RuleHit, rule
from pipeline.notes import is_ocr_repair
from pipeline.record import PlanRecord


@rule("reading-uncertain")
def reading_uncertain(record: PlanRecord) -> Iterator[RuleHit]:
    """One finding per place the layout reader was unsure of (columns it could not place,
    objectives read without indicators): values there are null, not guessed; and each OCR slip
    the reader repaired (variant ``repair``), quoted as read and as repaired."""
    for note in record.source.reading_notes:
        yield RuleHit(values={"note": note}, variant="repair" if is_ocr_repair(note) else None)
