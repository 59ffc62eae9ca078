"""Prefect flows: one plan (:func:`plan_flow`) and a folder of plans (:func:`folder_flow`).

One task per plan, ``piao-plan`` (its run is named after the plan's file), does the whole plan
where it runs -- a worker process of the batch -- and sends back only a small
:class:`PlanOutcome`, never the record. Inside it, two nested task runs hold the stage functions
of :mod:`flows.run`, and no logic of their own:

- ``extract`` -> :func:`flows.run.extract` (read + parse). The expensive stage, so it is cached:
  the key is the file's sha256, the code version (package version + a hash of the source of the
  ``pipeline``, ``extractors``, ``outputs`` and ``flows`` packages), the file name and the reading
  options. An unchanged plan read by unchanged code is not read again for ``PIAO_CACHE_DAYS``
  days (default 90). The cached record is stored as JSON in Prefect's result storage: its own
  settings choose where (``results.local_storage_path``, default ``$PREFECT_HOME/storage``, or
  ``results.default_storage_block``), so workers on other machines share the cache when it is
  on a shared folder or a storage block.
- ``checks-and-write`` -> :func:`flows.run.process` + :func:`outputs.write_outputs`.

The plan's entity and year (``ente:...``, ``anno:...``), known once the plan is read, tag the
flow run (the batch's run gets those of all its plans). Not the task runs: Prefect takes a
concurrency slot for every tag of a task run from the server before it starts (a tag may carry
a concurrency limit), and with tags on the nested run a plan waited ~2 s for it now and then
(measured: 4 of 12 plans of a batch, with both workers waiting at once).

The plan task logs pages, OCR progress and findings with ``get_run_logger``, publishes a table
artifact of the findings and a markdown artifact linking the outputs (a progress artifact too
while a long scan is OCR'd), and is retried with exponential backoff on a transient ``OSError``
(a network share gone for a moment) -- never on bad input (:class:`InputError`) nor on a bug.

Import :mod:`flows.prefect_env` settings before Prefect: this module does it on import.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import importlib
import importlib.metadata
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from flows import prefect_env

prefect_env.configure(quiet=False)

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import flow_run as current_flow_run
from prefect.runtime import task_run as current_task_run
from prefect.states import Completed, Failed, State
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner
from prefect.task_runners import _initialize_process_pool_worker  # see _start_pool
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import quote
from pydantic import BaseModel

from extractors.layout import sha256_of
from flows import run as stages
from flows import workers as worker_procs
from flows.progress import stage_text
from pipeline.checks import severity_counts
from pipeline.classification import load_classification
from pipeline.errors import InputError, OutputWriteError
from pipeline.record import PlanRecord

#: What ``piao batch`` treats as a plan in a folder.
PLAN_SUFFIXES = (".pdf", ".docx")
#: The packages whose source makes the "code version" of a cached extraction (``flows`` holds
#: the cached stage function itself, flows.run.extract).
CODE_PACKAGES = ("pipeline", "extractors", "outputs", "flows")
_CODE_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".jsonl", ".txt", ".csv"}
#: Days a cached read stays valid (``PIAO_CACHE_DAYS``); afterwards the plan is read again.
CACHE_DAYS = float(os.environ.get("PIAO_CACHE_DAYS", "90"))
#: Retries of a plan after a transient I/O error, waiting 2 s, then 4 s.
RETRIES, BACKOFF_FACTOR = 2, 2
#: Findings listed in the run's log record of findings (the rest are counted; all are in the artifact).
LOGGED_FINDINGS = 20
#: A scan with at least this many pages to OCR gets a progress artifact.
PROGRESS_ARTIFACT_MIN_PAGES = 5


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


def retry_on_transient_error(task: Any, task_run: Any, state: State) -> bool:
    """Retry only an ``OSError`` or a failed write of the outputs (disk full, file locked by an
    office suite, network share gone): never bad input (:class:`InputError`) nor a bug."""
    exc = state.data if isinstance(state.data, BaseException) else None
    if exc is None:
        try:
            state.result(raise_on_failure=True)
        except BaseException as err:  # noqa: BLE001 - we classify, not handle
            exc = err
    return isinstance(exc, OutputWriteError) or (isinstance(exc, OSError) and not isinstance(exc, InputError))


#: The former name (write-outputs was the retried task before the plan became one task).
retry_on_io_error = retry_on_transient_error


def _plan_name() -> str:
    """The run's plan file name, from the run's ``path`` parameter (task and flow runs)."""
    parameters = current_task_run.parameters or current_flow_run.parameters or {}
    return Path(str(parameters.get("path", "piano"))).name


def _slug(text: str) -> str:
    """An artifact key: lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "piano"


# --------------------------------------------------------------------------- progress


#: Plan events for the batch display, in the flow's process: callback(file, stage, outcome).
ProgressFn = Callable[[str, str, "PlanOutcome | None"], None]
#: Page events, from wherever the plan runs: callback(file, stage, done, total).
PageFn = Callable[[str, str, int, int], None]
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


def _send_page(file: str, stage: str, done: int, total: int) -> None:
    sink = worker_procs.page_sink  # see flows.workers
    try:
        if callable(sink):
            sink(file, stage, done, total)
        elif sink is not None:
            sink.put_nowait((file, stage, done, total))
    except Exception:  # noqa: BLE001, S110 - a display glitch must not fail the plan
        pass


class PlanReporter:
    """The progress callback of one plan inside its task run (see :func:`flows.run.run_plan`).

    Every event goes to the batch display (:func:`_send_page`); some become Prefect log lines
    (the first and last page of a stage and every tenth of the way), and the OCR of a long scan
    also moves a progress artifact. Readers call it from their threads: Prefect calls are made
    in a copy of the task run's context, one at a time.
    """

    def __init__(self, file: str):
        self.file = file
        self.logger = get_run_logger()
        self.context = contextvars.copy_context()
        self.lock = threading.Lock()
        self.artifact: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        _send_page(self.file, stage, done, total)
        step = max(1, -(-total // 10)) if total else 1
        if total and done not in (1, total) and done % step:
            return
        with self.lock:
            try:
                self.context.copy().run(self._to_prefect, stage, done, total)
            except Exception:  # noqa: BLE001, S110 - a lost log line must not fail the plan
                pass

    def _to_prefect(self, stage: str, done: int, total: int) -> None:
        if stage == "read" and done not in (1, total):
            return  # the text layer is fast: its start and end are enough
        self.logger.info("%s: %s", self.file, stage_text(stage, done, total))
        if stage != "ocr" or total < PROGRESS_ARTIFACT_MIN_PAGES:
            return
        percent = 100.0 * done / total
        description = f"OCR di {self.file}: {done}/{total} pagine"
        if self.artifact is None:
            self.artifact = create_progress_artifact(
                percent, key=f"piao-ocr-{_slug(Path(self.file).stem)}", description=description)
        else:
            update_progress_artifact(self.artifact, percent, description=description)


# --------------------------------------------------------------------------- tasks


def _extract_run_name() -> str:
    return f"lettura {_plan_name()}"


@task(
    name="extract",
    retries=0,  # the plan task retries: a bad file stays bad
    cache_key_fn=extract_cache_key,
    cache_expiration=timedelta(days=CACHE_DAYS),
    persist_result=True,
    result_serializer="json",
    task_run_name=_extract_run_name,
)
def extract_task(path: str, options: stages.RunOptions, progress: Any = None) -> PlanRecord:
    return stages.extract(path, options, progress)


@task(name="checks-and-write", retries=0, cache_policy=NO_CACHE, persist_result=False,
      task_run_name="verifiche e scrittura {out_dir}")
def checks_and_write_task(record: PlanRecord, classification: dict[int, str] | None,
                          out_dir: str, progress: Any = None) -> PlanRecord:
    if progress is not None:
        progress("check", 0, 0)
    checked = stages.process(record, classification)
    if progress is not None:
        progress("write", 0, 0)
    write_outputs(checked, out_dir)
    return checked


def write_outputs(record: PlanRecord, out_dir: str) -> None:
    """:func:`outputs.write_outputs`, imported on first use: the batch process, which only
    orchestrates, never loads the writers (python-docx, openpyxl, pandas, matplotlib)."""
    from outputs import write_outputs as write

    write(record, out_dir)


@task(
    name="piao-plan",
    task_run_name=_plan_name,
    retries=RETRIES,
    retry_delay_seconds=exponential_backoff(backoff_factor=BACKOFF_FACTOR),
    retry_condition_fn=retry_on_transient_error,
    cache_policy=NO_CACHE,  # the read inside is cached; the outputs are always written
    persist_result=False,
)
def plan_task(path: str, out_dir: str, options: stages.RunOptions,
              classification: dict[int, str] | None = None,
              refresh_cache: bool = False) -> PlanOutcome:
    """One plan, start to end, where the task runs; only the outcome comes back."""
    name = Path(path).name
    logger = get_run_logger()
    reporter = PlanReporter(name)
    extract = extract_task.with_options(refresh_cache=True) if refresh_cache else extract_task
    state = extract(path, options, reporter, return_state=True)
    record = state.result()  # raises the InputError of a bad file: this run fails, not retried
    cached = _is_cached(state)
    logger.info("%s: %s, %d pagine%s, %d obiettivi%s", name, record.plan.entity or "ente non indicato",
                record.source.pages, f" (OCR su {len(record.source.ocr_pages)})"
                if record.source.ocr_pages else "", len(record.objectives),
                " (lettura da cache)" if cached else "")
    # quote(): the record goes in as it is; Prefect would otherwise walk its ~17,000 values
    # twice, looking for futures in them, before the task starts.
    checked = checks_and_write_task(quote(record), classification, out_dir, reporter)
    outcome = PlanOutcome.of_record(name, out_dir, checked, cached)
    _log_findings(logger, name, checked)
    _plan_artifacts(name, out_dir, checked)
    return outcome


def _is_cached(state: State) -> bool:
    return state.name == "Cached"


def _log_findings(logger: Any, name: str, record: PlanRecord) -> None:
    """One log record for the plan's findings: the counts, then the first
    :data:`LOGGED_FINDINGS` errors and warnings a line each (all of them are in the artifact).
    Its level is the worst finding's; one record, not one per finding, is what the run's log
    needs and the server stores."""
    count = severity_counts(record.findings)
    serious = [f for f in record.findings if f.severity in ("error", "warning")]
    lines = [f"{name}: rilievi: {count['error']} errori, {count['warning']} avvisi, "
             f"{count['info']} note"]
    for f in serious[:LOGGED_FINDINGS]:
        where = "".join([f" obiettivo {f.objective}" if f.objective else "",
                         f" p. {f.page}" if f.page else ""])
        lines.append(f"- [{f.rule}]{where} {f.message}")
    if len(serious) > LOGGED_FINDINGS:
        lines.append(f"e altri {len(serious) - LOGGED_FINDINGS} rilievi (tutti nell'artefatto)")
    level = (logging.ERROR if count["error"] else logging.WARNING if count["warning"]
             else logging.INFO)
    logger.log(level, "%s", "\n".join(lines))


#: The outputs linked from a plan's markdown artifact, with whom each is for.
OUTPUT_FILES = (
    ("verifica.docx", "relazione di verifica (Segretario Generale)"),
    ("allegato.docx", "Allegato rigenerato"),
    ("piano.xlsx", "foglio di lavoro (uffici)"),
    ("plan.json", "record completo (altri sistemi)"),
    ("objectives.csv", "obiettivi"),
    ("indicators.csv", "indicatori"),
    ("findings.csv", "rilievi"),
    ("allocations.csv", "ripartizione del fondo"),
)


def _plan_artifacts(name: str, out_dir: str, record: PlanRecord) -> None:
    """A table of the plan's findings and a markdown page linking its outputs (keyed by plan)."""
    key = _slug(Path(name).stem)
    rows = [{"gravità": f.severity, "regola": f.rule, "obiettivo": f.objective, "pagina": f.page,
             "messaggio": f.message} for f in record.findings]
    title = " ".join(str(x) for x in (record.plan.entity, record.plan.year) if x) or name
    create_table_artifact(rows or [{"gravità": "", "regola": "", "obiettivo": None,
                                    "pagina": None, "messaggio": "nessun rilievo"}],
                          key=f"piao-rilievi-{key}", description=f"Rilievi di {name} ({title})")
    root = Path(out_dir).resolve()
    count = severity_counts(record.findings)
    lines = [f"# {name}", "", f"**{title}**: {len(record.objectives)} obiettivi, "
             f"{count['error']} errori, {count['warning']} avvisi, {count['info']} note.", "",
             f"Cartella: [{root}]({root.as_uri()})", "", "| file | contenuto |", "| --- | --- |"]
    for file, what in OUTPUT_FILES:
        if (root / file).exists():
            lines.append(f"| [{file}]({(root / file).as_uri()}) | {what} |")
    create_markdown_artifact("\n".join(lines), key=f"piao-risultati-{key}",
                             description=f"Risultati di {name}")


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
    #: The outputs already there were made from this very file (same sha256): not processed.
    skipped: bool = False
    entity: str | None = None
    year: int | None = None

    @classmethod
    def of_record(cls, file: str, out_dir: str, record: PlanRecord, cached: bool) -> PlanOutcome:
        count = severity_counts(record.findings)
        return cls(file=file, out_dir=out_dir, status="ok", objectives=len(record.objectives),
                   errors=count["error"], warnings=count["warning"], infos=count["info"],
                   cached=cached, entity=record.plan.entity, year=record.plan.year)

    @classmethod
    def of_error(cls, file: str, exc: BaseException) -> PlanOutcome:
        if isinstance(exc, InputError):
            return cls(file=file, status="input-error", message=exc.cause)
        return cls(file=file, status="error", message=f"{type(exc).__name__}: {exc}")


def already_processed(path: Path, out_dir: Path) -> PlanOutcome | None:
    """The outcome of ``path`` if ``out_dir/plan.json`` was written from the same bytes."""
    try:
        done = json.loads((out_dir / "plan.json").read_text(encoding="utf-8"))
        if done["source"]["sha256"] != sha256_of(str(path)):
            return None
        severities = [f.get("severity") for f in done.get("findings", [])]
        return PlanOutcome(file=path.name, out_dir=str(out_dir), status="ok", skipped=True,
                           objectives=len(done.get("objectives", [])),
                           errors=severities.count("error"), warnings=severities.count("warning"),
                           infos=severities.count("info"), entity=(done.get("plan") or {}).get("entity"),
                           year=(done.get("plan") or {}).get("year"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _options(ocr: str, classification: str | None, max_pages: int, page_timeout: float,
             timeout: float = stages.RunOptions.timeout, profile: str | None = None):
    return stages.RunOptions(ocr=ocr, classification=classification, max_pages=max_pages,
                             page_timeout=page_timeout, timeout=timeout, profile=profile)


def _add_tags(new: list[str]) -> None:
    """Add tags to the current flow run (the plan's entity and year, known once it is read)."""
    from prefect import get_client

    run_id = current_flow_run.id
    if not new or not run_id:
        return
    with get_client(sync_client=True) as client:
        tags_now = list(client.read_flow_run(run_id).tags)
        client.update_flow_run(run_id, tags=sorted(set(tags_now) | set(new)))


# --------------------------------------------------------------------------- one plan


def _plan_flow_run_name() -> str:
    return f"piao {_plan_name()}"


@flow(name="piao-plan", flow_run_name=_plan_flow_run_name, validate_parameters=True)
def plan_flow(
    path: str,
    out_dir: str,
    ocr: str = "auto",
    classification: str | None = None,
    max_pages: int = stages.READ_DEFAULTS.max_pages,
    page_timeout: float = stages.READ_DEFAULTS.page_timeout,
    timeout: float = stages.RunOptions.timeout,
    profile: str | None = None,
    refresh_cache: bool = False,
) -> PlanOutcome:
    """One plan: the plan task in this process. A bad file fails the run (no retries)."""
    options = _options(ocr, classification, max_pages, page_timeout, timeout, profile)
    table = load_classification(classification) if classification else None
    outcome = plan_task(path, out_dir, options, table, refresh_cache)
    _add_tags([t for t in (f"ente:{outcome.entity}" if outcome.entity else "",
                           f"anno:{outcome.year}" if outcome.year else "") if t])
    return outcome


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


def _batch_flow_run_name() -> str:
    parameters = current_flow_run.parameters or {}
    return f"piao batch {Path(str(parameters.get('folder', ''))).name}"


def summary_rows(outcomes: list[PlanOutcome]) -> list[dict[str, Any]]:
    """The batch's summary table (an artifact of the flow run)."""
    return [{"file": o.file, "ente": o.entity, "anno": o.year, "obiettivi": o.objectives,
             "errori": o.errors, "avvisi": o.warnings, "note": o.infos,
             "stato": o.status if not o.skipped else "già elaborato",
             "messaggio": o.message} for o in outcomes]


@flow(name="piao-batch", flow_run_name=_batch_flow_run_name, validate_parameters=True)
def folder_flow(
    folder: str,
    out_dir: str,
    ocr: str = "auto",
    classification: str | None = None,
    max_pages: int = stages.READ_DEFAULTS.max_pages,
    page_timeout: float = stages.READ_DEFAULTS.page_timeout,
    timeout: float = stages.RunOptions.timeout,
    profile: str | None = None,
    refresh_cache: bool = False,
    skip_processed: bool = False,
) -> Any:
    """Every plan of ``folder`` in parallel on the flow's task runner; ``out_dir/<stem>/`` each.

    A plan that fails is reported in its outcome; the others go on. The run ends Completed with
    the outcomes, or Failed -- with the same outcomes as its data -- when a plan failed.
    ``skip_processed``: a plan whose outputs were already written from the same bytes (sha256
    in ``plan.json``) is not processed again.
    """
    files = plan_files(folder)
    options = _options(ocr, classification, max_pages, page_timeout, timeout, profile)
    table = load_classification(classification) if classification else None
    outcomes: dict[str, PlanOutcome] = {}
    pending: dict[PrefectFuture, Path] = {}
    logger = get_run_logger()
    # Largest first: the long reads start early and the short ones fill the gaps at the end.
    for file in sorted(files, key=lambda f: f.stat().st_size, reverse=True):
        target = Path(out_dir) / file.stem
        done = already_processed(file, target) if skip_processed else None
        if done is not None:
            outcomes[file.name] = done
            logger.info("%s: già elaborato (stesso sha256), saltato", file.name)
            _report(file.name, "done", done)
            continue
        pending[plan_task.submit(str(file), str(target), options, table, refresh_cache)] = file
        _report(file.name, "queued")
    for future in as_completed(list(pending)):
        file = pending[future]
        failure = _failure(future)
        if failure is None:
            outcomes[file.name] = future.result()
            _report(file.name, "done", outcomes[file.name])
        else:
            outcomes[file.name] = PlanOutcome.of_error(file.name, failure)
            logger.error("%s: non elaborato: %s", file.name, outcomes[file.name].message)
            _report(file.name, "failed", outcomes[file.name])
    result = [outcomes[f.name] for f in files]
    create_table_artifact(summary_rows(result), key="piao-batch-summary",
                          description=f"Piani elaborati da {folder}")
    _add_tags(sorted({t for o in result for t in (f"ente:{o.entity}" if o.entity else "",
                                                  f"anno:{o.year}" if o.year else "") if t}))
    bad = [o for o in result if o.status != "ok"]
    if bad:
        return Failed(message=f"{len(bad)} di {len(result)} piani non elaborati: "
                      + "; ".join(f"{o.file}: {o.message}" for o in bad), data=result)
    return Completed(message=f"{len(result)} piani elaborati", data=result)


def _failure(future: PrefectFuture) -> BaseException | None:
    try:
        future.wait()  # records the final state on the future (else .state asks the API: may lag)
    except Exception as exc:  # noqa: BLE001 - e.g. a worker process killed (BrokenProcessPool)
        return exc
    state = future.state
    if state.is_completed():
        return None
    try:
        state.result(raise_on_failure=True)
    except BaseException as exc:  # noqa: BLE001
        return exc
    return RuntimeError(f"stato {state.name}")


def outcomes_of(state: State) -> list[PlanOutcome]:
    """The outcomes of a finished :func:`folder_flow` run, Completed or Failed; a run that
    failed before any plan (e.g. an InputError for the folder) raises its exception."""
    data = state.result(raise_on_failure=False)
    if isinstance(data, BaseException):
        raise data
    return data


# --------------------------------------------------------------------------- task runners


#: Process pools whose workers were started before their flow run, by key (this process only).
_STARTED: dict[str, WarmProcessPoolTaskRunner] = {}


class WarmProcessPoolTaskRunner(ProcessPoolTaskRunner):
    """Prefect's process pool, whose worker processes may start before the flow run does.

    :meth:`start_workers` enters a copy of the runner and starts its worker processes at once,
    so that they are ready (:func:`flows.workers.warm_worker`) while the API server starts, instead
    of after the flow run began. The flow engine enters a ``duplicate()`` of the runner it is
    given: for the handle :meth:`start_workers` returns, that is the started copy (once). The
    handle holds only a key, so it still pickles (the flow carries its runner to the workers,
    where ``duplicate()`` gives a plain new runner, as Prefect's does).
    """

    def __init__(self, max_workers: int | None = None, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = (), started_key: str | None = None):
        super().__init__(max_workers=max_workers, initializer=initializer, initargs=initargs)
        self._started_key = started_key
        self._entered_early = False

    def _copy(self, started_key: str | None = None) -> WarmProcessPoolTaskRunner:
        runner = type(self)(self._max_workers, self._initializer, self._initargs, started_key)
        runner.subprocess_message_processor_factories = self.subprocess_message_processor_factories
        return runner

    def start_workers(self) -> WarmProcessPoolTaskRunner:
        """Start the worker processes now; return the handle to give the flow."""
        early = self._copy()
        early.__enter__()
        assert early._executor is not None
        # The pool starts a worker for each task submitted while none is idle: one each.
        for _ in range(self._max_workers):
            early._executor.submit(os.getpid)
        early._entered_early = True
        key = os.urandom(8).hex()
        _STARTED[key] = early
        return self._copy(key)

    def stop_unused(self) -> None:
        """Stop the workers :meth:`start_workers` started if no flow run took them."""
        early = _STARTED.pop(self._started_key, None) if self._started_key else None
        if early is not None:
            early._entered_early = False
            early.__exit__(None, None, None)

    def duplicate(self) -> WarmProcessPoolTaskRunner:
        early = _STARTED.pop(self._started_key, None) if self._started_key else None
        return early if early is not None else self._copy()

    def __enter__(self) -> WarmProcessPoolTaskRunner:
        if self._entered_early:  # started by start_workers(): the flow run takes it as it is
            self._entered_early = False
            return self
        self._submitted = threading.Event()
        return self._start_pool(worker_procs.context())

    def _start_pool(self, mp_context: Any) -> WarmProcessPoolTaskRunner:
        """``ProcessPoolTaskRunner.__enter__`` of Prefect 3.9 with the start method as a
        parameter: Prefect's own uses ``spawn`` (a new interpreter that imports everything,
        per worker); :func:`flows.workers.context` gives ``forkserver`` (see there)."""
        TaskRunner.__enter__(self)
        self._subprocess_message_queue = mp_context.Queue()
        self._message_forwarding_thread = threading.Thread(
            target=self._forward_subprocess_messages,
            name="ProcessPoolTaskRunnerMessageForwarder", daemon=True)
        self._message_forwarding_thread.start()
        try:
            self._executor = ProcessPoolExecutor(
                max_workers=self._max_workers, mp_context=mp_context,
                initializer=_initialize_process_pool_worker,
                initargs=(self._subprocess_message_queue, self._initializer, self._initargs))
            self._resolver_executor = ThreadPoolExecutor(max_workers=self._max_workers)
        except Exception:
            if self._executor is not None:
                self._executor.shutdown(cancel_futures=True, wait=True)
                self._executor = None
            self._stop_message_forwarding()
            raise
        return self

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        if not self._submitted.is_set():  # the flow run's context: its settings name the API
            self._submit_context = contextvars.copy_context()
            self._submitted.set()
        return super().submit(*args, **kwargs)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        if exc_type is not None and not issubclass(exc_type, Exception):
            # SIGTERM (Prefect's TerminationSignal), Ctrl-C, exit: the plans in progress stop
            # now -- shutting the pool down would first wait for each of them to end. A plan
            # cut short leaves only its staging folder, which the next run removes.
            executor = self._executor
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                with contextlib.suppress(OSError, ValueError):
                    process.terminate()
        super().__exit__(exc_type, exc_value, traceback)

    def cancel_all(self) -> None:
        submitted = getattr(self, "_submitted", None)
        if submitted is not None:
            submitted.set()  # a pool that ran nothing: its forwarder may stop
        super().cancel_all()

    def _forward_subprocess_messages(self) -> None:
        # Prefect forwards the workers' logs and events from a thread of its own, outside the
        # flow run's settings context: with the API URL only in that context (a temporary
        # server in a process that imported Prefect first) it would start an ephemeral server
        # of its own. It waits for the first task and runs in the context it was submitted in.
        self._submitted.wait()
        context = getattr(self, "_submit_context", None)
        if context is None:
            super()._forward_subprocess_messages()
        else:
            context.run(super()._forward_subprocess_messages)


@contextlib.contextmanager
def _workers_started(runner: TaskRunner) -> Iterator[TaskRunner]:
    """Yield ``runner``; a local process pool with its worker processes already starting."""
    if not isinstance(runner, WarmProcessPoolTaskRunner):
        yield runner
        return
    handle = runner.start_workers()
    try:
        yield handle
    finally:
        handle.stop_unused()


def local_workers(workers: int | None) -> int:
    """``workers``, else Prefect's ``tasks.runner.process_pool_max_workers`` setting (e.g. in
    prefect.toml), else one per core."""
    from prefect.settings import get_current_settings

    setting = get_current_settings().tasks.runner.process_pool_max_workers
    return max(1, workers or setting or os.cpu_count() or 1)


def task_runner(workers: int | None = None, dask_address: str | None = None,
                pages_at: tuple[Any, bytes] | None = None) -> TaskRunner:
    """The runner for :func:`folder_flow`.

    Reading a plan is CPU-bound Python (pdfplumber, the parser), so threads do not scale: plans
    run in ``workers`` processes of Prefect's process pool, forked from a fork server that
    imported Prefect and the stages once (:mod:`flows.workers`), which keep them loaded from plan
    to plan (started before the flow run by :func:`run_folder`, see
    :class:`WarmProcessPoolTaskRunner`); or on the existing Dask
    cluster at ``dask_address``. One worker: a thread (no process to start).
    """
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    n = local_workers(workers)
    if n == 1:
        return ThreadPoolTaskRunner(max_workers=1)
    return WarmProcessPoolTaskRunner(max_workers=n, initializer=worker_procs.warm_worker,
                                     initargs=(dict(os.environ), os.getpid(), *(pages_at or ())))


@contextlib.contextmanager
def _page_events(workers: int | None, dask_address: str | None,
                 pages: PageFn | None) -> Iterator[TaskRunner]:
    """Yield the task runner, with page events of the plans routed to ``pages``."""
    if pages is None or dask_address:
        yield task_runner(workers, dask_address)
        return
    if local_workers(workers) == 1:  # plans on a thread of this process: call it directly
        worker_procs.page_sink = pages
        try:
            yield task_runner(workers, dask_address)
        finally:
            worker_procs.page_sink = None
        return
    from multiprocessing.connection import Listener

    authkey = os.urandom(16)
    listener = Listener(("127.0.0.1", 0), authkey=authkey)

    def receive(conn: Any) -> None:
        with conn:
            while True:
                try:
                    item = conn.recv()
                except (EOFError, OSError):
                    return
                try:
                    pages(*item)
                except Exception:  # noqa: BLE001, S112 - a display glitch must not stop the batch
                    continue

    def accept() -> None:
        while True:
            try:
                conn = listener.accept()
            except (OSError, EOFError):
                return  # closed: the batch is over
            except Exception:  # noqa: BLE001, S112 - a stray or unauthenticated connection
                continue
            threading.Thread(target=receive, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, name="piao-page-events", daemon=True).start()
    try:
        yield task_runner(workers, dask_address, (listener.address, authkey))
    finally:
        listener.close()


def run_folder(
    folder: str | Path,
    out_dir: str | Path,
    options: stages.RunOptions | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
    refresh_cache: bool = False,
    progress: ProgressFn | None = None,
    pages: PageFn | None = None,
    return_state: bool = False,
) -> Any:
    """Run :func:`folder_flow` with the right task runner and Prefect settings; the outcomes
    (or, with ``return_state``, the flow run's final state)."""
    options = options or stages.RunOptions()
    prefect_env.start_temporary_server()  # starts while the rest is prepared
    set_progress(progress)
    try:
        # The worker processes start (and import the stages) while the API server starts.
        with prefect_env.prefect_settings(quiet=True, heartbeats=False), \
                _page_events(workers, dask_address, pages) as runner, \
                _workers_started(runner) as runner, prefect_env.api_server():
            state = folder_flow.with_options(task_runner=runner)(
                str(folder), str(out_dir), ocr=options.ocr, classification=options.classification,
                max_pages=options.max_pages, page_timeout=options.page_timeout,
                timeout=options.timeout, profile=options.profile,
                refresh_cache=refresh_cache, return_state=True,
            )
    finally:
        set_progress(None)
    return state if return_state else outcomes_of(state)


def run_one(path: str | Path, out_dir: str | Path, options: stages.RunOptions | None = None,
            refresh_cache: bool = False, return_state: bool = False) -> Any:
    """Run :func:`plan_flow` with piao's Prefect settings (quiet console, no heartbeats)."""
    options = options or stages.RunOptions()
    with prefect_env.prefect_settings(quiet=True, heartbeats=False), prefect_env.api_server():
        return plan_flow(str(path), str(out_dir), ocr=options.ocr,
                         classification=options.classification, max_pages=options.max_pages,
                         page_timeout=options.page_timeout, timeout=options.timeout,
                         profile=options.profile, refresh_cache=refresh_cache,
                         return_state=return_state)


if __name__ == "__main__":  # pragma: no cover - manual use: python -m flows.plan_flow PLAN OUT
    print(run_one(sys.argv[1], sys.argv[2]))
