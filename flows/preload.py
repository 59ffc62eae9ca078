"""Imported by the fork server of ``piao batch`` (:mod:`flows.workers`): the stages imported and
their caches filled once, before the worker processes are forked from it.

The fork server ends when the batch process does; a normal interpreter exit would then tear
down every module it loaded (~0.5 s, while it still holds the batch's stderr: ``piao batch |
tee`` waits for it). It holds no file, buffer or child of its own, so it ends at once. Workers
forked from it never run this: a forked worker ends with ``os._exit``.
"""

import atexit
import os
import sys

from flows.workers import warm

warm()
if any("multiprocessing.forkserver" in arg for arg in getattr(sys, "orig_argv", ())):
    atexit.register(os._exit, 0)  # only in the fork server itself (imported elsewhere: nothing)
