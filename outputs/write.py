"""Write the complete set of outputs for one record, or nothing.

Every file is first written into a temporary folder beside ``out_dir`` (same file system); only
when all of them are complete are they moved into place with atomic renames. A failure while
writing leaves ``out_dir`` exactly as it was, earlier outputs included. The slowest writer runs
in a forked child on the second core while the others are written here.

The staging folder's name holds the writing process's id (``.DIR.partial-<pid>-<hex>``): a run
removes the staging folders, beside its own, of processes that no longer exist (a run killed
with ``kill -9`` or by a power cut cannot remove its own). A disk that fills up, or a folder whose
permission is lost while writing, ends as one Italian line (``InputError``), ``DIR`` untouched.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from outputs.allegato import write_allegato
from outputs.data import (
    write_allocations_csv,
    write_findings_csv,
    write_indicators_csv,
    write_datapackage,
    write_json,
    write_objectives_csv,
    write_plans_csv,
)
from outputs.verifica import write_verifica
from outputs.xlsx import write_xlsx
from pipeline.errors import OS_CAUSES, InputError, OutputWriteError, os_cause
from pipeline.forking import Forked, can_fork
from pipeline.gc_tuning import with_fewer_gc_passes
from pipeline.record import PlanRecord

T = TypeVar("T")

#: file name -> writer(record, path). The contract's files, in the order they are written.
FILE_WRITERS: dict[str, Callable[[PlanRecord, Path], None]] = {
    "plan.json": write_json,
    "objectives.csv": write_objectives_csv,
    "indicators.csv": write_indicators_csv,
    "findings.csv": write_findings_csv,
    "allocations.csv": write_allocations_csv,
    "plans.csv": write_plans_csv,
    "datapackage.json": write_datapackage,
    "piano.xlsx": write_xlsx,
    "verifica.docx": write_verifica,
    "allegato.docx": write_allegato,
}
#: Written in a forked child process while the others are written here (the slowest writer:
#: it draws the chart), when forking is safe; otherwise in turn like the rest.
FORKED_WRITERS = ("verifica.docx",)
#: A staging folder of this file's making: ``.<name>.partial-<pid>-<hex>`` (older runs wrote
#: ``.<name>.partial-<hex>``, without the process id).
STAGING_RE = re.compile(r"^\.(?P<name>.+)\.partial-(?:(?P<pid>\d+)-)?[0-9a-f]{16}$")
#: A staging folder without a process id is stale once this old (seconds).
STALE_AFTER_S = 24 * 3600
#: OSError numbers -> the Italian cause of a failed write.
WRITE_CAUSES = OS_CAUSES


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def remove_stale_staging(parent: Path) -> list[Path]:
    """Remove the staging folders in ``parent`` left by runs that died; returns those removed."""
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = STAGING_RE.match(entry.name)
        if not m or not entry.is_dir() or entry.is_symlink():
            continue
        if m["pid"] is not None:
            stale = not _alive(int(m["pid"]))
        else:
            try:
                stale = time.time() - entry.stat().st_mtime > STALE_AFTER_S
            except OSError:
                continue
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _write_failed(out: Path, err: OSError) -> OutputWriteError:
    cause = os_cause(err)
    return OutputWriteError(str(out), f"scrittura dei risultati non riuscita: {cause}; "
                                "i risultati precedenti sono rimasti com'erano")


@with_fewer_gc_passes
def write_outputs(
    record: T,
    out_dir: str | Path,
    writers: dict[str, Callable[[T, Path], None]] | None = None,
) -> list[Path]:
    """Write plan.json, the CSVs, piano.xlsx, verifica.docx and allegato.docx into ``out_dir``.

    ``record`` is whatever the writers take: a :class:`PlanRecord` for :data:`FILE_WRITERS`
    (``piao compare`` passes its comparison with its own writers).

    ``writers`` replaces :data:`FILE_WRITERS` (e.g. ``piao render`` writes only the DOCX files).
    Returns the paths written.
    """
    out = Path(out_dir)
    writers = FILE_WRITERS if writers is None else writers
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # Not mkdtemp: its folder is private (0700) and, renamed into place, would stay so.
        # mkdir gives the mode any folder the user creates has (0777 less the umask).
        remove_stale_staging(parent)
        staging = parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(8)}"
        staging.mkdir()
    except OSError as err:
        raise InputError(str(out), f"la cartella di destinazione non è scrivibile ({os_cause(err)})") from err
    try:
        in_child = [n for n in writers if n in FORKED_WRITERS] if can_fork() else []
        forked = [Forked(writers[name], record, staging / name) for name in in_child]
        try:
            for name, writer in writers.items():
                if name not in in_child:
                    writer(record, staging / name)
            for call in forked:
                call.result()
        except BaseException:
            for call in forked:
                call.cancel()
            raise
        return _commit(staging, out, list(writers))
    except OSError as err:
        raise _write_failed(out, err) from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _commit(staging: Path, out: Path, names: list[str]) -> list[Path]:
    """Move a complete staging folder into place."""
    if not out.exists():
        try:
            os.rename(staging, out)  # one atomic step: the folder appears complete
            return [out / n for n in names]
        except OSError:
            pass  # e.g. created meanwhile by someone else: fall back to file-by-file
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(str(out), f"la cartella di destinazione non è scrivibile ({os_cause(err)})") from err
    if not os.access(out, os.W_OK):
        raise InputError(str(out), "la cartella di destinazione non è scrivibile")
    for name in names:
        os.replace(staging / name, out / name)  # each file is replaced atomically
    return [out / n for n in names]
