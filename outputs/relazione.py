"""``relazione.docx``: the organisational performance section of the Relazione sulla Performance.

Built from a record with ``results`` (``pipeline.results.apply_results``), in Italian:

1. summary — counts of objectives by outcome, allocated / paid / economia, the prerequisites,
   a chart of achievement by objective against its soglia;
2. one sub-section per objective — its indicators (target, measured value, weight, achieved),
   then achievement, soglia, outcome, amount allocated and paid;
3. the payout table with totals and economia;
4. findings (``result-unclear``, ``prerequisite-unmet``);
5. method notes (the plan's threshold rule in words).

Styles and table helpers are verifica.docx's (same look); the wording lives in
``relazione.yaml`` beside this module.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor

from outputs.docx_common import add_field, figure_png
from outputs.verifica import _new_document, _para, _table, clean
from pipeline.formatting import format_number as it_num
from pipeline.formatting import format_eur
from pipeline.record import ObjectiveResult, PlanRecord
from pipeline.results import RESULT_RULES

PAYOUT_COLOURS = {"full": "#2E7D4F", "proportional": "#D68910", "none": "#B03A2E", None: "#9E9E9E"}


@cache
def wording() -> dict[str, Any]:
    return yaml.safe_load(Path(__file__).with_name("relazione.yaml").read_text(encoding="utf-8"))


def pct(value: float | int | None) -> str:
    return "n.d." if value is None else f"{it_num(value)}%"


def eur(value: float | int | None) -> str:
    return format_eur(value)


def achievement_chart(record: PlanRecord) -> bytes | None:
    """PNG: achievement per objective (bar coloured by outcome) with its soglia marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    results = record.results
    if results is None or not results.objectives:
        return None
    w = wording()
    rows = results.objectives[::-1]
    labels = [f"Ob. {o.objective}" if o.objective is not None else "Ob. ?" for o in rows]
    height = min(7.0, max(2.4, 0.16 * len(rows) + 1.2))
    fig, ax = plt.subplots(figsize=(6.4, height), dpi=200)
    ax.barh(labels, [o.achievement_pct or 0 for o in rows], height=0.65,
            color=[PAYOUT_COLOURS[o.payout] for o in rows], edgecolor="white", linewidth=0.6)
    for y, o in enumerate(rows):
        if o.threshold_pct is not None:
            ax.plot([o.threshold_pct, o.threshold_pct], [y - 0.42, y + 0.42], color="#1F3A5F", linewidth=1.6)
    ax.set_xlim(0, 105)
    ax.set_xlabel(w["chart_axis"], fontsize=8)
    ax.tick_params(axis="both", labelsize=7.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    ax.set_axisbelow(True)
    used = {o.payout for o in rows}
    handles = [Patch(color=PAYOUT_COLOURS[k], label=w[name]) for k, name in
               (("full", "chart_full"), ("proportional", "chart_prop"), ("none", "chart_none"),
                (None, "chart_unknown")) if k in used]
    handles.append(Line2D([], [], color="#1F3A5F", linewidth=1.6, label=w["chart_threshold"]))
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower center",
              bbox_to_anchor=(0.5, 1.0), ncol=len(handles))
    return figure_png(fig)


def _header_footer(doc: DocxDocument, record: PlanRecord) -> None:
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.text = wording()["header"].format(entity=clean(record.plan.entity) or "Ente",
                                             year=record.plan.year or "")
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for run in header.runs:
        run.font.size = Pt(8.5)
        run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("Pagina ").font.size = Pt(8.5)
    add_field(p, "PAGE", "1", lambda r: setattr(r.font, "size", Pt(8.5)))


def _counts(objectives: list[ObjectiveResult]) -> dict[str | None, int]:
    counts: dict[str | None, int] = {"full": 0, "proportional": 0, "none": 0, None: 0}
    for o in objectives:
        counts[o.payout] += 1
    return counts


def _summary(doc: DocxDocument, record: PlanRecord) -> None:
    w, results = wording(), record.results
    assert results is not None
    doc.add_heading(w["headings"]["summary"], level=1)
    counts = _counts(results.objectives)
    undetermined = w["undetermined"].format(n=counts[None]) if counts[None] else ""
    _para(doc, w["summary_text"].format(
        n=len(results.objectives), full=counts["full"], prop=counts["proportional"], none=counts["none"],
        undetermined=undetermined, allocated=eur(results.allocated),
        paid=eur(results.paid_total) if results.paid_total is not None else w["unknown_amount"],
        economia=eur(results.economia) if results.economia is not None else w["unknown_amount"]),
        align="justify")
    for p in results.prerequisites:
        if p.met is False:
            _para(doc, w["prerequisite_unmet"].format(text=clean(p.text)), bold=True, align="justify")
    _table(doc, ["Risorse attribuite agli obiettivi", "Totale erogato", "Economia"],
           [[eur(results.allocated), eur(results.paid_total), eur(results.economia)]],
           [5.5, 5.5, 5.5], ["right", "right", "right"])
    png = achievement_chart(record)
    if png:
        doc.add_picture(io.BytesIO(png), width=Cm(15.5))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _para(doc, w["chart_caption"], style="Caption", align="center")


def _objectives(doc: DocxDocument, record: PlanRecord) -> None:
    w, results = wording(), record.results
    assert results is not None
    doc.add_heading(w["headings"]["objectives"], level=1)
    cards = {o.number: o for o in record.objectives}
    for o in results.objectives:
        card = cards.get(o.objective)
        title = clean(card.title) if card and card.title else ""
        doc.add_heading(w["objective_heading"].format(n=o.objective if o.objective is not None else "?",
                                                      title=title), level=2)
        if card and card.scope_line:
            _para(doc, w["scope"].format(scope=clean(card.scope_line)), italic=True)
        rows = []
        for r in o.indicators:
            ind = card.indicators[r.indicator - 1] if card else None
            measured = it_num(r.measured) if isinstance(r.measured, (int, float)) else clean(r.measured) or "—"
            achieved = pct(r.achieved_pct) + w["how"].get(r.how or "", "") if r.achieved_pct is not None else "n.d."
            rows.append([str(r.indicator), clean(ind.name) if ind else "", clean(ind.target) if ind else "",
                         measured, pct(ind.weight_pct) if ind else "", achieved])
        _table(doc, w["indicator_header"], rows, [0.9, 6.6, 3.3, 2.2, 1.4, 2.2],
               ["center", "left", "left", "right", "right", "right"])
        _para(doc, w["outcome"].format(achievement=pct(o.achievement_pct), threshold=pct(o.threshold_pct),
                                       payout=w["payout_names"][o.payout or "unknown"],
                                       amount=eur(o.amount_eur), paid=eur(o.paid_eur)), align="justify")


def _payouts(doc: DocxDocument, record: PlanRecord) -> None:
    w, results = wording(), record.results
    assert results is not None
    doc.add_heading(w["headings"]["payouts"], level=1)
    rows = []
    for o in results.objectives:
        economia = None
        if o.amount_eur is not None and o.paid_eur is not None:
            economia = round(o.amount_eur - o.paid_eur, 2)
        rows.append([str(o.objective), pct(o.achievement_pct), pct(o.threshold_pct), pct(o.payout_pct),
                     eur(o.amount_eur), eur(o.paid_eur), eur(economia)])
    rows.append([w["total"], "", "", "", eur(results.allocated), eur(results.paid_total), eur(results.economia)])
    _table(doc, w["payout_header"], rows, [1.5, 2.9, 1.5, 1.8, 3.0, 3.0, 2.9],
           ["center", "right", "right", "right", "right", "right", "right"], bold_last=True)


def _findings(doc: DocxDocument, record: PlanRecord) -> None:
    w = wording()
    doc.add_heading(w["headings"]["findings"], level=1)
    findings = [f for f in record.findings if f.rule in RESULT_RULES]
    if not findings:
        _para(doc, w["no_findings"])
        return
    _para(doc, w["findings_intro"])
    _table(doc, ["Obiettivo", "Regola", "Descrizione"],
           [[str(f.objective) if f.objective is not None else "Piano", f.rule, clean(f.message)] for f in findings],
           [2.0, 3.0, 11.5])


def rule_text(record: PlanRecord) -> str:
    w, threshold = wording(), record.plan.threshold
    if not threshold.bands:
        return w["rule_soglia"]
    parts = []
    for b in sorted(threshold.bands, key=lambda b: -(b.min_pct if b.min_pct is not None else -1)):
        if b.payout == "full":
            parts.append(w["band_full"].format(lo=it_num(b.min_pct)))
        elif b.payout == "proportional":
            parts.append(w["band_prop"].format(lo=it_num(b.min_pct), hi=it_num(b.max_pct)))
        else:
            parts.append(w["band_none"])
    return w["rule_bands"].format(bands="; ".join(parts))


def write_relazione(record: PlanRecord, path: str | Path) -> None:
    """Write relazione.docx for a record that carries ``results``."""
    w = wording()
    doc = _new_document()
    _header_footer(doc, record)
    year = record.plan.year or ""
    doc.add_paragraph(w["title"].format(year=year), style="Title")
    doc.add_paragraph(w["subtitle"], style="Subtitle")
    if record.plan.entity:
        _para(doc, clean(record.plan.entity), bold=True, size=12)
    _para(doc, w["intro"].format(year=year), align="justify")
    results = record.results
    if results is not None:
        _para(doc, w["sources"].format(plan=record.source.file, plan_sha=record.source.sha256[:16] + "…",
                                       results=results.file or "", results_sha=(results.sha256 or "")[:16] + "…"),
              italic=True, size=8.5)
        _summary(doc, record)
        _objectives(doc, record)
        _payouts(doc, record)
    _findings(doc, record)
    doc.add_heading(w["headings"]["method"], level=1)
    for text in w["method"]:
        _para(doc, text.format(rule=rule_text(record)), style="List Bullet", align="justify")
    doc.core_properties.title = w["title"].format(year=year)
    doc.core_properties.language = "it-IT"
    doc.save(str(path))
