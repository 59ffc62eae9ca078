"""The annual ingestion as Prefect deployments, served by a long-running process.

Two deployments of one flow, :func:`ingest_flow` (every plan of an inbox folder -> one
sub-folder of the output folder each, through :func:`flows.plan_flow.folder_flow`):

- ``piao-ingest/annuale``: once a year on a cron schedule (default ``0 7 15 2 *``: 15 February,
  07:00 -- the PIAO is adopted by 31 January);
- ``piao-ingest/inbox``: the inbox polled every ``--poll-minutes`` (default 60). A plan whose
  outputs were already written from the same file (the sha256 in its ``plan.json``) is skipped;
  delete its sub-folder to have it processed again.

Each deployment runs one flow run at a time (``concurrency_limit``): a slow run is never
overlapped by the next poll.

Usage (with a Prefect server running, see the README)::

    PREFECT_API_URL=http://127.0.0.1:4200/api \\
        python -m flows.deployment --inbox /srv/piao/inbox --out /srv/piao/out

Runs, their tasks, logs and artifacts (the summary table of each run; per plan, the findings
table and the links to its outputs) are in the Prefect UI. A run where a plan could not be
processed ends Failed, after the other plans were written.
"""

from __future__ import annotations

import os
import sys

from flows import prefect_env

prefect_env.configure(quiet=False)

from typing import Any

from prefect import flow, serve
from prefect.states import Failed

from flows.plan_flow import folder_flow, outcomes_of, task_runner
from flows.run import RunOptions

DEFAULT_API_URL = "http://127.0.0.1:4200/api"
DEFAULT_CRON = "0 7 15 2 *"
#: Runs of one deployment at a time: an hourly poll never overlaps a slow previous run.
CONCURRENCY_LIMIT = 1


@flow(name="piao-ingest", flow_run_name="piao ingest {inbox}", log_prints=True)
def ingest_flow(
    inbox: str,
    out_dir: str,
    ocr: str = "auto",
    classification: str | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
) -> Any:
    """The new plans of ``inbox`` in parallel (sub-flow on local worker processes or a Dask
    cluster); a plan whose outputs were already written from the same file (sha256) is skipped.
    Ends Failed, with the outcomes as its data, when a plan could not be processed."""
    options = RunOptions(ocr=ocr, classification=classification)
    runner = task_runner(workers, dask_address)
    state = folder_flow.with_options(task_runner=runner)(
        inbox, out_dir, ocr=options.ocr, classification=options.classification,
        max_pages=options.max_pages, page_timeout=options.page_timeout, skip_processed=True,
        return_state=True,
    )
    outcomes = outcomes_of(state)
    skipped = sum(o.skipped for o in outcomes)
    print(f"{len(outcomes) - skipped} piani elaborati, {skipped} già elaborati (saltati)")
    if state.is_failed():
        return Failed(message=state.message, data=outcomes)
    return outcomes


def deployments(inbox: str, out_dir: str, cron: str = DEFAULT_CRON, poll_minutes: float = 60,
                workers: int | None = None, dask_address: str | None = None):
    parameters = {"inbox": inbox, "out_dir": out_dir, "workers": workers,
                  "dask_address": dask_address}
    yearly = ingest_flow.to_deployment(
        name="annuale", cron=cron, parameters=parameters,
        description="Ingestione annuale dei Piani della Performance dalla cartella inbox",
        tags=["piao"], concurrency_limit=CONCURRENCY_LIMIT,
    )
    polled = ingest_flow.to_deployment(
        name="inbox", interval=poll_minutes * 60, parameters=parameters,
        description="La cartella inbox controllata periodicamente", tags=["piao"],
        concurrency_limit=CONCURRENCY_LIMIT,
    )
    return yearly, polled


def main(argv: list[str] | None = None) -> int:
    from flows.cliparse import ItalianArgumentParser

    parser = ItalianArgumentParser(prog="python -m flows.deployment",
                                   description="Avvia le deployment di ingestione annuale dei piani.")
    parser.add_argument("--inbox", required=True, help="cartella in cui arrivano i nuovi piani")
    parser.add_argument("--out", required=True, help="cartella dei risultati (una sotto-cartella per piano)")
    parser.add_argument("--cron", default=DEFAULT_CRON, help=f"pianificazione annuale (predefinita {DEFAULT_CRON!r})")
    parser.add_argument("--poll-minutes", type=float, default=60, help="minuti tra due controlli della cartella inbox")
    parser.add_argument("--workers", type=int, default=None, help="piani elaborati insieme (predefinito: uno per core)")
    parser.add_argument("--dask-address", help="elabora i piani su questo cluster Dask")
    args = parser.parse_args(argv)

    # Served runs must outlive this process: a real server, never the temporary one.
    url = os.environ.setdefault("PREFECT_API_URL", DEFAULT_API_URL)
    try:
        prefect_env.check_api(url)
    except prefect_env.PrefectUnavailable as err:
        print(f"piao: {err}", file=sys.stderr)
        return 1
    from prefect.settings import temporary_settings

    with temporary_settings(updates={"api.url": url}):  # type: ignore[dict-item]
        serve(*deployments(os.path.abspath(args.inbox), os.path.abspath(args.out), args.cron,
                           args.poll_minutes, args.workers, args.dask_address))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
