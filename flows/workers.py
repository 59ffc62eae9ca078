"""The local worker processes of ``piao batch``: forked from a fork server that imported once.

Prefect's ``ProcessPoolTaskRunner`` spawns each worker as a fresh interpreter, which then imports
Prefect and every stage (~2 CPU-s, the same work in each worker). Python's ``forkserver`` start
method does that import once: a server process imports :data:`WARM_MODULES` and fills the caches
every plan uses (:data:`WARM_CALLS`: vocabularies, spaCy pipelines, compiled patterns) -- its
"preload", :mod:`flows.preload` -- and forks every worker from itself, so a worker costs a fork
and starts warm. :func:`start_early` starts the fork
server at once -- ``piao batch`` calls it before it imports Prefect, so the import runs while the
temporary Prefect server starts.

This module imports neither Prefect nor the stages: the batch process calls it first.

A worker forked from the server inherits the server's environment, which is the batch process's
environment when the server started; :func:`warm_worker` (the pool's initializer) takes the
environment the pool was started with, so a later run in the same process (another
``PIAO_PREFECT_HOME``, another server) is not served with the first one's.

The fork server is the default on Linux; elsewhere (macOS: a process that loaded numpy and the
system frameworks is not safe to fork; Windows: no fork) workers are spawned, Prefect's own way.
``PIAO_WORKER_START=spawn`` or ``=forkserver`` chooses.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import sys
import threading
from multiprocessing.context import BaseContext
from typing import Any

#: Modules the fork server imports once, before it forks the first worker (the xargs baseline
#: pays them for every plan).
WARM_MODULES = ("prefect", "flows.plan_flow", "flows.run", "extractors.pdf", "extractors.docx",
                "extractors.plan", "outputs", "pipeline.checks", "pipeline.allocation", "spacy",
                "matplotlib.pyplot")
#: Cached functions (``module:function``, no arguments) every plan calls, filled once in the
#: fork server: the vocabularies and wordings read from YAML, the spaCy pipelines, the regular
#: expressions compiled from the patterns, the code version of the read cache's key.
WARM_CALLS = (
    "flows.plan_flow:code_version",
    "extractors.cards.vocabulary:patterns",
    "extractors.intro:_rules",
    "extractors.intro:_band_labels",
    "extractors.pageblocks:_data",
    "extractors.cards.values:_qty_classes",
    "extractors.staff:get_nlp",
    "pipeline.dates:_nlp",
    "pipeline.dates:_matcher",
    "pipeline.checks:catalogue",
    "pipeline.quantities:_patterns",
    "pipeline.results:vocabulary",
    "outputs.verifica:wording",
    "outputs.allegato:_text",
)
#: What the fork server imports: a module whose import runs :func:`warm`.
PRELOAD = "flows.preload"


def start_method() -> str:
    """``forkserver`` on Linux, unless ``PIAO_WORKER_START=spawn``; ``spawn`` elsewhere (on
    macOS a process that loaded numpy and the system frameworks is not safe to fork), unless
    ``PIAO_WORKER_START=forkserver``."""
    default = "forkserver" if sys.platform.startswith("linux") else "spawn"
    wanted = os.environ.get("PIAO_WORKER_START", default)
    if wanted == "forkserver" and "forkserver" in multiprocessing.get_all_start_methods():
        return "forkserver"
    return "spawn"


def context() -> BaseContext:
    """The multiprocessing context the worker processes are started with."""
    ctx = multiprocessing.get_context(start_method())
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload([PRELOAD])  # read when the server starts
    return ctx


def start_early() -> None:
    """Start the fork server now (it imports :data:`WARM_MODULES` while the caller goes on)."""
    ctx = context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def warm() -> list[str]:
    """Import :data:`WARM_MODULES` and call :data:`WARM_CALLS`; return what could not be done
    (a worker still works without it: each cache fills on first use)."""
    from flows import prefect_env

    prefect_env.configure(quiet=True)  # before Prefect is imported
    missed = []
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - e.g. a bad MPLBACKEND: the fork server must live on
            missed.append(name)
    for call in WARM_CALLS:
        module, _, function = call.partition(":")
        try:
            getattr(importlib.import_module(module), function)()
        except Exception:  # noqa: BLE001 - a cache that cannot fill here fills on first use
            missed.append(call)
    return missed


# --------------------------------------------------------------------------- in the worker


#: Where the plan task sends page events: a callable (plans on threads of the batch process) or
#: a connection to the batch process (plans in worker processes, set by :func:`warm_worker`).
page_sink: Any = None


class PageConnection:
    """A worker's end of the page-event channel: events go to the batch process over a local
    connection (picklable address and key, unlike a multiprocessing queue)."""

    def __init__(self, address: Any, authkey: bytes):
        from multiprocessing.connection import Client

        self.conn = Client(address, authkey=authkey)
        self.lock = threading.Lock()

    def put_nowait(self, item: tuple[str, str, int, int]) -> None:
        with self.lock:
            self.conn.send(item)


def exit_with(pid: int) -> None:
    """End this process as soon as process ``pid`` (the batch) ends, whatever killed it.

    A worker waits for its next plan on a queue it also holds the writing end of: it would wait
    for ever once the batch is gone, and -- forked from the fork server -- it keeps the fork
    server alive too. A daemon thread waits on a pidfd (Linux) or checks every second.
    """
    import select
    import time

    if sys.platform == "win32":  # os.kill(pid, 0) sends CTRL_C_EVENT there: no watch
        return

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])
        else:
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except OSError:
                    pass
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="piao-exit-with-batch", daemon=True).start()


def warm_worker(environ: dict[str, str] | None = None, batch_pid: int | None = None,
                address: Any = None, authkey: bytes = b"") -> None:
    """The pool's initializer: the batch's environment, the stages imported (a no-op when the
    fork server preloaded them), page events routed to the batch process's display; the worker
    ends with the batch process (:func:`exit_with`)."""
    global page_sink
    if batch_pid is not None:
        exit_with(batch_pid)
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    from flows import prefect_env

    prefect_env.configure(quiet=True)
    warm()  # done already in a worker forked from the fork server
    if address is not None:
        with contextlib.suppress(OSError):
            page_sink = PageConnection(address, authkey)
