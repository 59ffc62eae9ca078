"""An edition of a plan nobody has seen, for issue #14 (allegato.docx word for word): next year's
Chiari edition (:func:`tests.editions.make_next_edition`) rewritten the way another office writes
Word documents, made with python-docx:

- typed "1) …" items become a real Word numbered list ("%1)"), and the "- …" items under them a
  second-level bullet list; the other "- …" items a first-level bullet list ("–");
- the introduction's heading and the summary's heading take Word heading styles;
- the card banner reads "ANNO 2026 - 2027" (a year range, as some plans print it);
- one paragraph holds a line break, one a money amount with curly quotes.

The oracle of the tests is this document itself (its paragraphs as python-docx reads them),
not the pipeline's reading of it.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.text.paragraph import Paragraph

from tests.editions import make_next_edition

NUMBERED = re.compile(r"^(\d{1,2})\)\s*")
DASHED = re.compile(r"^-\s*")
EXTRA_LINES = ("Riferimenti normativi:", "art. 10 del d.lgs. 150/2009", "art. 6 del d.l. 80/2021")
MONEY_SENTENCE = "Quota riservata alle “progettualità trasversali”: € 1.234,56 per l’anno in corso."


def _list(doc, levels: list[tuple[str, str]]) -> int:
    """A Word list with the given (numFmt, lvlText) per level; returns its numId."""
    numbering = doc.part.numbering_part.element
    aid = max((int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))),
              default=-1) + 1
    lvls = "".join(
        f'<w:lvl w:ilvl="{k}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
        f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{720 + 360 * k}" w:hanging="360"/></w:pPr></w:lvl>'
        for k, (fmt, text) in enumerate(levels))
    abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{aid}">{lvls}</w:abstractNum>')
    nums = numbering.findall(qn("w:num"))
    if nums:
        nums[0].addprevious(abstract)
    else:
        numbering.append(abstract)
    return numbering.add_num(aid).numId


def _number(p: Paragraph, num_id: int, level: int, pattern: re.Pattern) -> None:
    """Drop the typed marker from the paragraph's text and make it a list paragraph."""
    for run in p.runs:
        if run.text:
            run.text = pattern.sub("", run.text, count=1)
            break
    num_pr = p._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = level
    num_pr.get_or_add_numId().val = num_id


def make_blocks_edition(src: str | Path, dst: str | Path):
    """Write the edition to ``dst``; returns the :class:`tests.editions.Edition` of its cards."""
    edition = make_next_edition(src, dst)
    doc = Document(str(dst))
    paragraphs = doc.paragraphs
    numbered = _list(doc, [("decimal", "%1)"), ("bullet", "–")])
    bullets = _list(doc, [("bullet", "–")])
    in_numbered = False
    for p in paragraphs:
        text = p.text
        if not text.strip() or p._p.getparent().tag != qn("w:body"):
            in_numbered = False if not text.strip() else in_numbered
            continue
        if NUMBERED.match(text):
            _number(p, numbered, 0, NUMBERED)
            in_numbered = True
        elif DASHED.match(text) and len(text) > 2:
            _number(p, numbered if in_numbered else bullets, 1 if in_numbered else 0, DASHED)
        else:
            in_numbered = False
        if text.strip() == "ANNO 2025":
            p.runs[0].text = "ANNO 2026 - 2027"
            for r in p.runs[1:]:
                r.text = ""
    intro = next(p for p in paragraphs if p.text.strip() == "Gli obiettivi di performance organizzativa")
    intro.style = doc.styles["Heading 1"]
    summary = next(p for p in paragraphs if p.text.startswith("Riepilogo obiettivi di performance"))
    summary.style = doc.styles["Heading 2"]
    anchor = next(p for p in paragraphs if p.text.startswith("Il conseguimento degli obiettivi"))
    new = anchor.insert_paragraph_before()
    run = new.add_run(EXTRA_LINES[0])
    for line in EXTRA_LINES[1:]:
        run.add_break()
        run = new.add_run(line)
    anchor.insert_paragraph_before(MONEY_SENTENCE)
    doc.save(str(dst))
    return edition
