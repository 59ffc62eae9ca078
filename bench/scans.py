"""Scans: the whole ``piao run`` on a 49-page scan against OCRmyPDF on the same file, same run.

The digital Chiari plan (49 pages) is "printed and scanned" (tests/scansim.py: 200 dpi gray
JPEG, skew, noise, no text layer). Then, one after the other on the same machine and file:

- ``piao run SCAN --out DIR`` (``python -m flows.cli``, a fresh process: read with OCR, extract,
  allocate, check, write every output);
- ``ocrmypdf -l ita --jobs 2 --output-type pdf SCAN OUT`` (OCRmyPDF's default preprocessing:
  none; ``--output-type pdf`` skips the PDF/A conversion, which is not OCR work).

Target: piao / OCRmyPDF <= 1.0 (we do more than OCR: the whole plan is read and written). Each is
timed once, piao first (a 49-page OCR takes minutes; the load average is printed, as other work on
the machine skews both); the ratio of their CPU seconds (children included) is printed too: on a
loaded machine it is the better estimate of the ratio on idle cores, as both keep two busy. The OCRmyPDF output, a real searchable scan, is then run
through ``piao run`` too and scored with the acceptance scorer, as is the scan itself.

OCRmyPDF is a development extra (``pip install ocrmypdf``; no Ghostscript needed with
``--output-type pdf``, it rasterises with pypdfium2); without it the section says so and skips.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGITAL = ROOT / "examples" / "chiari-2025.pdf"
EXPECTED = ROOT / "tests" / "data" / "chiari-2025.expected.json"
TARGET_RATIO = 1.0


def ocrmypdf_command() -> list[str] | None:
    """The ``ocrmypdf`` beside this Python (the project's venv) or on PATH; None when absent."""
    local = Path(sys.executable).parent / "ocrmypdf"
    if local.exists():
        return [str(local)]
    found = shutil.which("ocrmypdf")
    return [found] if found else None


def _timed(cmd: list[str]) -> float:
    return _timed_cpu(cmd)[0]


def _timed_cpu(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and all its children: Tesseract included)."""
    from bench.extract import _time

    return _time(cmd)


def piao_run(pdf: Path, out: Path) -> float:
    return _timed([sys.executable, "-m", "flows.cli", "run", str(pdf), "--out", str(out), "--quiet"])


def score(out: Path) -> str:
    """Acceptance fields right in ``out/plan.json`` (tests/acceptance_score.py) and page modes."""
    from collections import Counter

    from tests import acceptance_score as scorer

    got = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    gold = json.loads(EXPECTED.read_text(encoding="utf-8"))
    tally = scorer.Tally()
    scorer.score_plan(gold, got, tally)
    scorer.score_objectives(gold, got, tally)
    modes = Counter((got.get("source") or {}).get("page_modes", {}).values())
    pages = ", ".join(f"{m} {n}" for m, n in sorted(modes.items()))
    return f"{tally.ok}/{tally.total} ({100 * tally.ok / max(1, tally.total):.1f}%; pages {pages})"


def run() -> list[tuple[str, str]]:
    from tests.scansim import simulate_scan

    command = ocrmypdf_command()
    if command is None:
        return [("scans: skipped", "ocrmypdf is not installed (pip install ocrmypdf, or the dev extra)")]
    out: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="piao-bench-scans-") as tmpdir:
        tmp = Path(tmpdir)
        scan = simulate_scan(DIGITAL, tmp / "scan.pdf")
        load = os.getloadavg()[0]
        ours, ours_cpu = _timed_cpu([sys.executable, "-m", "flows.cli", "run", str(scan), "--out",
                                     str(tmp / "out-scan"), "--quiet"])
        theirs, theirs_cpu = _timed_cpu([*command, "-q", "-l", "ita", "--jobs", "2", "--output-type", "pdf",
                                         str(scan), str(tmp / "searchable.pdf")])
        ratio = ours / theirs
        out += [
            ("piao run, 49-page scan 200 dpi, no layer (s)", f"{ours:.1f}  (CPU {ours_cpu:.1f} s)"),
            ("ocrmypdf -l ita --jobs 2, same file (s)", f"{theirs:.1f}  (CPU {theirs_cpu:.1f} s)"),
            (f"RATIO piao run / OCRmyPDF, wall (target <= {TARGET_RATIO})",
             f"{ratio:.2f} {'OK' if ratio <= TARGET_RATIO else 'OVER TARGET'}"),
            ("ratio of CPU seconds (the estimate on idle cores: both use 2)", f"{ours_cpu / theirs_cpu:.2f}"),
            ("load average at start / end", f"{load:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"),
            ("scan 200 dpi: acceptance fields", score(tmp / "out-scan")),
        ]
        t = piao_run(tmp / "searchable.pdf", tmp / "out-searchable")
        out.append(("OCRmyPDF searchable scan: acceptance fields", f"{score(tmp / 'out-searchable')}  ({t:.0f} s)"))
    return out


if __name__ == "__main__":
    for label, figure in run():
        print(f"{label:<60} {figure}")
