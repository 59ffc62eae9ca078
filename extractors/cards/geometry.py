"""Measures of positioned words shared by the card readers: the line height, the typical space
between words and the gap that parts two cells of a line, all taken from the words themselves
(shares of ``settings.py``), and a line's words cut into cells by that gap."""

from __future__ import annotations

from extractors.cards.settings import ReaderSettings
from extractors.layout import Line, Word


def measures(lines: list[Line], s: ReaderSettings) -> tuple[float, float, float]:
    """(line height, column gap, space) measured on ``lines``: the median word height, the gap
    between words that separates cells (``column_gap_spaces`` times the typical space between
    consecutive words of a line, never under ``min_column_gap`` of the height), and that
    typical space (the lower quartile: spaces, not cell gaps)."""
    heights = sorted(w.bottom - w.top for ln in lines for w in ln.words if w.bottom > w.top)
    line_h = heights[len(heights) // 2] if heights else s.fallback_line_height
    spaces = sorted(b.x0 - a.x1 for ln in lines for a, b in zip(ln.words, ln.words[1:]) if b.x0 > a.x1)
    space = spaces[len(spaces) // 4] if spaces else 0.25 * line_h
    return line_h, max(s.column_gap_spaces * space, s.min_column_gap * line_h), space


def runs(words: list[Word] | tuple[Word, ...], gap: float) -> list[list[Word]]:
    """A line's words cut into runs (cells) wherever two consecutive words stand ``gap`` or
    more apart."""
    out: list[list[Word]] = []
    for w in sorted(words, key=lambda w: w.x0):
        if out and w.x0 - max(v.x1 for v in out[-1]) < gap:
            out[-1].append(w)
        else:
            out.append([w])
    return out
