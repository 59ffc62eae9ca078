"""Assign column roles: a table column's role (indicator, target, weight, baseline...) from its
header cell and the vocabulary's synonyms, never from its position."""

from __future__ import annotations

import re

from extractors.cards.settings import DEFAULT as S
from extractors.cards.values import _NUM, _norm, _to_number
from extractors.cards.vocabulary import patterns
from extractors.layout import Table
from extractors.normalize import fold


# -- indicators from ruled tables ----------------------------------------------------------------


def column_roles(row: tuple[str | None, ...] | list[str]) -> dict[str, int]:
    """{role: column index} from a header row: each cell's role from the vocabulary's synonyms
    (``column_roles``), matched at the start of the folded cell text; first cell wins a role."""
    roles = patterns()["column_roles"]
    found: dict[str, int] = {}
    for idx, cell in enumerate(row):
        text = fold(_norm(cell or "")).strip(" :")
        if not text or len(text) > 80:
            continue
        for role, variants in roles.items():
            if role in found:
                continue
            if any(rx.match(text) for rx in variants):
                found[role] = idx
                break
    return found


def is_indicator_header(roles: dict[str, int]) -> bool:
    """An indicator table's header names the indicator and its target, weight or activity."""
    return "name" in roles and bool({"target", "weight", "activity"} & roles.keys())


def is_table_header_line(text: str) -> bool:
    """A line that is an indicator table's header row read as text: the indicator column first
    and two or more other column synonyms after it ("Indicatore Formula di calcolo Target 2025
    Peso %")."""
    f = fold(_norm(text))
    if len(f) > S.header_line_chars:
        return False
    roles = patterns()["column_roles"]
    columns = {"target", "weight", "baseline", "formula", "activity"}
    first = next((rx for rx in roles["name"] if rx.match(f)), None)
    if first is None:
        # another column first ("Peso % Indicatore di risultato Valore atteso 2026"): the line
        # opens with a column synonym and names the indicator column as a word of its own
        lead = {role for role in columns for rx in roles[role] if rx.match(f)}
        if not lead or len(f) > S.header_lead_chars or re.search(r"[:;.]\s|[:;.]$", f) or not any(
                m.start() > 0 for rx in roles["name"] for m in re.finditer(r"\b" + rx.pattern, f)):
            return False
        # a header row is made of column names: a few longer words that are none at most
        # (prose naming a target and a weight has its verbs and nouns left over); the
        # vocabulary's joining words ("della") are not counted
        rest = f
        for variants in roles.values():
            for rx in variants:
                rest = re.sub(r"\b" + rx.pattern + r"\w*", " ", rest)
        joining = patterns()["header_joining_words"]
        if sum(1 for w in re.findall(r"[a-z]{4,}", rest) if not joining.fullmatch(w)) > S.header_other_words:
            return False
    hits = {role for role, variants in roles.items() if role != "name"
            for rx in variants if rx.search(f, 1)}
    if first is None:
        hits |= {role for role in columns for rx in roles[role] if rx.match(f)}
    return len(hits & columns) >= 2


def _header_columns(row: tuple[str | None, ...]) -> dict[str, int] | None:
    roles = column_roles(row)
    if not is_indicator_header(roles):
        return None
    if "activity" not in roles and "weight" not in roles:
        # a weight phrase lives in the column right of the target when none is named (Chiari)
        nxt = max(roles.values()) + 1
        if nxt < len(row):
            roles["activity"] = nxt
    return roles


def _is_indicator_table(table: Table) -> bool:
    """A table whose header row names indicator columns: its first row, or a row further down
    when the indicator table is nested in a card's label/value table and the back-end merged the
    two (its rows before the header are then not indicators)."""
    return any(_header_columns(row) is not None for row in table.rows[:40])


def _cell_lines(cell: str | None) -> list[str]:
    return [ln for ln in (cell or "").split("\n") if ln.strip()]


def weight_cell(text: str | None) -> int | float | None:
    """The number of a weight column's cell: "30", "30%", "30 punti", "0,25" as printed."""
    if not text:
        return None
    m = re.search(r"(?<![\d/])(" + _NUM + r")\s*(?:%|punti|pt)?", _norm(text))
    return _to_number(m.group(1)) if m else None


def unknown_columns(header: tuple[str | None, ...]) -> list[str]:
    """Header cells of a table whose role the vocabulary does not know (as printed)."""
    roles = column_roles(header)
    return [_norm(c or "") for k, c in enumerate(header) if (c or "").strip() and k not in roles.values()]
