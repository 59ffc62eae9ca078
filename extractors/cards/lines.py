"""Indicator rows without a ruled table (scans, OCR text): by column position when the words have
boxes, by the shape of the text otherwise (rows end at their weight line)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from extractors.cards.settings import DEFAULT as S
from extractors.cards.tables import _Row
from extractors.cards.values import (
    _article_end, _norm, _open_end, _qty_classes, _to_number, _unit, join_lines, quantity_repairs, weight_of,
)
from extractors.cards.vocabulary import patterns
from extractors.layout import Line


# -- indicators from lines -----------------------------------------------------------------------


def _strip_header(text: str) -> str:
    for frag in patterns()["header_fragments"]:
        text = frag.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip(" |")


def _has_boxes(lines: list[Line]) -> bool:
    return bool(lines) and all(ln.words and any(w.x1 > 0 for w in ln.words) for ln in lines)


def _rows_from_boxed_lines(lines: list[Line]) -> list[_Row] | None:
    """Assign words to the three columns by x, rows by the weight lines.

    The quantity column starts at the "Quantità" header word; the activity column at the left
    edge of the weight phrases "(se completata ...)", which sit left-aligned in their cells
    (header words may be centred), else at the "Attività riferibile" header word. Words of the
    header band and OCR specks (far flatter than the text) are dropped.
    """
    th = patterns()["table_header"]
    q_x = a_x = None
    header_bottom: dict[int, float] = {}
    for ln in lines[:6]:
        words = list(ln.words)
        if _strip_header(_norm(ln.text)) != _norm(ln.text) or th["target"].search(_norm(ln.text)):
            header_bottom[ln.page] = max(header_bottom.get(ln.page, 0.0), max(w.bottom for w in words))
        for k, w in enumerate(words):
            wt = _norm(w.text)
            if q_x is None and th["target"].match(wt):
                q_x = w.x0
            elif q_x is not None and a_x is None and re.match(r"\W?attivit", wt, re.I) and w.x0 > q_x:
                nxt = " ".join(x.text for x in words[k:k + 3])
                if th["activity"].search(_norm(nxt)):
                    a_x = w.x0
    if q_x is None:
        return None
    weight_x = [w.x0 for ln in lines for w in ln.words
                if re.fullmatch(r"\(?se", w.text, re.I) and w.x0 > q_x]
    if weight_x:
        a_x = min(weight_x)
    if a_x is None:
        return None
    heights = sorted(w.bottom - w.top for ln in lines for w in ln.words if w.bottom > w.top)
    line_h = heights[len(heights) // 2] if heights else S.fallback_line_height
    min_h = S.min_word_height * line_h
    b2 = a_x - 4
    # more header lines right under the header (same cell: no padding gap), none in the activity column
    for ln in lines:
        hb = header_bottom.get(ln.page)
        if hb is None or ln.top <= hb - S.header_overlap * line_h:
            continue
        if ln.top - hb < S.header_continuation_gap * line_h and all(w.x0 < b2 for w in ln.words):
            header_bottom[ln.page] = max(hb, ln.bottom)
        elif ln.top > hb:
            break
    # the name/quantity border: the emptiest x left of the "Quantità" header (a centred quantity
    # may start left of its header word)
    body = [w for ln in lines for w in ln.words
            if (w.top + w.bottom) / 2 > header_bottom.get(ln.page, -1.0) and w.bottom - w.top >= min_h]

    def coverage(x: float) -> int:
        return sum(1 for w in body if w.x0 < x < w.x1)

    xs = [q_x - 6 - d for d in range(0, 50)]
    b1 = min(xs, key=lambda x: (coverage(x), q_x - 6 - x))
    # per column: (page, top, bottom, text)
    cols: list[list[tuple[int, float, float, str]]] = [[], [], []]
    for ln in lines:
        if _is_header_line(ln.text):
            continue
        groups: list[list[Any]] = [[], [], []]
        for w in ln.words:
            if w.bottom - w.top < min_h or (w.top + w.bottom) / 2 < header_bottom.get(ln.page, -1.0):
                continue
            if _is_speck(w.text):
                continue
            # centred quantity cells may start left of their header: decide by the word's centre
            groups[0 if (w.x0 + w.x1) / 2 < b1 else 1 if w.x0 < b2 else 2].append(w)
        for c, ws in enumerate(groups):
            if len(ws) == 1 and re.fullmatch(r"[A-ZÀ-Ü]", ws[0].text):
                continue  # a lone capital letter alone in its cell on this line: a speck
            if ws:
                text = " ".join(w.text for w in ws)
                cols[c].append((ln.page, min(w.top for w in ws), max(w.bottom for w in ws), text))
    for col in cols:
        col.sort(key=lambda item: (item[0], item[1]))
    # rows: activity blocks ending at weight lines
    bands: list[tuple[tuple[int, float], tuple[int, float], _Row]] = []
    acc: list[tuple[int, float, float, str]] = []
    rows: list[_Row] = []
    for item in cols[2]:
        acc.append(item)
        w, _ = weight_of(_norm(" ".join(a[3] for a in acc)))
        if w is not None:
            row = _Row(activity=[a[3] for a in acc], weight=w, page=acc[0][0])
            rows.append(row)
            bands.append(((acc[0][0], acc[0][1]), (acc[-1][0], acc[-1][2]), row))
            acc = []
    if acc:
        if rows and not weight_of(_norm(" ".join(a[3] for a in acc)))[0]:
            rows[-1].activity += [a[3] for a in acc]
        else:
            row = _Row(activity=[a[3] for a in acc], page=acc[0][0])
            rows.append(row)
            bands.append(((acc[0][0], acc[0][1]), (acc[-1][0], acc[-1][2]), row))
    if not rows:
        return None

    page_span = 100000.0  # (page, y) -> one vertical coordinate

    def y_of(page: int, y: float) -> float:
        return page * page_span + y

    spans = [(y_of(*lo), y_of(*hi)) for lo, hi, _ in bands]
    line_h = heights[len(heights) // 2] if heights else S.fallback_line_height
    # a name is never empty; a quantity cell may be, when no line fits it (two lines' height off)
    for c, empty_cost in ((0, 1e6), (1, (S.empty_cell_cost * line_h) ** 2)):
        items = [(y_of(page, top), y_of(page, bottom), text) for page, top, bottom, text in cols[c]]
        for k, group in enumerate(_segment(items, spans, empty_cost)):
            for text in group:
                (bands[k][2].name if c == 0 else bands[k][2].target).append(text)
    return rows


def _segment(items: list[tuple[float, float, str]], bands: list[tuple[float, float]],
             empty_cost: float) -> list[list[str]]:
    """Cut a column's lines (in reading order) into one contiguous group per table row.

    A cell's text sits level with its row's activity cell: centred (the group's middle near the
    band's middle) or top-aligned (the tops near each other), whichever fits. Dynamic
    programming over (rows, lines); an empty group costs ``empty_cost``.
    """
    n, k = len(items), len(bands)
    inf = float("inf")

    def cost(i: int, j: int, r: int) -> float:
        top, bottom = items[i][0], items[j - 1][1]
        b_top, b_bottom = bands[r]
        centred = ((top + bottom) - (b_top + b_bottom)) / 2
        return min(centred * centred, (top - b_top) ** 2)

    best = [[inf] * (n + 1) for _ in range(k + 1)]
    back = [[0] * (n + 1) for _ in range(k + 1)]
    best[0][0] = 0.0
    for r in range(1, k + 1):
        for j in range(n + 1):
            best[r][j], back[r][j] = best[r - 1][j] + empty_cost, j
            for i in range(j):
                if best[r - 1][i] < inf:
                    v = best[r - 1][i] + cost(i, j, r - 1)
                    if v < best[r][j]:
                        best[r][j], back[r][j] = v, i
    groups: list[list[str]] = [[] for _ in range(k)]
    j = n
    for r in range(k, 0, -1):
        i = back[r][j]
        groups[r - 1] = [t for _, _, t in items[i:j]]
        j = i
    return groups


def _is_speck(token: str) -> bool:
    """An OCR speck: one or two characters that are no Italian word, number or symbol of note."""
    t = token.strip()
    if not t:
        return True
    if not re.search(r"[\w%&+/\-–—]", t):
        return True
    return len(t) <= 2 and t.strip(".,;:") in patterns()["not_short_words"]  # lower case only: "L." is a word


def _is_header_line(text: str) -> bool:
    return not _strip_header(_norm(text))


#: Characters of the name column in OCR text when no row tells better (a third of the line).
_NAME_WIDTH = S.name_width_chars
_LIST_ITEM = re.compile(r"^\d{1,2}[.)]\s+\S")


@dataclass
class _PLine:
    text: str
    gap_before: bool
    weight: int | float | None = None
    noisy: bool = False  # OCR crumbs were removed from this line
    lone_bracket: bool = False  # a "]" standing alone between words: OCR's reading of a lone "1"
    repairs: tuple[tuple[str, str], ...] = ()  # OCR slips undone in this line (as read, as repaired)


def _split_capital(text: str, width: int = 30, column: int | None = None) -> tuple[str, str] | None:
    """Split a line where a new cell starts: before a capitalised word, "(" or "-" (OCR reads
    the cells of one table row into one line). The left part must fit the name column. After an
    article the noun is normally awaited, unless the left part fills the name ``column`` (its
    estimated width): then the noun is on the name's next line."""
    if re.match(r"^[-(•]", text) or _LIST_ITEM.match(text):
        return None
    tokens = text.split(" ")
    pos = 0
    found = None
    for k, tok in enumerate(tokens):
        if pos - 1 > width:
            break
        list_no = (k >= 2 and re.fullmatch(r"\d{1,2}", tok) is not None and k + 1 < len(tokens)
                   and not re.fullmatch(r"n[.°º]?", tokens[k - 1], re.I)
                   and re.match(r"[A-Za-zÀ-ÿ]{3}", tokens[k + 1]) is not None
                   and not re.fullmatch(_unit(), tokens[k + 1]))  # "... 3 Verbale": a list item
        if k >= 1 and tok and (tok[0].isupper() or tok[0] == "(" or (tok[0] == "-" and k >= 2) or list_no):
            left = " ".join(tokens[:k])
            full = column is not None and column - 2 <= len(left) <= column + 2
            if re.search(r"[a-zà-ù]", left) and (full or not _article_end().search(left)):
                found = (left, " ".join(tokens[k:]))  # the last cell start that fits the column
        pos += len(tok) + 1
    return found


def _rows_from_plain_lines(items: list[tuple[int, float, str]], ocr: bool = False) -> list[_Row]:
    """Plain text, no boxes: rows end at weight lines; then, per row, the quantity is the best
    quantity-like token, the name is the run of narrow-column fragments around it (text left of
    the quantity or of a "|", short lines, the left part of a line where a new cell visibly
    starts) within one paragraph, and the rest is the activity. Heuristic by nature: OCR
    interleaves the cells line by line or emits a cell as a paragraph of its own. On OCR'd text
    (``ocr``) the quantity slips of each line are undone first, and kept on the row (``repairs``).
    """
    P = patterns()
    groups: list[tuple[list[_PLine], list[_PLine], int | None]] = []  # (lines, trailing name lines, page)
    cur: list[_PLine] = []
    cur_page: int | None = None
    after_weight = False
    pending = False  # a weight phrase opened on the previous line, its number still to come
    tail_open = False  # the weight phrase of the previous line lacks its "obiettivo)"
    prev_top: float | None = None
    for page, top, raw in items:
        lone_bracket = re.search(r"(?<=\s)\](?=\s)", raw) is not None
        t, repairs = quantity_repairs(_strip_header(raw)) if ocr else (_strip_header(raw), [])
        t = t.replace("]", "|")
        t = re.sub(r"(?<![A-Za-zÀ-ÿ])I(['’])(?=[a-zà-ù])", r"l\1", t)  # "I'esecuzione": not a capital
        gap = prev_top is not None and top > prev_top + 1.0
        prev_top = top
        if not t:
            continue
        w, rest = weight_of(t)
        if w is None:
            tail = P["weight_tail"].search(rest)
            if tail:
                w = _to_number(tail.group(1))
                rest = (rest[: tail.start()] + " " + rest[tail.end():]).strip()
        if w is None and pending:
            m = re.search(r"(?:^|\s)(\d{1,3})\s*%\s*(?:obiettiv\w*)?\s*\)?", rest)
            if m:
                w = _to_number(m.group(1))
                rest = (rest[: m.start()] + " " + rest[m.end():]).strip()
        pending = w is None and bool(re.search(r"se\s+complet\w*|raggiungiment\w*\s*$|\(\s*se\s*$", rest, re.I))
        rest = P["weight_start"].sub(" ", rest)
        rest = re.sub(r"\(\s*se\s*$", "", rest)
        if w is not None:
            rest = re.sub(r"\bcomplet\w{0,4}\s*=?", " ", rest)
        rest = re.sub(r"\s*=?\s*raggiungiment\w*\s*$", "", rest)
        rest = re.sub(r"\s+", " ", rest).strip()
        if tail_open and w is None:  # "obiettivo)" ending the weight phrase of the line above
            rest = re.sub(r"(?:^|\s)obiettiv\w*\s*\)", " ", rest, flags=re.I).strip()
            if not rest:
                tail_open = False
                continue
        tail_open = w is not None and not re.search(r"%\s*(?:dell\W{0,2}\s*)?obiettiv", t, re.I)
        # leading junk goes, but not the opening quote of a quoted word ('"Sorit" e supporto')
        rest = re.sub(r"^(?:(?![\"“]\w[^\"”]*[\"”])[^\w(\-|])+|\s+[^\w\s(%|\-]+$", "", rest).strip()
        before_crumbs = rest
        rest = re.sub(r"(?:\s+[^\w\s|\-–—]{1,3})+(?=\s|$)", "", rest).strip()  # OCR crumbs ". . ;"
        rest = re.sub(r"(?:\s+\S(?=\s|$)){2,}$", "", rest).strip()  # "... o o", ". 0 ."
        shorts = sum(len(tok) <= 2 for tok in rest.split())
        noisy = rest != before_crumbs or (shorts >= 3 and 2 * shorts >= len(rest.split()))
        if w is None and re.fullmatch(r"\W*obiettiv\w*\W*", rest, re.I):
            continue  # the tail of a weight phrase
        if after_weight and gap and groups and groups[-1][1]:
            after_weight = False  # a paragraph break ends the name block
        if after_weight and w is None and not cur and groups:
            if _is_name_line(rest) or (len(rest) <= S.short_name_chars and "|" not in rest and rest[:1].isupper()
                                       and not _LIST_ITEM.match(rest)):
                groups[-1][1].append(_PLine(rest, gap, None, noisy))
                continue
            left, bar, right = rest.partition("|")
            # crumbs (tokens without three letters in a row) do not count in the right part
            right = " ".join(tok for tok in right.split() if re.search(r"[A-Za-zÀ-ÿ]{3}", tok))
            if bar and _is_name_line(left.strip()) and len(right.strip()) <= 15:
                groups[-1][1].append(_PLine(left.strip(), gap))
                prev_row_lines = groups[-1][0]
                prev_row_lines.append(_PLine(f"| {right.strip()}", False))
                continue
        after_weight = False
        if cur_page is None:
            cur_page = page
        cur.append(_PLine(rest, gap, w, noisy, lone_bracket, tuple(repairs)))
        if w is not None:
            groups.append((cur, [], cur_page))
            cur, cur_page, after_weight = [], None, True
    if cur:
        if groups:
            groups[-1][0].extend(cur)
        else:
            groups.append((cur, [], cur_page))
    width = _name_width([ln for lines, trailing, _ in groups for ln in lines + trailing])
    rows: list[_Row] = []
    carry: list[_PLine] = []
    for k, (lines, trailing, page) in enumerate(groups):
        if carry:
            lines = carry + lines
            carry = []
        row = _plain_row(lines, page, width)
        if trailing:
            # a name block after a weight line: the end of this row's name (lower-case lines
            # going on from it), then the next row's name
            name = join_lines(row.name)
            if not name or k + 1 == len(groups):
                row.name += [t.text for t in trailing]
            else:
                cut = 0
                while cut < len(trailing) and (trailing[cut].text[:1].islower()
                                               or _open_end().search(join_lines(row.name))):
                    row.name.append(trailing[cut].text)
                    cut += 1
                carry = trailing[cut:]
        rows.append(row)
    return rows


def _name_width(lines: list[_PLine]) -> int:
    """The name column's width in characters, from the lines that are a lone name fragment
    (short, no column rule, no quantity, two words or more): their upper quartile (the longest
    one may be two cells OCR joined), when there are at least three."""
    lone = sorted(len(ln.text) for ln in lines if ln.weight is None and _is_name_line(ln.text)
                  and len(ln.text.split()) >= 2)
    if len(lone) < 3:
        return _NAME_WIDTH
    return max(S.name_width_min_chars, min(S.name_width_max_chars, lone[(3 * (len(lone) - 1)) // 4]))


def _is_name_line(text: str) -> bool:
    if not text or len(text) > S.short_name_chars or "|" in text:
        return False
    if re.match(r"^[-(]", text) or (re.match(r"^\d", text) and not _LIST_ITEM.match(text)
                                      and not re.match(r"^\d{1,2}\s?[ª°º~\"'^]", text)
                                      and not re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}", text)):
        return False
    if _qty_any(text) or re.match(r"n\s*[.°º]\s*(?:\d|[A-ZÀ-Ü]|$)", text):
        return False  # a quantity cell ("n." opening it even when OCR lost the number)
    return re.search(r"[A-Za-zÀ-ÿ]{3}|\b\d{1,2}/\d{1,2}/\d{2,4}\b", text) is not None


def _qty_candidates(lines: list[_PLine]) -> list[tuple[int, int, int, int]]:
    """(score, line, start, end) of every quantity-like token of a row."""
    out = []
    for li, ln in enumerate(lines):
        for base, rx in _qty_classes():
            for m in rx.finditer(ln.text):
                tok = m.group(0).strip()
                if not tok:
                    continue
                before, after = ln.text[: m.start()].rstrip(), ln.text[m.end():].lstrip()
                if base == 1 and tok[0].isdigit() and not before and re.match(r"[A-ZÀ-Ü]", after):
                    continue  # "1 Preliminari valutazioni": a list number, not a quantity
                score = base
                if base < 3 and re.match(r"(?:Almeno|Circa)\b", tok):
                    score += 2  # "Almeno 50" opening a cell (capitalised: not inside a sentence)
                if before.endswith("|") or after.startswith("|"):
                    score += 3
                elif not after and not before:
                    score += 1
                    if all(len(x.text) <= S.long_name_chars for x in lines[:li]):
                        score += 1  # a quantity cell read before any activity text
                out.append((score, li, m.start(), m.end()))
    return out


def _plain_row(lines: list[_PLine], page: int | None, width: int = _NAME_WIDTH) -> _Row:
    row = _Row(page=page)
    row.weight = next((ln.weight for ln in lines if ln.weight is not None), None)
    row.repairs = [c for ln in lines for c in ln.repairs]
    lines = list(lines)
    # "n." opening a line with its number slipped onto the next line as ".4" (skewed scan)
    for i in range(len(lines) - 1):
        m = re.match(r"n\s*[.°º]\s+(?=[A-ZÀ-Ü])", lines[i].text)
        num = re.search(r"(?<!\S)\.(\d{1,4})(?!\S)", lines[i + 1].text)
        if m and num and not lines[i + 1].gap_before:
            lines[i] = _PLine(f"n.{num.group(1)} {lines[i].text[m.end():]}", lines[i].gap_before,
                              lines[i].weight, lines[i].noisy)
            nt = lines[i + 1].text
            lines[i + 1] = _PLine(re.sub(r"\s+", " ", nt[: num.start()] + nt[num.end():]).strip(),
                                  False, lines[i + 1].weight, lines[i + 1].noisy)
    # 1. the quantity: best candidate (column rule next to it, or alone on its line, scores more)
    cands = _qty_candidates(lines)
    best = max(cands, key=lambda c: (c[0], -c[1], -c[2])) if cands else None
    anchor: int | None = None
    taken: set[int] = set()  # lines of a multi-line quantity cell: no name there
    name_parts: dict[int, str] = {}
    act_parts: dict[int, str] = {}
    if best is not None:
        anchor = best[1]
        ln = lines[anchor].text
        target = ln[best[2]: best[3]].strip()
        left, right = ln[: best[2]].strip(" |"), ln[best[3]:].strip(" |")
        # "Almeno" printed alone on the line above the number belongs to the quantity
        if anchor > 0 and re.match(r"^(almeno|circa)\b", lines[anchor - 1].text, re.I) \
                and not re.match(r"^(almeno|circa)", target, re.I):
            word = lines[anchor - 1].text.split(" ")[0]
            target = f"{word} {target}"
            lines[anchor - 1] = _PLine(lines[anchor - 1].text[len(word):].strip(), lines[anchor - 1].gap_before)
        if re.fullmatch(r"(almeno|circa)", left, re.I):
            target, left = f"{left} {target}", ""
        # a unit word on the next line(s) completes "almeno n.1" / "n.15" / "Almeno 100"
        # a quantity word without a number ("continua") may have its head noun a line or two
        # above, at the same column, between the name and the activity ("... tra Assistenza vari
        # uffici" / "... continua"): a capitalised word inside a sentence that is not starting
        if not re.search(r"\d", target) and best[2] >= 8:
            for h in (anchor - 1, anchor - 2):
                if h < 1 or lines[h + 1].gap_before:
                    break
                prev = lines[h - 1].text.rstrip()
                if not prev or prev[-1] in ".;:)" or lines[h].gap_before:
                    continue
                hm = next((m for m in re.finditer(r"(?<=\s)([A-ZÀ-Ü][a-zà-ù]{3,})\s+(?=[a-zà-ù])", lines[h].text)
                           if abs(m.start(1) - best[2]) <= 3), None)
                if hm:
                    target = f"{hm.group(1)} {target}"
                    ht = lines[h].text
                    lines[h] = _PLine(f"{ht[: hm.start(1)].rstrip()} | {ht[hm.end():]}".strip(),
                                      lines[h].gap_before, lines[h].weight, lines[h].noisy)
                    break
        last, last_left = anchor, left  # the line where the quantity ends, and its name part
        if re.search(r"\d", target) and not re.search(_unit(), target):
            for k in (anchor + 1, anchor + 2):
                if k >= len(lines):
                    break
                nxt = lines[k].text
                # a lone digit before the unit, in the same row as a quantity that has its number,
                # is an OCR stray ("Almeno 50" / "9 controlli")
                nxt = re.sub(r"^\W*\d\s+(?=(?-i:" + _unit() + r")\b)", "", nxt) if k == anchor + 1 else nxt
                um = re.search(r"(?:^|[\s|])(" + _unit() + r")(?:\b|$)", nxt[:40])
                if um and (k == anchor + 1 or um.start(1) == 0 or nxt[: um.start(1)].strip().endswith("|")) \
                        and not _qty_any(nxt):
                    target = f"{target} {um.group(1)}"
                    pre_u, post_u = nxt[: um.start(1)].strip(" |"), nxt[um.end(1):].strip(" |")
                    target, post_u = _absorb_open_tail(target, post_u)
                    last, last_left = k, pre_u
                    lines[k] = _PLine(f"{pre_u} | {post_u}" if pre_u else post_u, lines[k].gap_before)
                    if pre_u:
                        name_parts[k], act_parts[k] = pre_u, post_u
                    break
        if last == anchor:
            target, right = _absorb_open_tail(target, right)
        # the quantity opens its line and a column rule follows it: this line shows no name part,
        # so the neighbouring "X | Y" lines carry the same quantity cell in X
        if last == anchor and not left and ln[best[3]:].lstrip().startswith("|"):
            for step in (-1, 1):
                h = anchor + step
                while 0 <= h < len(lines) and not lines[max(h, h - step)].gap_before \
                        and "|" in lines[h].text and h not in name_parts:
                    x, _, y = lines[h].text.partition("|")
                    if not x.strip() or len(x.strip()) > width + 2 or _qty_any(x):
                        break
                    target = f"{x.strip()} {target}" if step < 0 else f"{target} {x.strip()}"
                    lines[h] = _PLine(y.strip(), lines[h].gap_before, lines[h].weight, lines[h].noisy)
                    taken.add(h)
                    last = max(last, h)
                    h += step
            # still unfinished ("..., una"): it goes on in a later run of short lines opening
            # with a preposition or conjunction, that do not continue the line above them
            # ("Sperimentazione" / "strategie" / "per ognuna" / "delle tematiche")
            if _open_end().search(target):
                for h in range(last + 1, len(lines)):
                    t = lines[h].text
                    above = lines[h - 1].text
                    if h in taken or not _is_name_line(t) or not _open_end().search(t.split(" ")[0]) \
                            or _open_end().search(above) or (len(above) > width + 2 and not lines[h].gap_before):
                        continue
                    while h < len(lines) and _is_name_line(lines[h].text):
                        target = f"{target} {lines[h].text}"
                        lines[h] = _PLine("", lines[h].gap_before)
                        taken.add(h)
                        h += 1
                        if h < len(lines) and lines[h].gap_before:
                            break
                    break
        # an unfinished quantity ("n.32 vie su", "3 documenti di", "(350") goes on at the start of
        # the next line: up to a column rule, or the whole line when it is short. Only when its
        # line shows no name part: else the next line starts with the name's continuation
        j = last + 1
        if j < len(lines) and not lines[j].gap_before and not last_left.strip(" |") and (
                _open_end().search(target) or target.count("(") > target.count(")")):
            nxt = lines[j].text
            if "|" in nxt:
                piece, _, remain = nxt.partition("|")
            elif len(nxt) <= 24:
                piece, remain = nxt, ""
            else:
                piece, _, remain = nxt.partition(" ")
            if piece.strip() and not _qty_any(piece):
                target = f"{target} {piece.strip()}"
                lines[j] = _PLine(remain.strip(), lines[j].gap_before)
        row.target = [target]
        name_parts[anchor] = left if len(left) <= S.long_name_chars else ""
        act_parts[anchor] = right if len(left) <= S.long_name_chars else f"{left} {right}".strip()
    elif any(ln.lone_bracket for ln in lines):
        # no quantity at all, but a lone "]" between the name and the activity: a "1" (OCR
        # confuses 1 / ] / |); it still separates the cells as a column rule would
        row.target = ["1"]
    # 2. the name: a run of narrow-column fragments around the anchor, within one paragraph
    def is_name(i: int) -> bool:
        """A short line that is a name fragment, not the end of the sentence above it."""
        text = lines[i].text
        if not _is_name_line(text):
            return False
        prev = lines[i - 1].text if i > 0 else ""
        return not (len(prev) > S.short_name_chars and _open_end().search(prev) and text[:1].islower())

    if anchor is None:
        anchor = next((i for i, ln in enumerate(lines) if "|" in ln.text and len(ln.text.split("|")[0]) <= S.short_name_chars), None)
    if anchor is None:
        anchor = next((i for i, ln in enumerate(lines) if is_name(i)), None)

    def fragment(i: int, prev_act: str) -> tuple[str, str] | None:
        text = lines[i].text
        if i in name_parts:
            return name_parts[i], act_parts.get(i, "")
        if "|" in text:
            left, _, right = text.partition("|")
            left, right = left.strip(), right.strip()
            col = max(width, _NAME_WIDTH)
            if len(left) > col:
                # wider than the name column: its tail is the next column's ("... gestione di |")
                cut = _cut_at_width(left, col)
                if cut and len(cut[0]) >= S.min_cut_share * col:
                    left, right = cut[0], f"{cut[1]} {right}".strip()
            if left and len(left) <= S.short_name_chars:
                return left, right
            return None
        if _is_name_line(text):
            if prev_act and _open_end().search(prev_act) and text[:1].islower():
                return None  # the activity cell's sentence goes on
            if len(text) > max(width, _NAME_WIDTH) + 2:
                # wider than the name column: a cell visibly starts inside it ("... attivita Controllo e")
                split = _split_capital(text, width=max(width, _NAME_WIDTH) + 2, column=width)
                if split and len(split[0]) >= S.min_cut_share * width:
                    return split
            return text, ""
        return _split_capital(text, width=max(width, _NAME_WIDTH) + 2, column=width)

    run: set[int] = set()
    if anchor is not None:
        frag = fragment(anchor, "")
        if frag:
            name_parts[anchor], act_parts[anchor] = frag
            run = {anchor}
        def crosses(lower: int) -> bool:
            """A blank line stops the run, unless the name visibly goes on below it."""
            return not lines[lower].gap_before or name_parts.get(lower, lines[lower].text)[:1].islower()

        def by_width(i: int, beyond: int) -> tuple[str, str] | None:
            """A lower-case line between two name fragments: cut it at the name column's width."""
            text = lines[i].text
            if "|" in text or _LIST_ITEM.match(text) or not re.match(r"[A-Za-zÀ-ÿ]", text):
                return None
            if text[:1].isupper():
                # the name's first line, right above the run
                if beyond > i or not (0 <= i + 1 < len(lines)) or lines[i + 1].gap_before:
                    return None
            elif beyond > i and i > 0 and _open_end().search(name_parts.get(i - 1, "") or "x") \
                    and not lines[i].gap_before:
                pass  # the name above is unfinished ("... aggiornamento del"): it goes on here
            else:
                if not 0 <= beyond < len(lines):
                    return None
                if beyond < i and lines[i].gap_before or beyond > i and lines[beyond].gap_before:
                    return None
                if fragment(beyond, "") is None:
                    return None
            seen = [len(v) for v in name_parts.values() if v]
            if not seen:
                return None
            return _cut_at_width(text, max(seen + [_NAME_WIDTH]))

        def unfinished_above(i: int) -> bool:
            """The quantity line shows no name part and the line above is an unfinished name
            fragment ("... intervengono nella"): the name goes on across the blank line."""
            t = lines[i].text
            return name_parts.get(i + 1) == "" and _is_name_line(t) and _open_end().search(t) is not None

        i = anchor - 1
        while run and i >= 0 and i not in taken and (crosses(i + 1) or unfinished_above(i)):
            frag = fragment(i, "") or by_width(i, i - 1)
            if not frag or re.search(r"[a-zà-ù]{4}\.$", frag[0]):
                break  # nothing to take, or the end of a sentence above the name
            name_parts[i], act_parts[i] = frag
            run.add(i)
            i -= 1
        # the name cell is top-aligned: when the row's first line visibly opens with a full name
        # line ("N. incontri verbalizzati Individuazione ..."), the lines down to the run are name
        # lines too, cut at the column's width, whatever blank lines OCR put between them
        top = min(run) if run else 0
        head = _split_capital(lines[0].text, column=width) if top > 0 and 0 not in name_parts else None
        if head and len(head[0]) >= width - 3 and head[0][:1].isupper():
            parts: dict[int, tuple[str, str]] | None = {0: head}
            for m in range(1, top):
                t = lines[m].text
                f = _cut_at_width(t, max(width, _NAME_WIDTH)) if "|" not in t else \
                    (t.partition("|")[0].strip(), t.partition("|")[2].strip())
                if not f or not f[0] or _LIST_ITEM.match(t) or len(f[0]) > max(width, _NAME_WIDTH) + 2:
                    parts = None
                    break
                parts[m] = f
            for m, f in (parts or {}).items():
                name_parts[m], act_parts[m] = f
                run.add(m)
        i = anchor + 1
        while run and i < len(lines) and i not in taken:
            named = [name_parts[k] for k in sorted(run) if name_parts.get(k)]
            if named and re.search(r"[-,(]$", named[-1]) and i + 1 < len(lines) and "|" not in lines[i].text \
                    and not _is_name_line(lines[i].text) and i + 1 not in taken and not lines[i + 1].gap_before \
                    and _is_name_line(lines[i + 1].text) and not lines[i + 1].text[:1].isupper():
                i += 1  # an activity line between two fragments of an unfinished name
                continue
            frag = fragment(i, act_parts.get(i - 1, "")) or by_width(i, i + 1)
            full_above = len(name_parts.get(i - 1, "")) >= width - 3 and not frag[1] if frag else False
            if not frag or (lines[i].gap_before and not frag[0][:1].islower() and not full_above):
                break  # a blank line ends the name, unless the name line above filled its column
            name_parts[i], act_parts[i] = frag
            run.add(i)
            i += 1
        for i in list(name_parts):
            if i not in run:
                del name_parts[i]
    has_activity = any(act_parts.get(i) for i in run) or any(
        ln.text and not is_name(i) for i, ln in enumerate(lines) if i not in run)
    if not any(name_parts.values()) or not has_activity:
        # a name printed as a paragraph of its own: the nearest paragraph of short lines
        paras: list[list[int]] = []
        for i, ln in enumerate(lines):
            if i == 0 or ln.gap_before:
                paras.append([])
            paras[-1].append(i)
        ref = anchor if anchor is not None else len(lines) - 1
        pick = [[i for i in para if lines[i].text] for para in paras if not (set(para) & run)
                and any(lines[i].text for i in para) and all(is_name(i) for i in para if lines[i].text)]
        if pick:
            if not has_activity:
                for i in run:
                    name_parts[i], act_parts[i] = "", lines[i].text.replace("|", " ")
            para = min(pick, key=lambda pa: min(abs(i - ref) for i in pa))
            for i in para:
                name_parts[i], act_parts[i] = lines[i].text, ""
    for i, ln in enumerate(lines):
        if i in name_parts:
            if name_parts[i]:
                row.name.append(_strip_crumbs(name_parts[i]) if ln.noisy
                                else re.sub(r"(?<!\S)[B-DF-HJ-NP-TV-Z](?!\S)\s*", "", name_parts[i]).strip())
            if act_parts.get(i):
                row.activity.append(act_parts[i])
        elif ln.text:
            row.activity.append(ln.text.replace("|", " "))
    return row


def _cut_at_width(text: str, col: int) -> tuple[str, str] | None:
    """(left, rest) of a line cut at the last word boundary within ``col`` characters; None when
    the left part is too short to be a name line (unless it ends in an article)."""
    tokens, left = text.split(" "), ""
    for k in range(1, len(tokens)):
        cand = " ".join(tokens[:k])
        if len(cand) > col:
            break
        left = cand
    if not left or _article_end().search(left) is None and len(left) < S.min_cut_share * col:
        return None
    return left, text[len(left):].strip()


def _absorb_open_tail(target: str, rest: str) -> tuple[str, str]:
    """A preposition right after a quantity, before a column rule, the line's end or the next
    cell's start, still belongs to the quantity ("n.32 vie su |", "n.1 corso in - ...")."""
    m = re.match(r"((?:[a-zà-ù']{1,5}\s+)?)(\S+)\s*(?=\||$|-\s|[(A-ZÀ-Ü])", rest)
    if m and not m.group(1) and len(m.group(2)) >= 2 and _open_end().search(m.group(2)):
        return f"{target} {m.group(2)}", rest[m.end():].lstrip(" |")
    return target, rest


def _strip_crumbs(text: str) -> str:
    """Drop a trailing run of three or more OCR crumbs ("epe s o ae") from a name fragment."""
    tokens = text.split(" ")
    # a lone capital consonant is no Italian word ("commerciali/ R promozione")
    tokens = [t for t in tokens if not re.fullmatch(r"[B-DF-HJ-NP-TV-Z]", t)]
    if not tokens:
        return ""
    k = len(tokens)
    while k > 1 and len(tokens[k - 1]) <= 4 and not re.fullmatch(r"\d{4}|[-–—]", tokens[k - 1]):
        k -= 1
    if len(tokens) - k >= 3:
        tokens = tokens[:k]
    return " ".join(tokens)


def _qty_any(text: str) -> bool:
    return any(base >= 2 and rx.search(text) for base, rx in _qty_classes())
