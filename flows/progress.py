"""What a person at a terminal sees while ``piao run`` works: one rich progress bar with the stage
and the page ("OCR pagina 12/49"), on stderr, from the first second.

Nothing is shown when stderr is not a terminal (logs, pipes, CI) or with ``--quiet``: the
command's output is then exactly what it was.
"""

from __future__ import annotations

import sys
from typing import IO

#: Stage reported by the readers and :func:`flows.run.run_plan` -> Italian label.
STAGES = {
    "start": "avvio",
    "read": "lettura pagina",
    "ocr": "OCR pagina",
    "parse": "estrazione dei dati",
    "check": "verifiche e ripartizione",
    "write": "scrittura dei documenti",
}


def stage_text(stage: str, done: int, total: int) -> str:
    """``"OCR pagina 12/49"`` for a page stage, the stage's label otherwise."""
    label = STAGES.get(stage, stage)
    return f"{label} {done}/{total}" if total else label


class RunBar:
    """A single transient bar: pulsing for stages without pages, filling for page stages.

    ``__call__(stage, done, total)`` is the progress callback of :func:`flows.run.run_plan`;
    it may be called from reader threads (rich's Progress is thread-safe).
    """

    def __init__(self, name: str, stream: IO[str]):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.fields[name]}"), TextColumn("{task.description:<26}"), BarColumn(),
            TimeElapsedColumn(), console=Console(file=stream), transient=True,
        )
        self.task = self.progress.add_task(stage_text("start", 0, 0), total=None, name=name)
        self.progress.start()

    def __call__(self, stage: str, done: int, total: int) -> None:
        try:
            # A stage without pages keeps the bar as the reading left it (full, or pulsing).
            counts = {"total": total, "completed": done} if total else {}
            self.progress.update(self.task, description=stage_text(stage, done, total), **counts)
        except Exception:  # noqa: BLE001, S110 - a display glitch must not fail the run
            pass

    def close(self) -> None:
        self.progress.stop()


def run_bar(name: str, quiet: bool, stream: IO[str] | None = None) -> RunBar | None:
    """The bar for ``piao run`` on a terminal; None when quiet or not a terminal."""
    stream = stream or sys.stderr
    if quiet or not stream.isatty():
        return None
    return RunBar(name, stream)
