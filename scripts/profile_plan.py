#!/usr/bin/env python3
"""CPU cost of the plain stage functions, in one warm process (issue 17).

Runs ``flows.run.run_plan(path, out, RunOptions())`` ``--runs`` times per file and prints the CPU
seconds (``resource.getrusage`` SELF + CHILDREN) of the best run. The first run of the first
file also pays the imports and the lazy loads; the best of three does not. With ``--keep DIR``
the last run's outputs stay in ``DIR/<file name>/`` (for ``scripts/compare_outputs.py``); with
``--cprofile N`` each file's last run is profiled and the N costliest functions (cumulative)
printed, ``--sort tottime`` to sort by own time. ``--no-fork`` sets ``PIAO_FORK=0``: the run
then stays in one process, as in a batch worker (a daemonic worker never forks); by default a
run forks verifica.docx's writer (and, on an idle machine, half the PDF pages) as ``piao run``
does, and the children's CPU is counted too.

Usage: python scripts/profile_plan.py [FILE ...] [--runs 3] [--keep DIR] [--cprofile N] [--no-fork]
With no FILE: examples/chiari-2025.{pdf,docx} and the Montecaldo and Valmorena PDF and DOCX
fixtures (``PIAO_FIXTURES``, default /work/shared/fixtures).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIXTURES = Path(os.environ.get("PIAO_FIXTURES", "/work/shared/fixtures"))
DEFAULT_FILES = [ROOT / "examples/chiari-2025.pdf", ROOT / "examples/chiari-2025.docx",
                 FIXTURES / "montecaldo-2025.pdf", FIXTURES / "montecaldo-2025.docx",
                 FIXTURES / "valmorena-2025.pdf", FIXTURES / "valmorena-2025.docx"]


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the last run's outputs in DIR/<file name>/")
    parser.add_argument("--cprofile", type=int, metavar="N", help="profile the last run, print N rows")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--no-fork", action="store_true", help="PIAO_FORK=0: one process, as a batch worker")
    args = parser.parse_args(argv)
    if args.no_fork:
        os.environ["PIAO_FORK"] = "0"

    from flows.run import RunOptions, run_plan

    files = args.files or DEFAULT_FILES
    total = 0.0
    for path in files:
        best = float("inf")
        for k in range(args.runs):
            out = Path(tempfile.mkdtemp(prefix="profile_plan-"))
            profiler = cProfile.Profile() if args.cprofile and k == args.runs - 1 else None
            start = cpu_seconds()
            if profiler is not None:
                profiler.enable()
            run_plan(path, out / "out", RunOptions())
            if profiler is not None:
                profiler.disable()
            used = cpu_seconds() - start
            if profiler is None or args.runs == 1:
                best = min(best, used)
            if args.keep and k == args.runs - 1:
                target = args.keep / path.name
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(out / "out", target)
            shutil.rmtree(out, ignore_errors=True)
            if profiler is not None:
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats(args.sort).print_stats(args.cprofile)
                print(text.getvalue())
        total += best
        print(f"{path.name:<28} best of {args.runs}: {best:6.2f} CPU-s", flush=True)
    print(f"{'total':<28} {total:6.2f} CPU-s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
