"""Read the objectives of a plan from its layout Document, whatever the comune's layout.

Stages (each a module): :mod:`.vocabulary` (labels, headings and column synonyms as data,
extended by a user profile), :mod:`.reader` (card by card: find the headings that repeat with a
running number, cut each card into fields by its labels, read its indicator table),
:mod:`.columns` (a table column's role from its header, never its position), :mod:`.matrix`
(one table per Area holding many objectives), :mod:`.values` (numbers, weights, kinds).
:func:`parse_cards` runs every layout reader and keeps the reading that explains the document best.
"""

from extractors.cards.reader import first_card_start, parse_cards  # noqa: F401
from extractors.cards.reader import join_lines, kind_of, quantity_fix, target_value, weight_of  # noqa: F401
