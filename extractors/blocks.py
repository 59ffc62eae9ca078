"""The document's blocks into the record (issue #14): the prose around the cards into
``plan.blocks``, each objective card's blocks (its banner, heading, labelled fields, tables, the
unlabelled ones such as "Riparto attività") into ``objective.blocks``.

A card starts at its heading line ("OBIETTIVO N. 3", any form the card vocabulary knows), together
with the short banner lines printed just above it on the same page ("PERFORMANCE ORGANIZZATIVA",
"ANNO 2025", the Settore/Area), and ends where the next card starts. A closing section
(``cards_end`` in the vocabulary: a regenerated Allegato's own notes) is dropped: the writer
writes it anew. When the objectives are not one card each (matrix and list layouts), every block
is the plan's.
"""

from __future__ import annotations

from extractors.cards.find import heading_of
from extractors.cards.vocabulary import patterns
from pipeline.blocks import fields_digest
from pipeline.record import Block, PlanRecord

#: Banner lines above a card heading: at most this many characters, letters all upper case.
BANNER_MAX_CHARS = 90


def _text_block(b: Block) -> bool:
    return b.kind in ("heading", "paragraph", "list_item")


def _banner(b: Block) -> bool:
    text = (b.text or "").strip()
    if not text:
        return True
    letters = [c for c in text if c.isalpha()]
    return len(text) <= BANNER_MAX_CHARS and bool(letters) and all(c.isupper() for c in letters)


def _card_starts(blocks: list[Block], record: PlanRecord) -> list[int | None]:
    """Index of each objective's heading block, in order (None where it is not found)."""
    starts: list[int | None] = []
    i = 0
    for obj in record.objectives:
        first_page = obj.pages[0] if obj.pages else None
        found = None
        for j in range(i, len(blocks)):
            b = blocks[j]
            if not _text_block(b) or not (b.text or "").strip():
                continue
            if first_page is not None and b.page is not None and b.page < first_page:
                continue
            line = (b.text or "").strip().split("\n")[0].strip()
            head = heading_of(line)
            if head is not None and (head[0] is None or obj.number is None or head[0] == obj.number
                                     or obj.printed_label):
                found = j
                break
        starts.append(found)
        if found is not None:
            i = found + 1
    return starts


def _cards_end(blocks: list[Block]) -> int:
    ends = patterns()["cards_end"]
    for j, b in enumerate(blocks):
        if _text_block(b) and any(rx.match((b.text or "").strip()) for rx in ends):
            # the closing section's own page or section break goes with it
            while j > 0 and blocks[j - 1].kind in ("section", "page_break"):
                j -= 1
            return j
    return len(blocks)


def attach_blocks(record: PlanRecord, blocks: list[Block] | None) -> PlanRecord:
    """Put ``blocks`` into the record (plan prose and card by card); stamp each objective with
    the fingerprint of its printed fields, so a later correction shows."""
    for obj in record.objectives:
        obj.blocks_digest = fields_digest(obj)
    if not blocks:
        return record
    blocks = blocks[:_cards_end(blocks)]
    starts = _card_starts(blocks, record) if record.source.layout == "cards" else []
    if not starts or any(s is None for s in starts):
        record.plan.blocks = blocks
        return record
    begin: list[int] = []
    for k, s in enumerate(starts):
        j = s
        limit = begin[-1] + 1 if begin else 0
        page = blocks[s].page
        while j - 1 >= max(limit, starts[k - 1] + 1 if k else 0):
            prev = blocks[j - 1]
            if prev.kind == "page_break":
                j -= 1
                break
            if not _text_block(prev) or not _banner(prev) or (page is not None and prev.page != page):
                break
            j -= 1
        begin.append(j)
    record.plan.blocks = blocks[:begin[0]]
    for k, obj in enumerate(record.objectives):
        end = begin[k + 1] if k + 1 < len(begin) else len(blocks)
        card = [b.model_copy() for b in blocks[begin[k]:end]]
        card[starts[k] - begin[k]] = card[starts[k] - begin[k]].model_copy(update={"role": "card_heading"})
        obj.blocks = card
    return record
