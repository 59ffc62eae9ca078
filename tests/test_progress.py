"""What a person at a terminal sees: ``piao run`` under a real pseudo-terminal shows the stage
and the page; nothing extra when quiet or not a terminal. The page counts come from the readers'
progress callback, checked on the real example plan and on a real scan."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLAN_PDF = ROOT / "examples" / "chiari-2025.pdf"
PLAN_DOCX = ROOT / "examples" / "chiari-2025.docx"
SCAN = ROOT / "tests" / "data" / "chiari-2025-scan-p1-10.pdf"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")

pty = pytest.importorskip("pty")  # POSIX only


def run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    """``python -m flows.cli ARGS`` with stdin/stdout/stderr on a pseudo-terminal; the text
    it drew there (escape sequences removed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli", *args], cwd=ROOT,
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        rc = proc.wait(timeout=300)
    finally:
        os.close(master)
    return rc, ANSI.sub(b"", out).decode("utf-8", errors="replace")


def test_run_on_a_terminal_shows_the_page_being_read(tmp_path):
    from extractors.pdf import count_pages

    rc, screen = run_on_a_terminal(["run", str(PLAN_PDF), "--out", str(tmp_path / "out")])
    assert rc == 0, screen
    n = count_pages(str(PLAN_PDF))
    seen = {int(k) for k in re.findall(rf"lettura pagina (\d+)/{n}\b", screen)}
    # Page by page (the screen is redrawn ten times a second: not every page is drawn).
    assert len(seen) >= 3 and max(seen) <= n
    assert "chiari-2025.pdf: " in screen  # the summary line is still printed at the end
    assert (tmp_path / "out" / "plan.json").is_file()


def test_quiet_or_not_a_terminal_shows_no_bar(tmp_path):
    rc, screen = run_on_a_terminal(["run", str(PLAN_DOCX), "--out", str(tmp_path / "a"),
                                    "--quiet"])
    assert rc == 0 and screen.strip() == ""
    piped = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(PLAN_DOCX), "--out",
                            str(tmp_path / "b")], cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.startswith("chiari-2025.docx: ") and len(piped.stdout.splitlines()) == 1


def test_stage_text_is_the_italian_label():
    from flows.progress import stage_text

    assert stage_text("ocr", 12, 49) == "OCR pagina 12/49"
    assert stage_text("read", 1, 3) == "lettura pagina 1/3"
    assert stage_text("write", 0, 0) == "scrittura dei documenti"


@pytest.mark.ocr
def test_ocr_reports_every_page_once(tmp_path):
    from extractors.ocr import ocr_pdf_pages

    events = []
    pages = ocr_pdf_pages(str(SCAN), [2, 5], progress=lambda *e: events.append(e))
    assert len(pages) == 2
    assert sorted(events) == [("ocr", 1, 2), ("ocr", 2, 2)]


def test_plain_pipeline_reports_its_stages_in_order(tmp_path):
    from flows.run import run_plan

    events = []
    run_plan(PLAN_PDF, tmp_path / "out", progress=lambda *e: events.append(e))
    stages = [stage for stage, _, _ in events]
    n = max(total for _, _, total in events)
    assert stages[-3:] == ["parse", "check", "write"]
    assert sorted(done for stage, done, _ in events if stage == "read") == list(range(1, n + 1))
