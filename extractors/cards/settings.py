"""The card readers' tolerances, named and in one place (like pdfplumber's table settings).

Geometry is measured from the page: tolerances are shares of the line height measured on the
card itself (the median word height), never points or pixels fixed on one plan. Text without
geometry (a plain OCR export) has no measure but characters; its widths are stated here once,
as characters, and used only on that path.

``settings(**overrides)`` makes a variant and refuses unknown names, so a typo never passes
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class ReaderSettings:
    # -- with geometry: shares of the measured line height ------------------------------------
    #: Words flatter than this share of a line are OCR specks (table rules, dust).
    min_word_height: float = 0.5
    #: A line this close under a table's header row still belongs to the header cell.
    header_continuation_gap: float = 0.3
    #: A header's lines end this far above a body line.
    header_overlap: float = 0.5
    #: Cost of leaving a quantity cell empty when cutting columns into rows, in line heights.
    empty_cell_cost: float = 2.0
    #: A line indented more than this from a label's line starts another paragraph.
    paragraph_indent: float = 0.25
    #: A vertical gap larger than this after a line starts another paragraph.
    paragraph_gap: float = 0.8
    #: Page numbers live below this share of the page height.
    footer_band: float = 0.9
    #: Line height assumed when a region has no measurable word (points).
    fallback_line_height: float = 10.0
    #: Unruled tables: two words this many typical spaces apart stand in different cells...
    column_gap_spaces: float = 2.5
    #: ... and never closer than this share of the line height.
    min_column_gap: float = 0.5
    #: Unruled tables: the header row is looked for in this many first lines of the region...
    header_search_lines: int = 4
    #: ... and may wrap over this many lines.
    max_header_lines: int = 3
    #: Unruled tables: a line this much (in line heights) further below the one above than the
    #: tightest line spacing of the table (a wrapped cell) opens a new row.
    row_gap_extra: float = 0.25
    #: Unruled tables: a line ends the table when it leaves no band between two header cells
    #: wider than this many of its own spaces between words (prose across the columns).
    gutter_spaces: float = 1.2

    # -- text without geometry ----------------------------------------------------------------
    #: A line read as text is a row of an indicator table only with this many words or more.
    row_min_words: int = 4
    #: An indicator table's header read as a line is no longer than this...
    header_line_chars: int = 160
    #: ... or this, when another column than the indicator's comes first...
    header_lead_chars: int = 100
    #: ... and then holds at most this many longer words that name no column.
    header_other_words: int = 2

    # -- without geometry (plain OCR text): characters ---------------------------------------
    #: Width of the indicator-name column when no line of the card tells better.
    name_width_chars: int = 26
    #: The name column is measured on the card within these bounds.
    name_width_min_chars: int = 18
    name_width_max_chars: int = 32
    #: A text this short (and capitalised) can be a name cell on its own.
    short_name_chars: int = 32
    #: A left part longer than this is no name cell.
    long_name_chars: int = 40
    #: A cut keeps at least this share of the column on the left.
    min_cut_share: float = 0.6


DEFAULT = ReaderSettings()


def settings(**overrides: float) -> ReaderSettings:
    """The default settings with some values changed; an unknown name raises ``TypeError``."""
    known = {f.name for f in fields(ReaderSettings)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown reader settings: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return replace(DEFAULT, **overrides)
