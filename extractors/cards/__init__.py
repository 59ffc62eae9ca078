"""Read the objectives of a plan from its layout Document, whatever the comune's layout.

Stages (each a module): :mod:`.vocabulary` (labels, headings and column synonyms as data,
extended by a user profile), :mod:`.reader` (card by card: find the headings that repeat with a
running number, cut each card into fields by its labels, read its indicator table),
:mod:`.columns` (a table column's role from its header, never its position), :mod:`.matrix`
(one table per Area holding many objectives), :mod:`.values` (numbers, weights, kinds).
:func:`parse_cards` runs every layout reader and keeps the reading that explains the document best.
"""

from __future__ import annotations

from extractors.cards.matrix import read_matrix
from extractors.cards.reader import first_card_start, read_cards
from extractors.cards.reader import join_lines, kind_of, quantity_fix, target_value, weight_of  # noqa: F401
from extractors.cards.vocabulary import using_profile  # noqa: F401
from extractors.layout import Document
from pipeline.record import Objective

__all__ = ["parse_cards", "first_card_start", "using_profile", "LAYOUTS"]

#: The layout readers, by name: each turns a Document into objectives ([] when it sees none).
LAYOUTS = {
    "cards": read_cards,  # one card per objective: heading, labelled fields, indicator table
    "matrix": read_matrix,  # one table per Area, objectives merged over their indicator rows
}


def _evidence(objectives: list[Objective]) -> tuple[int, int]:
    """How well a reading explains the document: objectives with indicators, then indicators."""
    return (sum(1 for o in objectives if o.indicators), sum(len(o.indicators) for o in objectives))


def parse_cards(doc: Document, year: int | None = None) -> list[Objective]:
    """Every objective of the document, read by the layout reader that finds the most
    objectives with indicators (ties go to the first in :data:`LAYOUTS`)."""
    best: list[Objective] = []
    for reader in LAYOUTS.values():
        found = reader(doc, year)
        if _evidence(found) > _evidence(best) or (not best and found):
            best = found
    return best
