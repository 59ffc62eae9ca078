"""Italian text folding: the one comparison key of the project.

Every stage compares Italian words the same way: one quote, one dash and one space style, no accents
(OCR loses them, offices type "attivita'" for "attività"), lower case. ``extractors.normalize``
re-exports these helpers; month names live in :mod:`pipeline.dates` (``MONTHS``, ``month_number``).
Pure functions, no state.
"""

from __future__ import annotations

import re
import unicodedata

#: Dash-like characters folded to "-".
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"
#: Quote-like characters folded to "'" or '"'.
SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u00b4`"
DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"

_TRANS = {ord(c): "-" for c in DASHES}
_TRANS.update({ord(c): "'" for c in SINGLE_QUOTES})
_TRANS.update({ord(c): '"' for c in DOUBLE_QUOTES})
_TRANS.update({0xa0: " ", 0x202f: " ", 0x2009: " "})


def unify(text: str) -> str:
    """Same text with one quote, one dash and one space style (case and accents kept)."""
    return text.translate(_TRANS)


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str | None) -> str:
    """Comparison key: lower case, no accents, one quote/dash style, single spaces."""
    if text is None:
        return ""
    text = strip_accents(unify(text)).lower()
    text = re.sub(r"\s*-\s*", " - ", text)
    return re.sub(r"\s+", " ", text).strip()


def fold_words(text: str | None) -> str:
    """:func:`fold` keeping only letters and digits: ``"Una-Tantum!"`` -> ``"una tantum"``."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()
