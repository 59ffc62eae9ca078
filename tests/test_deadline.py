"""The time limit must hold even when its first delivery is lost (``pipeline/deadline.py``).

The exception arrives at the next Python bytecode; when that bytecode belongs to a finalizer
(``__del__`` run by the garbage collector or a dropped reference), Python reports it as
"Exception ignored in ..." and carries on. Here the work runs almost entirely inside finalizers,
so the first delivery is dropped; the oracle is the clock and a count of the drops.
"""

from __future__ import annotations

import threading
import time

import pytest

from pipeline import deadline as deadline_module
from pipeline.deadline import check, deadline

LIMIT = 0.3
#: How long the work would run if the limit never took: far beyond the limit.
WORK = 20.0
#: The limit counts as met when the block ends within this many seconds (half the work: on a
#: machine shared by many, each delivery and re-delivery waits for its turn on a core).
MET = 10.0


class _Busy:
    """Spends its life in ``__del__``: whatever arrives asynchronously meanwhile arrives there."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __del__(self):
        end = time.monotonic() + self.seconds
        while time.monotonic() < end:
            pass


def _work_in_finalizers(seconds: float) -> None:
    """Work whose first second runs inside one finalizer (so the limit's first delivery, due
    at ``LIMIT``, is dropped), then half the time in finalizers: each later delivery may be
    dropped again, until one lands in ordinary code."""
    end = time.monotonic() + seconds
    _Busy(1.0)
    while time.monotonic() < end:
        _Busy(0.02)
        stop = time.monotonic() + 0.02
        while time.monotonic() < stop:
            pass


@pytest.fixture
def drops(monkeypatch):
    """Counts the :class:`Expired` exceptions Python dropped inside a finalizer."""
    seen: list[str] = []
    hook = deadline_module._on_unraisable

    def counting(unraisable):
        if isinstance(unraisable.exc_type, type) and issubclass(unraisable.exc_type, deadline_module.Expired):
            seen.append(unraisable.exc_type.__name__)
        hook(unraisable)

    monkeypatch.setattr(deadline_module, "_on_unraisable", counting)
    return seen


def _limited_work() -> tuple[str, float]:
    start = time.monotonic()
    with deadline(LIMIT) as expired:
        try:
            _work_in_finalizers(WORK)
            outcome = "ran on"
        except expired:
            outcome = "expired"
    return outcome, time.monotonic() - start


def test_main_thread_limit_holds_when_the_first_alarm_lands_in_a_finalizer(drops, capfd):
    outcome, elapsed = _limited_work()
    assert drops, "the scenario did not happen: no delivery was dropped in a finalizer"
    assert outcome == "expired" and elapsed < MET, (outcome, elapsed)
    assert "Exception ignored" not in capfd.readouterr().err


def test_worker_thread_limit_holds_when_the_first_raise_lands_in_a_finalizer(drops, capfd):
    result: dict[str, object] = {}

    def work() -> None:
        result["outcome"], result["elapsed"] = _limited_work()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(WORK + 10)
    assert drops, "the scenario did not happen: no delivery was dropped in a finalizer"
    assert result.get("outcome") == "expired" and result["elapsed"] < MET, result
    assert "Exception ignored" not in capfd.readouterr().err


def test_a_limit_swallowed_without_a_word_is_raised_at_the_next_boundary():
    """A library's ``except BaseException: pass`` eats the exception; :func:`check` at the next
    page or stage boundary ends the block all the same."""

    def swallowing_page() -> None:
        try:
            end = time.monotonic() + 1.0
            while time.monotonic() < end:
                pass
        except BaseException:  # noqa: BLE001 - the hostile library's habit under test
            pass

    start = time.monotonic()
    with deadline(0.2) as expired:
        with pytest.raises(expired):
            for _ in range(int(WORK)):
                swallowing_page()
                check()
    assert time.monotonic() - start < MET


def test_check_is_silent_before_the_limit_and_after_the_block():
    with deadline(30):
        check()
    with deadline(0.05) as expired:
        try:
            time.sleep(0.5)
        except expired:
            pass
    check()  # the block is over: nothing left to raise
