"""The worker processes of ``piao batch`` (flows/workers.py): forked warm from a fork server."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from flows import workers


def test_every_warm_call_and_module_is_there():
    # A renamed cache would silently stop being warmed: warm() lists what it could not do.
    assert workers.warm() == []


def test_spawn_on_request(monkeypatch):
    monkeypatch.setenv("PIAO_WORKER_START", "spawn")
    assert workers.start_method() == "spawn"
    assert workers.context().get_start_method() == "spawn"


def _state() -> tuple[bool, bool, str | None]:
    from flows import plan_flow

    return ("spacy" in sys.modules, plan_flow.code_version.cache_info().currsize == 1,
            os.environ.get("PIAO_PROBE"))


@pytest.mark.skipif(workers.start_method() != "forkserver", reason="no forkserver here")
def test_a_worker_starts_warm_and_with_the_environment_the_pool_was_given(monkeypatch):
    """A worker forked from the fork server has the stages imported and the caches filled
    before its first task, and the environment the pool was started with, not the one the
    fork server was started with."""
    workers.start_early()
    monkeypatch.setenv("PIAO_PROBE", "dopo")
    with ProcessPoolExecutor(1, mp_context=workers.context()) as pool:  # no initializer at all
        spacy_loaded, cached, _ = pool.submit(_state).result(timeout=120)
    assert spacy_loaded and cached  # from the fork server's preload
    with ProcessPoolExecutor(1, mp_context=workers.context(), initializer=workers.warm_worker,
                             initargs=({**os.environ, "PIAO_PROBE": "pool"}, os.getpid())) as pool:
        assert pool.submit(_state).result(timeout=120)[2] == "pool"
