"""Find cards: the headings that repeat with a running number ("OBIETTIVO N. 3", "SCHEDA
OBIETTIVO n. 3", "Obiettivo n. 3 – titolo"), with the banner, year and scope lines above them."""

from __future__ import annotations

from dataclasses import dataclass

from extractors.cards.fields import _label_of
from extractors.cards.geometry import measures, runs
from extractors.cards.settings import DEFAULT as S
from extractors.cards.values import _norm
from extractors.cards.vocabulary import patterns
from extractors.layout import Line


# -- card segmentation ---------------------------------------------------------------------------


@dataclass
class _Card:
    start: int  # index of the first header line (banner) in the line list
    number_line: int
    end: int
    number: int | None
    scope_lines: list[int]
    year: int | None = None
    heading_title: str | None = None  # "Obiettivo n. 3 – <title>": the title on the heading line
    heading: str = ""  # the heading line as printed


def _number_token(token: str) -> int | None:
    if not token:
        return None
    token = token.translate(str.maketrans("OoIl", "0011"))
    return int(token) if token.isdigit() else None


def heading_of(text: str) -> tuple[int | None, str | None] | None:
    """(running number or None when printed blank, title on the same line or None) when the
    line is a card heading in any of the vocabulary's forms, else None."""
    p = patterns()
    m = p["card_number"].match(text)
    if m and len(text) <= 30:
        return _number_token(m.group(1)), None
    for rx in p["card_headings"]:
        m = rx.match(text)
        if m:
            rest = (m.group("rest") or "").strip() or None
            if rest is None and len(text) > 90:
                continue  # a heading alone is short; a long line is prose
            return _number_token(m.group("num")), rest
    return None


def _find_cards(texts: list[str], pages: list[int] | None = None,
                lines: list[Line] | None = None) -> list[_Card]:
    """The cards of a document's lines (``pages``: each line's page, when known; ``lines``: the
    lines themselves with their word boxes, when known)."""
    p = patterns()
    cards: list[_Card] = []
    for i, t in enumerate(texts):
        if cards and any(rx.match(t) for rx in p["cards_end"]):
            cards[-1].end = i  # a closing section: it belongs to no card, and holds none
            break
        head = heading_of(t)
        if head is None:
            continue
        number, rest = head
        # the header block above: banner, year, scope (within a few lines)
        lo = cards[-1].number_line + 1 if cards else 0
        banner = year_idx = None
        j = i - 1
        seen = 0
        while j >= lo and seen < 8:
            if texts[j]:
                seen += 1
                # A line that starts in lower case goes on from the line above (a wrapped
                # heading "... Obiettivi di / performance organizzativa"): no banner, no year.
                own_line = not texts[j].lstrip()[:1].islower()
                if own_line and p["card_banner"].match(texts[j]):
                    banner = j
                    break
                if year_idx is None and own_line and p["card_year"].match(texts[j]):
                    year_idx = j
            j -= 1
        top = year_idx if year_idx is not None else banner
        if top is None:
            # no banner, no year: the scope is the non-empty line right above, when it is no
            # field of the previous card (a label), stands on the heading's page and is no
            # sentence (the end of the introduction before the first card is not its scope)
            k = i - 1
            while k >= lo and not texts[k]:
                k -= 1
            same_page = pages is None or k < 0 or pages[k] == pages[i]
            sentence = k >= lo and texts[k].rstrip().endswith((".", ";", ":"))
            row = k >= lo and _table_row_above(texts, lo, k, lines)
            scope = [k] if k >= lo and same_page and not sentence and not row \
                and _label_of(texts[k], "other") is None else []
            start = scope[0] if scope else i
        else:
            scope = [k for k in range(top + 1, i) if texts[k]]
            start = banner if banner is not None else top
        year = None
        if year_idx is not None:
            ym = p["card_year"].match(texts[year_idx])
            year = int(ym.group(1)) if ym else None
        if cards:
            cards[-1].end = start
        cards.append(_Card(start=start, number_line=i, end=len(texts), number=number,
                           scope_lines=scope, year=year, heading_title=rest, heading=t))
    return cards


def _table_row_above(texts: list[str], lo: int, k: int, lines: list[Line] | None = None) -> bool:
    """Line ``k`` is a row of the previous card's indicator table, not the next card's scope: the
    last label above it opens the indicator region, the line is no scope heading ("AREA 2 –
    ..."), and either its words stand in two or more cells (with word boxes: a scope line is one
    run of words) or, read as text, it ends with a figure as a row ending in its target or weight
    cell does ("Avvisi inviati ai contribuenti n. 300 avvisi 50") and names no service or office
    ("Servizi Demografici – Area 2")."""
    p = patterns()
    last = None
    for j in range(lo, k):
        lab = _label_of(texts[j], None) if texts[j] else None
        if lab is not None:
            last = lab[0]
    if last != "indicators" or p["scope_heading"].match(texts[k]):
        return False
    words = lines[k].words if lines is not None and k < len(lines) else ()
    if words:
        return len(runs(words, measures(lines[lo:k + 1], S)[1])) >= 2
    return len(texts[k].split()) >= S.row_min_words and p["row_end"].search(texts[k]) is not None \
        and p["scope_words"].search(texts[k]) is None


# -- the parser ----------------------------------------------------------------------------------


def first_card_start(lines: list[Line]) -> int | None:
    """Index in ``lines`` of the first card's first line (its banner, year or scope line, as
    the card parser itself finds them), or None when there is no card."""
    cards = _find_cards([_norm(ln.text) for ln in lines], [ln.page for ln in lines], lines)
    return cards[0].start if cards else None
