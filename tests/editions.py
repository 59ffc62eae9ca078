"""A "next year" edition of the Chiari DOCX, made with python-docx, with known changes.

The oracle is the list of edits itself, not the comparison code: which cards were dropped,
which one was added, how the others were renumbered, whose weights changed.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CARD_START = "PERFORMANCE ORGANIZZATIVA"


@dataclass
class Edition:
    """What was done to the plan: numbers are the original's (old) and the edition's (new)."""

    dropped: list[int]
    added_title: str
    #: old number -> new indicator weights, in order
    new_weights: dict[int, list[int]]
    #: old number -> new strategicità (summary table)
    new_levels: dict[int, str]
    #: old number -> new number, for every card kept
    renumbered: dict[int, int] = field(default_factory=dict)
    added_number: int | None = None


def _text(el) -> str:
    return "".join(t.text or "" for t in el.iter(f"{W}t"))


def _set_paragraph(p: Paragraph, text: str) -> None:
    runs = p.runs
    runs[0].text = text
    for r in runs[1:]:
        r._r.getparent().remove(r._r)


def _cards(body) -> list[list]:
    """Each card's body elements, from its "PERFORMANCE ORGANIZZATIVA" line to the next."""
    cards: list[list] = []
    for el in body.iterchildren():
        if el.tag == f"{W}sectPr":
            break
        if el.tag == f"{W}p" and _text(el).strip() == CARD_START:
            cards.append([])
        if cards:
            cards[-1].append(el)
    return cards


def _card_table(doc, card) -> Table:
    tbl = next(el for el in card if el.tag == f"{W}tbl")
    return Table(tbl, doc._body)


def _set_weights(doc, card, weights: list[int]) -> None:
    """Rewrite the "raggiungimento X% obiettivo" figure of each indicator row, in order."""
    table = _card_table(doc, card)
    k = 0
    for row in table.rows[1:]:
        for p in row.cells[-1].paragraphs:
            if re.search(r"raggiungimento\s*\d+\s*%", p.text) and k < len(weights):
                _set_paragraph(p, re.sub(r"(raggiungimento\s*)\d+(\s*%)", rf"\g<1>{weights[k]}\g<2>", p.text))
                k += 1
    assert k == len(weights), f"{k} weights found, {len(weights)} given"


def make_next_edition(src: str | Path, dst: str | Path) -> Edition:
    """Drop cards 5 and 12, add a new card at the end, renumber, change card 7's indicator weights
    (20/25/30/25 -> 25/25/25/25) and card 10's strategicità (mantenimento -> strategico)."""
    edition = Edition(
        dropped=[5, 12],
        added_title="Gestione digitale delle sepolture e dei servizi cimiteriali",
        new_weights={7: [25, 25, 25, 25]},
        new_levels={10: "strategico"},
    )
    doc = Document(str(src))
    body = doc.element.body
    cards = _cards(body)
    summary = next(t for t in doc.tables if t.rows[0].cells[0].text.strip() == "N." and len(t.rows) > 20)

    # header number of each card, as printed ("OBIETTIVO N. 7"; card 16 prints none)
    def header(card) -> Paragraph:
        el = next(e for e in card if e.tag == f"{W}p" and _text(e).strip().startswith("OBIETTIVO N."))
        return Paragraph(el, doc._body)

    for old, weights in edition.new_weights.items():
        _set_weights(doc, cards[old - 1], weights)

    # the new card: a copy of card 7's layout with a text of its own, after the last card
    template = cards[6]
    new_card = [copy.deepcopy(el) for el in template]
    for el in new_card:
        if el.tag != f"{W}p":
            continue
        p = Paragraph(el, doc._body)
        if p.text.startswith("OBIETTIVO:"):
            _set_paragraph(p, f"OBIETTIVO: {edition.added_title}")
        elif p.text.startswith("Descrizione dell"):
            _set_paragraph(p, "Descrizione dell'obiettivo: Digitalizzazione del registro delle concessioni "
                              "cimiteriali e prenotazione on line delle operazioni di tumulazione.")
    table = _card_table(doc, new_card)
    names = ["Censimento concessioni cimiteriali", "Registro digitale delle sepolture",
             "Prenotazione on line tumulazioni", "Comunicazione ai cittadini"]
    for row, name in zip(table.rows[1:], names):
        _set_paragraph(row.cells[0].paragraphs[0], name)
    anchor = cards[-1][-1]
    for el in new_card:
        anchor.addnext(el)
        anchor = el

    # summary rows: change levels, add the new row (a copy of card 7's), drop the dropped
    rows = {int(r.cells[0].text): r for r in summary.rows[1:] if r.cells[0].text.strip().isdigit()}
    weights_of = {"strategico": "40", "innovativo": "25", "miglioramento": "20", "mantenimento": "10"}
    for old, level in edition.new_levels.items():
        _set_paragraph(rows[old].cells[3].paragraphs[0], level)
        _set_paragraph(rows[old].cells[5].paragraphs[0], weights_of[level])
    new_row = copy.deepcopy(rows[7]._tr)
    rows[27]._tr.addnext(new_row)
    for old in edition.dropped:
        for el in cards[old - 1]:
            body.remove(el)
        summary._tbl.remove(rows[old]._tr)

    # renumber cards and summary rows in document order
    kept = [n for n in range(1, 28) if n not in edition.dropped]
    cards = _cards(body)
    assert len(cards) == len(kept) + 1
    for new, card in enumerate(cards, start=1):
        p = header(card)
        if p.text.strip() != "OBIETTIVO N.":  # card 16 prints no number, and stays so
            _set_paragraph(p, f"OBIETTIVO N. {new}")
    edition.renumbered = {old: new for new, old in enumerate(kept, start=1)}
    edition.added_number = len(cards)
    data_rows = [r for r in summary.rows[1:] if r.cells[0].text.strip().isdigit()]
    for new, row in enumerate(data_rows, start=1):
        _set_paragraph(row.cells[0].paragraphs[0], str(new))
    _set_paragraph(data_rows[-1].cells[1].paragraphs[0], edition.added_title)
    doc.save(str(dst))
    return edition
