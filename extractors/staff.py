"""Count the staff a card involves ("Personale da coinvolgere al fine del raggiungimento dell'obiettivo:").

Public API: :func:`count_staff` ``(text, year=None) -> int | None`` and :func:`get_nlp` (the cached pipeline).

The count is a head-count, or ``None`` when the text does not let a careful reader count the people
(never a guess). It is computed by a blank Italian spaCy pipeline (no trained model is needed) with two
components registered by name:

- the tokenizer is wrapped to clean the text first (rule 1), so ``nlp(raw_text)`` works as is;
- ``piao_staff_ruler`` (factory): a :class:`~spacy.matcher.Matcher` built from ``staff_patterns.jsonl``
  beside this module (EntityRuler-style lines: ``label``, ``pattern``, optional ``id`` and ``note``).
  It tags numbers, roles, groups, separators ... as ``doc.ents`` (longest match wins).
- ``piao_staff_counter``: reads those entities and applies the rules below; the result is in
  ``doc._.staff_segments`` (one entry per year segment) and ``doc._.staff_count``.

Counting rules (labels are those of the patterns file):

1. Text clean-up first: a leading "Personale da coinvolgere ...:" label is dropped; OCR noise is undone
   (``n?3``/``n*3`` -> ``n° 3``); glued tokens are split (``n.1Responsabile`` -> ``n. 1 Responsabile``, ``Resp.Area`` -> ``Resp. Area``, ``4+1(Dirigente)`` -> ``4 + 1 ( Dirigente )``);
   line breaks become spaces (their positions are kept for rule 2).
2. Year segments: a text opening with a year heading (``2025:``, ``2026 ÷ 2028:``; ``÷`` is often OCR'd as ``+``)
   is cut at each heading (one that opens the text or a line, or follows a separator, and ends with ``:`` or is
   a span of years or opens a line). With ``year`` given only the segment covering it is counted (``None`` if no
   segment covers it); without ``year`` the segments must agree. Text before the first heading applies to all.
3. The text is split into phrases at separators (``+ , ; : . — e ed oltre``; ``/`` is not one: it joins unit names),
   and a phrase into mentions at each quantity. A quantity is a marked number (``n.1``, ``n°3``, ``nr. 2``),
   a bare number followed within two words by a role/group noun, or a bare number alone in its phrase next to
   a ``+`` (the ``4`` of ``4+1``), before a parenthetical or inside one (``Responsabili (8)``); any other lone
   number (a page number, ``Area 3``) is ignored; a number in words (``un``, ``due`` ...) only when a role follows it.
4. A mention with a quantity counts that number, whatever follows (``n.15 dipendenti addetti ...`` -> 15);
   a range (``n. 2 / 3``, ``2-3``) makes the text uncountable; so does a quantity of collectives (``2 gruppi``).
5. A mention without quantity is judged by its head, its first word after articles/prepositions/titles:
   a singular role (``Responsabile``, ``Resp. Area``, ``dirigente``) counts 1; a plural group (``dirigenti``,
   ``agenti``, ``dipendenti delle aree``, ``Personale impiegato``, ``dip.``) or a collective (``Gruppo di lavoro``)
   counts only through a parenthetical that lists its members, else the text is uncountable. A role word later in
   a mention whose head is no role (``Ufficio Tecnico``) makes it uncountable too, unless it follows a unit word
   (``Ufficio``, ``Area``, ``Servizio`` ...), where it names the unit rather than people.
6. Parentheticals: after a counted mention they describe it (``3 dipendenti (2 assistenti sociali ed 1
   amministrativo)`` is 3; ``4+1(Dirigente)``: the ``(Dirigente)`` labels the 1); a description that counts more
   than the mention makes the text uncountable. After an uncounted group they give its count
   (``tutto il personale (n. 25)`` is 25). ``di cui`` / ``ovvero`` open such a description up to the next
   ``;``, ``+``, ``.`` or ``:`` (``n.3 dipendenti di cui n.1 part-time`` is 3).
   A colon after a group opens the list of its members up to the next ``;``, ``.`` or ``:``: after a counted
   group it is a breakdown counted once (``6 dipendenti: 1 funzionario, 3 istruttori, 2 operai`` is 6) unless its
   members add up to more (then it was a plain separator); after an unnumbered group it gives the count
   (``Personale coinvolto: n. 1 Responsabile, n. 2 istruttori`` is 3). A marked number right after an unnumbered
   role is that role's count (``Operai n. 3``).
   A dash before an unnumbered role naming the profile of the group just counted is no separator
   (``n. 1 Istruttore tecnico – geometra`` is 1; the role must agree in number with the count). After an
   unnumbered singular role, an office with its unit is a second title of the same person (``Dirigente –
   Responsabile del Settore`` is 1), while two bare ranks stay two people (``Comandante – Vicecomandante``).
7. Whole-staff or indefinite words in a mention without quantity (``tutto il personale``, ``alcuni``),
   distributive words anywhere (``per ogni area``) and open lists (``ecc.``) make the text uncountable.
8. Names: when no phrase holds a role, group or number, each phrase of 2-4 capitalised words (titles such as
   ``Dott.ssa`` allowed) is a person's name and counts 1 (``Mantelli Valentina`` -> 1). In mixed texts such
   phrases are taken as unit names or appositions and not counted.
9. A text in which nothing countable is found is ``None``; any uncountable mention makes the whole text ``None``.

To teach the counter a new word (a role, a unit, a number marker), add it to the matching line of
``staff_patterns.jsonl``; the rules above need no change.

The pipeline is built once per process (lazy, thread-safe) and spaCy itself is imported only then, so the
rest of the package does not pay its import time.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Union

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

PATTERNS_PATH = Path(__file__).with_name("staff_patterns.jsonl")
RULER_FACTORY = "piao_staff_ruler"
COUNTER_COMPONENT = "piao_staff_counter"

_ROLE_KINDS = frozenset({"ROLE_SG", "ROLE_PL", "COLLECTIVE"})
_LOCK = threading.Lock()
_NLP: "Language | None" = None
_REGISTERED = False


# --------------------------------------------------------------------------- public API


def count_staff(text: str | None, year: int | None = None) -> int | None:
    """Head-count of a card's staff text, or ``None`` when it cannot be counted (see module docstring)."""
    return count_with(get_nlp(), text, year)


def get_nlp() -> "Language":
    """The cached staff pipeline: ``spacy.blank("it")`` + ``piao_staff_ruler`` + ``piao_staff_counter``."""
    global _NLP
    if _NLP is None:
        with _LOCK:
            if _NLP is None:
                _NLP = build_nlp()
    return _NLP


def build_nlp(patterns_path: str | Path | None = None) -> "Language":
    """A fresh staff pipeline (uncached); ``patterns_path`` overrides the patterns file beside this module."""
    import spacy

    register_components()
    nlp = spacy.blank("it")
    nlp.tokenizer = NormalizingTokenizer(nlp.tokenizer)
    path = str(patterns_path) if patterns_path is not None else None
    nlp.add_pipe(RULER_FACTORY, config={"patterns_path": path})
    nlp.add_pipe(COUNTER_COMPONENT)
    return nlp


def count_with(nlp: "Language", text: str | None, year: int | None = None) -> int | None:
    """:func:`count_staff` with a given pipeline (e.g. one built on another patterns file)."""
    if not text or not text.strip():
        return None
    return select_count(nlp(text)._.staff_segments, year)


@dataclass(frozen=True)
class StaffSegment:
    """One year segment of a staff text: years covered (``None`` = every year) and its count."""

    first_year: int | None
    last_year: int | None
    count: int | None

    def covers(self, year: int) -> bool:
        return self.first_year is not None and self.first_year <= year <= (self.last_year or self.first_year)


def select_count(segments: list[StaffSegment], year: int | None) -> int | None:
    """The count for ``year`` from the segments the counter found."""
    if not segments:
        return None
    if len(segments) == 1 and segments[0].first_year is None:
        return segments[0].count
    if year is not None:
        hits = [s for s in segments if s.covers(year)]
        return hits[0].count if len(hits) == 1 else None
    counts = {s.count for s in segments}
    return counts.pop() if len(counts) == 1 else None


# --------------------------------------------------------------------------- text clean-up

_APOSTROPHES = {ord(c): "'" for c in "’‘`´ʼ"}
_APOSTROPHES[0x00A0] = " "
_LABEL = re.compile(r"^\s*personale\s+da\s+coinvolgere\b[^:]{0,80}:", re.I)
_LINE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b([nN])\s*[?º*°']\s*(?=\d)"), "n° "),  # OCR: n?3, n*3, n'3, n ° 3
    (re.compile(r"(?<=\d)(?=[^\W\d_])"), " "),  # 1Responsabile
    (re.compile(r"(?<=[^\W\d_][.°])(?=\d)"), " "),  # n.1, n°3
    (re.compile(r"(?<=[a-zà-ÿ]{2})\.(?=[A-ZÀ-Ý])"), ". "),  # Resp.Area
    (re.compile(r"(?<=\d)\s*-\s*(?=\d)"), " - "),  # 2-3
    (re.compile(r"\s*([+()\[\];,:÷|&/—–])\s*"), r" \1 "),
    (re.compile(r"\s+"), " "),
]


def normalize(text: str) -> tuple[str, list[int]]:
    """Clean ``text`` (rule 1); return it on one line with the offsets where original lines started."""
    text = _LABEL.sub("", unicodedata.normalize("NFC", text).translate(_APOSTROPHES))
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for line in text.splitlines():
        for rx, repl in _LINE_RULES:
            line = rx.sub(repl, line)
        line = line.strip()
        if not line:
            continue
        if parts:
            pos += 1
        starts.append(pos)
        parts.append(line)
        pos += len(line)
    return " ".join(parts), starts


class NormalizingTokenizer:
    """Wraps spaCy's tokenizer: cleans the text first (rule 1), so ``nlp(raw_text)`` works as is."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> "Doc":
        clean, starts = normalize(text)
        doc = self.tokenizer(clean)
        doc.user_data["piao_line_starts"] = starts
        return doc


# --------------------------------------------------------------------------- spaCy components


def load_patterns(path: str | Path = PATTERNS_PATH) -> list[dict[str, Any]]:
    """The pattern lines of a patterns file (blank lines and ``//`` comments skipped)."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        row = json.loads(line)
        if "label" not in row or "pattern" not in row:
            raise ValueError(f"{path}:{n}: a pattern needs 'label' and 'pattern'")
        rows.append(row)
    return rows


class StaffRuler:
    """Tags staff-relevant spans with a Matcher loaded from a patterns file (longest match wins)."""

    def __init__(self, nlp: "Language", name: str, patterns_path: str | None) -> None:
        from spacy.matcher import Matcher

        self.name = name
        self.patterns_path = Path(patterns_path) if patterns_path else PATTERNS_PATH
        self.matcher = Matcher(nlp.vocab, validate=True)
        grouped: dict[str, list[list[dict[str, Any]]]] = {}
        for row in load_patterns(self.patterns_path):
            key = row["label"] + ("|" + str(row["id"]) if row.get("id") is not None else "")
            grouped.setdefault(key, []).append(row["pattern"])
        for key, patterns in grouped.items():
            self.matcher.add(key, patterns)
        self.labels = sorted({k.split("|")[0] for k in grouped})

    def __call__(self, doc: "Doc") -> "Doc":
        from spacy.tokens import Span
        from spacy.util import filter_spans

        vocab = doc.vocab.strings
        spans = []
        for match_id, start, end in self.matcher(doc):
            label, _, ident = vocab[match_id].partition("|")
            spans.append(Span(doc, start, end, label=label, span_id=ident or ""))
        doc.ents = filter_spans(spans)
        return doc


def _make_ruler(nlp: "Language", name: str, patterns_path: str | None) -> StaffRuler:
    return StaffRuler(nlp, name, patterns_path)


def _counter(doc: "Doc") -> "Doc":
    segments = _count_doc(doc)
    doc._.staff_segments = segments
    doc._.staff_count = select_count(segments, None)
    return doc


def register_components() -> None:
    """Register the two components and the Doc extensions with spaCy (idempotent)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from spacy.language import Language
    from spacy.tokens import Doc

    if not Language.has_factory(RULER_FACTORY):
        Language.factory(RULER_FACTORY, default_config={"patterns_path": None}, func=_make_ruler)
    if not Language.has_factory(COUNTER_COMPONENT):
        Language.component(COUNTER_COMPONENT, func=_counter)
    for ext, default in (("staff_segments", None), ("staff_count", None)):
        if not Doc.has_extension(ext):
            Doc.set_extension(ext, default=default)
    _REGISTERED = True


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True)
class _Unit:
    kind: str  # an entity label, or WORD / LPAREN / RPAREN
    text: str
    value: int | None = None
    years: tuple[int, int] | None = None
    line_start: bool = False
    plus: bool = False  # a bare number next to a '+' sign ("4+1")
    tag: str = ""  # the pattern's id ("dash" for a dash separator)


@dataclass
class _Paren:
    items: list["_Item"] = field(default_factory=list)


_Item = Union[_Unit, _Paren]
_YEAR_RX = re.compile(r"^(19|20)\d\d$")
_STRONG_SEPS = frozenset({";", "+", ".", ":", "|"})


def _units(doc: "Doc") -> list[_Unit]:
    starts = set(doc.user_data.get("piao_line_starts", ()))
    ent_at = {ent.start: ent for ent in doc.ents}
    out: list[_Unit] = []
    i = 0
    while i < len(doc):
        tok = doc[i]
        line_start = tok.idx in starts
        ent = ent_at.get(i)
        if ent is None:
            kind = {"(": "LPAREN", "[": "LPAREN", ")": "RPAREN", "]": "RPAREN"}.get(tok.text, "WORD")
            if not tok.is_space:
                out.append(_Unit(kind, tok.text, line_start=line_start))
            i += 1
            continue
        kind, value, years = ent.label_, None, None
        if kind in ("QTY", "NUM"):
            value = int(next(t.text for t in ent if t.text.isdigit()))
        elif kind == "NUMWORD":
            value = int(ent.id_)
        elif kind in ("YEAR", "YEAR_RANGE"):
            ys = [int(t.text) for t in ent if _YEAR_RX.match(t.text)]
            years = (min(ys), max(ys))
        out.append(_Unit(kind, ent.text, value, years, line_start, tag=ent.id_))
        i = ent.end
    # a role word right after a unit word names the unit ("Ufficio Tecnico"), it is not people
    fixed: list[_Unit] = []
    for u in out:
        prev = next((p for p in reversed(fixed) if p.kind != "SKIP"), None)
        if u.kind in _ROLE_KINDS and prev is not None and prev.kind == "UNIT":
            u = _Unit("WORD", u.text, line_start=u.line_start)
        fixed.append(u)
    for i, u in enumerate(fixed):
        if u.kind == "NUM":
            near = fixed[max(i - 1, 0) : i] + fixed[i + 1 : i + 2]
            if any(n.kind == "SEP" and n.text == "+" for n in near):
                fixed[i] = _Unit(u.kind, u.text, u.value, u.years, u.line_start, plus=True)
    return _appositions(fixed)


_COUNTABLE = frozenset({"QTY", "NUM", "NUMWORD", "RANGE", "ROLE_SG", "ROLE_PL", "COLLECTIVE", "ALL", "PER_EACH",
                        "OPEN"})
_BOUNDARY = frozenset({"SEP", "LPAREN", "RPAREN", "BREAKDOWN"})


def _phrase_before(units: list[_Unit], i: int) -> list[_Unit]:
    """The units of the phrase that ends just before ``units[i]`` (back to a separator or bracket)."""
    start = i
    while start > 0 and units[start - 1].kind not in _BOUNDARY:
        start -= 1
    return units[start:i]


def _quantity_before(units: list[_Unit], i: int) -> int | None:
    """The head-count written in the phrase that ends at ``units[i]`` (a number followed by a role), if any."""
    phrase = _phrase_before(units, i)
    for k, u in enumerate(phrase):
        if u.kind in ("QTY", "NUM", "NUMWORD") and any(n.kind in _ROLE_KINDS for n in phrase[k + 1 : k + 3]):
            return u.value
    return None


def _role_head_before(units: list[_Unit], i: int) -> _Unit | None:
    return next((u for u in _phrase_before(units, i) if u.kind not in ("SKIP", "TITLE")), None)


def _appositions(units: list[_Unit]) -> list[_Unit]:
    """A dash before an unnumbered role that names the profile of the group just before it is no separator:
    ``n. 1 Istruttore tecnico – geometra`` is one person, ``n. 2 Istruttori – geometri`` two. The role must agree
    in number with the count before the dash (singular after 1, plural after more; a collective, ``squadra
    esterna``, names any counted group); after an unnumbered singular
    role only a lower-case role is a description (``Comandante – Vicecomandante`` stays two people)."""
    out = list(units)
    for i, u in enumerate(units):
        if u.kind != "SEP" or u.tag != "dash":
            continue
        j = i + 1
        while j < len(units) and units[j].kind == "SKIP":
            j += 1
        if j >= len(units) or units[j].kind not in ("ROLE_SG", "ROLE_PL", "COLLECTIVE"):
            continue
        head = units[j]
        rest = []
        for n in units[j + 1 :]:
            if n.kind in _BOUNDARY:
                break
            rest.append(n)
        if any(n.kind in _COUNTABLE for n in rest):
            continue
        value = _quantity_before(units, i)
        if value is not None:  # a collective names the counted group ("n. 3 operai – squadra esterna")
            ok = head.kind == "COLLECTIVE" or (value == 1) == (head.kind == "ROLE_SG")
        else:
            before = _role_head_before(units, i)
            ok = (before is not None and before.kind == "ROLE_SG" and head.kind == "ROLE_SG"
                  and (head.text[:1].islower() or _office_of_a_unit(head, rest)))
        if ok:
            out[i] = _Unit("WORD", u.text, line_start=u.line_start)
            out[j] = _Unit("WORD", head.text, line_start=head.line_start)
    return out


def _office_of_a_unit(head: _Unit, rest: list[_Unit]) -> bool:
    """``Responsabile del Settore``, ``Coordinatore Area ...``: an office (a role with the ``office`` id)
    followed by its unit or complement, a title a person holds besides the role before the dash."""
    return head.tag == "office" and bool(rest) and rest[0].kind in ("SKIP", "UNIT")


def _nest(units: Iterable[_Unit]) -> list[_Item]:
    """Group parentheticals; an unclosed one runs to the end, a stray ')' is dropped. A breakdown word
    (``di cui``, ``ovvero``) opens a parenthetical that closes at the next ';', '+', '.' or ':'."""
    stack: list[tuple[list[_Item], bool]] = [([], False)]  # (items, closes at a strong separator)

    def close_breakdowns() -> None:
        while len(stack) > 1 and stack[-1][1]:
            stack.pop()

    for u in units:
        if u.kind in ("LPAREN", "BREAKDOWN"):
            p = _Paren()
            stack[-1][0].append(p)
            stack.append((p.items, u.kind == "BREAKDOWN"))
        elif u.kind == "RPAREN":
            close_breakdowns()
            if len(stack) > 1:
                stack.pop()
        else:
            if u.kind == "SEP" and u.text in _STRONG_SEPS:
                close_breakdowns()
            stack[-1][0].append(u)
    return stack[0][0]


def _is_head(items: list[_Item], i: int) -> bool:
    u = items[i]
    if not isinstance(u, _Unit) or u.kind not in ("YEAR", "YEAR_RANGE"):
        return False
    prev = items[i - 1] if i else None
    after_break = i == 0 or u.line_start or (isinstance(prev, _Unit) and prev.kind == "SEP")
    strong = u.text.endswith(":") or u.kind == "YEAR_RANGE" or i == 0 or u.line_start
    return after_break and strong


def _count_doc(doc: "Doc") -> list[StaffSegment]:
    items = _nest(_units(doc))
    heads = [i for i in range(len(items)) if _is_head(items, i)]
    if not heads:
        return [StaffSegment(None, None, _count(items).final())]
    prefix = _count(items[: heads[0]])
    segments = []
    for n, h in enumerate(heads):
        end = heads[n + 1] if n + 1 < len(heads) else len(items)
        tally = _count(items[h + 1 : end])
        if prefix.total is None or prefix.mentions:  # text before the first heading applies to every year
            tally.add(prefix.total, prefix.mentions)
        years = items[h].years  # type: ignore[union-attr]
        assert years is not None
        segments.append(StaffSegment(years[0], years[1], tally.final()))
    return segments


@dataclass
class _Tally:
    total: int | None = 0  # None: uncountable
    mentions: int = 0  # counted roles/numbers/groups
    names: int = 0  # name-like phrases, counted only when there are no mentions

    def add(self, value: int | None, mentions: int = 1) -> None:
        self.total = None if self.total is None or value is None else self.total + value
        self.mentions += mentions

    def final(self) -> int | None:
        if self.total is None:
            return None
        if self.mentions:
            return self.total
        return self.names or None


def _count(items: list[_Item], in_paren: bool = False) -> _Tally:
    tally = _Tally()
    phrases = _split_keep(items)
    k = 0
    while k < len(phrases):
        phrase, sep = phrases[k]
        mentions = _mentions(phrase, in_paren)
        skip = _colon_list(mentions[-1], phrases, k, tally, in_paren) if sep == ":" and mentions else 0
        if skip:
            mentions = mentions[:-1]
        m = 0
        while m < len(mentions):
            nxt = mentions[m + 1] if m + 1 < len(mentions) else None
            if nxt is not None and _trailing_count(mentions[m], nxt, in_paren):
                m += 1  # "Istruttori amministrativi n. 2": the number after the group is its count
                continue
            _count_mention(mentions[m], tally, in_paren)
            m += 1
        k += 1 + skip
    return tally


#: separators that end the list a colon opens ("6 dipendenti: 1 funzionario, 3 istruttori, 2 operai; ...")
_LIST_END = frozenset({";", ".", ":", "|"})


def _split_keep(items: list[_Item]) -> list[tuple[list[_Item], str]]:
    """Phrases with the separator that follows each ("" at the end)."""
    out: list[tuple[list[_Item], str]] = []
    cur: list[_Item] = []
    for it in items:
        if isinstance(it, _Unit) and it.kind == "SEP":
            if cur:
                out.append((cur, it.text))
            elif out:  # two separators in a row: keep the stronger reading of the first
                out[-1] = (out[-1][0], out[-1][1] if out[-1][1] in _LIST_END else it.text)
            cur = []
        else:
            cur.append(it)
    if cur:
        out.append((cur, ""))
    return out


def _quantity_of(mention: list[_Item], in_paren: bool) -> int | None:
    """The head-count a mention opens with ("n. 6 dipendenti" -> 6), else None."""
    first = mention[0]
    if not (isinstance(first, _Unit) and first.kind != "RANGE" and _is_quantity(mention, 0, in_paren)):
        return None
    role = _role_follows(mention, 0)
    return None if role is not None and role.kind == "COLLECTIVE" else first.value


def _colon_list(mention: list[_Item], phrases: list[tuple[list[_Item], str]], k: int, tally: _Tally,
                in_paren: bool) -> int:
    """A colon after a group opens the list of its members, up to the next ';', '.', ':' or the end.

    After a counted group ("6 dipendenti: 1 funzionario, 3 istruttori, 2 operai") the list is a breakdown:
    counted once, by the group's number, when its members add up to it (or to less: a partial description);
    when they add up to more, the colon was a plain separator. After an unnumbered group ("Personale
    coinvolto: n. 1 Responsabile, n. 2 istruttori") the list gives its count, as a parenthetical would.
    Returns how many phrases the list took (0: the colon is a plain separator)."""
    head = _head(mention)
    value = _quantity_of(mention, in_paren)
    group = value is None and isinstance(head, _Unit) and head.kind in ("ROLE_PL", "COLLECTIVE", "ALL")
    if value is None and not group:
        return 0
    listed: list[_Item] = []
    taken = 0
    running = 0
    for phrase, sep in phrases[k + 1 :]:
        listed.extend(phrase)
        taken += 1
        if value is not None:
            sub = _count(phrase, in_paren=True).final()
            if sub is None:
                return 0
            running += sub
            if running > value:
                return 0
            if running == value:
                break
        if sep in _LIST_END or not sep:
            break
        listed.append(_Unit("SEP", sep))
    if not taken:
        return 0
    if value is not None:
        tally.add(value)
    else:
        sub_tally = _count(listed, in_paren=True)
        tally.add(sub_tally.final() if (sub_tally.mentions or sub_tally.names) else None)
    return taken


def _trailing_count(mention: list[_Item], nxt: list[_Item], in_paren: bool) -> bool:
    """Whether ``nxt`` is only the number of the unnumbered role group ``mention`` ("Operai n. 3")."""
    if _quantity_of(mention, in_paren) is not None or _quantity_of(nxt, in_paren) is None:
        return False
    head = _head(mention)
    if not (isinstance(head, _Unit) and head.kind in ("ROLE_SG", "ROLE_PL")):
        return False
    return not any(isinstance(it, _Unit) and it.kind in _COUNTABLE for it in nxt[1:])


def _split(items: list[_Item], is_sep) -> list[list[_Item]]:
    out: list[list[_Item]] = [[]]
    for it in items:
        if is_sep(it):
            out.append([])
        else:
            out[-1].append(it)
    return [p for p in out if p]


def _role_follows(phrase: list[_Item], i: int) -> _Unit | None:
    for it in phrase[i + 1 : i + 3]:
        if isinstance(it, _Unit) and it.kind in _ROLE_KINDS:
            return it
    return None


def _is_quantity(phrase: list[_Item], i: int, in_paren: bool) -> bool:
    u = phrase[i]
    if not isinstance(u, _Unit):
        return False
    if u.kind in ("QTY", "RANGE"):
        return True
    if u.kind == "NUMWORD":
        return _role_follows(phrase, i) is not None
    if u.kind == "NUM":
        if _role_follows(phrase, i) is not None:
            return True
        # a number alone in its phrase counts only in "4+1", "1(Dirigente)" or "(8)": elsewhere a lone
        # number is more likely a page number or a unit's number than a head-count
        lead = all(isinstance(p, _Unit) and p.kind == "SKIP" for p in phrase[:i])
        nxt = phrase[i + 1] if i + 1 < len(phrase) else None
        return lead and ((nxt is None and (u.plus or in_paren)) or isinstance(nxt, _Paren))
    return False


def _mentions(phrase: list[_Item], in_paren: bool) -> list[list[_Item]]:
    out: list[list[_Item]] = [[]]
    for i, it in enumerate(phrase):
        if _is_quantity(phrase, i, in_paren) and out[-1]:
            out.append([])
        out[-1].append(it)
    return [m for m in out if m]


def _count_mention(mention: list[_Item], tally: _Tally, in_paren: bool) -> None:
    units = [it for it in mention if isinstance(it, _Unit)]
    parens = [_count(p.items, in_paren=True) for p in mention if isinstance(p, _Paren)]
    kinds = {u.kind for u in units}
    if kinds & {"PER_EACH", "OPEN"}:
        tally.add(None)
        return
    first = mention[0]
    if isinstance(first, _Unit) and _is_quantity(mention, 0, in_paren):
        if first.kind == "RANGE":
            tally.add(None)
            return
        role = _role_follows(mention, 0)
        if role is not None and role.kind == "COLLECTIVE":
            tally.add(_listed(parens))
            return
        tally.add(_described(first.value, parens))
        return
    head = _head(mention)
    if "ALL" in kinds or (isinstance(head, _Unit) and head.kind in ("ROLE_PL", "COLLECTIVE")):
        tally.add(_listed(parens))  # "tutto il personale (n. 25)" is 25, "dirigenti" alone uncountable
    elif isinstance(head, _Unit) and head.kind == "ROLE_SG":
        tally.add(_described(1, parens))
    elif kinds & _ROLE_KINDS:
        tally.add(None)  # a role word that is not the head: "Ufficio Tecnico"-like, cannot tell
    elif parens:
        for sub in parens:
            if sub.mentions or sub.names:
                tally.add(sub.final())
    elif _name_like(units):
        tally.names += 1


def _head(mention: list[_Item]) -> _Item | None:
    """A mention's head: its first item after articles, prepositions, titles and abbreviations."""
    return next((it for it in mention if not (isinstance(it, _Unit) and it.kind in ("SKIP", "TITLE", "ABBREV"))), None)


def _described(value: int | None, parens: list[_Tally]) -> int | None:
    """A counted mention: its parentheticals describe it; one that counts more makes it uncountable."""
    for sub in parens:
        n = sub.final()
        if value is not None and n is not None and n > value:
            return None
    return value


def _listed(parens: list[_Tally]) -> int | None:
    """An uncounted group: the first parenthetical that lists members gives its count."""
    for sub in parens:
        if sub.mentions or sub.names:
            return sub.final()
    return None


def _name_like(units: list[_Unit]) -> bool:
    words = [u for u in units if u.kind != "TITLE"]
    if not 2 <= len(words) <= 4 or any(u.kind != "WORD" for u in words):
        return False
    for u in words:
        letters = u.text.replace("'", "")
        if not (letters.isalpha() and len(letters) >= 2 and (u.text[0].isupper())):
            return False
    return True
