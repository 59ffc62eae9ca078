"""Spelling repair for OCR words, from a general Italian lexicon and the plan's own words.

OCR slips a letter ("seanalazioni", "impiantisca"); the card parser then quotes the slip. This
stage repairs such words in OCR'd pages only (Tesseract pages, plain OCR text files), and only
when the repair is unambiguous:

- only lower-case alphabetic words of at least ``MIN_LETTERS`` letters are touched: never
  numbers, words with digits or punctuation inside, capitalised names, acronyms;
- a word is *known* (left alone) when the lexicon holds it or one of its sibling inflections
  (Italian nouns and adjectives differ in the final vowel: the lexicon, a word-frequency list,
  often holds only the singular), or when the plan itself uses it ``TRUSTED_COUNT`` times;
- an unknown word is replaced by a known candidate at edit distance 1 (2 for words of at least
  ``LONG_WORD`` letters, against the plan's own words only), when exactly one candidate is the
  most frequent by at least ``DOMINANCE`` times the next one.

The lexicon is the Italian word-frequency list shipped by ``pyspellchecker`` (read directly, no
network); without the package the stage does nothing.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from typing import Iterable

from extractors.layout import Document, Line, Page, Table

MIN_LETTERS = 5
LONG_WORD = 10
TRUSTED_COUNT = 2
DOMINANCE = 5.0
#: Words shorter than this keep their first letter.
FIRST_LETTER_MIN = 8
#: Clitic pronouns glued to an infinitive or gerund ("attuarsi", "efficientarne").
CLITICS = ("glielo", "gliela", "gliene", "ne", "lo", "la", "li", "le", "si", "ci", "vi", "mi", "ti", "gli")
#: One use in the plan weighs as much as this frequency in the lexicon (a common word's).
PLAN_WEIGHT = 1e-5
LETTERS = "abcdefghijklmnopqrstuvwxyzàèéìòù"
#: Characters that glue a word to something else: such a word is not a word of its own.
GLUE = "'’_/\\@&"
_TOKEN = re.compile(r"[A-Za-zÀ-ÿ]+")
_LOWER_WORD = re.compile(r"^[a-zàèéìòù]+$")


@lru_cache(maxsize=1)
def lexicon() -> dict[str, float]:
    """Italian word -> frequency (share of running words), or ``{}`` when wordfreq is missing."""
    try:
        from wordfreq import get_frequency_dict

        return dict(get_frequency_dict("it", wordlist="large"))
    except Exception:  # noqa: BLE001 - no package or no data: the stage does nothing
        return {}


def lexicon_frequency(word: str, lex: dict[str, float] | None = None) -> float:
    """The word's frequency in the lexicon (0 when it is not there)."""
    lex = lexicon() if lex is None else lex
    return lex.get(word, 0.0)


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    out |= {a + c + b for a, b in splits for c in LETTERS}
    out.discard(word)
    return out


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def _distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


class Speller:
    """Repairs OCR words of one document, knowing the document's own vocabulary."""

    def __init__(self, plan_words: Iterable[str], lex: dict[str, float] | None = None) -> None:
        self.lex = lexicon() if lex is None else lex
        self.counts = Counter(w for w in plan_words if _LOWER_WORD.match(w))
        # plan words at least LONG_WORD - 2 letters long, indexed by their 2-deletes
        self._long: dict[str, set[str]] = {}
        for w in self.counts:
            if len(w) >= LONG_WORD - 2:
                for d in _deletes(w, 2):
                    self._long.setdefault(d, set()).add(w)
        self._cache: dict[str, str] = {}

    def score(self, word: str) -> float:
        return lexicon_frequency(word, self.lex) + PLAN_WEIGHT * self.counts.get(word, 0)

    def known(self, word: str) -> bool:
        if lexicon_frequency(word, self.lex) > 0 or self.counts.get(word, 0) >= TRUSTED_COUNT:
            return True
        # a verb with its clitic pronouns ("efficientarne", "attuarsi"): the verb is known
        for clitic in CLITICS:
            stem = word[: -len(clitic)]
            if word.endswith(clitic) and len(stem) >= MIN_LETTERS - 1 and (
                lexicon_frequency(stem, self.lex) > 0 or lexicon_frequency(stem + "e", self.lex) > 0
            ):
                return True
        return False

    def candidates(self, word: str) -> dict[str, float]:
        """Known words near ``word`` with their scores (plan-only words must be used at least as
        often as the word itself)."""
        own = self.counts.get(word, 0)

        def ok(c: str) -> bool:
            if lexicon_frequency(c, self.lex) > 0:
                return True
            return self.counts.get(c, 0) >= max(1, own)

        # a candidate that is the word's tail would drop a glued article ("lattivita")
        # and a changed first letter in a short word is more often a word's broken-off tail
        # ("ramento") than a slip
        found = {c: self.score(c) for c in _edits1(word)
                 if ok(c) and not word.endswith(c) and (c[0] == word[0] or len(word) >= FIRST_LETTER_MIN)}
        if len(word) >= LONG_WORD:
            # two slips, against the plan's own words; OCR loses glyphs more than it invents
            # them, so the candidate is never shorter ("impiantisca" -> "impiantistica")
            near = set().union(*(self._long.get(d, set()) for d in _deletes(word, 2)))
            found |= {c: self.score(c) for c in near
                      if c != word and c not in found and c[0] == word[0] and ok(c)
                      and 0 <= len(c) - len(word) <= 2
                      and _distance(word, c) <= 2}
        return found

    def repair(self, word: str) -> str:
        """The word's repair, or the word itself (see the module docstring for the rules)."""
        if len(word) < MIN_LETTERS or not _LOWER_WORD.match(word) or not self.lex:
            return word
        if word in self._cache:
            return self._cache[word]
        out = word
        if not self.known(word):
            ranked = sorted(self.candidates(word).items(), key=lambda kv: -kv[1])
            if ranked and (len(ranked) == 1 or ranked[0][1] >= DOMINANCE * ranked[1][1]):
                out = ranked[0][0]
        self._cache[word] = out
        return out

    def repair_text(self, text: str) -> str:
        """Repair every lone lower-case word in ``text`` (a word glued to digits or to other
        letters through an apostrophe is left alone)."""

        def sub(m: re.Match[str]) -> str:
            s, e = m.span()
            before = text[s - 1] if s else " "
            after = text[e] if e < len(text) else " "
            if any(c.isdigit() or c in GLUE for c in (before, after)):
                return m.group(0)
            return self.repair(m.group(0))

        return _TOKEN.sub(sub, text)


def _words_of(pages: Iterable[Page]) -> list[str]:
    return [t for p in pages for line in p.lines for t in _TOKEN.findall(line.text)]


def _repair_line(line: Line, speller: Speller) -> Line:
    if line.words:
        words = tuple(replace(w, text=speller.repair_text(w.text)) for w in line.words)
        if all(a.text == b.text for a, b in zip(words, line.words)):
            return line
        return replace(line, text=" ".join(w.text for w in words), words=words)
    text = speller.repair_text(line.text)
    return line if text == line.text else replace(line, text=text)


def _repair_table(table: Table, speller: Speller) -> Table:
    rows = tuple(tuple(None if c is None else speller.repair_text(c) for c in row) for row in table.rows)
    return table if rows == table.rows else replace(table, rows=rows)


def repair_ocr_pages(doc: Document) -> Document:
    """Repair the OCR'd pages' words in place (lines and table cells); text-layer pages only
    lend their vocabulary. Returns ``doc``."""
    if not any(p.ocr for p in doc.pages) or not lexicon():
        return doc
    speller = Speller(_words_of(doc.pages))
    for page in doc.pages:
        if page.ocr:
            page.lines = [_repair_line(line, speller) for line in page.lines]
            page.tables = [_repair_table(t, speller) for t in page.tables]
    return doc


__all__ = ["Speller", "lexicon", "lexicon_frequency", "repair_ocr_pages"]
