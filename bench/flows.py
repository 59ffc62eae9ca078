"""Benchmark of the Prefect flows (section ``flows`` of scripts/benchmark.py).

Figures, in one run:

- Prefect's temporary server start (``prefect server start`` on a free loopback port, until
  ``/api/health`` answers), on a fresh home (database created) and on a warm one, each in a new
  process: what ``piao batch`` pays once per run when no ``PREFECT_API_URL`` is set.
- The comparison a user makes (issue 17): 12 plans (copies of examples/chiari-2025.pdf and
  .docx), ``piao batch --workers 2`` on a warm Prefect home -- a new process, its server start
  included, every plan read again (``--refresh-cache``) -- against the same files run two at a
  time as bare ``piao run`` processes (``xargs -P 2``). Interleaved, ``ROUNDS`` rounds, so a
  change of machine load hits both sides; the ratio batch / xargs is printed per round and for
  the medians (goal <= 0.85), with the CPU time of every process of each arm (server, workers,
  forked children, and the fork server and workers that outlive the batch by a moment: this
  process becomes their reaper; less sensitive than wall time to other jobs on a shared
  machine). A third arm runs the same batch against a long-running ``prefect server start``
  (``PREFECT_API_URL``, as a deployment has), the server's CPU during the batch counted. Every
  arm must write the same files.
- One plan through :func:`flows.plan_flow.plan_flow` vs the same stage functions called
  directly (best of 3 each, interleaved; the server start excluded, said so in the label), and
  the flow on an unchanged plan (the cached read).

The Prefect home is a temporary folder (``PIAO_PREFECT_HOME``), removed at the end. Other jobs on
the machine change every figure: the load average is printed at the start and the end.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [ROOT / "examples" / "chiari-2025.pdf", ROOT / "examples" / "chiari-2025.docx"]
N_PLANS = 12
WORKERS = 2
ROUNDS = int(os.environ.get("PIAO_BENCH_ROUNDS", "2"))
GOAL = 0.85

_SERVER_START = """
import time
t = time.perf_counter()
from flows import prefect_env
prefect_env.configure(quiet=True)
with prefect_env.prefect_settings(), prefect_env.api_server():
    print(time.perf_counter() - t)
"""


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "PIAO_PREFECT_HOME": str(home)}
    env.pop("PREFECT_API_URL", None)
    return env


def _server_start(home: Path) -> float:
    out = subprocess.run([sys.executable, "-c", _SERVER_START], env=_env(home), cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _folder(tmp: Path) -> Path:
    folder = tmp / "plans"
    folder.mkdir(parents=True)
    for i in range(N_PLANS):
        src = EXAMPLES[i % len(EXAMPLES)]
        shutil.copy(src, folder / f"plan-{i + 1:02d}{src.suffix}")
    return folder


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: prctl(2): orphaned descendants are re-parented to this process, not to init.
PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (Linux), so that the CPU time of
    a process its parent never waits for -- the batch's fork server and the workers forked from
    it outlive the batch process by a moment -- is still counted in RUSAGE_CHILDREN."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children() -> frozenset[int]:
    import psutil

    return frozenset(c.pid for c in psutil.Process().children())


def _reap(keep: frozenset[int] = frozenset(), limit: float = 60.0) -> None:
    """Wait for every child of this process (adopted orphans included) but ``keep`` to end."""
    import psutil

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        left = [c.pid for c in psutil.Process().children() if c.pid not in keep]
        if not left:
            return
        for pid in left:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.05)


def _timed(cmd: list[str], **kwargs) -> tuple[float, float]:
    """Wall time of ``cmd`` and the CPU time of every process it started (server, fork server,
    workers, forks), once they have all ended (children this process had before are not its)."""
    before = _children()
    cpu, t = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=1800, check=True, **kwargs)
    wall = time.perf_counter() - t
    _reap(before)
    return wall, _children_cpu() - cpu


def _batch(folder: Path, out: Path, home: Path, server=None) -> tuple[float, float]:
    """Wall and CPU time of ``piao batch`` in a new process, as a user waits for it: with its
    own temporary server, or with ``server`` (a running ``prefect server start``, named by
    ``PREFECT_API_URL``), whose CPU time during the batch is counted too."""
    cmd = [sys.executable, "-m", "flows.cli", "batch", str(folder), "--out", str(out),
           "--workers", str(WORKERS), "--refresh-cache", "--quiet"]
    if server is None:
        return _timed(cmd, env=_env(home))
    import psutil

    proc = psutil.Process(server.process.pid)
    before = sum(proc.cpu_times()[:2])
    wall, cpu = _timed(cmd, env={**_env(home), "PREFECT_API_URL": server.url})
    return wall, cpu + sum(proc.cpu_times()[:2]) - before


def _xargs(folder: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU time of ``xargs -P 2 piao run`` over the same files (a process per plan)."""
    pairs = b"".join(f"{f}\0{out / f.stem}\0".encode() for f in sorted(folder.iterdir()))
    script = f'exec "{sys.executable}" -m flows.cli run "$0" --out "$1" --quiet'
    cmd = ["xargs", "-0", "-n", "2", "-P", str(WORKERS), "sh", "-c", script]
    return _timed(cmd, input=pairs)


def _written(out: Path) -> list[str]:
    """Every file an arm wrote, relative to its output folder (both arms must write the same)."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def _load() -> str:
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
    rows: list[tuple[str, str]] = [
        (f"load average (1/5/15 min) at start, on {os.cpu_count()} cores", _load())]
    if not _become_subreaper():
        rows.append(("note", "not Linux: the CPU of processes outliving the batch is not counted"))
    tmp = Path(tempfile.mkdtemp(prefix="piao-bench-flows-"))
    saved = {k: os.environ.get(k) for k in ("PIAO_PREFECT_HOME", "PREFECT_HOME")}
    try:
        home = tmp / "prefect-home"
        fresh = _server_start(home)
        warm = _server_start(home)
        rows.append(("Prefect temporary server start, fresh home (new process)", f"{fresh:.1f} s"))
        rows.append(("Prefect temporary server start, warm home (new process)", f"{warm:.1f} s"))

        folder = _folder(tmp)
        pdfs = sum(p.suffix == ".pdf" for p in folder.iterdir())
        label = f"{N_PLANS} plans ({pdfs} PDF, {N_PLANS - pdfs} DOCX), {WORKERS} at a time"
        # A long-running server, as a deployment or a Prefect user has (PREFECT_API_URL).
        os.environ["PIAO_PREFECT_HOME"] = str(home)
        from flows import prefect_env

        running = prefect_env.TemporaryServer()
        running.wait()
        arms: dict[str, tuple[list[float], list[float]]] = {
            "xargs": ([], []), "batch": ([], []), "batch-server": ([], [])}
        for k in range(ROUNDS):  # interleaved: a change of load hits every arm
            for arm, measure in (("xargs", lambda out: _xargs(folder, out)),
                                 ("batch", lambda out: _batch(folder, out, home)),
                                 ("batch-server", lambda out: _batch(folder, out, home, running))):
                wall, cpu = measure(tmp / f"{arm}-{k}")
                arms[arm][0].append(wall)
                arms[arm][1].append(cpu)
                if _written(tmp / f"{arm}-{k}") != _written(tmp / f"xargs-{k}"):
                    raise RuntimeError(f"{arm} and xargs piao run wrote different files")
            (xw, xc), (bw, bc), (sw, sc) = (([w[-1]], [c[-1]]) for w, c in arms.values())
            rows.append((f"round {k + 1}: piao batch / xargs -P {WORKERS} piao run",
                         f"{bw[0]:.1f} s / {xw[0]:.1f} s = {bw[0] / xw[0]:.2f} "
                         f"(CPU {bc[0]:.1f} s / {xc[0]:.1f} s = {bc[0] / xc[0]:.2f}; load {_load()})"))
            rows.append((f"round {k + 1}: the same, server already running",
                         f"{sw[0]:.1f} s / {xw[0]:.1f} s = {sw[0] / xw[0]:.2f} "
                         f"(CPU {sc[0]:.1f} s / {xc[0]:.1f} s = {sc[0] / xc[0]:.2f})"))
        running.stop()
        med = {arm: (statistics.median(w), statistics.median(c)) for arm, (w, c) in arms.items()}
        for arm, what in (("batch", "its own temporary server"),
                          ("batch-server", "a running server (PREFECT_API_URL)")):
            ratio = med[arm][0] / med["xargs"][0]
            rows.append((f"{label}, {what}: batch / xargs (medians; goal <= {GOAL})",
                         f"{med[arm][0]:.1f} s / {med['xargs'][0]:.1f} s = {ratio:.2f} "
                         f"{'OK' if ratio <= GOAL else 'ABOVE GOAL'}"))
            rows.append(("the same, CPU time of every process of each arm (medians)",
                         f"{med[arm][1]:.1f} s / {med['xargs'][1]:.1f} s = "
                         f"{med[arm][1] / med['xargs'][1]:.2f}"))

        prefect_env.configure(quiet=True)
        from flows import plan_flow as pf
        from flows.run import RunOptions, run_plan

        with prefect_env.prefect_settings(quiet=True), prefect_env.api_server():
            plan = EXAMPLES[0]
            options = RunOptions()

            def direct() -> None:
                run_plan(plan, tmp / "direct", options)

            def flow() -> None:
                pf.plan_flow(str(plan), str(tmp / "flow"), refresh_cache=True)

            def cached() -> None:
                pf.plan_flow(str(plan), str(tmp / "flow"))

            direct()  # warm the imports and lazy models for both sides
            flow()
            d_all, f_all = [], []
            for _ in range(3):  # interleaved, so a change of machine load hits both sides
                d_all.append(_best(direct, 1)[0])
                f_all.append(_best(flow, 1)[0])
            d_best, f_best = min(d_all), min(f_all)
            c_best, _ = _best(cached)
            rows.append((f"one plan ({plan.name}), stages called directly",
                         f"{d_best:.2f} s (best of 3; median {statistics.median(d_all):.2f})"))
            rows.append(("one plan through plan_flow (server already up)",
                         f"{f_best:.2f} s (best of 3; median {statistics.median(f_all):.2f})"))
            rows.append(("one-plan flow overhead (best vs best)",
                         f"{f_best - d_best:+.2f} s ({(f_best / d_best - 1) * 100:+.0f}%)"))
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
