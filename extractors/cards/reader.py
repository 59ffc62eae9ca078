"""Parse the objective cards ("schede obiettivo") of a Piano della Performance.

Input is the layout :class:`~extractors.layout.Document` any back-end produces (PDF text layer,
DOCX, Tesseract, plain OCR text); output is a list of :class:`~pipeline.record.Objective`.

A card reads::

    PERFORMANCE ORGANIZZATIVA / ANNO 2025 / <scope line> / OBIETTIVO N. x / OBIETTIVO: <title> /
    Descrizione dell'obiettivo / Tempi di attuazione / Fasi di attuazione / Attività operative ... /
    <indicators table: Indicatori operativi | Quantità | Attività riferibile agli indicatori> /
    Soglia minima risultato atteso / Personale da coinvolgere ... / Indicatori per la verifica ...

The card is cut into fields by its labels (patterns in ``vocabulary.yaml``). Indicators come
from the ruled table when the back-end found one (digital PDF, DOCX): fragments of a table broken
across pages are joined and a row split by the page break is merged back. Without a table
(scans, OCR text) the indicator region is read from the lines alone: by column position when the
words have boxes, by the shape of the text otherwise (rows end at the "(se completata =
raggiungimento X% obiettivo)" line, the quantity is the "n.1 azione"-like token).

General rules only: nothing here knows one plan's titles, numbers or pages.

Without a ruled table but with word boxes, the borderless table is rebuilt from the words
(:mod:`.unruled`) beside the fixed three-column reading (:mod:`.lines`); the reading that explains
the region best wins (:func:`_best_rows`).

This module wires the stages: :mod:`.find` -> :mod:`.fields` -> :mod:`.tables`, :mod:`.unruled`
or :mod:`.lines` -> :mod:`.values`."""

from __future__ import annotations

import re

from extractors.cards.columns import _is_indicator_table, unknown_columns
from extractors.cards.fields import SHORT_FIELDS, FIELDS, _first_paragraph, _label_of, level_value
from extractors.cards.find import _Card, _find_cards, heading_of
from extractors.cards.lines import _has_boxes, _rows_from_boxed_lines, _rows_from_plain_lines
from extractors.cards.settings import DEFAULT as S
from extractors.cards.tables import Repair, _Row, _indicator_from_row, _rows_from_tables, _tables_for_card
from extractors.cards.unruled import rows_from_unruled
from extractors.cards.values import _count_staff, _norm, _to_number, join_lines, kind_of, ocr_fix
from extractors.cards.vocabulary import patterns
from extractors.layout import Document, Line, Table
from extractors.normalize import fold
from pipeline.notes import ocr_repair_note
from pipeline.record import Objective


def read_cards(doc: Document, year: int | None = None):
    """The card-by-card reading of the document (a :class:`~extractors.cards.Reading`)."""
    from extractors.cards import Reading

    notes: list[str] = []
    objectives = _read_cards(doc, year, notes)
    return Reading(layout="cards", objectives=objectives, notes=notes)


def _read_cards(doc: Document, year: int | None, notes: list[str]) -> list[Objective]:
    """Every objective card of the document, in order.

    ``year`` is the plan's year (used by staff counting for texts like "2025: ...; 2026: ...");
    when ``None`` the card's own "ANNO" line is used.
    """
    lines: list[Line] = []
    ocr_flags: list[bool] = []
    for page in doc.pages:
        for ln in page.lines:
            lines.append(ln)
            ocr_flags.append(page.ocr or doc.format == "text")
    texts = _with_cell_labels([_norm(ln.text) for ln in lines], doc)
    cards = _find_cards(texts, [ln.page for ln in lines], lines)
    heights = {p.number: p.height for p in doc.pages}
    all_tables = [t for p in doc.pages for t in p.tables if _is_indicator_table(t)]
    used: set[int] = set()
    objectives: list[Objective] = []
    repairs: list[list[Repair]] = []
    for k, card in enumerate(cards):
        nxt = cards[k + 1] if k + 1 < len(cards) else None
        repairs.append([])
        obj = _parse_card(card, lines, texts, ocr_flags, heights, all_tables, used, nxt, year=year,
                          paragraph_lines=doc.format == "docx", repairs=repairs[-1])
        objectives.append(obj)
    _fill_numbers(objectives)
    _running_numbers(objectives, [c.heading for c in cards])
    for obj, made in zip(objectives, repairs):  # numbered now: the notes name the objective
        notes += [ocr_repair_note(obj.number, position, page, read, repaired)
                  for position, page, read, repaired in made]
    for t in {id(t): t for t in all_tables}.values():
        unknown = unknown_columns(t.rows[0])
        if unknown:
            notes.append(f"tabella degli indicatori a pag. {t.page}: colonna non riconosciuta "
                         + ", ".join(f"«{u}»" for u in unknown))
    return objectives


def _label_cells(doc: Document) -> dict[str, str]:
    """Label/value tables (a card as rows "Descrizione | <text>", "Obiettivo n. 3 | <title>"):
    {first cell as printed: separator} for every row whose first cell is a field label (the
    label then reads as if followed by ": ") or a card heading (" – ")."""
    out: dict[str, str] = {}
    for page in doc.pages:
        for table in page.tables:
            found: dict[str, str] = {}
            for row in table.rows:
                if len(row) < 2 or not (row[0] or "").strip() or not any((c or "").strip() for c in row[1:]):
                    continue
                cell = _norm((row[0] or "").split("\n")[0])
                if len(cell) > 60 or cell.endswith(":"):
                    continue
                if heading_of(cell) is not None:
                    found[cell] = " – "
                elif _label_of(cell + ":", "other") is not None or _label_of(cell + ":", None) is not None:
                    found[cell] = ": "
            if len(found) >= 2:  # one label in a table is a coincidence; two are a layout
                out.update(found)
    return out


def _with_cell_labels(texts: list[str], doc: Document) -> list[str]:
    """Lines of label/value rows with the separator the label cell implies ("Scadenza 31/12"
    -> "Scadenza: 31/12"), so the card reader cuts them into fields like printed labels."""
    cells = _label_cells(doc)
    if not cells:
        return texts
    out = []
    for t in texts:
        for cell, sep in cells.items():
            if t.startswith(cell + " ") and not t[len(cell):].lstrip().startswith((":", "–", "-")):
                t = cell + sep + t[len(cell):].strip()
                break
        out.append(t)
    return out


def _running_numbers(objectives: list[Objective], headings: list[str]) -> None:
    """Numbering that restarts per service ("Servizio Tributi – Obiettivo n. 1", then "Polizia
    Locale – Obiettivo n. 1"): every segment starts again at 1. Then ``number`` is the running
    number 1..N in document order and ``printed_label`` the heading as printed. A single number
    printed twice is not a restart (the numbering check reports it)."""
    printed = [o.number for o in objectives]
    starts = [k for k, n in enumerate(printed) if n == 1]
    if len(starts) < 2 or starts[0] != 0:
        return
    def bare(heading: str) -> str:
        return re.sub(r"\d+", "", fold(heading))

    for k in starts[1:]:
        if objectives[k].scope_line == objectives[k - 1].scope_line and bare(headings[k]) == bare(headings[k - 1]):
            return  # same service, same heading: a number printed again, not a restart
    for k, o in enumerate(objectives):
        o.printed_label = headings[k]
        o.number = k + 1


def _fill_numbers(objectives: list[Objective]) -> None:
    """A card printed without a number gets the one its position implies."""
    for i, o in enumerate(objectives):
        if o.number is not None:
            continue
        prev = next((objectives[j].number for j in range(i - 1, -1, -1) if objectives[j].number is not None), None)
        if prev is not None:
            o.number = prev + (i - max(j for j in range(i) if objectives[j].number is not None))
        else:
            nxt = next(((j, objectives[j].number) for j in range(i + 1, len(objectives))
                        if objectives[j].number is not None), None)
            o.number = nxt[1] - (nxt[0] - i) if nxt else i + 1


def _explains(rows: list[_Row] | None) -> tuple[bool, int, int]:
    """How well a reading of an indicator region explains it: weights that add up to 100, rows
    with a name and a weight, fewest rows left without a weight (a cell cut in two)."""
    rows = rows or []
    weights = [r.weight for r in rows if r.weight is not None]
    return (bool(weights) and abs(sum(weights) - 100) < 0.01,
            sum(1 for r in rows if r.name and r.weight is not None), -sum(1 for r in rows if r.weight is None))


def _best_rows(*readings: list[_Row] | None) -> list[_Row] | None:
    """Evidence decides between the readings of a region without a ruled table (the three fixed
    columns of the interleaved template, the generic unruled table, the plain lines): the one
    that explains the region best wins, the earlier one on a tie (the template the first was
    made for). A reading that found nothing (``None`` or no row) is no candidate."""
    best: list[_Row] | None = None
    for rows in readings:
        if rows and (best is None or _explains(rows) > _explains(best)):
            best = rows
    return best


def _is_footer(line: Line, height: float) -> bool:
    """A page number printed in the footer (only recognisable with geometry)."""
    return bool(height) and line.top > S.footer_band * height and re.fullmatch(r"\W*\d{1,3}\W*", line.text or "") is not None


def _parse_card(card: _Card, lines: list[Line], texts: list[str], ocr_flags: list[bool],
                heights: dict[int, float], tables: list[Table], used: set[int], nxt: _Card | None,
                year: int | None, paragraph_lines: bool = False, repairs: list[Repair] | None = None) -> Objective:
    """One card's objective; the OCR repairs made in its quantity cells go to ``repairs``."""
    p = patterns()
    ocr = any(ocr_flags[card.start:card.end])
    fix = ocr_fix if ocr else _norm
    buckets: dict[str, list[int]] = {f: [] for f in FIELDS}
    buckets["other"] = []
    first_text: dict[str, str] = {}
    state: str | None = None
    for i in range(card.number_line + 1, card.end):
        t = texts[i]
        if not t:
            continue
        if _is_footer(lines[i], heights.get(lines[i].page, 0.0)):
            continue
        awaiting = (state is not None and len(buckets.get(state, [])) == 1
                    and not first_text.get(f"{state}:{buckets[state][0]}"))  # label alone, value next
        if (state != "indicators" and re.fullmatch(r"[^\w%]*\d{1,3}[^\w%]*", t)
                and state not in (None, "title") and not awaiting):
            # a bare page number in text without geometry (never inside the indicator region,
            # never the value a label on its own announces; "70%" is a value, not a page number)
            continue
        lab = _label_of(t, state)
        if lab is not None and not (state == "indicators" and lab[0] == "indicators"):
            state, rest = lab
            buckets[state].append(i)
            first_text[f"{state}:{i}"] = rest
            continue
        if state == "staff" and p["sub_heading"].match(t):
            state = "other"
        if state in SHORT_FIELDS and p["unknown_label"].match(t):
            state = "other"
        if state == "threshold" and buckets["threshold"] and i != buckets["threshold"][0] and (
                first_text[f"threshold:{buckets['threshold'][0]}"] or len(buckets["threshold"]) > 1):
            state = "other"  # one line of threshold, the label's own or (label alone) the next
        if state is None:
            state = "other"
        buckets[state].append(i)

    def text_of(name: str) -> str | None:
        parts = []
        for i in buckets[name]:
            key = f"{name}:{i}"
            parts.append(first_text[key] if key in first_text else texts[i])
        out = join_lines([fix(x) for x in parts])
        return out or None

    def page_of(name: str) -> int | None:
        idx = buckets[name]
        return lines[idx[0]].page if idx else None

    if not buckets["description"] and len(buckets["title"]) > 1:
        # a title label followed by unlabelled paragraphs (piano-tipo cards): the title is the
        # label's own paragraph, the paragraphs after it describe the objective
        keep = _first_paragraph([lines[i] for i in buckets["title"]], paragraph_lines)
        buckets["description"] = buckets["title"][keep:]
        buckets["title"] = buckets["title"][:keep]
    scope = join_lines([fix(texts[i]) for i in card.scope_lines]) or None
    if text_of("scope"):
        scope = text_of("scope")  # "Settore: ..." printed on the card wins over a line above it
    title = text_of("title")
    if title is None and card.heading_title:
        # the title printed on the heading line, and the lines its wrap carried on to
        run = []
        for i in buckets["other"]:
            if i != (run[-1] if run else card.number_line) + 1:
                break
            run.append(i)
        more = _first_paragraph([lines[card.number_line]] + [lines[i] for i in run], paragraph_lines,
                                aligned_to_words=True) - 1
        title = join_lines([fix(card.heading_title)] + [fix(texts[i]) for i in run[:more]])
    level, objective_weight = level_value(text_of("level"))
    weight_level, weight = level_value(text_of("objective_weight"))  # "Pesatura: Alta (1,4)", "30/100"
    level = level or weight_level
    objective_weight = weight if weight is not None else objective_weight
    threshold_txt = text_of("threshold")
    threshold = None
    if threshold_txt:
        m = p["threshold_value"].search(threshold_txt)
        if m:
            threshold = _to_number(m.group(1))
    staff_text = text_of("staff")
    if staff_text:
        staff_text = staff_text.strip()

    # indicators: the card's ruled table(s) when present, else its line region
    pages_span = sorted({lines[i].page for i in range(card.start, card.end) if texts[i]})
    first_page = pages_span[0] if pages_span else None
    last_page = pages_span[-1] if pages_span else None
    mine = _tables_for_card(card, lines, tables, used, first_page, last_page, nxt)
    if mine:
        rows = _rows_from_tables(mine)
    else:
        region = [lines[i] for i in buckets["indicators"]]
        region_txt = [(lines[i].page, lines[i].top, first_text.get(f"indicators:{i}", texts[i]))
                      for i in buckets["indicators"]]
        boxed = _has_boxes(region)
        rows = _best_rows(_rows_from_boxed_lines(region) if boxed else None,
                          rows_from_unruled(region) if boxed else None,
                          _rows_from_plain_lines(region_txt, ocr)) or []
    ocr_pages = {lines[i].page for i in range(card.start, card.end) if ocr_flags[i]}
    indicators = [_indicator_from_row(r, ocr if r.page is None else r.page in ocr_pages, repairs, position)
                  for position, r in enumerate((r for r in rows if r.name or r.target or r.weight is not None), 1)]

    field_pages: dict[str, int] = {}
    for f_name, key in (("title", "title"), ("timeframe", "timeframe"), ("description", "description"),
                        ("phases", "phases"), ("activities", "activities"), ("threshold_pct", "threshold"),
                        ("staff_text", "staff"), ("staff_count", "staff"), ("verification", "verification"),
                        ("indicators", "indicators")):
        pg = page_of(key)
        if pg is not None:
            field_pages[f_name] = pg
    if mine:
        field_pages["indicators"] = mine[0].page
    field_pages["number"] = lines[card.number_line].page
    if card.scope_lines:
        field_pages["scope_line"] = lines[card.scope_lines[0]].page

    number_printed = card.number is not None
    return Objective(
        number=card.number,
        number_printed=number_printed,
        scope_line=scope,
        kind=kind_of(scope),
        title=title,
        timeframe=text_of("timeframe"),
        threshold_pct=threshold,
        staff_text=staff_text,
        staff_count=_count_staff(staff_text, year if year is not None else card.year),
        pages=[first_page, last_page] if first_page is not None else [],
        description=text_of("description"),
        phases=text_of("phases"),
        activities=text_of("activities"),
        verification=text_of("verification"),
        indicators=indicators,
        field_pages=field_pages,
        objective_weight=objective_weight,
        strategic_level=level,
    )
