"""Wall-clock limits on a block of pure-Python work, nestable (a page's limit inside the document's).

:func:`deadline` raises its own :class:`Expired` subclass in the calling thread once ``seconds``
have passed. In the main thread one ``ITIMER_REAL`` is armed for the soonest limit of the stack of
open deadlines; in any other thread (Prefect task runners, Dask workers) a watchdog timer raises
the exception asynchronously in that thread. Either way the exception arrives at the next Python
bytecode, which is where a hostile file makes a parser library spin (pdfminer's reference
resolution, a content stream that never ends). :class:`Expired` derives from ``BaseException``
so that no library's ``except Exception`` swallows or wraps it.
"""

from __future__ import annotations

import ctypes
import math
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Expired(BaseException):
    """A deadline passed. Each :func:`deadline` block raises (and catches) its own subclass."""


#: Open deadlines of the main thread, outermost first: [expiry (monotonic), exception class,
#: fired]. Each fires once: its block's handler must be able to run without being interrupted.
_stack: list[list] = []
_previous_handler = None


def _arm() -> None:
    pending = [e for e, _, fired in _stack if not fired]
    if not pending:
        signal.setitimer(signal.ITIMER_REAL, 0)
        return
    soonest = min(pending)
    signal.setitimer(signal.ITIMER_REAL, max(soonest - time.monotonic(), 0.001))


def _on_alarm(signum, frame) -> None:  # noqa: ARG001
    now = time.monotonic()
    due = [entry for entry in _stack if not entry[2] and entry[0] <= now]
    if due:
        # The outermost limit wins: its block's handler is the one that reports it.
        due[0][2] = True
        raise due[0][1]
    _arm()


def _main_thread_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def deadline(seconds: float | None) -> Iterator[type[Expired]]:
    """``with deadline(s) as expired: ...`` then ``except expired`` around the block.

    ``None`` (or a non-finite or non-positive value) means no limit; the block still gets a
    class to catch, which is then never raised.
    """
    expired: type[Expired] = type("Expired", (Expired,), {})
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        yield expired
        return
    if _main_thread_usable():
        global _previous_handler
        if not _stack:
            _previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
        entry = [time.monotonic() + seconds, expired, False]
        _stack.append(entry)
        _arm()
        try:
            yield expired
        finally:
            _stack.remove(entry)
            _arm()
            if not _stack:
                signal.signal(signal.SIGALRM, _previous_handler or signal.SIG_DFL)
                _previous_handler = None
        return
    target = threading.get_ident()
    state = {"armed": True}
    lock = threading.Lock()

    def _expire() -> None:
        with lock:
            if state["armed"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(expired))

    timer = threading.Timer(seconds, _expire)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        with lock:
            state["armed"] = False
        timer.cancel()
