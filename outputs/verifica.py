"""``verifica.docx``: the consistency-check report for the Segretario Generale, in Italian.

Built from the record alone (findings already computed by :func:`pipeline.checks.run_checks`):

0. cover — the verdict ("Esito: approvabile" / "Esito: da correggere prima dell'approvazione
   (obiettivi n. 5, 16)": any error blocks), ente, plan, source file and its SHA-256, date;
1. summary — counts by severity and by check (Italian names only: a rule without one reads
   "Altro controllo"), a chart of the findings per objective;
2. plan-level checks — budget arithmetic (€ 1.234,56), staff-band table and its coverage,
   numbering;
3. one row per objective — whole title, sum of weights, soglia, staff counted, status;
4. findings by severity, then by objective, each error and warning with its "Correzione
   proposta" (the rules' ``correction`` templates); a rule of ``grouped_rules`` repeated on several
   objectives reads as one note listing them;
5. the allocation per objective (weight, staff, coefficient, points, computed and printed amount),
   the statement that the printed amounts were recomputed and match (or where not), a chart of the
   amounts by Settore/Area;
6. method notes and a sign-off block.

Real Word styles carry the structure (Title, Heading 1/2, Caption, List Bullet, "Light Grid
Accent 1" tables) and the footer has a PAGE / NUMPAGES field, so the office can edit it.
Fixed wording lives in ``verifica.yaml`` beside this module.
"""

from __future__ import annotations

import io
import textwrap
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table

from outputs.docx_common import XML_BAD, add_field, add_text_run, cant_split, figure_png, repeat_header, shade
from pipeline.checks import SEVERITIES, severity_counts
from pipeline.checks.allocation_rules import printed_vs_computed
from pipeline.checks.plan_rules import band_coverage, budget_balance
from pipeline.formatting import format_date, format_eur, format_number, format_pct, plural
from pipeline.money import to_cents
from pipeline.record import Finding, Objective, PlanRecord

FONT = "Liberation Sans"
BODY_PT = 10.5
TABLE_PT = 9
TABLE_STYLE = "Light Grid Accent 1"
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
SEVERITY_ORDER = SEVERITIES
SEVERITY_COLOURS = {"error": "#B03A2E", "warning": "#D68910", "info": "#5D7FA3"}

@cache
def wording() -> dict[str, Any]:
    return yaml.safe_load(Path(__file__).with_name("verifica.yaml").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- formatting


def clean(text: Any) -> str:
    return XML_BAD.sub("", " ".join(str(text).split())) if text is not None else ""


def verdict(record: PlanRecord) -> tuple[str, str]:
    """Page 1's outcome and its one-line explanation: any error blocks the approval."""
    v = wording()["verdict"]
    errors = [f for f in record.findings if f.severity == "error"]
    if not errors:
        return v["ok"], v["ok_note"]
    numbers = sorted({f.objective for f in errors if f.objective is not None})
    where = []
    if numbers:
        where.append(("obiettivo n. " if len(numbers) == 1 else "obiettivi n. ")
                     + ", ".join(map(str, numbers)))
    if any(f.objective is None for f in errors):
        where.append(v["plan"])
    return v["ko"].format(where="; ".join(where)), v["ko_note"]


def count_of(n: int, severity: str) -> str:
    """"1 avviso", "3 avvisi"."""
    key = "severity_singular" if n == 1 else "severity_plural"
    return f"{n} {wording()[key][severity]}"


def rule_label(rule_id: str) -> str:
    """The rule's Italian name; a rule added without one reads "Altro controllo", never English."""
    return wording()["rules"].get(rule_id) or wording()["rule_fallback"]


def objective_label(o: Objective) -> str:
    if o.number is not None:
        return f"Obiettivo n. {o.number}"
    return f"Obiettivo a pag. {o.page_of('title')}" if o.page_of("title") else "Obiettivo senza numero"


def _n_findings(n: int) -> str:
    return "1 segnalazione" if n == 1 else f"{n} segnalazioni"


def pages_label(pages: list[int]) -> str:
    if not pages:
        return "n.d."
    first, last = min(pages), max(pages)
    return f"{first}" if first == last else f"{first}–{last}"


# --------------------------------------------------------------------------- docx helpers


def _set_font(style, size: float | None = None, bold: bool | None = None,
              colour: RGBColor | None = None, font: str = FONT) -> None:
    style.font.name = font
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), font)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        rfonts.attrib.pop(qn(attr), None)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "it-IT")
    if size is not None:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if colour is not None:
        style.font.color.rgb = colour


def _new_document() -> DocxDocument:
    doc = Document()
    styles = doc.styles
    _set_font(styles["Normal"], BODY_PT)
    styles["Normal"].paragraph_format.space_after = Pt(4)
    styles["Normal"].paragraph_format.line_spacing = 1.1
    _set_font(styles["Title"], 22, True, ACCENT)
    _set_font(styles["Subtitle"], 13, False, ACCENT)
    _set_font(styles["Heading 1"], 14, True, ACCENT)
    _set_font(styles["Heading 2"], 11.5, True, ACCENT)
    _set_font(styles["Caption"], 9, False, RGBColor(0x40, 0x40, 0x40))
    styles["Caption"].font.italic = True
    for name in ("Heading 1", "Heading 2"):
        pf = styles[name].paragraph_format
        pf.space_before = Pt(14 if name == "Heading 1" else 10)
        pf.space_after = Pt(6 if name == "Heading 1" else 4)
        pf.keep_with_next = True
    _set_font(styles["List Bullet"], BODY_PT)
    # The Title style's bottom border is kept; its theme font is replaced above.
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.0)
    return doc


def _footer_run(run) -> None:
    run.font.size = Pt(8.5)


def _header_footer(doc: DocxDocument, record: PlanRecord) -> None:
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.text = wording()["header"].format(entity=clean(record.plan.entity) or "Ente")
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for run in header.runs:
        run.font.size = Pt(8.5)
        run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    for footer in (section.footer, section.first_page_footer):
        p = footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run("Pagina ").font.size = Pt(8.5)
        add_field(p, "PAGE", "1", _footer_run)
        p.add_run(" di ").font.size = Pt(8.5)
        add_field(p, "NUMPAGES", "1", _footer_run)


def _fill(cell, text: str, *, bold: bool = False, align: str = "left", size: float = TABLE_PT,
          colour: RGBColor | None = None) -> None:
    p = cell.paragraphs[0]
    p.text = ""
    run = add_text_run(p, clean(text))
    run.font.size = Pt(size)
    run.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.space_before = Pt(0)
    p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                   "center": WD_ALIGN_PARAGRAPH.CENTER}[align]


def _table(doc: DocxDocument, header: list[str], rows: list[list[str]], widths_cm: list[float],
           aligns: list[str] | None = None, style: str = TABLE_STYLE,
           bold_last: bool = False, keep_together: bool = True) -> Table:
    aligns = aligns or ["left"] * len(header)
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles[style]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # A row's cells taken once: python-docx lays the whole row out again on each ``row.cells``.
    cells = table.rows[0].cells
    for i, text in enumerate(header):
        _fill(cells[i], text, bold=True, align=aligns[i])
    repeat_header(table)
    for r, values in enumerate(rows):
        row = table.add_row()
        cant_split(row)
        cells = row.cells
        for i, text in enumerate(values):
            _fill(cells[i], text, align=aligns[i], bold=bold_last and r == len(rows) - 1)
    _fix_widths(table, widths_cm)
    if keep_together and len(table.rows) <= 12:  # a short table stays on one page, with what precedes it
        for row in table.rows[:-1]:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.paragraph_format.keep_with_next = True
    # A table in the default template has no first-column emphasis wanted here.
    look = table._tbl.tblPr.find(qn("w:tblLook"))
    if look is not None:
        look.set(qn("w:firstColumn"), "0")
        look.set(qn("w:noVBand"), "1")
    doc.add_paragraph().paragraph_format.space_after = Pt(2)
    return table


def _fix_widths(table: Table, widths_cm: list[float]) -> None:
    """Fixed layout with explicit grid columns: Word and LibreOffice both honour these."""
    tbl = table._tbl
    tblpr = tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tblpr.append(layout)
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:w"), str(int(sum(widths_cm) * 567)))
    tblw.set(qn("w:type"), "dxa")
    grid = tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_cm):
        col.set(qn("w:w"), str(int(width * 567)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)


def _para(doc: DocxDocument, text: str = "", style: str | None = None, *, bold: bool = False,
          italic: bool = False, size: float | None = None, align: str | None = None,
          after: float | None = None):
    p = doc.add_paragraph(style=style)
    if text:
        run = add_text_run(p, clean(text))
        run.bold = bold
        run.italic = italic
        if size:
            run.font.size = Pt(size)
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif align == "justify":
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if after is not None:
        p.paragraph_format.space_after = Pt(after)
    return p


# --------------------------------------------------------------------------- figures


def objective_status(findings: list[Finding]) -> str:
    sev = {f.severity for f in findings}
    key = next((s for s in SEVERITY_ORDER if s in sev), "ok")
    return wording()["status"][key]


def findings_chart(record: PlanRecord) -> bytes | None:
    """PNG: findings per objective, stacked by severity (None when no card has findings)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per: dict[str, dict[str, int]] = {}
    for o in record.objectives:
        fs = [f for f in record.findings if f.objective is not None and f.objective == o.number]
        if fs:
            per[f"Ob. {o.number}" if o.number is not None else "Ob. ?"] = severity_counts(fs)
    plan_level = [f for f in record.findings if f.objective is None]
    if plan_level:
        per["Piano"] = severity_counts(plan_level)
    if not per:
        return None
    labels = list(per)[::-1]
    height = min(8.5, max(2.2, 0.2 * len(labels) + 1.0))
    fig, ax = plt.subplots(figsize=(6.4, height), dpi=200)
    left = [0] * len(labels)
    names = wording()["severity"]
    for sev in SEVERITY_ORDER:
        values = [per[label][sev] for label in labels]
        if not any(values):
            continue
        ax.barh(labels, values, left=left, color=SEVERITY_COLOURS[sev], label=names[sev],
                height=0.65, edgecolor="white", linewidth=0.6)
        left = [a + b for a, b in zip(left, values)]
    ax.set_xlabel("Numero di segnalazioni", fontsize=8)
    ax.tick_params(axis="both", labelsize=7.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(fontsize=7.5, frameon=False, loc="lower right")
    return figure_png(fig)


# --------------------------------------------------------------------------- sections


def _cover(doc: DocxDocument, record: PlanRecord, checked_on: date) -> None:
    plan, src = record.plan, record.source
    w = wording()
    for _ in range(3):
        _para(doc, after=0)
    if plan.entity:
        _para(doc, plan.entity.upper(), bold=True, size=16, align="center", after=0)
    if plan.province:
        _para(doc, f"Provincia di {plan.province}", size=11, align="center", after=24)
    title = doc.add_paragraph(w["title"], style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle_bits = [clean(plan.title) or "Piano della Performance"]
    if plan.year:
        subtitle_bits.append(f"schede obiettivo per l'anno {plan.year}")
    sub = doc.add_paragraph(" — ".join(subtitle_bits), style="Subtitle")
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, w["addressee"], italic=True, align="center", after=18)

    outcome_line, outcome_note = verdict(record)
    ok = not any(f.severity == "error" for f in record.findings)
    colour = RGBColor(0x1E, 0x7B, 0x34) if ok else RGBColor.from_string(SEVERITY_COLOURS["error"].lstrip("#"))
    head = _para(doc, outcome_line, bold=True, size=15, align="center", after=2)
    head.runs[0].font.color.rgb = colour
    _para(doc, outcome_note, italic=True, size=9.5, align="center", after=14)

    counts = severity_counts(record.findings)
    outcome = ", ".join(count_of(counts[s], s) for s in SEVERITY_ORDER)
    pages = f"{src.pages}"
    if src.ocr_pages:
        n = len(src.ocr_pages)
        pages += (f" (di cui {n} {'letta' if n == 1 else 'lette'} con riconoscimento ottico del "
                  f"testo: pag. {', '.join(str(p) for p in src.ocr_pages[:12])}"
                  f"{'…' if n > 12 else ''})")
    rows = [
        ["Ente", clean(plan.entity) or "n.d."],
        ["Documento esaminato", clean(plan.title) or "n.d."],
        ["Periodo del piano", clean(plan.period) or "n.d."],
        ["Anno delle schede", str(plan.year) if plan.year else "n.d."],
        ["File esaminato", src.file],
        ["Impronta SHA-256", src.sha256],
        ["Pagine del file", pages],
        ["Schede obiettivo esaminate", str(len(record.objectives))],
        ["Data della verifica", format_date(checked_on)],
        ["Esito", outcome_line.removeprefix("Esito: ")],
        ["Rilievi", f"{_n_findings(len(record.findings))}: {outcome}"],
    ]
    table = _table(doc, ["Dati della verifica", ""], rows, [4.4, 12.2], style="Table Grid")
    head = table.rows[0].cells[0].merge(table.rows[0].cells[1])
    for extra in head.paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    _fill(head, "Dati della verifica", bold=True, colour=RGBColor(0xFF, 0xFF, 0xFF))
    shade(head, "1F3A5F")
    for row in table.rows[1:]:
        shade(row.cells[0], "E8EEF5")
    # the hash is long: a smaller monospace run keeps it on one or two lines
    hash_cell = table.rows[6].cells[1]
    run = hash_cell.paragraphs[0].runs[0]
    run.font.name = "Liberation Mono"
    run.font.size = Pt(7.5)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _summary(doc: DocxDocument, record: PlanRecord) -> None:
    w = wording()
    doc.add_heading("1. Sintesi dell'esito", level=1)
    _para(doc, w["intro"], align="justify")
    counts = severity_counts(record.findings)
    n_obj = len(record.objectives)
    with_findings = {f.objective for f in record.findings if f.objective is not None}
    errors_in = sorted({f.objective for f in record.findings
                        if f.severity == "error" and f.objective is not None})
    outcome = ", ".join(count_of(counts[s], s) for s in SEVERITY_ORDER)
    cards = "una scheda ha" if len(with_findings) == 1 else f"{len(with_findings)} schede hanno"
    text = (f"Sono state esaminate {n_obj} schede obiettivo. La verifica ha prodotto "
            f"{_n_findings(len(record.findings))} ({outcome}); {cards} almeno un rilievo.")
    if errors_in:
        text += " Errori da correggere negli obiettivi n. " + ", ".join(str(n) for n in errors_in) + "."
    elif counts["error"]:
        text += " Gli errori riguardano il piano nel suo insieme (sezione 2)."
    else:
        text += " Non sono stati rilevati errori nelle schede."
    _para(doc, text, align="justify")
    for sev in SEVERITY_ORDER:
        p = doc.add_paragraph(style="List Bullet")
        p.add_run(w["severity"][sev] + ": ").bold = True
        p.add_run(w["severity_help"][sev])

    doc.add_heading("Segnalazioni per controllo", level=2)
    by_rule: dict[str, Counter] = defaultdict(Counter)
    for f in record.findings:
        by_rule[f.rule][f.severity] += 1
    order = list(w["rules"])
    rules = sorted(by_rule, key=lambda r: (order.index(r) if r in order else len(order), r))
    rows = [[rule_label(r)] + [str(by_rule[r][s] or "–") for s in SEVERITY_ORDER] for r in rules]
    rows.append(["Totale"] + [str(counts[s]) for s in SEVERITY_ORDER])
    if rules:
        _table(doc, ["Controllo", "Errori", "Avvisi", "Info"], rows,
               [11.6, 1.6, 1.6, 1.6], ["left", "center", "center", "center"], bold_last=True)
    else:
        _para(doc, "Nessuna segnalazione: tutte le verifiche hanno dato esito regolare.")

    png = findings_chart(record)
    if png:
        doc.add_heading("Distribuzione delle segnalazioni", level=2)
        doc.add_picture(io.BytesIO(png), width=Cm(15.5))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        doc.add_paragraph("Figura 1 – Segnalazioni per obiettivo e per gravità (\"Piano\": "
                          "rilievi che riguardano il piano nel suo insieme).", style="Caption")


def _plan_checks(doc: DocxDocument, record: PlanRecord) -> None:
    plan = record.plan
    doc.add_heading("2. Controlli sul piano nel suo insieme", level=1)

    doc.add_heading("Quadratura delle risorse", level=2)
    b = plan.budget
    if b.total is None and b.allocated is None:
        _para(doc, "Il piano non indica le risorse destinate alla performance organizzativa: "
                   "la quadratura non è verificabile.")
    else:
        parts = [("Risorse attribuite agli obiettivi", b.allocated), ("Riserva", b.reserve),
                 ("Welfare", b.welfare)]
        parts_cents = sum(to_cents(v) for _, v in parts if v is not None)
        rows = [[label, format_eur(v)] for label, v in parts]
        rows.append(["Somma delle parti", format_eur(parts_cents / 100)])
        rows.append(["Totale indicato nel piano", format_eur(b.total)])
        _table(doc, ["Voce", "Importo"], rows, [9.0, 5.0], ["left", "right"], bold_last=True)
        page = f" (pag. {b.page or plan.pages.get('budget')})" if (b.page or plan.pages.get("budget")) else ""
        balance = budget_balance(b)  # the budget-sum rule's own arithmetic
        if balance is None:
            missing = "Il totale delle risorse" if b.total is None else "La quota attribuita agli obiettivi"
            _para(doc, f"{missing} non è indicat{'o' if b.total is None else 'a'}{page}: "
                       "la quadratura non è verificabile.")
        elif balance[0] == balance[1]:
            _para(doc, f"Le parti sommano esattamente al totale indicato{page}: "
                       f"{format_eur(b.total)}.")
        else:
            diff = (balance[0] - balance[1]) / 100
            _para(doc, f"Le parti non sommano al totale indicato{page}: differenza di "
                       f"{format_eur(diff)}.", bold=True)

    doc.add_heading("Tabella dei pesi per numero di dipendenti", level=2)
    bands = plan.staff_bands
    if not bands:
        _para(doc, "Il piano non riporta una tabella dei pesi per numero di dipendenti.")
    else:
        rows = []
        for band in bands:
            if band.all_staff:
                lo, hi = "tutto il personale", ""
            else:
                lo = str(band.min) if band.min is not None else "–"
                hi = str(band.max) if band.max is not None else "senza limite"
            rows.append([clean(band.label), lo, hi, format_number(band.coefficient)])
        _table(doc, ["Fascia (come stampata)", "Da", "A", "Peso"], rows, [7.0, 3.0, 3.0, 2.5],
               ["left", "center", "center", "right"])
        gaps, overlaps = band_coverage(bands)
        page = plan.pages.get("staff_bands")
        where = f" (pag. {page})" if page else ""
        if not gaps and not overlaps:
            _para(doc, f"Ogni numero di dipendenti è coperto da una e una sola fascia{where}.")
        for run in gaps:
            what = str(run[0]) if len(run) == 1 else f"da {run[0]} a {run[-1]}"
            _para(doc, f"Numero di dipendenti non coperto da alcuna fascia{where}: {what}.", bold=True)
        for run, rows_ in overlaps:
            what = str(run[0]) if len(run) == 1 else f"da {run[0]} a {run[-1]}"
            _para(doc, f"Numero di dipendenti coperto da più fasce{where}: {what} "
                       f"({', '.join(clean(b.label) for b in rows_)}).", bold=True)

    doc.add_heading("Numerazione delle schede", level=2)
    numbers = [o.number for o in record.objectives]
    numbered = [n for n in numbers if n is not None]
    unprinted = [o.number for o in record.objectives if not o.number_printed]
    if numbered:
        text = (f"Le schede sono {len(numbers)}, numerate da {min(numbered)} a {max(numbered)}.")
    else:
        text = f"Le schede sono {len(numbers)}; nessuna riporta un numero."
    if unprinted:
        text += (" Senza numero stampato: " + ", ".join(f"la scheda collocata come n. {n}"
                                                         for n in unprinted) + ".")
    numbering = [f for f in record.findings if f.rule == "numbering"]
    if not numbering:
        text += " La sequenza è completa e ordinata."
    _para(doc, text)

    others = [f for f in record.findings if f.objective is None]
    if others:
        doc.add_heading("Rilievi sul piano", level=2)
        _para(doc, f"{_n_findings(len(others)).capitalize()} sul piano nel suo insieme, "
                   "con la correzione proposta, nella sezione 4 (righe «Piano»).")


def _objective_key(f: Finding) -> tuple[int, int, int]:
    """Plan-level findings first, then by objective number, then by page."""
    return (f.objective is not None, f.objective or 0, f.page or 0)


def _grouped(findings: list[Finding]) -> list[list[Finding]]:
    """One entry per finding, except the rules of ``grouped_rules`` repeated on several
    objectives: those read as one note (a list of findings), placed at their first objective."""
    groups = wording()["grouped_rules"]
    out: list[list[Finding]] = []
    pending: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=_objective_key):
        if f.rule in groups and sum(g.rule == f.rule for g in findings) > 1:
            if f.rule not in pending:
                pending[f.rule] = []
                out.append(pending[f.rule])
            pending[f.rule].append(f)
        else:
            out.append([f])
    return out


def _objective_cell(findings: list[Finding]) -> str:
    numbers = [str(f.objective) for f in findings if f.objective is not None]
    return ", ".join(dict.fromkeys(numbers)) if numbers else "Piano"


def _add_correction(cell, correction: str | None) -> None:
    if not correction:
        return
    p = cell.add_paragraph()
    p.paragraph_format.space_before = Pt(2)
    p.paragraph_format.space_after = Pt(0)
    label = p.add_run(wording()["correction_label"])
    label.bold = True
    label.font.size = Pt(TABLE_PT)
    run = p.add_run(clean(correction))
    run.font.size = Pt(TABLE_PT)


def _findings_table(doc: DocxDocument, findings: list[Finding]) -> None:
    """Ob. / Pag. / Controllo / Rilievo, each rilievo followed by its proposed correction."""
    entries = _grouped(findings)
    rows = []
    for group in entries:
        pages = sorted({f.page for f in group if f.page})
        rows.append([_objective_cell(group), ", ".join(map(str, pages)) or "–",
                     rule_label(group[0].rule), ""])
    table = _table(doc, ["Ob.", "Pag.", "Controllo", "Rilievo"], rows, [1.3, 1.3, 3.4, 10.6],
                   ["center", "center", "left", "left"], keep_together=False)
    for row, group in zip(table.rows[1:], entries):
        cell = row.cells[3]
        first = cell.paragraphs[0]
        if len(group) == 1:
            first.add_run(clean(group[0].message)).font.size = Pt(TABLE_PT)
        else:
            intro = wording()["grouped_rules"][group[0].rule].format(
                count=len(group), objectives=_objective_cell(group))
            first.add_run(clean(intro)).font.size = Pt(TABLE_PT)
            for f in group:
                item = cell.add_paragraph()
                item.paragraph_format.left_indent = Cm(0.3)
                item.paragraph_format.space_after = Pt(0)
                item.add_run("– " + clean(f.message)).font.size = Pt(TABLE_PT)
        fallback = wording()["correction_fallback"] if group[0].severity in ("error", "warning") else None
        _add_correction(cell, group[0].correction or fallback)


def _overview(doc: DocxDocument, record: PlanRecord) -> None:
    doc.add_heading("3. Quadro delle schede obiettivo", level=1)
    _para(doc, "Una riga per scheda: somma dei pesi degli indicatori, soglia minima del risultato "
               "atteso, personale contato dalla scheda e stato della verifica.", align="justify")
    rows = []
    for o in record.objectives:
        fs = [f for f in record.findings if f.objective is not None and f.objective == o.number]
        weights = [i.weight_pct for i in o.indicators]
        if not weights:
            wsum = "nessun indicatore"
        elif any(w is None for w in weights):
            wsum = format_number(o.weights_total() or 0) + "% (pesi incompleti)"
        else:
            wsum = format_number(o.weights_total()) + "%"  # type: ignore[arg-type]
        staff = str(o.staff_count) if o.staff_count is not None else (
            "non quantificabile" if o.staff_text else "non indicato")
        rows.append([
            str(o.number) if o.number is not None else "?",
            clean(o.title) or "(senza titolo)",
            pages_label(o.pages),
            f"{len(o.indicators)} / {wsum}",
            format_number(o.threshold_pct) + "%" if o.threshold_pct is not None else "mancante",
            staff,
            objective_status(fs),
        ])
    if not rows:
        _para(doc, "Il documento non contiene schede obiettivo.")
        return
    table = _table(doc, ["N.", "Obiettivo", "Pag.", "Indicatori / somma pesi", "Soglia",
                         "Personale", "Stato"], rows, [0.9, 5.5, 1.4, 2.2, 1.4, 2.7, 2.5],
                   ["center", "left", "center", "center", "center", "center", "left"])
    colours = {v: SEVERITY_COLOURS[k] for k, v in wording()["status"].items() if k in SEVERITY_COLOURS}
    for row in table.rows[1:]:
        status = row.cells[6].paragraphs[0].runs[0]
        if status.text in colours:
            status.font.color.rgb = RGBColor.from_string(colours[status.text].lstrip("#"))
            status.bold = True


def _findings_by_severity(doc: DocxDocument, record: PlanRecord) -> None:
    doc.add_heading("4. Rilievi", level=1)
    if not record.findings:
        _para(doc, "Nessun rilievo.")
        return
    _para(doc, "I rilievi sono ordinati per gravità e, a parità di gravità, per obiettivo («Piano»: "
               "rilievi sul piano nel suo insieme). Per errori e avvisi è indicata una correzione "
               "proposta.", align="justify")
    w = wording()
    for severity in SEVERITY_ORDER:
        fs = [f for f in record.findings if f.severity == severity]
        if not fs:
            continue
        doc.add_heading(f"{w['severity_plural'][severity].capitalize()} ({len(fs)})", level=2)
        _para(doc, w["severity_help"][severity].capitalize(), italic=True, size=9, after=3)
        _findings_table(doc, fs)
    clean_cards = [o for o in record.objectives
                   if not any(f.objective == o.number for f in record.findings if f.objective is not None)]
    if clean_cards:
        numbered = [str(o.number) for o in clean_cards if o.number is not None]
        unnumbered = [objective_label(o).lower() for o in clean_cards if o.number is None]
        names = []
        if numbered:
            names.append(("l'obiettivo n. " if len(numbered) == 1 else "gli obiettivi n. ")
                         + ", ".join(numbered))
        names.extend(unnumbered)
        _para(doc, "Nessun rilievo per " + " e ".join(names) + ".")


def amounts_chart(record: PlanRecord) -> bytes | None:
    """PNG: computed amounts by Settore/Area (None when no amount is computed)."""
    totals: dict[str, int] = defaultdict(int)
    for a in record.allocations:
        if a.amount_eur is not None:
            totals[clean(a.scope) or "Settore/Area non indicato"] += to_cents(a.amount_eur)
    if not totals:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    items = sorted(totals.items(), key=lambda kv: kv[1])
    labels = [textwrap.fill(k, 42) for k, _ in items]
    values = [v / 100 for _, v in items]
    height = min(9.0, max(2.2, 0.42 * len(items) + 1.0))
    fig, ax = plt.subplots(figsize=(6.6, height), dpi=200)
    bars = ax.barh(labels, values, color="#1F3A5F", height=0.6)
    for bar, value in zip(bars, values):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + format_eur(value),
                va="center", fontsize=6.5)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: format_number(x, 0)))
    ax.set_xlabel("Importo (€)", fontsize=8)
    ax.tick_params(axis="both", labelsize=6.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, max(values) * 1.3 or 1)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    return figure_png(fig)


def _allocation(doc: DocxDocument, record: PlanRecord) -> None:
    t = wording()["allocation"]
    doc.add_heading("5. Ripartizione delle risorse", level=1)
    allocations = [a for a in record.allocations if a.objective is not None]
    if not allocations:
        _para(doc, t["none"] if not record.objectives else t["incomplete"])
        return
    _para(doc, t["intro"].format(allocated=format_eur(record.plan.budget.allocated)), align="justify")
    checked = printed_vs_computed(record)
    printed = {row.number: row for row, _, _ in checked}
    wrong = {row.number for row, _, diff in checked if abs(diff) > 1}
    rows = []
    for a in allocations:
        level = clean(a.strategic_level) or "–"
        if a.strategic_weight is not None:
            level += f" ({format_number(a.strategic_weight)})"
        staff = str(a.staff_count) if a.staff_count is not None else "n.q."
        row = printed.get(a.objective)
        rows.append([str(a.objective), clean(a.scope) or "–", level, staff,
                     format_number(a.staff_coefficient, missing="–"),
                     format_number(a.points, missing="–"), format_eur(a.amount_eur, missing="–"),
                     format_eur(row.amount_eur) if row is not None else "–"])
    points = [a.points for a in allocations if a.points is not None]
    amounts = [to_cents(a.amount_eur) for a in allocations if a.amount_eur is not None]
    rows.append(["", "Totale", "", "", "", format_number(sum(points)) if points else "–",
                 format_eur(sum(amounts) / 100) if amounts else "–",
                 format_eur(record.plan.summary_total_eur, missing="–")])
    table = _table(doc, ["N.", "Settore/Area", "Strategicità (peso)", "Personale", "Coeff.", "Punti",
                         "Importo calcolato", "Importo stampato"], rows,
                   [0.8, 3.9, 2.65, 1.95, 1.35, 1.2, 2.35, 2.35],
                   ["center", "left", "left", "center", "right", "right", "right", "right"],
                   bold_last=True)
    for r, a in zip(table.rows[1:], allocations):
        if a.objective in wrong:
            for cell in (r.cells[0], r.cells[7]):
                run = cell.paragraphs[0].runs[0]
                run.bold = True
                run.font.color.rgb = RGBColor.from_string(SEVERITY_COLOURS["error"].lstrip("#"))
    pages = sorted({row.page for row, _, _ in checked if row.page})
    page = f" ({'pag.' if len(pages) == 1 else 'pagg.'} {', '.join(map(str, pages))})" if pages else ""
    if not checked:
        statement = t["no_summary"] if amounts else t["incomplete"]
    elif not wrong:
        statement = t["match"].format(page=page, count=len(checked))
    else:
        statement = t["mismatch"].format(page=page, count=len(checked), ok=len(checked) - len(wrong),
                                         objectives=", ".join(str(n) for n in sorted(wrong)))
    total, allocated = record.plan.summary_total_eur, record.plan.budget.allocated
    if checked and total is not None and allocated is not None:
        same = to_cents(total) == to_cents(allocated)
        statement += " " + t["total_match" if same else "total_mismatch"].format(
            printed=format_eur(total), allocated=format_eur(allocated))
    _para(doc, statement, bold=bool(wrong), align="justify")
    png = amounts_chart(record)
    if png:
        doc.add_picture(io.BytesIO(png), width=Cm(15.5))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        doc.add_paragraph(t["chart_caption"], style="Caption")


def _method_and_signature(doc: DocxDocument, checked_on: date) -> None:
    doc.add_heading("6. Note sul metodo", level=1)
    for text in wording()["method"]:
        doc.add_paragraph(clean(text), style="List Bullet")
    _para(doc, after=18)
    _para(doc, f"Verifica predisposta il {format_date(checked_on)}.", after=24)
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fill(table.rows[0].cells[0], "Visto: il Segretario Generale", size=BODY_PT)
    _fill(table.rows[0].cells[1], "Data", size=BODY_PT)
    _fill(table.rows[1].cells[0], "\n\n______________________________", size=BODY_PT)
    _fill(table.rows[1].cells[1], "\n\n____________________", size=BODY_PT)
    _fix_widths(table, [10.0, 6.0])


# --------------------------------------------------------------------------- entry point


def write_verifica(record: PlanRecord, path: str | Path, checked_on: date | None = None) -> None:
    """Write the Segretario Generale's consistency-check report for ``record`` to ``path``."""
    checked_on = checked_on or date.today()
    doc = _new_document()
    props = doc.core_properties
    props.title = wording()["title"]
    props.subject = clean(record.plan.title)
    props.author = clean(record.plan.entity) or "piao-pipeline"
    props.created = props.modified = datetime.now(timezone.utc).replace(microsecond=0)
    props.last_modified_by = props.author
    props.language = "it-IT"
    _header_footer(doc, record)
    _cover(doc, record, checked_on)
    _summary(doc, record)
    _plan_checks(doc, record)
    _overview(doc, record)
    _findings_by_severity(doc, record)
    _allocation(doc, record)
    _method_and_signature(doc, checked_on)
    doc.save(str(path))
