"""Run a call in a forked child process, so that a second core works while this one goes on.

Used where one stage has two independent halves (PDF pages, output files). Forking is only
safe in a process with a single thread that may have children: :func:`can_fork` says so, and
callers fall back to running the call in-process otherwise (Prefect/Dask workers, threads).
``PIAO_FORK=0`` turns it off: one plan then uses one core (what a batch worker does anyway, and
what a fair one-core baseline needs).

A child dies with its parent: on Linux it asks for SIGKILL when the parent ends
(``prctl(PR_SET_PDEATHSIG)``), so a run killed with ``kill -9`` leaves no orphan writing
``verifica.docx`` or reading pages on its own.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any


def can_fork() -> bool:
    """True in a single-threaded, non-daemonic process on a platform with ``fork``, >= 2 cores,
    unless ``PIAO_FORK=0``."""
    proc = multiprocessing.current_process()
    return (
        os.environ.get("PIAO_FORK", "1") != "0"
        and (os.cpu_count() or 1) >= 2
        and not proc.daemon
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


class Forked:
    """``fn(*args)`` running in a forked child; :meth:`result` returns its value or raises its
    exception (rebuilt by pickle; an exception that does not pickle becomes a RuntimeError)."""

    def __init__(self, fn: Callable[..., Any], *args: Any):
        ctx = multiprocessing.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(fn, args, send, os.getpid()), daemon=True)
        self._proc.start()
        send.close()

    def result(self) -> Any:
        try:
            try:
                status, payload = self._recv.recv()
            except EOFError:
                status, payload = "died", None
        except BaseException:  # interrupted while waiting (a time limit, Ctrl-C): the child goes too
            if self._proc.is_alive():
                self._proc.kill()
            raise
        finally:
            self._recv.close()
            self._proc.join()
        if status == "ok":
            return payload
        if status == "error":
            raise payload
        raise ChildProcessError(f"the worker process ended without an answer (exit {self._proc.exitcode})")

    def cancel(self) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()
        self._recv.close()


#: prctl(2) option: the signal this process gets when its parent ends.
PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent ends (Linux; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent ended before the request: end now
        os._exit(1)


def parent_death_signal(parent_pid: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen`: the child asks for SIGKILL when
    ``parent_pid`` ends (see :func:`die_with_parent`). The C library is looked up here, in the
    parent, so that the child -- between fork and exec -- only makes the system call. None where
    there is no such call (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent ended before the request: end now
            os._exit(1)

    return preexec


def _child(fn: Callable[..., Any], args: tuple[Any, ...], conn: Any, parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        die_with_parent(parent_pid)
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as err:  # noqa: BLE001 - everything goes back to the parent
        try:
            conn.send(("error", err))
        except Exception:  # noqa: BLE001 - the exception itself does not pickle
            conn.send(("error", RuntimeError(f"{type(err).__name__}: {err}")))
    finally:
        conn.close()
