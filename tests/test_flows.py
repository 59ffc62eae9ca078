"""The Prefect flows on the real example plans, with a real (temporary) Prefect server.

Every test process gets its own Prefect home under pytest's base temp (per xdist worker), so
runs in parallel never share a database or a cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PLAN_PDF = EXAMPLES / "chiari-2025.pdf"
PLAN_DOCX = EXAMPLES / "chiari-2025.docx"
CONTRACT_FILES = ["plan.json", "objectives.csv", "indicators.csv", "findings.csv",
                  "allocations.csv", "piano.xlsx", "verifica.docx", "allegato.docx"]


@pytest.fixture
def pf(prefect_home):
    from flows import plan_flow

    return plan_flow


def damaged_pdf(path: Path) -> Path:
    """The first 5 kB of the real plan: a PDF cut short (a broken download)."""
    path.write_bytes(PLAN_PDF.read_bytes()[:5000])
    return path


class Counter:
    """Wraps a stage function and counts its calls (tasks run in this process on 1 worker)."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


def test_one_plan_flow_writes_what_the_plain_pipeline_writes(pf, tmp_path):
    from flows.run import run_plan

    outcome = pf.run_one(PLAN_DOCX, tmp_path / "flow", refresh_cache=True)
    record = run_plan(PLAN_DOCX, tmp_path / "plain")

    assert outcome.status == "ok"
    for name in CONTRACT_FILES:
        assert (tmp_path / "flow" / name).is_file(), name
    flow_json = json.loads((tmp_path / "flow" / "plan.json").read_text(encoding="utf-8"))
    plain_json = json.loads((tmp_path / "plain" / "plan.json").read_text(encoding="utf-8"))
    # The tasks hold no logic: the flow's record is the plain pipeline's record.
    assert flow_json == plain_json
    assert outcome.objectives == len(record.objectives) > 0
    assert outcome.errors == sum(f.severity == "error" for f in record.findings)
    assert outcome.warnings == sum(f.severity == "warning" for f in record.findings)
    assert flow_json["source"]["sha256"] == hashlib.sha256(PLAN_DOCX.read_bytes()).hexdigest()


def test_unchanged_plan_is_not_read_twice(pf, tmp_path, monkeypatch):
    import flows.run

    counter = Counter(flows.run.extract)
    monkeypatch.setattr(flows.run, "extract", counter)
    plan = shutil.copy(PLAN_DOCX, tmp_path / "piano.docx")

    first = pf.run_one(plan, tmp_path / "a", refresh_cache=True)
    second = pf.run_one(plan, tmp_path / "b")

    assert counter.calls == 1, "the second run must take the record from the cache"
    assert (first.cached, second.cached) == (False, True)
    # The cached record is the whole record: the outputs are the same.
    assert (tmp_path / "a" / "plan.json").read_text(encoding="utf-8") == \
        (tmp_path / "b" / "plan.json").read_text(encoding="utf-8")
    assert second.objectives == first.objectives > 0

    # The same bytes under another name are read again and carry that name.
    copy = shutil.copy(PLAN_DOCX, tmp_path / "piano-copia.docx")
    third = pf.run_one(copy, tmp_path / "c")
    assert counter.calls == 2 and not third.cached
    source = json.loads((tmp_path / "c" / "plan.json").read_text(encoding="utf-8"))["source"]
    assert source["file"] == "piano-copia.docx"


def test_cache_key_follows_content_code_and_options(pf, tmp_path, monkeypatch):
    from flows.run import RunOptions

    plan = Path(shutil.copy(PLAN_DOCX, tmp_path / "piano.docx"))
    key = pf.extract_cache_key(None, {"path": str(plan), "options": RunOptions()})
    # A renamed copy is read again: its record must carry its own name (source.file).
    same_bytes = Path(shutil.copy(PLAN_DOCX, tmp_path / "altro-nome.docx"))
    assert pf.extract_cache_key(None, {"path": str(same_bytes), "options": RunOptions()}) != key
    moved = tmp_path / "altrove"
    moved.mkdir()
    same_name = Path(shutil.copy(PLAN_DOCX, moved / "piano.docx"))
    assert pf.extract_cache_key(None, {"path": str(same_name), "options": RunOptions()}) == key
    # The classification file does not change what is read...
    assert pf.extract_cache_key(
        None, {"path": str(plan), "options": RunOptions(classification="x.csv")}) == key
    # ...the reading options do,
    assert pf.extract_cache_key(None, {"path": str(plan), "options": RunOptions(ocr="always")}) != key
    # so does the content,
    plan.write_bytes(plan.read_bytes() + b"\0")
    changed = pf.extract_cache_key(None, {"path": str(plan), "options": RunOptions()})
    assert changed != key
    # and so does the code.
    monkeypatch.setattr(pf, "code_version", lambda: "another-version")
    assert pf.extract_cache_key(None, {"path": str(plan), "options": RunOptions()}) != changed
    # A missing file is not cached: the task runs and reports it.
    assert pf.extract_cache_key(None, {"path": str(tmp_path / "nope.pdf")}) is None


def test_code_version_hashes_the_stage_packages(pf):
    version = pf.code_version()
    assert len(version) == 16 and version == pf.code_version()
    pf.code_version.cache_clear()
    assert pf.code_version() == version  # stable across computations
    assert "flows" in pf.CODE_PACKAGES  # flows.run.extract is the cached function


def test_code_version_changes_with_a_source_or_data_file(pf, tmp_path, monkeypatch):
    package = tmp_path / "piao_stage_probe"
    package.mkdir()
    (package / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    (package / "patterns.yaml").write_text("a: 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(pf, "CODE_PACKAGES", ("piao_stage_probe",))
    pf.code_version.cache_clear()
    try:
        before = pf.code_version()
        (package / "notes.md").write_text("not code", encoding="utf-8")  # not a source file
        pf.code_version.cache_clear()
        assert pf.code_version() == before
        (package / "patterns.yaml").write_text("a: 2\n", encoding="utf-8")
        pf.code_version.cache_clear()
        assert pf.code_version() != before
    finally:
        pf.code_version.cache_clear()


def test_bad_input_fails_the_run_once_without_retries(pf, tmp_path, monkeypatch):
    import flows.run
    from pipeline.errors import InputError

    counter = Counter(flows.run.extract)
    monkeypatch.setattr(flows.run, "extract", counter)
    bad = damaged_pdf(tmp_path / "rotto.pdf")

    state = pf.run_one(bad, tmp_path / "out", refresh_cache=True, return_state=True)

    assert state.is_failed()
    err = state.result(raise_on_failure=False)
    assert isinstance(err, InputError) and err.path == str(bad)
    assert counter.calls == 1, "bad input must not be retried"
    assert not (tmp_path / "out").exists()


def test_write_is_retried_on_io_error_only(pf, tmp_path, monkeypatch):
    real_write = pf.write_outputs
    failures = {"left": 1}

    def flaky_write(record, out_dir):
        if failures["left"]:
            failures["left"] -= 1
            raise PermissionError(13, "file in uso da un altro programma", str(out_dir))
        return real_write(record, out_dir)

    counter = Counter(flaky_write)
    monkeypatch.setattr(pf, "write_outputs", counter)
    outcome = pf.run_one(PLAN_DOCX, tmp_path / "out")
    assert outcome.status == "ok" and counter.calls == 2
    assert (tmp_path / "out" / "plan.json").is_file()

    # A bug (not I/O) is not retried: it fails at the first attempt.
    def broken_write(record, out_dir):
        raise ValueError("bug")

    counter = Counter(broken_write)
    monkeypatch.setattr(pf, "write_outputs", counter)
    state = pf.run_one(PLAN_DOCX, tmp_path / "out2", return_state=True)
    assert state.is_failed() and counter.calls == 1


def test_folder_with_a_damaged_file_finishes_the_others(pf, tmp_path):
    folder = tmp_path / "piani"
    folder.mkdir()
    shutil.copy(PLAN_DOCX, folder / "chiari-2025.docx")
    shutil.copy(PLAN_DOCX, folder / "copia.docx")
    damaged_pdf(folder / "rotto.pdf")
    (folder / "note.txt").write_text("non un piano", encoding="utf-8")
    events = []

    outcomes = pf.run_folder(folder, tmp_path / "out", workers=1, refresh_cache=True,
                             progress=lambda f, s, o: events.append((f, s)))

    by_file = {o.file: o for o in outcomes}
    assert sorted(by_file) == ["chiari-2025.docx", "copia.docx", "rotto.pdf"]
    assert by_file["rotto.pdf"].status == "input-error" and by_file["rotto.pdf"].message
    for name in ("chiari-2025.docx", "copia.docx"):
        assert by_file[name].status == "ok" and by_file[name].objectives > 0
        assert (tmp_path / "out" / Path(name).stem / "plan.json").is_file()
    assert not (tmp_path / "out" / "rotto").exists()
    assert ("rotto.pdf", "failed") in events
    assert sum(stage == "done" for _, stage in events) == 2


def test_folder_on_a_dask_cluster_by_address(pf, tmp_path):
    import distributed  # a declared dependency: missing is a failure, not a skip
    folder = tmp_path / "piani"
    folder.mkdir()
    shutil.copy(PLAN_PDF, folder / "chiari.pdf")
    shutil.copy(PLAN_DOCX, folder / "chiari-word.docx")
    damaged_pdf(folder / "rotto.pdf")

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, \
            distributed.get_task_stream(client) as stream:
        outcomes = pf.run_folder(folder, tmp_path / "out", dask_address=cluster.scheduler_address,
                                 refresh_cache=True)
        workers = set(cluster.scheduler_info["workers"])

    by_file = {o.file: o for o in outcomes}
    assert by_file["rotto.pdf"].status == "input-error"
    assert by_file["chiari.pdf"].status == by_file["chiari-word.docx"].status == "ok"
    assert by_file["chiari.pdf"].objectives == by_file["chiari-word.docx"].objectives > 0
    for stem in ("chiari", "chiari-word"):
        assert (tmp_path / "out" / stem / "plan.json").is_file()
    # The work ran on the cluster's workers: one task per plan (its stages run inside it).
    ran = [t for t in stream.data if t.get("worker") in workers]
    assert len(ran) == 3


def test_deployments_for_the_annual_ingestion(prefect_home, tmp_path):
    from flows.deployment import DEFAULT_CRON, deployments

    yearly, polled = deployments(str(tmp_path / "inbox"), str(tmp_path / "out"), poll_minutes=30)
    assert (yearly.name, polled.name) == ("annuale", "inbox")
    # One run at a time per deployment: the next poll never overlaps a slow run.
    assert yearly.concurrency_limit == polled.concurrency_limit == 1
    assert yearly.schedules[0].schedule.cron == DEFAULT_CRON
    assert polled.schedules[0].schedule.interval.total_seconds() == 30 * 60
    assert yearly.parameters["inbox"] == str(tmp_path / "inbox")


def test_ingest_flow_writes_the_good_plans_and_fails_on_a_bad_one(pf, tmp_path, monkeypatch):
    from flows import prefect_env
    from flows.deployment import ingest_flow

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(PLAN_DOCX, inbox / "chiari-2025.docx")
    damaged_pdf(inbox / "rotto.pdf")
    with prefect_env.prefect_settings(quiet=True), prefect_env.api_server():
        state = ingest_flow(str(inbox), str(tmp_path / "out"), workers=1, return_state=True)
    assert state.is_failed()  # visible as Failed in the UI...
    assert "rotto.pdf" in state.message
    # ...after the good plan was written; the outcomes are the run's data.
    assert (tmp_path / "out" / "chiari-2025" / "plan.json").is_file()
    by_file = {o.file: o for o in state.result(raise_on_failure=False)}
    assert by_file["chiari-2025.docx"].status == "ok" and not by_file["chiari-2025.docx"].skipped
    assert by_file["rotto.pdf"].status == "input-error"

    # The next poll skips the plan already processed from the same bytes (sha256)...
    import flows.run

    counter = Counter(flows.run.extract)
    monkeypatch.setattr(flows.run, "extract", counter)
    written = (tmp_path / "out" / "chiari-2025" / "plan.json").stat().st_mtime_ns
    with prefect_env.prefect_settings(quiet=True), prefect_env.api_server():
        again = ingest_flow(str(inbox), str(tmp_path / "out"), workers=1, return_state=True)
    by_file = {o.file: o for o in again.result(raise_on_failure=False)}
    assert by_file["chiari-2025.docx"].skipped and by_file["chiari-2025.docx"].objectives > 0
    assert counter.calls == 1  # only the damaged file was tried again
    assert (tmp_path / "out" / "chiari-2025" / "plan.json").stat().st_mtime_ns == written
    # ...but not a changed file under the same name.
    (inbox / "chiari-2025.docx").write_bytes(PLAN_DOCX.read_bytes() + b"\0")
    from flows.plan_flow import already_processed

    assert already_processed(inbox / "chiari-2025.docx", tmp_path / "out" / "chiari-2025") is None


def test_prefect_is_offline_and_at_home(prefect_home, monkeypatch, tmp_path):
    from prefect.settings import get_current_settings

    from flows import prefect_env

    with prefect_env.prefect_settings(quiet=True):
        settings = get_current_settings()
        assert settings.server.analytics_enabled is False
        assert settings.telemetry.enable_resource_metrics is False
        assert settings.flows.heartbeat_frequency is None
        assert settings.home == prefect_home
    assert os.environ["DO_NOT_TRACK"] == "1"
    assert os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    # Where the home goes: $PIAO_PREFECT_HOME, else the user's $PREFECT_HOME, else ~/.cache.
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "mine"))
    assert prefect_env.prefect_home() == prefect_home
    monkeypatch.delenv("PIAO_PREFECT_HOME")
    assert prefect_env.prefect_home() == tmp_path / "mine"
    monkeypatch.delenv("PREFECT_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert prefect_env.prefect_home() == tmp_path / "cache" / "piao" / "prefect"


# --------------------------------------------------------------------------- what the server shows


def _eventually(fn, timeout: float = 60.0):
    """The server records task runs and logs from events, a moment after the run: poll."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_batch_on_worker_processes_as_the_prefect_server_shows_it(pf, tmp_path):
    """Two worker processes (Prefect's process pool): run names, tags, logs, artifacts, and a
    Failed run holding the outcomes, read back from the real (temporary) server."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterId,
        LogFilter,
        LogFilterFlowRunId,
    )

    from flows import prefect_env

    folder = tmp_path / "piani"
    folder.mkdir()
    shutil.copy(PLAN_DOCX, folder / "chiari-2025.docx")
    shutil.copy(PLAN_PDF, folder / "chiari-pdf.pdf")
    damaged_pdf(folder / "rotto.pdf")
    pages, events = [], []

    state = pf.run_folder(folder, tmp_path / "out", workers=2, refresh_cache=True,
                          progress=lambda f, s, o: events.append((f, s)),
                          pages=lambda *event: pages.append(event), return_state=True)

    # A plan failed: the run is Failed, and still carries every plan's outcome.
    assert state.is_failed() and "rotto.pdf" in state.message
    by_file = {o.file: o for o in pf.outcomes_of(state)}
    assert by_file["rotto.pdf"].status == "input-error"
    record = json.loads((tmp_path / "out" / "chiari-pdf" / "plan.json").read_text(encoding="utf-8"))
    assert by_file["chiari-pdf.pdf"].objectives == len(record["objectives"]) > 0
    assert (by_file["chiari-pdf.pdf"].entity, by_file["chiari-pdf.pdf"].year) == \
        (record["plan"]["entity"], record["plan"]["year"])
    # Page events came back from the worker processes, page by page.
    n_pages = record["source"]["pages"]
    read = [done for f, stage, done, total in pages if f == "chiari-pdf.pdf" and stage == "read"]
    assert read and max(read) == n_pages and len(read) >= n_pages // 2
    assert ("rotto.pdf", "failed") in events and ("chiari-2025.docx", "done") in events

    run_id = state.state_details.flow_run_id
    tag_entity, tag_year = f"ente:{record['plan']['entity']}", f"anno:{record['plan']['year']}"
    with prefect_env.prefect_settings(quiet=True), prefect_env.api_server(), \
            get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(run_id)
        assert flow_run.name == "piao batch piani"
        assert flow_run.state.is_failed()
        assert {tag_entity, tag_year} <= set(flow_run.tags)

        in_run = FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
        task_runs = _eventually(lambda: [t for t in client.read_task_runs(flow_run_filter=in_run)
                                         if t.state and t.state.is_final()])
        names = {t.name: t for t in task_runs}
        # One task per plan, named after its file; its stages are nested runs.
        assert {"chiari-2025.docx", "chiari-pdf.pdf", "rotto.pdf"} <= set(names)
        assert names["rotto.pdf"].state.is_failed()
        assert names["chiari-pdf.pdf"].state.is_completed()
        assert "lettura chiari-pdf.pdf" in names
        checks = [t for name, t in names.items() if name.startswith("verifiche e scrittura")]
        assert len(checks) == 2
        # The entity and year tag the flow run (above), not the task runs: a tagged task run
        # waits for Prefect's tag concurrency slots (flows/plan_flow.py).
        assert not any(t.tags for t in task_runs)

        artifacts = {a.key: a for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))}
        findings = json.loads(artifacts["piao-rilievi-chiari-pdf"].data)
        assert len(findings) == len(record["findings"])
        assert {row["messaggio"] for row in findings} == {f["message"] for f in record["findings"]}
        links = artifacts["piao-risultati-chiari-pdf"].data
        assert (tmp_path / "out" / "chiari-pdf" / "verifica.docx").resolve().as_uri() in links
        summary = json.loads(artifacts["piao-batch-summary"].data)
        assert {row["file"] for row in summary} == {"chiari-2025.docx", "chiari-pdf.pdf", "rotto.pdf"}

        # Poll for this plan's line itself: the other plan's may reach the server first.
        logs = _eventually(lambda: [log.message for log in client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
            if log.message.startswith("chiari-pdf.pdf: rilievi:")])
        assert logs


def test_cached_read_lives_in_the_configured_result_storage(pf, tmp_path):
    from datetime import timedelta

    from prefect.settings import temporary_settings

    assert pf.extract_task.cache_expiration == timedelta(days=pf.CACHE_DAYS)
    store = tmp_path / "condivisa"
    plan = shutil.copy(PLAN_DOCX, tmp_path / "piano.docx")
    with temporary_settings(updates={"results.local_storage_path": store}):
        outcome = pf.run_one(plan, tmp_path / "out", refresh_cache=True)
    assert outcome.status == "ok"
    key = pf.extract_cache_key(None, {"path": str(plan), "options": pf.stages.RunOptions()})
    assert (store / key).is_file()  # workers on other machines find it there


def test_down_prefect_server_is_one_line_and_exit_1(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path / "piani"
    folder.mkdir()
    shutil.copy(PLAN_DOCX, folder / "chiari-2025.docx")
    env = {**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           "PIAO_PREFECT_HOME": str(tmp_path / "home")}
    done = subprocess.run([sys.executable, "-m", "flows.cli", "batch", str(folder), "--out",
                           str(tmp_path / "out")], env=env, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "PREFECT_API_URL" in lines[0] and str(port) in lines[0]
    assert not (tmp_path / "out").exists()


def test_process_pool_workers_start_before_the_flow_run(pf):
    """``piao batch`` starts its worker processes while the server starts: the flow engine
    enters a duplicate of the runner it is given, and for the handle that is the pool already
    started, once. The handle still pickles (the flow carries its runner to the workers)."""
    import multiprocessing
    import pickle

    def children() -> set[int]:
        return {p.pid for p in multiprocessing.active_children()}

    before = children()
    handle = pf.WarmProcessPoolTaskRunner(max_workers=2).start_workers()
    try:
        started_now = children() - before
        assert len(started_now) == 2  # before any flow run
        assert isinstance(pickle.loads(pickle.dumps(handle)), pf.WarmProcessPoolTaskRunner)
        taken = handle.duplicate()
        assert handle.duplicate() is not taken  # only the first duplicate is the started pool
        with taken as runner:  # what the flow engine does with it
            assert runner is taken and children() - before == started_now  # no new workers
        assert not (children() & started_now)  # stopped with the flow run
    finally:
        handle.stop_unused()


def test_started_pool_no_flow_took_is_stopped(pf):
    import multiprocessing

    before = {p.pid for p in multiprocessing.active_children()}
    handle = pf.WarmProcessPoolTaskRunner(max_workers=2).start_workers()
    started = {p.pid for p in multiprocessing.active_children()} - before
    assert len(started) == 2
    handle.stop_unused()  # e.g. the server did not start
    assert not ({p.pid for p in multiprocessing.active_children()} & started)


def test_temporary_server_url_is_in_the_environment_before_prefect_is_imported(tmp_path):
    """Prefect's own threads read the settings loaded at import: a batch exports its temporary
    server's URL before importing Prefect, so none of them starts an ephemeral server."""
    import subprocess
    import sys

    code = ("import os, sys\n"
            "from flows import prefect_env\n"
            "server = prefect_env.start_temporary_server()\n"
            "server.stop()\n"
            "print(os.environ.get('PREFECT_API_URL') == server.url, 'prefect' in sys.modules)\n")
    env = {**os.environ, "PIAO_PREFECT_HOME": str(tmp_path / "home")}
    env.pop("PREFECT_API_URL", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parent.parent, check=True)
    assert done.stdout.split() == ["True", "False"]
