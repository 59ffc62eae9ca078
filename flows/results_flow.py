"""Prefect flows for the year end: one plan (:func:`results_flow`) and a folder (:func:`results_folder_flow`).

The tasks wrap the stage functions of :mod:`flows.results` and hold no logic of their own:
``read-results`` (plan.json + results file, never retried: bad input stays bad), ``apply-results``
(pure) and ``write-results`` (retried on I/O errors only, like ``write-outputs``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flows import prefect_env

prefect_env.configure(quiet=False)

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed

from flows import results as stages
from flows.plan_flow import PlanOutcome, _failure, retry_on_io_error
from pipeline.record import PlanRecord
from pipeline.results import ResultsFile


@task(name="read-results", retries=0, cache_policy=NO_CACHE, persist_result=False,
      task_run_name="read {results_path}")
def read_task(plan_json: str, results_path: str) -> tuple[PlanRecord, ResultsFile]:
    return stages.read_inputs(plan_json, results_path)


@task(name="apply-results", retries=0, cache_policy=NO_CACHE, persist_result=False, task_run_name="apply")
def apply_task(inputs: tuple[PlanRecord, ResultsFile]) -> PlanRecord:
    return stages.apply(*inputs)


@task(name="write-results", retries=2, retry_delay_seconds=1, retry_condition_fn=retry_on_io_error,
      cache_policy=NO_CACHE, persist_result=False, task_run_name="write {out_dir}")
def write_task(record: PlanRecord, out_dir: str) -> str:
    stages.write(record, out_dir)
    return out_dir


@flow(name="piao-results", flow_run_name="piao results {results_path}", validate_parameters=True)
def results_flow(plan_json: str, results_path: str, out_dir: str) -> PlanOutcome:
    """One plan's year end: read -> apply -> write. Bad input fails the run (no retries)."""
    record = apply_task(read_task(plan_json, results_path))
    write_task(record, out_dir)
    return PlanOutcome.of_record(Path(results_path).name, out_dir, record, cached=False)


@flow(name="piao-results-batch", flow_run_name="piao results {results_dir}", validate_parameters=True)
def results_folder_flow(plans_dir: str, results_dir: str, out_dir: str) -> list[PlanOutcome]:
    """Every ``results_dir/STEM.csv|xlsx`` against ``plans_dir/STEM/plan.json`` -> ``out_dir/STEM/``.

    A plan whose stage fails is reported in its outcome; the others go on.
    """
    pairs = stages.results_pairs(plans_dir, results_dir)
    outcomes: dict[str, PlanOutcome] = {}
    pending: dict[PrefectFuture, tuple[str, Path, str, Any]] = {}
    for stem, plan_json, results_path in pairs:
        pending[read_task.submit(str(plan_json), str(results_path))] = (stem, results_path, "read", None)
    while pending:
        future = next(as_completed(list(pending)))
        stem, results_path, stage, payload = pending.pop(future)
        failure = _failure(future)
        if failure is not None:
            outcomes[stem] = PlanOutcome.of_error(results_path.name, failure)
        elif stage == "read":
            pending[apply_task.submit(future.result())] = (stem, results_path, "apply", None)
        elif stage == "apply":
            record = future.result()
            target = str(Path(out_dir) / stem)
            pending[write_task.submit(record, target)] = (stem, results_path, "write", record)
        else:
            outcomes[stem] = PlanOutcome.of_record(results_path.name, future.result(), payload, cached=False)
    return [outcomes[stem] for stem, _, _ in pairs]


def run_results_folder(plans_dir: str | Path, results_dir: str | Path, out_dir: str | Path) -> list[PlanOutcome]:
    """Run :func:`results_folder_flow` with piao's Prefect settings (quiet console, no heartbeats)."""
    with prefect_env.prefect_settings(quiet=True, heartbeats=False), prefect_env.api_server():
        return results_folder_flow(str(plans_dir), str(results_dir), str(out_dir))


def run_results_one(plan_json: str | Path, results_path: str | Path, out_dir: str | Path,
                    return_state: bool = False) -> Any:
    """Run :func:`results_flow` with piao's Prefect settings."""
    with prefect_env.prefect_settings(quiet=True, heartbeats=False), prefect_env.api_server():
        return results_flow(str(plan_json), str(results_path), str(out_dir), return_state=return_state)
