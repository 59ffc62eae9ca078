"""``piao batch FOLDER --out DIR``: every plan of a folder in parallel, through the Prefect folder flow.

Progress goes to stderr (on a terminal a bar of the plans and a line per plan in progress with
its stage and page; one plain line per finished plan otherwise); the summary table goes to
stdout; a file that cannot be processed also gets its one line on stderr.

Exit status (documented in the README): 1 if no Prefect server answers (one line naming
``PREFECT_API_URL``) or a plan failed for an internal reason; otherwise 2 if
at least one file could not be processed (the others were still written); otherwise 1 if
``--fail-on`` is given and a plan has findings of that severity; otherwise 0.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from flows import prefect_env
from flows.run import RunOptions
from pipeline.checks import fails
from pipeline.errors import one_line
from pipeline.classification import load_classification

if TYPE_CHECKING:  # pragma: no cover
    from flows.plan_flow import PlanOutcome

#: Stage reported by the flow -> Italian label shown to the user.
STAGE_LABELS = {
    "queued": "in coda",
    "done": "scritto",
    "failed": "non elaborato",
}


class PlainProgress:
    """One line per finished plan (for logs, pipes and CI)."""

    page = None  # no page events: one line per plan is what a log wants

    def __init__(self, total: int, stream: IO[str]):
        self.total, self.stream, self.finished = total, stream, 0

    def start(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    def update(self, file: str, stage: str, outcome: PlanOutcome | None) -> None:
        if stage not in ("done", "failed"):
            return
        self.finished += 1
        detail = _detail(outcome) if outcome else ""
        print(f"[{self.finished}/{self.total}] {file}: {STAGE_LABELS[stage]}{detail}",
              file=self.stream, flush=True)

    def close(self) -> None:
        pass


class BarProgress:
    """Rich progress on a terminal: one bar for the plans, and one line per plan in progress
    with its stage and page ("b.pdf  OCR pagina 12/49"), advancing page by page."""

    def __init__(self, total: int, stream: IO[str]):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.total = total
        self.console = Console(file=stream)
        self.progress = Progress(
            TextColumn("{task.description:<24}"), TextColumn("{task.fields[stage]:<26}"),
            BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=self.console,
            transient=False,
        )
        self.plans = self.progress.add_task("piani", total=total, stage="")
        self.lines: dict[str, int] = {}
        self.lock = threading.Lock()
        self.status = None

    def start(self, message: str) -> None:
        self.status = self.console.status(message)
        self.status.start()

    def _running(self) -> None:
        if self.status is not None:  # the flow is running: the server is up
            self.status.stop()
            self.status = None
            self.progress.start()

    def update(self, file: str, stage: str, outcome: PlanOutcome | None) -> None:
        with self.lock:
            self._running()
            if stage not in ("done", "failed"):
                return
            line = self.lines.pop(file, None)
            if line is not None:
                self.progress.remove_task(line)
            self.progress.advance(self.plans)
            if stage == "failed":
                self.progress.console.print(f"{file}: {STAGE_LABELS[stage]}{_detail(outcome)}")

    def page(self, file: str, stage: str, done: int, total: int) -> None:
        from flows.progress import stage_text

        with self.lock:
            self._running()
            if file not in self.lines:
                self.lines[file] = self.progress.add_task(file, total=None, stage="")
            # A stage without pages keeps the bar as the reading left it (full, or pulsing).
            counts = {"total": total, "completed": done} if total else {}
            self.progress.update(self.lines[file], stage=stage_text(stage, done, total), **counts)

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None
        for line in self.lines.values():
            self.progress.remove_task(line)
        self.lines.clear()
        self.progress.stop()


class NoProgress:
    page = None

    def start(self, message: str) -> None:
        pass

    def update(self, file: str, stage: str, outcome: PlanOutcome | None) -> None:
        pass

    def close(self) -> None:
        pass


def _detail(outcome: PlanOutcome | None) -> str:
    if outcome is None:
        return ""
    if outcome.status == "ok":
        from pipeline.formatting import plural

        return (f" ({plural(outcome.objectives or 0, 'obiettivo', 'obiettivi')}, "
                f"{plural(outcome.errors, 'errore', 'errori')}, "
                f"{plural(outcome.warnings, 'avviso', 'avvisi')})")
    return f" ({outcome.message})"


def progress_display(total: int, quiet: bool, stream: IO[str] | None = None):
    stream = stream or sys.stderr
    if quiet:
        return NoProgress()
    if stream.isatty():
        return BarProgress(total, stream)
    return PlainProgress(total, stream)


# --------------------------------------------------------------------------- summary


def status_text(outcome: PlanOutcome) -> str:
    if outcome.status == "ok":
        if outcome.skipped:
            return "già elaborato"
        return "ok (da cache)" if outcome.cached else "ok"
    if outcome.status == "input-error":
        return f"file non elaborabile: {outcome.message}"
    return f"errore interno: {outcome.message}"


def summary_table(outcomes: Sequence[PlanOutcome]) -> str:
    """A plain-text table: file, objectives, errors, warnings, status (Italian headers)."""
    header = ("File", "Obiettivi", "Errori", "Avvisi", "Stato")
    rows = [
        (o.file,
         "" if o.objectives is None else str(o.objectives),
         str(o.errors) if o.status == "ok" else "",
         str(o.warnings) if o.status == "ok" else "",
         status_text(o))
        for o in outcomes
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {1, 2, 3}

    def line(cells: Sequence[str]) -> str:
        out = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(out).rstrip()

    ok = sum(o.status == "ok" for o in outcomes)
    lines = [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows),
             f"{ok} di {len(outcomes)} piani elaborati"]
    return "\n".join(lines)


def exit_status(outcomes: Sequence[PlanOutcome], fail_on: str | None) -> int:
    if any(o.status == "error" for o in outcomes):
        return 1
    if any(o.status == "input-error" for o in outcomes):
        return 2
    counted = ({"error": o.errors, "warning": o.warnings, "info": o.infos} for o in outcomes)
    return 1 if any(fails(c, fail_on) for c in counted) else 0


# --------------------------------------------------------------------------- command


def run_batch(args: argparse.Namespace) -> int:
    """The ``batch`` subcommand (see :mod:`flows.cli`). InputError before the run -> exit 2 there."""
    options = RunOptions.from_args(args)
    if options.profile:
        from extractors.cards.vocabulary import load_profile

        load_profile(options.profile)  # a bad profile fails now, not in every plan
    if options.classification:
        load_classification(options.classification)  # a bad file fails now, not in every plan
    prefect_env.configure(quiet=True)  # before Prefect is imported
    try:  # a server the user named must answer: one line now, not a long wait
        user_url = prefect_env.user_api_url()
        if user_url:
            prefect_env.check_api(user_url)
    except prefect_env.PrefectUnavailable as err:
        print(f"piao: {err}", file=sys.stderr)
        return 1
    # Otherwise the temporary server starts now, while Prefect and the flows are imported below,
    # and so does the fork server the worker processes are forked from (it imports the stages).
    prefect_env.start_temporary_server()
    if not getattr(args, "dask_address", None) and getattr(args, "workers", None) != 1:
        from flows import workers

        workers.start_early()  # (one worker is a thread of this process: no fork server)
    from flows.plan_flow import plan_files, run_folder

    files = plan_files(args.folder)
    quiet = bool(getattr(args, "quiet", False))
    display = progress_display(len(files), quiet)
    started = time.perf_counter()
    display.start(f"{len(files)} piani in {args.folder}: avvio di Prefect...")
    try:
        outcomes = run_folder(
            args.folder, args.out, options,
            workers=getattr(args, "workers", None),
            dask_address=getattr(args, "dask_address", None),
            refresh_cache=bool(getattr(args, "refresh_cache", False)),
            progress=display.update, pages=display.page,
        )
    except prefect_env.PrefectUnavailable as err:  # exit 1 (not bad input), one line
        display.close()
        print(f"piao: {err}", file=sys.stderr)
        return 1
    finally:
        display.close()  # idempotent
    for o in outcomes:
        if o.status != "ok":
            print(one_line(f"piao: {Path(args.folder) / o.file}: {o.message}"), file=sys.stderr)
    if not quiet:
        print(summary_table(outcomes))
        print(f"tempo: {time.perf_counter() - started:.1f} s -> {args.out}")
    return exit_status(outcomes, getattr(args, "fail_on", None))
