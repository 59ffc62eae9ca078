"""``allegato.docx``: the Allegato (the plan's objective cards) rebuilt in Word from the record alone.

The document has the shape an office gives it: a cover, an index, the introduction with its rules
as real tables (strategicità weights, head-count bands, macro-categories, the budget), a landscape
summary table with the allocation, then one card per page with the plan's own labels and a real
indicators table. Word styles carry the structure (Title, Heading 1 for the parts, Heading 2 for
each "OBIETTIVO N."), the footer numbers the pages with a PAGE field, numbers and money are Italian
(``91.223,09``).

Only what the record knows is written: an unknown value leaves its label empty, never "None".
The fixed wording lives in ``allegato.yaml`` beside this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from outputs.docx_common import XML_BAD, add_field, add_text_run, cant_split, repeat_header, shade
from pipeline.formatting import format_eur, format_number, format_pct
from pipeline.money import from_cents, to_cents, to_decimal
from pipeline.blocks import corrected
from pipeline.record import Block, Cell, Objective, Plan, PlanRecord

FONT = "Liberation Serif"
BODY_PT = 11
TABLE_PT = 10
SUMMARY_PT = 9
HEADER_FILL = "D9D9D9"

#: Card indicators table: column widths (cm) for an A4 portrait page with 2 cm margins.
INDICATOR_WIDTHS_CM = (5.0, 2.8, 9.2)
#: Summary table: column widths (cm) for an A4 landscape page with 2 cm margins.
SUMMARY_WIDTHS_CM = (0.9, 7.3, 5.0, 2.4, 1.9, 2.3, 1.9, 2.0, 2.0)

#: The bullet glyphs of the plan: "•" (Symbol) for the kinds, "❑" (Wingdings) for macro-categories.
BULLET_SYMBOL = ("\uf0b7", "Symbol")
BULLET_BOX = ("\uf071", "Wingdings")

#: A weight line already present at the end of an indicator's activity (not to be written twice).
_WEIGHT_TAIL = re.compile(r"\(?\s*se\s+complet\w*[^()]*?\d[\d.,]*\s*%[^()]*\)?\s*$", re.IGNORECASE)
#: Characters XML cannot hold (OCR sometimes leaves form feeds and the like).
_ALLEGATO = re.compile(r"\ballegato\s+([A-Za-z0-9]+)\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _text() -> dict[str, Any]:
    with open(Path(__file__).with_name("allegato.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --------------------------------------------------------------------------------------------
# Italian formatting
# --------------------------------------------------------------------------------------------


def it_number(value: float | int | None, decimals: int | None = None) -> str:
    """:func:`pipeline.formatting.format_number`, empty when there is no value (a blank cell)."""
    return format_number(value, decimals, missing="")


def it_money(value: float | int | None) -> str:
    """``91223.09`` -> ``"€ 91.223,09"`` (:func:`pipeline.formatting.format_eur`), empty for None."""
    return format_eur(value, missing="")


def it_percent(value: float | int | None) -> str:
    return format_pct(value, missing="")


def _clean(text: str | None) -> str:
    return "" if text is None else XML_BAD.sub("", str(text)).strip()


def _lines(text: str | None) -> list[str]:
    """A record text field as the paragraphs it was written in (blank lines dropped)."""
    return [ln.strip() for ln in _clean(text).splitlines() if ln.strip()]


def allegato_label(plan: Plan) -> str:
    """"Allegato 2" when the plan's title names its number, else "Allegato"."""
    m = _ALLEGATO.search(plan.title or "")
    return f"Allegato {m.group(1)}" if m else "Allegato"


# --------------------------------------------------------------------------------------------
# Low-level Word helpers
# --------------------------------------------------------------------------------------------


def _set_run_font(run, size: float | None = None, bold: bool | None = None, italic: bool | None = None):
    # The font itself comes from the styles (all based on Normal, in Liberation Serif).
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    if italic is not None:
        run.font.italic = italic
    return run


def _spacing(p: Paragraph, before: float = 0, after: float = 0) -> None:
    pf = p.paragraph_format
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    pf.line_spacing = 1.0


def _para(container, text: str = "", *, style: str | None = None, size: float | None = None,
          bold: bool | None = None, italic: bool | None = None, align=None, before: float = 0,
          after: float = 4, keep_next: bool = False, page_break: bool = False) -> Paragraph:
    p = container.add_paragraph(style=style)
    if text:
        _set_run_font(add_text_run(p, text), size, bold, italic)
    if align is not None:
        p.alignment = align
    _spacing(p, before, after)
    if keep_next:
        p.paragraph_format.keep_with_next = True
    if page_break:
        p.paragraph_format.page_break_before = True
    return p


def _labelled(container, label: str, value: str | None, *, bold_value: bool = False,
              after: float = 6, keep_next: bool = False) -> Paragraph:
    """"Label: value" in one justified paragraph, then one paragraph per further line of value."""
    lines = _lines(value)
    p = _para(container, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=after, keep_next=keep_next)
    _set_run_font(p.add_run(label), bold=True)
    if lines:
        _set_run_font(p.add_run(" " + lines[0]), bold=bold_value)
    for line in lines[1:]:
        _para(container, line, bold=bold_value, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=4)
    return p


def _bookmark(p: Paragraph, name: str, bid: int) -> None:
    p._p.insert(1 if p._p.pPr is not None else 0,
                parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="{bid}" w:name="{name}"/>'))
    p._p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{bid}"/>'))


def _bullet_numbering(doc: DocxDocument, glyph: str, font: str) -> int:
    """Add a one-level bullet list definition; returns its numId."""
    return _add_list(doc, '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/>'
                          f'<w:lvlText w:val="{glyph}"/><w:lvlJc w:val="left"/>'
                          '<w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr>'
                          f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:cs="{font}" w:hint="default"/></w:rPr>'
                          "</w:lvl>")


def _add_list(doc: DocxDocument, levels_xml: str) -> int:
    """Add a list definition (``w:abstractNum`` of the given ``w:lvl`` elements) and a list
    using it; returns the list's numId."""
    numbering = doc.part.numbering_part.element
    aid = max((int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))),
              default=-1) + 1
    abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{aid}">'
                         f'<w:multiLevelType w:val="hybridMultilevel"/>{levels_xml}</w:abstractNum>')
    nums = numbering.findall(qn("w:num"))
    if nums:
        nums[0].addprevious(abstract)
    else:
        numbering.append(abstract)
    return numbering.add_num(aid).numId


def _bullet(container, text: str, num_id: int) -> Paragraph:
    p = _para(container, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=2)
    p._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = num_id
    p._p.pPr.numPr.get_or_add_ilvl().val = 0
    return p


def _fill(cell: _Cell, text: str | Iterable[str], *, size: float, bold: bool = False,
          align=WD_ALIGN_PARAGRAPH.LEFT) -> None:
    """Write one paragraph per line into a (fresh) cell."""
    lines = [text] if isinstance(text, str) else list(text)
    lines = lines or [""]
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for i, line in enumerate(lines):
        p = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        if line:
            _set_run_font(add_text_run(p, line), size, bold)
        p.alignment = align
        _spacing(p, 1, 1)


def _table(container, header: list[str], widths_cm: Iterable[float], size: float) -> Table:
    widths = list(widths_cm)
    table = container.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, title in zip(table.rows[0].cells, header):
        shade(cell, HEADER_FILL)  # before _fill: w:shd must precede w:vAlign in w:tcPr
        _fill(cell, title, size=size, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    repeat_header(table)
    for col, w in zip(table.columns, widths):
        col.width = Cm(w)
    return table


def _add_row(table: Table, values: list[str | list[str]], widths_cm: Iterable[float], size: float,
             aligns: list, bold: bool = False):
    row = table.add_row()
    cant_split(row)
    for cell, value, w, align in zip(row.cells, values, widths_cm, aligns):
        cell.width = Cm(w)
        _fill(cell, value, size=size, bold=bold, align=align)
    return row


def _fix_widths(table: Table, widths_cm: Iterable[float]) -> None:
    widths = list(widths_cm)
    for row in table.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = Cm(w)


# --------------------------------------------------------------------------------------------
# Document set-up: styles, sections, header and footer
# --------------------------------------------------------------------------------------------


def _style_font(style, size: float, bold: bool | None = None, italic: bool | None = False) -> None:
    style.font.name = FONT
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    style.font.size = Pt(size)
    style.font.color.rgb = RGBColor(0, 0, 0)
    if bold is not None:
        style.font.bold = bold
    style.font.italic = italic
    ppr = style.element.pPr
    if ppr is not None:  # the default template draws a blue rule under the Title style
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)


def _new_document() -> DocxDocument:
    doc = Document()
    _style_font(doc.styles["Normal"], BODY_PT, italic=None)
    # Italian proofing for the whole document (styles inherit from Normal)
    rpr = doc.styles["Normal"].element.get_or_add_rPr()
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="it-IT" w:eastAsia="it-IT" w:bidi="ar-SA"/>'))
    _style_font(doc.styles["Title"], 24, bold=True)
    _style_font(doc.styles["Heading 1"], 14, bold=True)
    _style_font(doc.styles["Heading 2"], 12, bold=True)
    for name in ("Header", "Footer"):
        _style_font(doc.styles[name], 10, italic=None)
    for name in ("Title", "Heading 1", "Heading 2"):
        doc.styles[name].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        doc.styles[name].paragraph_format.space_before = Pt(0)
    section = doc.sections[0]
    _page(section, landscape=False)
    return doc


def _page(section, landscape: bool) -> None:
    a4_short, a4_long = Cm(21.0), Cm(29.7)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (a4_long, a4_short) if landscape else (a4_short, a4_long)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = Cm(2.5)
    section.bottom_margin = Cm(2.0)
    section.header_distance = Cm(1.25)
    section.footer_distance = Cm(1.0)


def _header_footer(doc: DocxDocument, label: str) -> None:
    """The Allegato's label top right on the introduction and the summary (not on the cover, nor
    on the cards, which are headed by their own banner); the page number bottom centre, from the
    index on."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _set_run_font(header.add_run(label), 10, italic=True)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_field(footer, "PAGE", "1", lambda r: _set_run_font(r, 10))


# --------------------------------------------------------------------------------------------
# The parts of the Allegato
# --------------------------------------------------------------------------------------------


def _cover(doc: DocxDocument, plan: Plan, label: str) -> None:
    t = _text()["cover"]
    _para(doc, label, size=12, bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT, after=0)
    _para(doc, after=70)
    entity = _clean(plan.entity).upper()
    if entity:
        if not entity.startswith(("COMUNE", "CITTÀ", "CITTA", "UNIONE", "PROVINCIA")):
            entity = t["entity_prefix"] + entity
        _para(doc, entity, size=26, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=4)
    if _clean(plan.province):
        _para(doc, f"PROVINCIA DI {_clean(plan.province).upper()}", size=14,
              align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(doc, after=70)
    title = _para(doc, t["plan"], style="Title", size=24, bold=True, after=6)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    period = _clean(plan.period) or (str(plan.year) if plan.year else "")
    if period:
        _para(doc, t["period"].format(period=period), size=16, bold=True,
              align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _para(doc, after=70)
    for line in t["lines"]:
        _para(doc, line, size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)


def _index(doc: DocxDocument, has_cards: bool, cards_page_guess: int) -> None:
    t = _text()["index"]
    _para(doc, t["heading"], size=14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=24,
          page_break=True)
    entries = [(t["intro"], "allegato_intro", 3)]
    if has_cards:
        entries.append((t["cards"], "allegato_schede", cards_page_guess))
    for text, bookmark, guess in entries:
        p = _para(doc, text, after=12)
        p.paragraph_format.tab_stops.add_tab_stop(Cm(17.0), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        _set_run_font(p.add_run("\t" + t["page"]))
        add_field(p, f"PAGEREF {bookmark} \\h", str(guess), _set_run_font)


def _introduction(doc: DocxDocument, plan: Plan) -> None:
    t = _text()["intro"]
    period = _clean(plan.period)
    heading = _para(doc, t["heading"], style="Heading 1", size=14, bold=True, after=12,
                    page_break=True)
    _bookmark(heading, "allegato_intro", 1)
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    of_piao = t["of_piao"].format(period=period) if period else ""
    _para(doc, t["opening"].format(of_piao=of_piao), align=justify, after=4)
    _para(doc, t["kinds_lead"], align=justify, after=4)
    dot = _bullet_numbering(doc, *BULLET_SYMBOL)
    for kind in t["kinds"]:
        _bullet(doc, kind, dot)
    _para(doc, after=0)
    _para(doc, t["weights_lead"], align=justify, after=6)

    if plan.strategic_weights:
        table = _table(doc, t["strategic_header"], (10.0, 3.0), BODY_PT)
        for i, (level, weight) in enumerate(plan.strategic_weights.items(), start=1):
            _add_row(table, [f"{i}. {_clean(level)}", it_number(weight)], (10.0, 3.0), BODY_PT,
                     [WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER])
        _fix_widths(table, (10.0, 3.0))
        _para(doc, after=0)
    if plan.staff_bands:
        table = _table(doc, t["staff_header"], (10.0, 3.0), BODY_PT)
        for band in plan.staff_bands:
            _add_row(table, [_clean(band.label), it_number(band.coefficient, 2)], (10.0, 3.0), BODY_PT,
                     [WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER])
        _fix_widths(table, (10.0, 3.0))
        _para(doc, after=0)

    if plan.categories:
        _para(doc, t["categories_lead"], align=justify, after=4)
        box = _bullet_numbering(doc, *BULLET_BOX)
        for category in plan.categories:
            _bullet(doc, _clean(category), box)
        _para(doc, after=0)

    of_entity = t["of_entity"].format(entity=_clean(plan.entity)) if _clean(plan.entity) else ""
    _para(doc, t["condition"].format(of_entity=of_entity), align=justify, after=4)
    budget = _budget_sentence(plan)
    if budget:
        _para(doc, budget, align=justify, after=4)
    _para(doc, t["summary_lead"], align=justify, after=4)


def _budget_sentence(plan: Plan) -> str:
    """The budget paragraph, with a clause for each known part of the fund."""
    t = _text()["intro"]
    b = plan.budget
    parts: list[str] = []
    if b.total is not None:
        parts.append(t["budget_total"].format(total=it_money(b.total)))
        if b.allocated is not None:
            parts.append(t["budget_allocated"].format(allocated=it_money(b.allocated)))
    elif b.allocated is not None:
        parts.append(t["budget_allocated_only"].format(allocated=it_money(b.allocated)))
    if parts and b.reserve is not None:
        parts.append(t["budget_reserve"].format(reserve=it_money(b.reserve)))
    if parts and b.welfare is not None:
        parts.append(t["budget_welfare"].format(welfare=it_money(b.welfare)))
    if not parts:
        return ""
    return " ".join(parts).rstrip(" ,") + "."


def summary_rows(record: PlanRecord) -> list[dict[str, Any]]:
    """The rows of the summary table: the allocation if there is one, else the plan's printed
    summary, else what the cards themselves say (number, title, scope, strategicità, staff)."""
    rows: list[dict[str, Any]] = []
    if record.allocations:
        for a in record.allocations:
            obj = record.objective(a.objective) if a.objective is not None else None
            rows.append(dict(number=a.objective, title=obj.title if obj else None,
                             scope=a.scope or (obj.scope_line if obj else None),
                             level=a.strategic_level, staff=a.staff_count, weight=a.strategic_weight,
                             coefficient=a.staff_coefficient, points=a.points, amount=a.amount_eur))
    elif record.plan.summary:
        for s in record.plan.summary:
            obj = record.objective(s.number) if s.number is not None else None
            rows.append(dict(number=s.number, title=s.title or (obj.title if obj else None),
                             scope=s.scope or (obj.scope_line if obj else None),
                             level=s.strategic_level, staff=s.staff_count, weight=s.strategic_weight,
                             coefficient=s.staff_coefficient, points=s.points, amount=s.amount_eur))
    else:
        for o in record.objectives:
            rows.append(dict(number=o.number, title=o.title, scope=o.scope_line, level=o.strategic_level,
                             staff=o.staff_count, weight=None, coefficient=None, points=None, amount=None))
    return rows


def _total(values: list[Any]) -> float | None:
    """The column's total, only when every row's value is known (a partial sum is no total);
    added in exact decimals, as the money module adds euros, then rounded to the cent."""
    if not values or any(v is None for v in values):
        return None
    return from_cents(to_cents(sum(to_decimal(v) for v in values)))


def _summary(doc: DocxDocument, record: PlanRecord) -> None:
    t = _text()["summary"]
    plan = record.plan
    of_year = t["of_year"].format(year=plan.year) if plan.year else ""
    _para(doc, t["heading"].format(of_year=of_year), style="Heading 1", size=13, bold=True, after=10)
    rows = summary_rows(record)
    left, center, right = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    aligns = [center, left, left, center, center, center, center, right, right]
    table = _table(doc, t["header"], SUMMARY_WIDTHS_CM, SUMMARY_PT)
    for r in rows:
        _add_row(table, [
            "" if r["number"] is None else str(r["number"]), _clean(r["title"]), _clean(r["scope"]),
            _clean(r["level"]), "" if r["staff"] is None else str(r["staff"]), it_number(r["weight"]),
            it_number(r["coefficient"], 2), it_number(r["points"], 2), it_number(r["amount"], 2),
        ], SUMMARY_WIDTHS_CM, SUMMARY_PT, aligns)
    points = _total([r["points"] for r in rows])
    amount = _total([r["amount"] for r in rows])
    if not record.allocations and plan.summary and plan.summary_total_eur is not None:
        amount = plan.summary_total_eur  # the printed TOTALE, as printed
    if points is not None or amount is not None:
        row = _add_row(table, [t["total"], "", "", "", "", "", "", it_number(points, 2),
                               it_number(amount, 2)], SUMMARY_WIDTHS_CM, SUMMARY_PT,
                       [right] * 9, bold=True)
        merged = row.cells[0].merge(row.cells[6])
        for extra in merged.paragraphs[1:]:  # merging keeps the empty cells' paragraphs
            extra._p.getparent().remove(extra._p)
    _fix_widths(table, SUMMARY_WIDTHS_CM)
    _para(doc, after=0)
    allocated = plan.budget.allocated
    note = t["note"].format(allocated=it_money(allocated)) if allocated is not None else t["note_no_budget"]
    _para(doc, note, size=9, after=0)


def _indicator_activity(activity: str | None, weight: float | int | None) -> list[str]:
    lines = _lines(activity)
    if lines and _WEIGHT_TAIL.search(lines[-1]):
        # The record kept the card's own weight line: drop it, the weight below is the record's.
        last = _WEIGHT_TAIL.sub("", lines[-1]).strip()
        lines = lines[:-1] + ([last] if last else [])
    if weight is not None:
        lines.append(_text()["card"]["weight"].format(weight=it_percent(weight)))
    return lines


def _card(doc: DocxDocument, plan: Plan, obj: Objective, first: bool) -> None:
    t = _text()["card"]
    center = WD_ALIGN_PARAGRAPH.CENTER
    head = _para(doc, t["heading"], size=14, bold=True, align=center, after=0, keep_next=True,
                 page_break=not first)
    if first:
        _bookmark(head, "allegato_schede", 2)
    if plan.year:
        _para(doc, t["year"].format(year=plan.year), size=12, bold=True, align=center, after=12,
              keep_next=True)
    if _clean(obj.scope_line):
        _para(doc, _clean(obj.scope_line), size=11, bold=True, align=center, after=12, keep_next=True)
    number = t["number"].format(number=obj.number) if obj.number is not None else t["number_unknown"]
    _para(doc, number, style="Heading 2", size=12, bold=True, after=12, keep_next=True)

    title = " ".join(_lines(obj.title))
    _labelled(doc, t["title"], title, bold_value=True)
    _labelled(doc, t["description"], obj.description)
    _labelled(doc, t["timeframe"], obj.timeframe)
    _labelled(doc, t["phases"], obj.phases)
    _para(doc, t["activities"], bold=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=6, keep_next=True)
    for line in _lines(obj.activities):
        _para(doc, line, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=4)

    if obj.indicators:
        _para(doc, after=0, keep_next=True)
        table = _table(doc, t["indicators_header"], INDICATOR_WIDTHS_CM, TABLE_PT)
        left = WD_ALIGN_PARAGRAPH.LEFT
        for ind in obj.indicators:
            _add_row(table, [_lines(ind.name) or [""], _lines(ind.target) or [""],
                             _indicator_activity(ind.activity, ind.weight_pct)],
                     INDICATOR_WIDTHS_CM, TABLE_PT, [left, center, left])
        _fix_widths(table, INDICATOR_WIDTHS_CM)
        _para(doc, after=0)

    _labelled(doc, t["threshold"], it_percent(obj.threshold_pct), bold_value=True)
    _labelled(doc, t["staff"], obj.staff_text)
    _labelled(doc, t["verification"], obj.verification)


def estimate_cards_page(record: PlanRecord) -> int:
    """A first guess of the page where the cards start, shown until the index field is updated
    (LibreOffice updates it on opening; Word on F9): cover, index, two pages of introduction, the
    summary table at about eleven rows a page."""
    rows = len(summary_rows(record))
    return 3 + 2 + max(1, -(-rows // 11))


def regeneration_notes(record: PlanRecord) -> list[str]:
    """Where the regenerated Allegato differs from its source, one Italian sentence each."""
    t = _text()["regeneration"]
    notes = [t["source"].format(file=record.source.file, sha=record.source.sha256[:16])]
    notes += [t["number_supplied"].format(number=o.number) for o in record.objectives
              if not o.number_printed and o.number is not None]
    if uses_blocks(record):
        notes += [_text()["blocks"]["corrected"].format(number=o.number) for o in record.objectives
                  if corrected(o) or (not o.blocks and record_has_card_blocks(record))]
    notes += [t["reading"].format(note=n.rstrip(".")) for n in record.source.reading_notes]
    return notes


def _regeneration_notes(doc: DocxDocument, record: PlanRecord) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=False)
    _para(doc, _text()["regeneration"]["heading"], bold=True, size=12)
    for note in regeneration_notes(record):
        _para(doc, note)


def write_allegato(record: PlanRecord, path: str | Path) -> None:
    """Write the Allegato for ``record`` to ``path`` (.docx): word for word from the document's
    own blocks when the record has them (:func:`_from_blocks`), else rebuilt from its fields."""
    plan = record.plan
    if uses_blocks(record):
        doc = _from_blocks(record)
        _properties(doc, plan)
        doc.save(str(path))
        return
    doc = _new_document()
    _header_footer(doc, allegato_label(plan))
    _cover(doc, plan, allegato_label(plan))
    _index(doc, bool(record.objectives), estimate_cards_page(record))
    _introduction(doc, plan)

    summary = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(summary, landscape=True)
    summary.different_first_page_header_footer = False
    _summary(doc, record)

    if record.objectives:
        cards = doc.add_section(WD_SECTION.NEW_PAGE)
        _page(cards, landscape=False)
        cards.different_first_page_header_footer = False
        cards.header.is_linked_to_previous = False  # the cards carry no running header, as in the plan
        for i, obj in enumerate(record.objectives):
            _card(doc, plan, obj, first=i == 0)

    _regeneration_notes(doc, record)
    _properties(doc, plan)
    doc.save(str(path))


def _properties(doc: DocxDocument, plan: Plan) -> None:
    props = doc.core_properties
    props.title = " - ".join(x for x in (_text()["document_title"], _clean(plan.entity),
                                         _clean(plan.period)) if x)
    props.author = props.last_modified_by = _clean(plan.entity) or "piao-pipeline"
    props.created = props.modified = datetime.now(timezone.utc).replace(microsecond=0)
    props.language = "it-IT"


# --------------------------------------------------------------------------------------------
# Word for word: the document's own blocks (issue #14)
# --------------------------------------------------------------------------------------------

_ALIGNS = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
           "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
#: A typed or numbered enumerator: its counter and the text around it ("1)", "a.", "(iv)").
_ENUMERATOR = re.compile(r"^(\W*)(\d+|[a-zA-Z])(\W*)$")


def record_has_card_blocks(record: PlanRecord) -> bool:
    return any(o.blocks for o in record.objectives)


def uses_blocks(record: PlanRecord) -> bool:
    """Whether the record keeps the document's blocks (records made before issue #14 do not)."""
    return bool(record.plan.blocks) or record_has_card_blocks(record)


def _xml_text(text: str | None) -> str:
    return XML_BAD.sub("", text or "")


class _Grid:
    """``table.cell(r, c)`` without its cost: python-docx's ``Table.cell`` lays out every cell
    of the table again on each call (``Table._cells``), quadratic in the cells of a table. Here
    the layout is taken once, and again only after the table's structure changed (a merge)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.n_cols = len(table.columns)
        self._cells: list[_Cell] | None = None

    def cell(self, r: int, c: int) -> _Cell:
        """The cell at row ``r``, grid column ``c`` (as ``table.cell(r, c)``)."""
        if self._cells is None:
            self._cells = self.table._cells
        return self._cells[c + r * self.n_cols]

    def changed(self) -> None:
        """Cells were merged: lay the table out again at the next :meth:`cell`."""
        self._cells = None


class _BlockWriter:
    """Writes blocks into a python-docx document, one Word list per run of numbered items."""

    def __init__(self, doc: DocxDocument) -> None:
        self.doc = doc
        self.first_section = True
        self.break_pending = False
        self.list_num: dict[tuple[str, int], int] = {}
        #: per enumerated list, the number its next item prints (a list goes on across prose,
        #: as Word's do; an item printing another number starts a new list)
        self.next_counter: dict[tuple[str, int], int] = {}
        self.last_list: tuple[str, int] | None = None
        self.page: int | None = None
        self.last_table = False

    def _turns_page(self, b: Block) -> bool:
        """Whether ``b`` was printed on a later page than the block before it."""
        turned = b.page is not None and self.page is not None and b.page > self.page
        if b.page is not None:
            self.page = b.page
        return turned

    @staticmethod
    def _mark_page(p: Paragraph) -> None:
        """Record where the original's pages broke (``w:lastRenderedPageBreak``, the mark a word
        processor leaves where its layout broke the page): readers paginate as the original."""
        run = p.runs[0] if p.runs else p.add_run()
        run._r.insert(1 if run._r.rPr is not None else 0,
                      parse_xml(f'<w:lastRenderedPageBreak {nsdecls("w")}/>'))

    # -- lists ---------------------------------------------------------------------------------

    def _num_id(self, marker: str, level: int) -> int:
        """A Word list for ``marker``: a bullet of that glyph, or a counter in its format starting
        at its number; a run of items with the same format shares one list."""
        m = _ENUMERATOR.match(marker)
        key = ("enum:" + (m.group(1) + "#" + m.group(3) + ("a" if m.group(2).isalpha() else "1"))
               if m else "bullet:" + marker, level)
        counter = None
        if m:
            c = m.group(2)
            counter = (ord(c.lower()) - ord("a") + 1) if c.isalpha() else int(c)
        if key in self.list_num and (self.last_list == key if counter is None
                                     else self.next_counter.get(key) == counter):
            if counter is not None:
                self.next_counter[key] = counter + 1
            return self.list_num[key]
        if counter is not None:
            self.next_counter[key] = counter + 1
        if m:
            c = m.group(2)
            fmt = ("lowerLetter" if c.islower() else "upperLetter") if c.isalpha() else "decimal"
            start = counter
            text = (m.group(1) + f"%{level + 1}" + m.group(3)).replace("&", "&amp;").replace('"', "&quot;")
            rpr = ""
        else:
            fmt, start, text = "bullet", 1, marker.replace("&", "&amp;").replace('"', "&quot;")
            font = _text()["blocks"]["bullet_fonts"].get(marker)
            rpr = (f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:cs="{font}" w:hint="default"/></w:rPr>'
                   if font else "")
        lvls = "".join(
            f'<w:lvl w:ilvl="{k}"><w:start w:val="{start if k == level else 1}"/>'
            f'<w:numFmt w:val="{fmt if k == level else "decimal"}"/>'
            f'<w:lvlText w:val="{text if k == level else ""}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{720 + 360 * k}" w:hanging="360"/></w:pPr>'
            f'{rpr if k == level else ""}</w:lvl>' for k in range(max(level + 1, 1)))
        num_id = _add_list(self.doc, lvls)
        self.list_num[key] = num_id
        return num_id

    # -- paragraphs and tables -----------------------------------------------------------------

    def paragraph(self, container, b: Block, text: str | None = None) -> Paragraph:
        style = None
        if b.kind == "heading":
            style = "Title" if not b.level else f"Heading {min(b.level, 9)}"
        p = container.add_paragraph(style=style)
        value = _xml_text(b.text if text is None else text)
        if value:
            run = add_text_run(p, value)
            if b.bold:
                run.bold = True
        size = b.size or ({0: 20, 1: 14, 2: 12}.get(b.level or 1, BODY_PT) if b.kind == "heading" else None)
        for r in p.runs:
            if size and abs(size - BODY_PT) > 0.2:
                r.font.size = Pt(size)
            if b.kind == "heading":
                r.bold = True
        p.alignment = _ALIGNS.get(b.align or "left")
        _spacing(p, 0, b.space_after if b.space_after is not None else 0)
        if b.kind == "list_item" and b.numbered and b.marker:
            level = b.level or 0
            num_pr = p._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = level
            num_pr.get_or_add_numId().val = self._num_id(b.marker, level)
            m = _ENUMERATOR.match(b.marker)
            self.last_list = ((("enum:" + m.group(1) + "#" + m.group(3) + ("a" if m.group(2).isalpha() else "1"))
                               if m else "bullet:" + b.marker), level)
        elif b.kind == "list_item":
            p.paragraph_format.left_indent = Cm(0.63 * ((b.level or 0) + 1))
        if b.kind != "list_item":
            self.last_list = None
        if self.break_pending:
            p.paragraph_format.page_break_before = True
            self.break_pending = False
        if self._turns_page(b):
            self._mark_page(p)
        return p

    def table(self, b: Block) -> None:
        if not b.rows or not b.rows[0]:
            return
        if self.break_pending:
            self.doc.add_paragraph().paragraph_format.page_break_before = True
            self.break_pending = False
        elif self.last_table:
            _spacing(self.doc.add_paragraph(), 0, 0)  # two tables in a row would run into one
        n_cols = max(len(r) for r in b.rows)
        table = self.doc.add_table(rows=len(b.rows), cols=n_cols)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        size = b.size or TABLE_PT
        if len(b.widths) == n_cols:
            table.autofit = False
            for col, w in zip(table.columns, b.widths):
                col.width = Pt(w)
        grid = _Grid(table)
        for r, row in enumerate(b.rows):
            for c, cell in enumerate(row):
                target = grid.cell(r, c)
                if len(b.widths) == n_cols:
                    target.width = Pt(b.widths[c])
                self._fill_cell(target, cell, bold=r < b.header_rows, size=size)
        for r in range(min(b.header_rows, len(table.rows))):
            table.rows[r]._tr.get_or_add_trPr().append(
                parse_xml(f'<w:tblHeader {nsdecls("w")} w:val="true"/>'))
        self._merge(grid, b.rows)
        if self._turns_page(b):
            self._mark_page(grid.cell(0, 0).paragraphs[0])
        if len(b.row_pages) == len(b.rows):
            for r in range(1, len(b.rows)):
                if b.row_pages[r] > b.row_pages[r - 1]:
                    self._mark_page(grid.cell(r, 0).paragraphs[0])
            self.page = max(self.page or 0, b.row_pages[-1])
        self.last_list = None
        self.last_table = True

    @staticmethod
    def _fill_cell(target: _Cell, cell: Cell, bold: bool, size: float) -> None:
        for i, text in enumerate(cell.paragraphs or [""]):
            p = target.paragraphs[0] if i == 0 else target.add_paragraph()
            value = _xml_text(text)
            if value:
                run = add_text_run(p, value)
                run.font.size = Pt(size)
                if bold:
                    run.bold = True
            _spacing(p, 0, 0)

    @staticmethod
    def _merge(grid: _Grid, rows: list[list[Cell]]) -> None:
        """Merge what the original merged: first across (a "left" cell joins its left
        neighbour), then down (an "up" cell joins the cell above)."""
        n_rows = len(rows)
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):
                end = c
                while end + 1 < len(row) and row[end + 1].merged == "left":
                    end += 1
                if end > c:
                    try:
                        grid.cell(r, c).merge(grid.cell(r, end))
                    except Exception:  # noqa: BLE001 - an irregular grid: keep the cells apart
                        pass
                    grid.changed()
                c = end + 1
        for c in range(max(len(r) for r in rows)):
            r = 0
            while r < n_rows:
                end = r
                while end + 1 < n_rows and c < len(rows[end + 1]) and rows[end + 1][c].merged == "up":
                    end += 1
                if end > r and rows[r][c].merged != "left":
                    try:
                        merged = grid.cell(r, c).merge(grid.cell(end, c))
                        for extra in merged.paragraphs[1:]:
                            if not extra.text and len(merged.paragraphs) > 1:
                                extra._p.getparent().remove(extra._p)
                    except Exception:  # noqa: BLE001
                        pass
                    grid.changed()
                r = end + 1

    def section(self, b: Block) -> None:
        if self.first_section:
            _page(self.doc.sections[0], landscape=bool(b.landscape))
            self.first_section = False
            return
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        _page(section, landscape=bool(b.landscape))
        self.break_pending = self.last_table = False

    def write(self, blocks: list[Block], heading_text=None) -> None:
        for b in blocks:
            if b.kind == "section":
                self.section(b)
            elif b.kind == "page_break":
                self.break_pending = True
            elif b.kind == "table":
                self.table(b)
            else:
                text = heading_text(b) if heading_text is not None else None
                self.paragraph(self.doc, b, text)
                self.last_table = False
            if b.kind != "section":
                self.first_section = False


def _from_blocks(record: PlanRecord) -> DocxDocument:
    """The Allegato as the original prints it: its blocks in order, card by card; a card whose
    fields were corrected after reading (``piao render``) is rebuilt from the record instead; a
    heading printed without its number gets it; "Note sulla rigenerazione" closes it."""
    plan = record.plan
    doc = _new_document()
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    add_field(footer, "PAGE", "1", lambda r: _set_run_font(r, 10))
    writer = _BlockWriter(doc)
    writer.write(plan.blocks)
    card_blocks = record_has_card_blocks(record)
    for i, obj in enumerate(record.objectives):
        if not card_blocks:
            break
        if obj.blocks and not corrected(obj):
            def heading_text(b: Block, obj: Objective = obj) -> str | None:
                if b.role == "card_heading" and not obj.number_printed and obj.number is not None:
                    return (b.text or "").rstrip() + f" {obj.number}"
                return None
            writer.write(obj.blocks, heading_text)
        else:
            writer.break_pending = False
            _card(doc, plan, obj, first=False)
    _regeneration_notes(doc, record)
    return doc
