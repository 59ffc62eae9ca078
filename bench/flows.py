"""Benchmark of the Prefect flows (section ``flows`` of scripts/benchmark.py).

Figures, in one run:

- Prefect's temporary server start: on a fresh home (database created) and on a warm one,
  each in a fresh process (that is what ``piao batch`` pays once per run when no
  ``PREFECT_API_URL`` is set); ``piao run`` never pays it (plain function calls).
- ``piao batch`` on a folder of 20 plans (copies of examples/chiari-2025.pdf and .docx), 1 vs 2
  workers, each in a new process: what a user waits for, the server start included.
- The same folder on 1 worker vs 2 workers, through :func:`flows.plan_flow.run_folder` with the cache bypassed (the copies are identical,
  they would otherwise be read once). Measured after the server is up, so both include the
  task-runner start (for 2 workers: the local Dask cluster) but not the server start. 1 worker
  is what ``piao batch --workers 1`` does (a thread, no process to start). The same files are
  also run through the bare stage functions in a plain pool of 1 and 2 processes, each plan on
  one core (``PIAO_FORK=0``): the speed-up the machine itself allows at that moment. The CPU
  seconds of every process of the two runs (this one, the Prefect server, the Dask workers) are
  printed, and from them the best speed-up the 2-worker run's CPU could give on these cores:
  what Prefect and Dask cost per plan, beside the stages' own work.
- One plan through :func:`flows.plan_flow.plan_flow` vs the same stage functions called
  directly (best of 3 each; the server start excluded, said so in the label), and the flow on
  an unchanged plan (the cached read).

The Prefect home is a temporary folder (``PIAO_PREFECT_HOME``), removed at the end.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ROOT / "examples" / "chiari-2025.pdf", ROOT / "examples" / "chiari-2025.docx"]
N_PLANS = 20

_SERVER_START = """
import time
from flows import prefect_env
prefect_env.configure(quiet=True)
t = time.perf_counter()
with prefect_env.prefect_settings(), prefect_env.api_server():
    print(time.perf_counter() - t)
"""


def _server_start(home: Path) -> float:
    env = {**os.environ, "PIAO_PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    out = subprocess.run([sys.executable, "-c", _SERVER_START], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _batch_cli(folder: Path, out: Path, workers: int, home: Path) -> float:
    """Wall time of ``piao batch`` in a new process, as a user waits for it: the temporary
    server's start (warm home) and, for 2 workers, the local Dask cluster's start included."""
    env = {**os.environ, "PIAO_PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    cmd = [sys.executable, "-m", "flows.cli", "batch", str(folder), "--out", str(out),
           "--workers", str(workers), "--refresh-cache", "--quiet"]
    t = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, timeout=1800, check=True)
    return time.perf_counter() - t


def _folder(tmp: Path) -> Path:
    folder = tmp / "plans"
    folder.mkdir(parents=True)
    for i in range(N_PLANS):
        src = EXAMPLES[i % len(EXAMPLES)]
        shutil.copy(src, folder / f"plan-{i + 1:02d}{src.suffix}")
    return folder


def _one_plan(args: tuple[str, str]) -> None:
    from flows.run import run_plan

    run_plan(*args)


def _one_core() -> None:
    # A pool process may fork (PDF pages, verifica.docx): then "1 process" would use 2 cores.
    os.environ["PIAO_FORK"] = "0"


def _plain_pool(files: list[Path], out: Path, processes: int) -> float:
    """Wall time of the stage functions over ``files`` in a plain process pool (warmed first),
    each plan on one core, as in a batch worker."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(str(f), str(out / f.stem)) for f in files]
    # spawn, not fork: this process runs Prefect's threads.
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_one_core) as pool:
        list(pool.map(_one_plan, [(str(files[0]), str(out / "warm"))] * processes))
        t = time.perf_counter()
        list(pool.map(_one_plan, jobs))
        return time.perf_counter() - t


class CpuMeter:
    """CPU seconds of this process and of its children (the Prefect server, Dask workers), by
    role, sampled in a thread: Dask workers exit with their cluster, before anyone could ask."""

    def __init__(self) -> None:
        import psutil  # a dependency of distributed

        self._me = psutil.Process()
        self._last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _role(self, proc) -> str:
        if proc.pid == self._me.pid:
            return "this process (flow + 1-worker tasks)"
        cmd = " ".join(proc.cmdline())
        if "uvicorn" in cmd:
            return "Prefect server"
        if "spawn_main" in cmd:
            return "Dask workers"
        return "other"

    def _sample(self) -> None:
        while True:
            for proc in [self._me, *self._me.children(recursive=True)]:
                try:
                    t = proc.cpu_times()
                    self._last[proc.pid] = (self._role(proc), t.user + t.system)
                except Exception:  # noqa: BLE001, S112 - it exited between listing and reading
                    continue
            if self._stop.wait(0.2):
                return

    def __enter__(self) -> Self:
        self._thread.start()
        time.sleep(0.3)
        self._start = dict(self._last)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def by_role(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for pid, (role, cpu) in self._last.items():
            out[role] = out.get(role, 0.0) + cpu - self._start.get(pid, (role, 0.0))[1]
        return {k: v for k, v in out.items() if v >= 0.05}


def _load() -> str:
    """Other jobs on the machine change every figure: say how busy it was."""
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _best(fn, repeat: int = 3) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), times


def run() -> list[tuple[str, str]]:
    cores = f"load average (1/5/15 min) at start, on {os.cpu_count()} cores"
    rows: list[tuple[str, str]] = [(cores, _load())]
    tmp = Path(tempfile.mkdtemp(prefix="piao-bench-flows-"))
    saved = {k: os.environ.get(k) for k in ("PIAO_PREFECT_HOME", "PREFECT_HOME")}
    try:
        home = tmp / "prefect-home"
        fresh = _server_start(home)
        warm = _server_start(home)
        rows.append(("Prefect temporary server start, fresh home (new process)", f"{fresh:.1f} s"))
        rows.append(("Prefect temporary server start, warm home (new process)", f"{warm:.1f} s"))

        cli_folder = _folder(tmp / "cli")
        cli = {n: _batch_cli(cli_folder, tmp / "cli" / f"out-{n}", n, home) for n in (1, 2)}
        label = f"piao batch, {N_PLANS} plans, new process (server start included): 1 / 2 workers"
        rows.append((label, f"{cli[1]:.1f} s / {cli[2]:.1f} s = {cli[1] / cli[2]:.2f}x"))

        os.environ["PIAO_PREFECT_HOME"] = str(home)
        from flows import prefect_env

        prefect_env.configure(quiet=True)
        from flows import plan_flow as pf
        from flows.run import RunOptions, run_plan

        with prefect_env.prefect_settings(quiet=True), prefect_env.api_server():
            folder = _folder(tmp)
            pdfs = sum(p.suffix == ".pdf" for p in folder.iterdir())
            label = f"{N_PLANS} plans ({pdfs} PDF, {N_PLANS - pdfs} DOCX)"
            times, cpu = {}, {}
            for workers in (1, 2):
                with CpuMeter() as meter:
                    t = time.perf_counter()
                    outcomes = pf.run_folder(folder, tmp / f"out-{workers}", workers=workers,
                                             refresh_cache=True)
                    times[workers] = time.perf_counter() - t
                cpu[workers] = meter.by_role()
                bad = [o.file for o in outcomes if o.status != "ok"]
                note = f"  ({len(bad)} failed!)" if bad else ""
                rows.append((f"{label}, {workers} worker{'s' if workers > 1 else ''}",
                             f"{times[workers]:.1f} s{note}"))
                rows.append(("  CPU s by process", ", ".join(f"{k} {v:.1f}" for k, v in cpu[workers].items())))
            speedup = times[1] / times[2]
            rows.append(("speed-up 2 workers vs 1 (target >= 1.8x)",
                         f"{speedup:.2f}x {'OK' if speedup >= 1.8 else 'BELOW TARGET'}"))
            # Every process of the 2-worker run competes for the same 2 cores: its total CPU / 2
            # is the shortest it could have taken, so 1-worker time / that is its best speed-up.
            bound = sum(cpu[2].values()) / (os.cpu_count() or 1)
            rows.append(("best speed-up the 2-worker run's CPU allows (1 worker / (CPU/cores))",
                         f"{times[1] / bound:.2f}x"))
            # The machine's own ceiling, same files, same stages, no Prefect: plain worker
            # processes (other jobs on a shared machine lower it; compare the two speed-ups).
            plain = {n: _plain_pool(sorted(folder.iterdir()), tmp / f"plain-{n}", n) for n in (1, 2)}
            rows.append((f"{label}, no Prefect: 1 / 2 plain processes",
                         f"{plain[1]:.1f} s / {plain[2]:.1f} s = {plain[1] / plain[2]:.2f}x"))

            plan = EXAMPLES[0]
            options = RunOptions()

            def direct() -> None:
                run_plan(plan, tmp / "direct", options)

            def flow() -> None:
                pf.plan_flow(str(plan), str(tmp / "flow"), refresh_cache=True)

            def cached() -> None:
                pf.plan_flow(str(plan), str(tmp / "flow"))

            direct()  # warm the imports and lazy models for both sides
            d_all, f_all = [], []
            for _ in range(3):  # interleaved, so a change of machine load hits both sides
                d_all.append(_best(direct, 1)[0])
                f_all.append(_best(flow, 1)[0])
            d_best, f_best = min(d_all), min(f_all)
            c_best, _ = _best(cached)
            over = (f_best / d_best - 1) * 100
            rows.append((f"one plan ({plan.name}), stages called directly",
                         f"{d_best:.2f} s (best of 3; median {statistics.median(d_all):.2f})"))
            rows.append(("one plan through plan_flow (server already up)",
                         f"{f_best:.2f} s (best of 3; median {statistics.median(f_all):.2f})"))
            rows.append(("flow overhead per plan (target <= 10%)",
                         f"{over:+.1f}% {'OK' if over <= 10 else 'ABOVE TARGET'}"))
            rows.append(("one unchanged plan through plan_flow (cached read)", f"{c_best:.2f} s"))
        rows.append(("load average (1/5/15 min) at the end", _load()))
    finally:
        for key, value in saved.items():  # the temporary home is removed below
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


if __name__ == "__main__":
    for label, figure in run():
        print(f"  {label:<58} {figure}", flush=True)
