"""Fewer garbage-collector passes while a plan is read or written.

Reading a PDF allocates millions of small, short-lived objects (pdfminer characters, words,
boxes). With CPython's default thresholds a young-generation pass runs every 700 allocations and
a full pass every 100 young ones, each full pass walking every live object -- the imported
libraries and models included. Raising the young threshold for the duration of a stage cut the
reading of the example plan by about 15% in bench measurements, with no measurable change in
peak memory: the objects are freed by reference counting anyway, the collector only finds cycles.

The setting is process-wide, so nested or concurrent uses (threads of one worker) are counted:
the first entry raises the threshold, the last exit restores what was there before.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

#: Young-generation threshold while a stage runs (CPython's default is 700).
YOUNG_THRESHOLD = 20_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, ...] = ()

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Raise the collector's young-generation threshold for the block (re-entrant)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            if _saved[0] and _saved[0] < YOUNG_THRESHOLD:  # 0: collection disabled by the user
                gc.set_threshold(YOUNG_THRESHOLD, *_saved[1:])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)


def with_fewer_gc_passes(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`fewer_gc_passes`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with fewer_gc_passes():
            return fn(*args, **kwargs)

    return wrapper
