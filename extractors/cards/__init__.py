"""Read the objectives of a plan from its layout Document, whatever the comune's layout.

Stages, each a module: :mod:`.vocabulary` (headings, labels and column synonyms as data, extended
by a user's profile) -> :mod:`.find` (the headings that repeat with a running number) ->
:mod:`.fields` (a card cut into fields by its labels) -> :mod:`.tables` (its ruled indicator table)
or :mod:`.lines` (indicator rows from positioned words or OCR text, without a table) ->
:mod:`.columns` (a column's role from its header, never its position) -> :mod:`.values` (numbers,
targets, weights, kinds). :mod:`.reader` wires them card by card; :mod:`.matrix` reads the other
family, one table per Area holding many objectives (and lists of objectives with Gantt grids).
:func:`parse_cards` runs every layout reader and keeps the reading that explains the document best.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from extractors.cards.find import first_card_start
from extractors.cards.matrix import read_matrix
from extractors.cards.reader import read_cards
from extractors.cards.values import join_lines, kind_of, quantity_fix, target_value, weight_of  # noqa: F401
from extractors.cards.vocabulary import using_profile  # noqa: F401
from extractors.layout import Document
from pipeline.record import Objective


__all__ = ["Reading", "read_layout", "parse_cards", "first_card_start", "using_profile", "LAYOUTS"]


@dataclass
class Reading:
    """What one layout reader made of a document."""

    layout: str
    objectives: list[Objective] = field(default_factory=list)
    #: Weightless objectives marked "X" that gate the whole bonus (their texts as printed).
    prerequisites: list[str] = field(default_factory=list)
    #: Where the reader is unsure (Italian): unknown columns, objectives without indicators.
    notes: list[str] = field(default_factory=list)

    @property
    def evidence(self) -> tuple[int, int, int]:
        """How well the reading explains the document: objectives with indicators, indicators,
        objectives."""
        return (sum(1 for o in self.objectives if o.indicators),
                sum(len(o.indicators) for o in self.objectives), len(self.objectives))


#: The layout readers, by name: each turns a Document into a Reading (no objectives when it
#: sees none of its layout).
LAYOUTS = {
    "cards": read_cards,  # one card per objective: heading, labelled fields, indicator table
    "matrix": read_matrix,  # one table per Area, objectives merged over their indicator rows
}


def read_layout(doc: Document, year: int | None = None) -> Reading:
    """The reading of the layout reader that explains the document best (ties go to the first
    in :data:`LAYOUTS`), with a note for each objective read without indicators."""
    best = Reading(layout="")
    for name, reader in LAYOUTS.items():
        found = reader(doc, year)
        if found.evidence > best.evidence:
            best = found
    for o in best.objectives:
        if not o.indicators:
            where = f" (pag. {o.pages[0]})" if o.pages else ""
            best.notes.append(f"Obiettivo n. {o.number}: nessun indicatore letto{where}")
    return best


def parse_cards(doc: Document, year: int | None = None) -> list[Objective]:
    """Every objective of the document, in order (see :func:`read_layout`)."""
    return read_layout(doc, year).objectives
