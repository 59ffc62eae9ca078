"""Field-by-field comparison of extracted objectives with an expected record (test helper).

Used by the PDF/DOCX equality test (100% required) and the OCR accuracy tests. Text is compared
after folding case, accents, quote style (’ ' “ ” "), dash style (– — -), all whitespace and
trailing punctuation; numbers and booleans exactly. Indicators are matched by position.

``fuzzy`` (0..1, default off) also accepts a text whose folded similarity ratio reaches it: a
reading with an OCR letter slip ("impiantisca" for "impiantistica") then counts as right. The
strict figure is always the one to quote first.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable

OBJECTIVE_FIELDS = ("number", "number_printed", "scope_line", "kind", "title", "timeframe",
                    "threshold_pct", "staff_text", "staff_count")
INDICATOR_FIELDS = ("name", "target", "target_value", "weight_pct")
TEXT_FIELDS = {"scope_line", "title", "timeframe", "staff_text", "name", "target"}

_TRANS = {ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"}
_TRANS.update({ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032\u00b4`"})
_TRANS.update({ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"})

EXPECTED = Path(__file__).parent / "data" / "chiari-2025.expected.json"


def fold(text: Any) -> str:
    """Comparison key of a text: no case, accents, quote/dash style, whitespace, end punctuation."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKD", str(text).translate(_TRANS))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = s.replace('"', "'")
    s = re.sub(r"\s+", "", s)
    return s.rstrip(".;:,")


def _as_dict(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    return dict(obj)


def _same(field: str, got: Any, want: Any, fuzzy: float | None) -> bool:
    if field in TEXT_FIELDS:
        a, b = fold(got), fold(want)
        if a == b:
            return True
        if fuzzy and a and b:
            return difflib.SequenceMatcher(None, a, b).ratio() >= fuzzy
        return False
    if isinstance(want, (int, float)) and isinstance(got, (int, float)) and not isinstance(want, bool):
        return float(got) == float(want)
    return got == want


def compare_objectives(got: Iterable[Any], expected: Iterable[Any], *, fuzzy: float | None = None,
                       numbers: Iterable[int] | None = None,
                       exclude: Iterable[str] = ()) -> tuple[int, int, list[str]]:
    """(fields right, fields compared, one line per mismatch).

    Objectives are matched by number (expected numbers; ``numbers`` restricts to a subset, e.g.
    the cards of a partial scan). A missing objective or indicator counts all its fields wrong.
    ``exclude`` names fields left out of the comparison.
    """
    skip = set(exclude)
    got_list = [_as_dict(o) for o in got]
    by_number = {}
    for o in got_list:
        by_number.setdefault(o.get("number"), o)
    wanted = [_as_dict(o) for o in expected]
    if numbers is not None:
        keep = set(numbers)
        wanted = [o for o in wanted if o["number"] in keep]
    right = total = 0
    report: list[str] = []
    for want in wanted:
        n = want["number"]
        have = by_number.get(n)
        for f in OBJECTIVE_FIELDS:
            if f in skip:
                continue
            total += 1
            value = have.get(f) if have else None
            if have is not None and _same(f, value, want.get(f), fuzzy):
                right += 1
            else:
                report.append(f"obiettivo {n} {f}: got {value!r} want {want.get(f)!r}"
                              if have else f"obiettivo {n} {f}: objective missing")
        got_ind = (have or {}).get("indicators") or []
        for k, wi in enumerate(want.get("indicators") or []):
            gi = got_ind[k] if k < len(got_ind) else None
            for f in INDICATOR_FIELDS:
                if f in skip:
                    continue
                total += 1
                value = gi.get(f) if gi else None
                if gi is not None and _same(f, value, wi.get(f), fuzzy):
                    right += 1
                else:
                    report.append(f"obiettivo {n} indicatore {k + 1} {f}: got {value!r} want {wi.get(f)!r}")
        extra = len(got_ind) - len(want.get("indicators") or [])
        if extra > 0:
            report.append(f"obiettivo {n}: {extra} indicatori in più")
    return right, total, report


def load_expected(path: str | Path = EXPECTED) -> list[dict[str, Any]]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["objectives"]


def summary(right: int, total: int, report: list[str], label: str = "") -> str:
    pct = 100.0 * right / total if total else 0.0
    head = f"{label}: {right}/{total} fields right ({pct:.1f}%)"
    return "\n".join([head, *report])
