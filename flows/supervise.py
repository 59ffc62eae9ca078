"""``piao run`` in a forked child watched by the command's own process: the hard backstop of ``--timeout``.

The document's time limit (:func:`pipeline.deadline.deadline`) interrupts Python code at its next
bytecode; a hang inside C code (a parser library's native loop) would not see it. So the command
line's ``piao run`` does its work in a forked child, and the parent -- which does nothing else --
kills it with SIGKILL when it is still running ``grace`` seconds after the limit, removes the
child's staging folder and prints the same one line as the in-process limit (exit 2). The child's
own children die with it (``PR_SET_PDEATHSIG``, :mod:`pipeline.forking`). ``PIAO_SUPERVISE=0``
runs in one process (profiling, debugging).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.forking import die_with_parent

#: Seconds after ``--timeout`` before the child is killed: the in-process limit covers reading
#: and parsing; checks and writing the documents come after it.
GRACE_S = 120.0
POLL_S = 0.1


def enabled() -> bool:
    return hasattr(os, "fork") and os.environ.get("PIAO_SUPERVISE", "1") != "0"


def supervised(work: Callable[[], int], *, timeout: float, on_timeout: Callable[[], str],
               out_dir: str | None = None, grace: float = GRACE_S) -> int:
    """``work()``'s exit status, computed in a forked child; 2 (and ``on_timeout()``'s line on
    stderr) if the child still runs ``timeout + grace`` seconds on."""
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: do the work, never return into the caller's code
        code = 1
        try:
            die_with_parent(parent)
            code = work()
        except SystemExit as err:
            code = err.code if isinstance(err.code, int) else 1
        except BaseException:  # noqa: BLE001 - work() reports its own errors; this is a last resort
            code = 1
        finally:
            try:
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the child: it reports
    try:
        limit = time.monotonic() + timeout + grace
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                if code < 0:
                    print(f"piao: errore interno: elaborazione terminata dal segnale {-code}", file=sys.stderr)
                    return 1
                return code
            if time.monotonic() > limit:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                _remove_staging(out_dir, pid)
                print(f"piao: {on_timeout()}", file=sys.stderr)
                return 2
            time.sleep(POLL_S)
    finally:
        signal.signal(signal.SIGINT, previous)


def _remove_staging(out_dir: str | None, pid: int) -> None:
    """The killed child's staging folder (``.DIR.partial-<pid>-<hex>``, see outputs/write.py)."""
    if not out_dir:
        return
    out = Path(out_dir)
    parent = out.parent if str(out.parent) else Path(".")
    for folder in parent.glob(f".{out.name}.partial-{pid}-*"):
        shutil.rmtree(folder, ignore_errors=True)
