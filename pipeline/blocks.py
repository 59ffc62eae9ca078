"""Helpers over the record's document blocks (issue #14), shared by the extractors and outputs."""

from __future__ import annotations

import hashlib
import json

from pipeline.record import Objective

#: The objective's fields a card prints: a change to any of them after reading means the card's
#: blocks no longer say what the record says.
PRINTED_FIELDS = ("number", "scope_line", "title", "description", "timeframe", "phases", "activities",
                  "threshold_pct", "staff_text", "verification")
INDICATOR_FIELDS = ("name", "target", "weight_pct", "activity", "baseline", "formula")


def fields_digest(obj: Objective) -> str:
    """A fingerprint of what the objective's card prints (its fields and indicators)."""
    data = {f: getattr(obj, f) for f in PRINTED_FIELDS}
    data["indicators"] = [{f: getattr(i, f) for f in INDICATOR_FIELDS} for i in obj.indicators]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def corrected(obj: Objective) -> bool:
    """Whether the objective's printed fields changed since its blocks were read."""
    return obj.blocks_digest is not None and obj.blocks_digest != fields_digest(obj)

