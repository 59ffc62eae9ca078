"""The wording of the reading notes (``source.reading_notes``) that the checks tell apart.

A note is Italian text for people; the reader writes one where it is unsure of a value, or where
it repaired an OCR slip. The repair's wording lives here, so the reader that writes it and the
check that reports it agree on it.
"""

from __future__ import annotations

import re

_REPAIR = re.compile(r"quantità letta dall'OCR «.*», corretta in «.*»")


def ocr_repair_note(objective: int | None, indicator: int, page: int | None, read: str, repaired: str) -> str:
    """The note for a quantity cell the reader repaired on OCR'd text, quoting it as read and as
    repaired: "Obiettivo n. 2, indicatore 1 (pag. 5): quantità letta dall'OCR «2 85%», corretta
    in «≥ 85%»"."""
    where = f"Obiettivo n. {objective}" if objective is not None else "Obiettivo senza numero"
    page_text = f" (pag. {page})" if page is not None else ""
    return f"{where}, indicatore {indicator}{page_text}: quantità letta dall'OCR «{read}», corretta in «{repaired}»"


def is_ocr_repair(note: str) -> bool:
    """Whether a reading note records an OCR repair (:func:`ocr_repair_note`)."""
    return _REPAIR.search(note) is not None
