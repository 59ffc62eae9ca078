"""Prefect flows: one plan (:func:`plan_flow`) and a folder of plans (:func:`folder_flow`).

The tasks wrap the stage functions of :mod:`flows.run` and hold no logic of their own:

- ``extract``  -> :func:`flows.run.extract` (read + parse). The expensive stage, so it is cached:
  the key is the file's sha256, the code version (package version + a hash of the source of the
  ``pipeline``, ``extractors`` and ``outputs`` packages) and the reading options. An unchanged
  plan read by unchanged code is not read again; the cached record is stored as JSON (the
  record is pydantic) in Prefect's result storage, ``$PREFECT_HOME/storage``. Never retried:
  a bad file stays bad.
- ``process``  -> :func:`flows.run.process` (allocation + checks): pure and fast, not retried.
- ``write-outputs`` -> :func:`outputs.write_outputs`: retried on I/O errors (``OSError``) only.

Import :mod:`flows.prefect_env` settings before Prefect: this module does it on import.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.metadata
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from flows import prefect_env

prefect_env.configure(quiet=False)

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.futures import PrefectFuture, as_completed
from prefect.states import State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import BaseModel

from extractors.layout import sha256_of
from flows import run as stages
from outputs import write_outputs
from pipeline.checks import severity_counts
from pipeline.classification import load_classification
from pipeline.errors import InputError
from pipeline.record import PlanRecord

#: What ``piao batch`` treats as a plan in a folder.
PLAN_SUFFIXES = (".pdf", ".docx")
#: The packages whose source makes the "code version" of a cached extraction (``flows`` holds
#: the cached stage function itself, flows.run.extract).
CODE_PACKAGES = ("pipeline", "extractors", "outputs", "flows")
_CODE_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".jsonl", ".txt", ".csv"}


# --------------------------------------------------------------------------- cache key


@functools.cache
def code_version() -> str:
    """Package version + sha256 of every source/data file of the stage packages (computed once)."""
    digest = hashlib.sha256()
    try:
        digest.update(importlib.metadata.version("piao-pipeline").encode())
    except importlib.metadata.PackageNotFoundError:
        digest.update(b"unknown")
    for name in CODE_PACKAGES:
        root = Path(importlib.import_module(name).__file__).parent  # type: ignore[arg-type]
        for file in sorted(root.rglob("*")):
            if file.suffix in _CODE_SUFFIXES and "__pycache__" not in file.parts and file.is_file():
                digest.update(file.relative_to(root.parent).as_posix().encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def extract_cache_key(context: TaskRunContext | None, parameters: dict[str, Any]) -> str | None:
    """``extract-<file sha256>-<code version>-<file name + options>``; None (no caching) if
    unreadable."""
    try:
        sha = sha256_of(parameters["path"])
    except OSError:
        return None  # the task runs and raises the InputError
    options: stages.RunOptions = parameters.get("options") or stages.RunOptions()
    reading = {k: v for k, v in asdict(options).items() if k != "classification"}
    # The file's name too: the record carries it (source.file, printed in verifica.docx), so a
    # renamed copy must not get the first name's record back.
    reading["file"] = Path(parameters["path"]).name
    opts = hashlib.sha256(repr(sorted(reading.items())).encode()).hexdigest()[:8]
    return f"piao-extract-{sha}-{code_version()}-{opts}"


def retry_on_io_error(task: Any, task_run: Any, state: State) -> bool:
    """Retry only an ``OSError`` (disk full, file locked by an office suite, network share)."""
    exc = state.data if isinstance(state.data, BaseException) else None
    if exc is None:
        try:
            state.result(raise_on_failure=True)
        except BaseException as err:  # noqa: BLE001 - we classify, not handle
            exc = err
    return isinstance(exc, OSError) and not isinstance(exc, InputError)


# --------------------------------------------------------------------------- tasks


@task(
    name="extract",
    retries=0,
    cache_key_fn=extract_cache_key,
    persist_result=True,
    result_serializer="json",
    task_run_name="extract {path}",
)
def extract_task(path: str, options: stages.RunOptions) -> PlanRecord:
    return stages.extract(path, options)


@task(name="process", retries=0, cache_policy=NO_CACHE, persist_result=False, task_run_name="process")
def process_task(record: PlanRecord, classification: dict[int, str] | None) -> PlanRecord:
    return stages.process(record, classification)


@task(
    name="write-outputs",
    retries=2,
    retry_delay_seconds=1,
    retry_condition_fn=retry_on_io_error,
    cache_policy=NO_CACHE,  # outputs are always written (and their inputs not hashed)
    persist_result=False,
    task_run_name="write {out_dir}",
)
def write_task(record: PlanRecord, out_dir: str) -> str:
    write_outputs(record, out_dir)
    return out_dir


def _extract_with_cache(refresh: bool = False):
    return extract_task.with_options(refresh_cache=True) if refresh else extract_task


# --------------------------------------------------------------------------- outcome


class PlanOutcome(BaseModel):
    """One line of the batch summary."""

    file: str
    out_dir: str | None = None
    status: Literal["ok", "input-error", "error"]
    message: str | None = None
    objectives: int | None = None
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    cached: bool = False

    @classmethod
    def of_record(cls, file: str, out_dir: str, record: PlanRecord, cached: bool) -> PlanOutcome:
        count = severity_counts(record.findings)
        return cls(file=file, out_dir=out_dir, status="ok", objectives=len(record.objectives),
                   errors=count["error"], warnings=count["warning"], infos=count["info"],
                   cached=cached)

    @classmethod
    def of_error(cls, file: str, exc: BaseException) -> PlanOutcome:
        if isinstance(exc, InputError):
            return cls(file=file, status="input-error", message=exc.cause)
        return cls(file=file, status="error", message=f"{type(exc).__name__}: {exc}")


def _options(ocr: str, classification: str | None, max_pages: int, page_timeout: float):
    return stages.RunOptions(ocr=ocr, classification=classification, max_pages=max_pages,
                             page_timeout=page_timeout)


# --------------------------------------------------------------------------- one plan


@flow(name="piao-plan", flow_run_name="piao {path}", validate_parameters=True)
def plan_flow(
    path: str,
    out_dir: str,
    ocr: str = "auto",
    classification: str | None = None,
    max_pages: int = 300,
    page_timeout: float = 120.0,
    refresh_cache: bool = False,
) -> PlanOutcome:
    """One plan: extract (cached) -> process -> write. A bad file fails the run (no retries)."""
    options = _options(ocr, classification, max_pages, page_timeout)
    table = load_classification(classification) if classification else None
    state = _extract_with_cache(refresh_cache)(path, options, return_state=True)
    record = state.result()  # raises the InputError of a bad file: the run is Failed
    checked = process_task(record, table)
    write_task(checked, out_dir)
    return PlanOutcome.of_record(Path(path).name, out_dir, checked, cached=_is_cached(state))


def _is_cached(state: State) -> bool:
    return state.name == "Cached"


# --------------------------------------------------------------------------- a folder


def plan_files(folder: str | Path) -> list[Path]:
    """The plans in ``folder`` (not recursive), sorted by name; InputError if there are none."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError(str(folder), "cartella non trovata")
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in PLAN_SUFFIXES
                   and not p.name.startswith(("~$", ".")))
    if not files:
        raise InputError(str(folder), "nessun piano (.pdf o .docx) nella cartella")
    stems = [p.stem for p in files]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        # chiari.pdf and chiari.docx would write into the same sub-folder.
        raise InputError(str(folder), "più file con lo stesso nome (sotto-cartella ambigua): "
                         + ", ".join(dupes))
    return files


#: Stage events for the progress display: callback(file name, stage, outcome-or-None).
ProgressFn = Callable[[str, str, "PlanOutcome | None"], None]
_progress_lock = threading.Lock()
_progress: ProgressFn | None = None


def set_progress(fn: ProgressFn | None) -> None:
    """Install the progress callback :func:`folder_flow` reports to (it runs in the caller's process)."""
    global _progress
    with _progress_lock:
        _progress = fn


def _report(file: str, stage: str, outcome: PlanOutcome | None = None) -> None:
    fn = _progress
    if fn is not None:
        try:
            fn(file, stage, outcome)
        except Exception:  # noqa: BLE001, S110 - a display glitch must not fail the batch
            pass


def _failure(future: PrefectFuture) -> BaseException | None:
    future.wait()  # records the final state on the future (else .state asks the API: may lag)
    state = future.state
    if state.is_completed():
        return None
    try:
        state.result(raise_on_failure=True)
    except BaseException as exc:  # noqa: BLE001
        return exc
    return RuntimeError(f"stato {state.name}")


@flow(name="piao-batch", flow_run_name="piao batch {folder}", validate_parameters=True)
def folder_flow(
    folder: str,
    out_dir: str,
    ocr: str = "auto",
    classification: str | None = None,
    max_pages: int = 300,
    page_timeout: float = 120.0,
    refresh_cache: bool = False,
) -> list[PlanOutcome]:
    """Every plan of ``folder`` in parallel on the flow's task runner; ``out_dir/<stem>/`` each.

    A plan whose stage fails is reported in its outcome; the others go on. Stages are submitted
    as the previous one finishes, so a slow plan never holds back the others.
    """
    files = plan_files(folder)
    options = _options(ocr, classification, max_pages, page_timeout)
    table = load_classification(classification) if classification else None
    extract = _extract_with_cache(refresh_cache)
    outcomes: dict[str, PlanOutcome] = {}
    # future -> (file, stage, payload)
    pending: dict[PrefectFuture, tuple[Path, str, Any]] = {}
    # Largest first: the long reads start early and the short ones fill the gaps at the end.
    for file in sorted(files, key=lambda f: f.stat().st_size, reverse=True):
        pending[extract.submit(str(file), options)] = (file, "extract", None)
        _report(file.name, "queued")

    while pending:
        future = next(as_completed(list(pending)))
        file, stage, payload = pending.pop(future)
        failure = _failure(future)
        if failure is not None:
            outcomes[file.name] = PlanOutcome.of_error(file.name, failure)
            _report(file.name, "failed", outcomes[file.name])
            continue
        if stage == "extract":
            cached = _is_cached(future.state)
            _report(file.name, "extracted")
            pending[process_task.submit(future.result(), table)] = (file, "process", cached)
        elif stage == "process":
            record = future.result()
            target = str(Path(out_dir) / file.stem)
            _report(file.name, "processed")
            pending[write_task.submit(record, target)] = (file, "write", (record, payload))
        else:
            record, cached = payload
            outcomes[file.name] = PlanOutcome.of_record(file.name, future.result(), record, cached)
            _report(file.name, "done", outcomes[file.name])
    return [outcomes[f.name] for f in files]


# --------------------------------------------------------------------------- task runners


#: Local Dask workers: one single-threaded process per plan in flight; they import the stages
#: while the cluster starts, so the first plan on each does not pay for it.
LOCAL_CLUSTER = {"threads_per_worker": 1, "processes": True, "dashboard_address": None,
                 "silence_logs": logging.ERROR, "preload": ["flows.plan_flow"]}


def local_workers(workers: int | None) -> int:
    return max(1, workers or os.cpu_count() or 1)


def task_runner(workers: int | None = None, dask_address: str | None = None) -> TaskRunner:
    """The runner for :func:`folder_flow`.

    Reading a plan is CPU-bound Python (pdfplumber, the parser), so threads do not scale: plans
    run in worker processes -- a local Dask cluster of ``workers`` single-threaded processes, or
    the existing Dask cluster at ``dask_address``. One worker: a thread (no process to start).
    """
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    n = local_workers(workers)
    if n == 1:
        return ThreadPoolTaskRunner(max_workers=1)
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(cluster_kwargs={"n_workers": n, **LOCAL_CLUSTER})


@contextlib.contextmanager
def _started_together(workers: int | None, dask_address: str | None) -> Iterator[TaskRunner]:
    """Yield the task runner once both it and the Prefect API are up, started side by side.

    The temporary Prefect server and a local Dask cluster each take seconds, mostly importing
    modules in fresh processes: starting the cluster in a thread while the server starts
    overlaps the two waits.
    """
    if dask_address or local_workers(workers) == 1:
        with prefect_env.api_server():
            yield task_runner(workers, dask_address)
        return
    from concurrent.futures import ThreadPoolExecutor

    from distributed import LocalCluster
    from prefect_dask import DaskTaskRunner

    with ThreadPoolExecutor(max_workers=1) as pool:
        starting = pool.submit(LocalCluster, n_workers=local_workers(workers), **LOCAL_CLUSTER)
        try:
            with prefect_env.api_server():
                cluster = starting.result()
                with cluster:
                    yield DaskTaskRunner(address=cluster.scheduler_address)
        finally:
            if not starting.done():
                starting.cancel()


def run_folder(
    folder: str | Path,
    out_dir: str | Path,
    options: stages.RunOptions | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
    refresh_cache: bool = False,
    progress: ProgressFn | None = None,
) -> list[PlanOutcome]:
    """Run :func:`folder_flow` with the right task runner and Prefect settings."""
    options = options or stages.RunOptions()
    set_progress(progress)
    try:
        with prefect_env.prefect_settings(quiet=True, heartbeats=False), \
                _started_together(workers, dask_address) as runner:
            return folder_flow.with_options(task_runner=runner)(
                str(folder), str(out_dir), ocr=options.ocr, classification=options.classification,
                max_pages=options.max_pages, page_timeout=options.page_timeout,
                refresh_cache=refresh_cache,
            )
    finally:
        set_progress(None)


def run_one(path: str | Path, out_dir: str | Path, options: stages.RunOptions | None = None,
            refresh_cache: bool = False, return_state: bool = False) -> Any:
    """Run :func:`plan_flow` with piao's Prefect settings (quiet console, no heartbeats)."""
    options = options or stages.RunOptions()
    with prefect_env.prefect_settings(quiet=True, heartbeats=False), prefect_env.api_server():
        return plan_flow(str(path), str(out_dir), ocr=options.ocr,
                         classification=options.classification, max_pages=options.max_pages,
                         page_timeout=options.page_timeout, refresh_cache=refresh_cache,
                         return_state=return_state)


if __name__ == "__main__":  # pragma: no cover - manual use: python -m flows.plan_flow PLAN OUT
    print(run_one(sys.argv[1], sys.argv[2]))
