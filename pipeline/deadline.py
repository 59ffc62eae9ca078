"""Wall-clock limits on a block of pure-Python work, nestable (a page's limit inside the document's).

:func:`deadline` raises its own :class:`Expired` subclass in the calling thread once ``seconds``
have passed. In the main thread one ``ITIMER_REAL`` is armed for the soonest limit of the stack of
open deadlines; in any other thread (Prefect task runners, Dask workers) a watchdog thread raises
the exception asynchronously in that thread. Either way the exception arrives at the next Python
bytecode, which is where a hostile file makes a parser library spin (pdfminer's reference
resolution, a content stream that never ends). :class:`Expired` derives from ``BaseException``
so that no library's ``except Exception`` swallows or wraps it.

Until it takes. The next bytecode may belong to code that cannot pass an exception on: a
``__del__`` or weakref callback run by the garbage collector, where Python reports the exception
through :func:`sys.unraisablehook` ("Exception ignored in ...") and carries on. The hook installed
here recognises an :class:`Expired` being dropped that way, keeps it off stderr, and delivers it
again (the watchdog raises it anew; in the main thread the timer is re-armed at once), as many
times as it takes. A library that silently swallows it (``except BaseException: pass``) is
covered by :func:`check`, which the readers call between pages and stages: once a limit has
passed, the next boundary raises it.
"""

from __future__ import annotations

import ctypes
import math
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Expired(BaseException):
    """A deadline passed. Each :func:`deadline` block raises (and catches) its own subclass."""


#: Seconds between a dropped delivery and the next one (the hook that saw the drop returns first).
REDELIVERY_S = 0.05

#: Open deadlines of the main thread, outermost first: [expiry (monotonic), exception class,
#: fired]. Each fires once (its block's handler must be able to run without being interrupted)
#: unless the exception is dropped before it reaches the block (see :func:`_on_unraisable`).
_stack: list[list] = []
_previous_handler = None

#: Every open deadline, by its exception class: what to do when that exception is dropped, and
#: (for :func:`check`) the thread it belongs to and whether its time has passed.
_open: dict[type[Expired], "_Open"] = {}
_registry_lock = threading.Lock()
_previous_unraisablehook = None


class _Open:
    __slots__ = ("thread", "fired", "redeliver")

    def __init__(self, thread: int, redeliver):
        self.thread = thread
        self.fired = False
        self.redeliver = redeliver


def _on_unraisable(unraisable) -> None:
    """``sys.unraisablehook``: an :class:`Expired` dropped in a finalizer is delivered again."""
    kind = unraisable.exc_type
    if not (isinstance(kind, type) and issubclass(kind, Expired)):
        (_previous_unraisablehook or sys.__unraisablehook__)(unraisable)
        return
    # Never "Exception ignored in" on stderr: the limit is reported once, by its block.
    while kind is not None:
        try:
            entry = _open.get(kind)
            if entry is not None:
                entry.redeliver()
            kind = None
        except Expired as again:  # a delivery came while this hook ran: deliver that one again
            kind = type(again)


def _register(expired: type[Expired], entry: _Open) -> None:
    global _previous_unraisablehook
    with _registry_lock:
        if sys.unraisablehook is not _on_unraisable:
            _previous_unraisablehook = sys.unraisablehook
            sys.unraisablehook = _on_unraisable
        _open[expired] = entry


def _unregister(expired: type[Expired]) -> None:
    global _previous_unraisablehook
    with _registry_lock:
        _open.pop(expired, None)
        if not _open and sys.unraisablehook is _on_unraisable:
            sys.unraisablehook = _previous_unraisablehook or sys.__unraisablehook__
            _previous_unraisablehook = None


def check() -> None:
    """Raise the limit of this thread that has passed, if any (outermost first).

    Called at page and stage boundaries: a limit whose exception some library swallowed without
    a word still ends the block there."""
    me = threading.get_ident()
    due = [kind for kind, entry in list(_open.items()) if entry.thread == me and entry.fired]
    if due:
        raise due[0]


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
        for entry in due:
            _open[entry[1]].fired = True
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
        with _main_thread_deadline(seconds, expired):
            yield expired
        return
    with _watchdog_deadline(seconds, expired):
        yield expired


@contextmanager
def _main_thread_deadline(seconds: float, expired: type[Expired]) -> Iterator[None]:
    global _previous_handler
    if not _stack:
        _previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
    entry = [time.monotonic() + seconds, expired, False]

    def redeliver() -> None:  # runs in the main thread, inside the unraisable hook
        if entry in _stack:
            entry[2] = False
            # Already due: the alarm comes back once the hook has returned.
            signal.setitimer(signal.ITIMER_REAL, REDELIVERY_S)

    _register(expired, _Open(threading.get_ident(), redeliver))
    _stack.append(entry)
    _arm()
    try:
        yield
    finally:
        _stack.remove(entry)
        _unregister(expired)
        _arm()
        if not _stack:
            signal.signal(signal.SIGALRM, _previous_handler or signal.SIG_DFL)
            _previous_handler = None


@contextmanager
def _watchdog_deadline(seconds: float, expired: type[Expired]) -> Iterator[None]:
    target = threading.get_ident()
    lock = threading.Lock()
    closed = threading.Event()  # the block has ended: never raise again
    dropped = threading.Event()  # the exception was dropped in a finalizer: raise it again
    state = _Open(target, dropped.set)

    def raise_in_target() -> None:
        with lock:
            if not closed.is_set():
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(expired))

    def watch() -> None:
        if closed.wait(seconds):
            return
        state.fired = True
        while True:
            raise_in_target()
            while not dropped.wait(0.05):
                if closed.is_set():
                    return
            dropped.clear()
            if closed.wait(REDELIVERY_S):  # let the hook that reported the drop return first
                return

    _register(expired, state)
    watchdog = threading.Thread(target=watch, name="piao-deadline", daemon=True)
    watchdog.start()
    try:
        yield
    finally:
        try:
            with lock:
                closed.set()
                if state.fired:
                    # A raise that has not been delivered yet must not land after the block.
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)
        except expired:
            pass  # delivered as the block was closing: the block is over, it has nothing to end
        _unregister(expired)
