"""The annual ingestion as Prefect deployments, served by a long-running process.

Two deployments of one flow, :func:`ingest_flow` (every plan of an inbox folder -> one
sub-folder of the output folder each, through :func:`flows.plan_flow.folder_flow`):

- ``piao-ingest/annuale``: once a year on a cron schedule (default ``0 7 15 2 *``: 15 February,
  07:00 -- the PIAO is adopted by 31 January);
- ``piao-ingest/inbox``: the inbox polled every ``--poll-minutes`` (default 60). An unchanged plan
  is not read again (the read is cached on the file's hash and the code version); its outputs
  are rewritten, which takes a second or two.

Usage (with a Prefect server running, see the README)::

    PREFECT_API_URL=http://127.0.0.1:4200/api \\
        python -m flows.deployment --inbox /srv/piao/inbox --out /srv/piao/out

Runs, their tasks, logs and the summary table of each run (an artifact) are in the Prefect UI.
A run where a plan could not be processed ends Failed, after the other plans were written.
"""

from __future__ import annotations

import os
import sys

from flows import prefect_env

prefect_env.configure(quiet=False)

from prefect import flow, serve
from prefect.artifacts import create_markdown_artifact

from flows.plan_flow import PlanOutcome, folder_flow, task_runner
from flows.run import RunOptions

DEFAULT_API_URL = "http://127.0.0.1:4200/api"
DEFAULT_CRON = "0 7 15 2 *"


def _markdown(outcomes: list[PlanOutcome]) -> str:
    from flows.batch import status_text

    lines = ["| File | Obiettivi | Errori | Avvisi | Stato |", "| --- | ---: | ---: | ---: | --- |"]
    for o in outcomes:
        objectives = "" if o.objectives is None else o.objectives
        lines.append(f"| {o.file} | {objectives} | {o.errors} | {o.warnings} | {status_text(o)} |")
    return "\n".join(lines)


@flow(name="piao-ingest", flow_run_name="piao ingest {inbox}", log_prints=True)
def ingest_flow(
    inbox: str,
    out_dir: str,
    ocr: str = "auto",
    classification: str | None = None,
    workers: int | None = None,
    dask_address: str | None = None,
) -> list[PlanOutcome]:
    """Every plan of ``inbox`` in parallel (sub-flow on local worker processes or a Dask cluster)."""
    options = RunOptions(ocr=ocr, classification=classification)
    runner = task_runner(workers, dask_address)
    outcomes = folder_flow.with_options(task_runner=runner)(
        inbox, out_dir, ocr=options.ocr, classification=options.classification,
        max_pages=options.max_pages, page_timeout=options.page_timeout,
    )
    create_markdown_artifact(key="piao-ingest-summary", markdown=_markdown(outcomes),
                             description="Piani elaborati")
    bad = [o for o in outcomes if o.status != "ok"]
    if bad:
        raise RuntimeError(f"{len(bad)} di {len(outcomes)} piani non elaborati: "
                           + "; ".join(f"{o.file}: {o.message}" for o in bad))
    return outcomes


def deployments(inbox: str, out_dir: str, cron: str = DEFAULT_CRON, poll_minutes: float = 60,
                workers: int | None = None, dask_address: str | None = None):
    parameters = {"inbox": inbox, "out_dir": out_dir, "workers": workers,
                  "dask_address": dask_address}
    yearly = ingest_flow.to_deployment(
        name="annuale", cron=cron, parameters=parameters,
        description="Ingestione annuale dei Piani della Performance dalla cartella inbox",
        tags=["piao"],
    )
    polled = ingest_flow.to_deployment(
        name="inbox", interval=poll_minutes * 60, parameters=parameters,
        description="La cartella inbox controllata periodicamente", tags=["piao"],
    )
    return yearly, polled


def _server_up(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url.rstrip("/") + "/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


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
    if not _server_up(url):
        print(f"piao: nessun server Prefect su {url}: avviarlo con `prefect server start` "
              "(o impostare PREFECT_API_URL)", file=sys.stderr)
        return 1
    from prefect.settings import temporary_settings

    with temporary_settings(updates={"api.url": url}):  # type: ignore[dict-item]
        serve(*deployments(os.path.abspath(args.inbox), os.path.abspath(args.out), args.cron,
                           args.poll_minutes, args.workers, args.dask_address))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
