"""Parse a layout Document into the record: source, plan-level rules, summary table, cards."""

from __future__ import annotations

import re
from pathlib import Path

from extractors.blocks import attach_blocks
from extractors.cards import read_layout, using_profile
from extractors.intro import parse_intro
from extractors.layout import Document
from extractors.normalize import fold
from extractors.summary import parse_summary
from pipeline.deadline import check as deadline_check
from pipeline.errors import InputError
from pipeline.gc_tuning import with_fewer_gc_passes
from pipeline.plan_rules import apply_plan_rules
from pipeline.record import Plan, PlanRecord, Source

#: Words that mark a performance plan (folded text). Two distinct ones are needed.
PLAN_KEYWORDS = [
    re.compile(r"\bpiano\s+(?:della|delle)\s+performance\b"),
    re.compile(r"\bperformance\s+organizzativa\b"),
    re.compile(r"\bpiano\s+integrato\s+di\s+attivita\s+e\s+organizzazione\b|\bpiao\b"),
    re.compile(r"\bobiettivi\s+di\s+performance\b"),
    re.compile(r"\bschede?\s+(?:di\s+dettaglio\s+)?(?:attivita\s+)?obiettiv"),
    re.compile(r"\bsoglia\s+minima\b"),
    re.compile(r"\bstrategicita\b"),
    re.compile(r"^\s*obiettivo\s*n\b"),
]
MIN_KEYWORDS = 2

MESSAGES = {
    "no_text": "nessun testo leggibile nel documento (è una scansione? usare --ocr auto o always)",
    "no_text_ocr": "nessun testo leggibile nel documento, nemmeno con l'OCR: non sembra un Piano della Performance",
    "not_a_plan": "il documento non sembra un Piano della Performance",
    "no_cards": "nessuna scheda obiettivo trovata",
}


def plan_keywords(doc: Document) -> int:
    """How many distinct plan keywords the document's text contains."""
    found: set[int] = set()
    for line in doc.lines():
        f = fold(line.text)
        for i, rx in enumerate(PLAN_KEYWORDS):
            if i not in found and rx.search(f):
                found.add(i)
        if len(found) == len(PLAN_KEYWORDS):
            break
    return len(found)


def _has_plan_rules(plan: Plan) -> bool:
    return bool(plan.strategic_weights or plan.staff_bands or plan.budget.total is not None)


def parse_source(doc: Document) -> Source:
    from extractors.textlayer import page_modes

    return Source(file=Path(doc.path).name, sha256=doc.sha256, pages=len(doc.pages),
                  ocr_pages=doc.ocr_pages, format=doc.format, page_modes=page_modes(doc))


@with_fewer_gc_passes
def parse_plan(doc: Document, profile: str | None = None) -> PlanRecord:
    """The whole record of one plan (no findings, no allocations yet).

    ``profile`` is a user's YAML file extending the card vocabulary (labels, headings, column
    headers) for a layout the shipped vocabulary does not know.

    Raises :class:`InputError` when the document has no text, is not a performance plan, or has
    an introduction but no objective cards (or the profile cannot be used).
    """
    deadline_check()  # a time limit some library swallowed while the file was read ends here
    with using_profile(profile):
        return _parse_plan(doc)


def _parse_plan(doc: Document) -> PlanRecord:
    if not any(line.text.strip() for line in doc.lines()):
        raise InputError(doc.path, MESSAGES["no_text_ocr" if doc.ocr_pages else "no_text"])
    plan = parse_intro(doc)
    rows, total = parse_summary(doc, levels=list(plan.strategic_weights) or None)
    plan.summary = rows
    plan.summary_total_eur = total
    if rows and rows[0].page is not None:
        plan.pages = {**plan.pages, "summary": rows[0].page}
    reading = read_layout(doc, plan.year)
    objectives = reading.objectives
    if not objectives:
        if plan_keywords(doc) < MIN_KEYWORDS and not _has_plan_rules(plan):
            raise InputError(doc.path, MESSAGES["not_a_plan"])
        raise InputError(doc.path, MESSAGES["no_cards"])
    plan.prerequisites = [*plan.prerequisites, *(p for p in reading.prerequisites if p not in plan.prerequisites)]
    source = parse_source(doc)
    source.layout = reading.layout
    source.reading_notes = reading.notes
    record = apply_plan_rules(PlanRecord(source=source, plan=plan, objectives=objectives))
    return attach_blocks(record, doc.blocks)
