"""Benchmark: `piao run` on the digital example PDF vs a bare pdfplumber pass over the same file.

Both run as fresh subprocesses of the same Python (so both pay interpreter start-up and imports);
each is timed three times, interleaved, and the best time counts. The bare pass opens the PDF
and calls ``extract_words`` and ``find_tables`` on every page, nothing else. Target: ratio <= 1.5.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PDF = ROOT / "examples" / "chiari-2025.pdf"
REPEATS = 3
TARGET_RATIO = 1.5

BARE_PASS = """
import sys, pdfplumber
with pdfplumber.open(sys.argv[1]) as pdf:
    for page in pdf.pages:
        page.extract_words()
        page.find_tables()
"""


def _piao_command(pdf: Path, out: Path) -> list[str]:
    script = Path(sys.executable).parent / "piao"
    if script.exists():
        return [str(script), "run", str(pdf), "--out", str(out), "--quiet"]
    return [sys.executable, "-c", "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))",
            "run", str(pdf), "--out", str(out), "--quiet"]


def _time(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}... exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def measure(pdf: Path = PDF, repeats: int = REPEATS) -> tuple[tuple[float, float], tuple[float, float]]:
    """((best piao wall, its CPU), (best bare wall, its CPU)) in seconds."""
    piao_times, bare_times = [], []
    with tempfile.TemporaryDirectory(prefix="piao-bench-") as tmp:
        for i in range(repeats):
            bare_times.append(_time([sys.executable, "-c", BARE_PASS, str(pdf)]))
            piao_times.append(_time(_piao_command(pdf, Path(tmp) / f"run{i}")))
    return min(piao_times), min(bare_times)


def run() -> list[tuple[str, str]]:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    (piao, piao_cpu), (bare, bare_cpu) = measure()
    ratio = piao / bare
    return [
        (f"piao run {PDF.name} (best of {REPEATS})", f"{piao:.2f} s  (CPU {piao_cpu:.2f} s)"),
        (f"bare pdfplumber pass: extract_words + find_tables (best of {REPEATS})",
         f"{bare:.2f} s  (CPU {bare_cpu:.2f} s)"),
        (f"ratio piao / bare, wall time (target <= {TARGET_RATIO})",
         f"{ratio:.2f} {'OK' if ratio <= TARGET_RATIO else 'OVER TARGET'}"),
        ("ratio of CPU time (all cores; the PDF is split over 2 when one is idle)", f"{piao_cpu / bare_cpu:.2f}"),
        ("load average at start (other work on the machine skews timings)", f"{load:.2f} on {os.cpu_count()} cores"),
    ]


if __name__ == "__main__":
    for label, figure in run():
        print(f"  {label:<70} {figure}")
