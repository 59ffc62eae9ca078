"""The record of a Piano della Performance: the one data model every stage reads and writes.

Field names follow ``CONTRACT.md`` (``plan.json``, schema_version "1"). Keys not named in the
contract are additions (allowed by it): they carry provenance (pages) and the plan's printed
summary table, which the checks and the allocation need.

Unknown values are ``None`` (``null`` in JSON), never a guess presented as a fact.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"

#: A JSON number: ints stay ints (``"weight_pct": 25``), fractions stay floats.
Number = Union[int, float]

Kind = Literal["generale", "intersettoriale", "settore"]
Severity = Literal["error", "warning", "info"]
#: How the plan weights its objectives (contract, additions of 2026-12-07): a level per objective
#: whose weight comes from a table ("Strategico 40", "Alta 1,4"), or points printed per objective.
Weighting = Literal["levels", "points"]
Payout = Literal["full", "proportional", "none"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


BlockKind = Literal["heading", "paragraph", "list_item", "table", "page_break", "section"]
Align = Literal["left", "center", "right", "justify"]


class Cell(_Model):
    """One cell of a table block: its paragraphs, exactly as printed."""

    paragraphs: list[str] = Field(default_factory=list)
    #: "left": this grid cell belongs to the cell on its left (horizontal merge); "up": to the
    #: cell above (vertical merge). Its paragraphs are then empty.
    merged: Literal["left", "up"] | None = None


class Block(_Model):
    """One block of the document as printed, in reading order (issue #14): a heading, a
    paragraph, a list item, a table, a page break, or the start of a section (page orientation).

    ``text`` is the wording exactly as printed (a line break inside a paragraph is "\\n").
    A list item's ``marker`` is its bullet or enumerator as printed ("•", "1)", "a.", "-");
    ``numbered`` says the word processor's list numbering printed it (it is not in ``text``);
    otherwise it was typed and ``text`` begins with it.
    """

    kind: BlockKind
    text: str | None = None
    #: Heading level (1 = top) or list level (0 = outermost).
    level: int | None = None
    marker: str | None = None
    numbered: bool = False
    page: int | None = None
    align: Align | None = None
    bold: bool | None = None
    #: Font size (points) of the block's text, when known.
    size: float | None = None
    #: Space after the paragraph (points), when known.
    space_after: float | None = None
    #: A table's rows of cells (every row as many grid cells as the table has columns).
    rows: list[list[Cell]] = Field(default_factory=list)
    #: How many leading rows are the table's header (repeated on each page).
    header_rows: int = 0
    #: A table's column widths (points), as printed.
    widths: list[float] = Field(default_factory=list)
    #: The page each row of a table was printed on, when the table runs over pages.
    row_pages: list[int] = Field(default_factory=list)
    #: A section block: whether its pages are landscape.
    landscape: bool | None = None
    #: "card_heading": the heading line of an objective card ("OBIETTIVO N. 3").
    role: Literal["card_heading"] | None = None


class Source(_Model):
    file: str
    sha256: str
    pages: int
    ocr_pages: list[int] = Field(default_factory=list, description="1-based pages read by OCR")
    format: Literal["pdf", "docx", "text"] | None = None
    #: How each page was read, by page number: "text" (typed text layer), "ocr" (our OCR),
    #: "ocr-layer" (a scanner's OCR layer, judged good), "ocr-layer-rejected" (a scanner's OCR
    #: layer judged poor, page OCR'd again), "ocr-text" (an OCR text file's section).
    page_modes: dict[str, str] = Field(default_factory=dict, description="how each page was read, by page number")
    #: The layout reader that read the objectives ("cards", "matrix", "list").
    layout: str | None = None
    #: Where the reading is uncertain (Italian, one per place): columns whose role is unknown,
    #: objectives read without indicators. Each becomes a ``reading-uncertain`` finding.
    reading_notes: list[str] = Field(default_factory=list)


class Budget(_Model):
    total: Number | None = None
    allocated: Number | None = None
    reserve: Number | None = None
    welfare: Number | None = None
    page: int | None = None


class StaffBand(_Model):
    """One row of the plan's head-count table. ``min``/``max`` are inclusive; ``None`` is open.

    The row "Tutto il personale dipendente" has both bounds ``None`` and ``all_staff`` true.
    """

    label: str
    min: int | None = None
    max: int | None = None
    coefficient: Number
    all_staff: bool = False

    @property
    def for_all_staff(self) -> bool:
        """The "whole staff" row: flagged, or with no bound at all (it covers no head-count)."""
        return self.all_staff or (self.min is None and self.max is None)

    def covers(self, count: int) -> bool:
        """Whether this row prices ``count`` people (the "whole staff" row prices none)."""
        if self.for_all_staff:
            return False
        return (self.min is None or count >= self.min) and (self.max is None or count <= self.max)


class SummaryRow(_Model):
    """A row of the plan's printed summary table ("Riepilogo obiettivi"), values as printed."""

    number: int | None = None
    title: str | None = None
    scope: str | None = None
    strategic_level: str | None = None
    staff_count: int | None = None
    strategic_weight: Number | None = None
    staff_coefficient: Number | None = None
    points: Number | None = None
    amount_eur: Number | None = None
    page: int | None = None


class ThresholdBand(_Model):
    """One band of the plan's payout rule: achievement in [min_pct, max_pct) pays ``payout``.

    ``None`` bounds are open ("≥ 90%": min 90, max None; "< 60%": min None, max 60).
    """

    min_pct: Number | None = None
    max_pct: Number | None = None
    payout: Payout


class Threshold(_Model):
    """The plan-level threshold rule: one soglia for every objective, or payout bands.

    ``bands`` is empty when the plan states only a soglia; a card's own soglia wins over
    ``default_pct`` (``Objective.threshold_pct`` is always the one in force).
    """

    default_pct: Number | None = None
    bands: list[ThresholdBand] = Field(default_factory=list)
    #: The plan's sentence the rule was read from, as printed.
    text: str | None = None
    page: int | None = None


class Plan(_Model):
    entity: str | None = None
    province: str | None = None
    title: str | None = None
    period: str | None = None
    year: int | None = None
    budget: Budget = Field(default_factory=Budget)
    strategic_weights: dict[str, Number] = Field(default_factory=dict)
    #: "levels" (strategic_weights apply) or "points" (each objective prints its own weight).
    objective_weighting: Weighting | None = None
    staff_bands: list[StaffBand] = Field(default_factory=list)
    threshold: Threshold = Field(default_factory=Threshold)
    #: Weightless objectives marked "X" that gate the whole bonus (not objectives, no allocation).
    prerequisites: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    #: The printed summary table, when the plan has one.
    summary: list[SummaryRow] = Field(default_factory=list)
    #: The TOTALE row of the summary table, as printed.
    summary_total_eur: Number | None = None
    #: Where each plan-level value was read: {"strategic_weights": 3, "staff_bands": 3, ...}.
    pages: dict[str, int] = Field(default_factory=dict)
    #: The document's blocks outside the objective cards (cover, introduction, summary table;
    #: every block when the objectives are not one card each), as printed, in reading order.
    blocks: list[Block] = Field(default_factory=list)


class Indicator(_Model):
    name: str | None = None
    target: str | None = Field(None, description="the Quantità cell as printed")
    target_value: Number | None = None
    weight_pct: Number | None = None
    activity: str | None = None
    baseline: str | None = Field(None, description="the baseline cell as printed")
    formula: str | None = Field(None, description="the formula/calculation cell as printed")
    page: int | None = None


class Objective(_Model):
    number: int | None = None
    number_printed: bool = True
    scope_line: str | None = None
    kind: Kind | None = None
    title: str | None = None
    timeframe: str | None = None
    threshold_pct: Number | None = None
    staff_text: str | None = None
    staff_count: int | None = None
    strategic_level: str | None = None
    #: The number the allocation uses: the level's weight, or the points the card prints.
    objective_weight: Number | None = None
    #: A printed code such as "2.3" (Area 2, objective 3), else None.
    code: str | None = None
    #: The heading as printed when numbering restarts per service ("Area Vigilanza n. 2").
    printed_label: str | None = None
    pages: list[int] = Field(default_factory=list, description="[first page, last page]")
    description: str | None = None
    phases: str | None = None
    activities: str | None = None
    verification: str | None = None
    indicators: list[Indicator] = Field(default_factory=list)
    #: Page each field was read from: {"title": 8, "threshold_pct": 9, ...}.
    field_pages: dict[str, int] = Field(default_factory=dict)
    #: The card's blocks as printed, from its heading to the next card (empty when the
    #: objective is not a card of its own).
    blocks: list[Block] = Field(default_factory=list)
    #: Fingerprint of the card's printed fields when the blocks were read
    #: (:func:`pipeline.blocks.fields_digest`): a different one means the record was corrected.
    blocks_digest: str | None = None

    def page_of(self, field: str) -> int | None:
        """The page a field came from, else the card's first page."""
        return self.field_pages.get(field) or (self.pages[0] if self.pages else None)

    def weights_total(self) -> Number | None:
        """Sum of the indicator weights that are known, added as printed decimals (18.92 +
        17.93 + 37.66 + 25.49 is 100, not float's 99.99999999999999); None if none is known."""
        known = [i.weight_pct for i in self.indicators if i.weight_pct is not None]
        if not known:
            return None
        total = sum(Decimal(str(w)) for w in known)
        return int(total) if total == total.to_integral_value() else float(total)


class Finding(_Model):
    rule: str
    severity: Severity
    objective: int | None = None
    page: int | None = None
    message: str
    #: What the office should do about it (Italian; rules' ``correction`` templates), else None.
    correction: str | None = None


class Allocation(_Model):
    objective: int | None
    strategic_level: str | None = None
    strategic_weight: Number | None = None
    #: The objective's weight used in the score (equal to strategic_weight under "levels").
    objective_weight: Number | None = None
    staff_count: int | None = None
    staff_coefficient: Number | None = None
    points: Number | None = None
    amount_eur: Number | None = None
    #: Settore/area the amount is booked to (the card's scope line).
    scope: str | None = None
    #: Where the strategicità came from: "plan", "classification" or None.
    strategic_level_source: str | None = None
    #: Label of the plan's staff band the coefficient was taken from ("Da 4 a 5").
    staff_band: str | None = None
    #: Where the head-count came from: "summary", "card" or "classification".
    staff_count_source: str | None = None
    #: Where the objective's weight came from: "plan" or "classification".
    objective_weight_source: str | None = None
    #: The classification file's note on this objective, as written.
    classification_note: str | None = None
    #: What the plan itself gives for each value the classification file replaced
    #: ({"staff_count": null, "strategic_level": "media"}): the file wins, the plan's is kept here.
    plan_values: dict[str, Union[str, Number, None]] = Field(default_factory=dict)


class IndicatorResult(_Model):
    """The year-end result of one indicator (contract, "Year-end results")."""

    #: The indicator's 1-based position in its card.
    indicator: int
    #: The measured value as reported (a number, or the text given, e.g. "sì"); None if none.
    measured: Number | str | None = None
    #: Share of the indicator achieved, 0-100; None when it cannot be judged (result-unclear).
    achieved_pct: Number | None = None
    #: "raggiunto" (stated in the results file) or "valore" (measured value against the target).
    how: Literal["raggiunto", "valore"] | None = None
    #: The reporter's own "raggiunto" cell, as given (sì / no / a percentage).
    stated: str | None = None
    #: Which way the target was read: "more" (more is better), "less", "yes" (Sì/No target).
    direction: Literal["more", "less", "yes"] | None = None
    #: The indicator's name as the card printed it when the result was applied: a later
    #: ``piao render`` of a corrected plan matches the stored result to the indicator by it.
    name: str | None = None


class ObjectiveResult(_Model):
    """The year-end result and payout of one objective."""

    objective: int | None
    #: Sum of the indicator weights, each scaled by its achieved share (2 decimals); None if unknown.
    achievement_pct: Number | None = None
    #: The soglia in force (the card's own, else the plan's).
    threshold_pct: Number | None = None
    #: Share of the amount paid, 0-100 (100 full, the achievement when proportional, 0 none).
    payout_pct: Number | None = None
    #: Which rule applied: "full", "proportional", "none".
    payout: Payout | None = None
    amount_eur: Number | None = None
    paid_eur: Number | None = None
    indicators: list[IndicatorResult] = Field(default_factory=list)


class PrerequisiteResult(_Model):
    """Whether a prerequisite ("X", ``plan.prerequisites``) was met, as the results file says."""

    prerequisite: int
    text: str | None = None
    met: bool | None = None


class Results(_Model):
    """Year-end results applied to the plan: achievement and payout per objective."""

    objectives: list[ObjectiveResult] = Field(default_factory=list)
    #: Sum of paid_eur; None when some objective's payout is unknown.
    paid_total: Number | None = None
    #: Allocated minus paid; None when the paid total is unknown.
    economia: Number | None = None
    #: The sum of the allocated amounts the payout is taken from.
    allocated: Number | None = None
    prerequisites: list[PrerequisiteResult] = Field(default_factory=list)
    #: False when a prerequisite was not met: nothing is paid.
    payable: bool = True
    #: The results file: name and sha256.
    file: str | None = None
    sha256: str | None = None


class PlanRecord(_Model):
    schema_version: Literal["1"] = SCHEMA_VERSION
    source: Source
    plan: Plan = Field(default_factory=Plan)
    objectives: list[Objective] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    allocations: list[Allocation] = Field(default_factory=list)
    #: Year-end results (``piao results``); None until they are applied.
    results: Results | None = None

    def objective(self, number: int) -> Objective | None:
        return next((o for o in self.objectives if o.number == number), None)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> "PlanRecord":
        return cls.model_validate_json(text)
