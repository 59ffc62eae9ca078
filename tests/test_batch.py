"""``piao batch``: the command on real plans (through the real folder flow) and its reporting."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PLAN_PDF = EXAMPLES / "chiari-2025.pdf"
PLAN_DOCX = EXAMPLES / "chiari-2025.docx"


def _outcome(**kw):
    from flows.plan_flow import PlanOutcome

    return PlanOutcome(**kw)


def test_batch_reports_a_damaged_file_and_writes_the_others(prefect_home, tmp_path, capsys):
    from flows.cli import main

    folder = tmp_path / "piani"
    folder.mkdir()
    shutil.copy(PLAN_DOCX, folder / "chiari-2025.docx")
    shutil.copy(PLAN_DOCX, folder / "chiari-2026.docx")
    (folder / "rotto.pdf").write_bytes(PLAN_PDF.read_bytes()[:5000])
    out = tmp_path / "out"

    rc = main(["batch", str(folder), "--out", str(out), "--workers", "1"])

    captured = capsys.readouterr()
    assert rc == 2  # a file could not be processed; the others were written
    for stem in ("chiari-2025", "chiari-2026"):
        record = json.loads((out / stem / "plan.json").read_text(encoding="utf-8"))
        assert record["objectives"]
        assert (out / stem / "verifica.docx").is_file()
    assert not (out / "rotto").exists()
    # One line on stderr names the bad file and the reason; no traceback.
    bad_lines = [line for line in captured.err.splitlines() if line.startswith("piao: ")]
    assert len(bad_lines) == 1 and "rotto.pdf" in bad_lines[0]
    assert "Traceback" not in captured.err
    # Plain progress (stderr is not a terminal here): one line per finished plan.
    assert sum(line.startswith("[") for line in captured.err.splitlines()) == 3
    # Summary table on stdout: every file once, the bad one marked.
    table = captured.out.splitlines()
    assert table[0].split() == ["File", "Obiettivi", "Errori", "Avvisi", "Stato"]
    rows = {line.split()[0]: line for line in table[2:5]}
    assert set(rows) == {"chiari-2025.docx", "chiari-2026.docx", "rotto.pdf"}
    assert "non elaborabile" in rows["rotto.pdf"]
    objectives = len(record["objectives"])
    assert rows["chiari-2025.docx"].split()[1] == str(objectives)
    assert "2 di 3 piani elaborati" in captured.out


def test_batch_exit_status_follows_fail_on(prefect_home, tmp_path, capsys):
    from flows.cli import main

    folder = tmp_path / "piani"
    folder.mkdir()
    shutil.copy(PLAN_DOCX, folder / "chiari-2025.docx")
    out = tmp_path / "out"

    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # --quiet: nothing but errors
    findings = json.loads((out / "chiari-2025" / "plan.json").read_text(encoding="utf-8"))["findings"]
    severities = {f["severity"] for f in findings}
    # The example plan has warnings (staff-uncountable, test_checks_real) and no errors: both
    # branches of --fail-on are exercised.
    assert "warning" in severities and "error" not in severities
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--quiet",
                 "--fail-on", "warning"]) == 1
    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--quiet",
                 "--fail-on", "error"]) == 0


def test_batch_on_a_folder_without_plans_exits_2(prefect_home, tmp_path, capsys):
    from flows.cli import main

    (tmp_path / "vuota").mkdir()
    assert main(["batch", str(tmp_path / "vuota"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "vuota" in err[0]
    assert main(["batch", str(tmp_path / "manca"), "--out", str(tmp_path / "out")]) == 2


def test_batch_refuses_two_plans_with_the_same_stem(prefect_home, tmp_path, capsys):
    from flows.cli import main

    folder = tmp_path / "piani"
    folder.mkdir()
    shutil.copy(PLAN_DOCX, folder / "chiari.docx")
    shutil.copy(PLAN_PDF, folder / "chiari.pdf")
    assert main(["batch", str(folder), "--out", str(tmp_path / "out")]) == 2
    assert "chiari" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_exit_status_rules():
    from flows.batch import exit_status

    ok = _outcome(file="a.pdf", status="ok", objectives=3, errors=0, warnings=2)
    clean = _outcome(file="c.pdf", status="ok", objectives=3)
    bad = _outcome(file="b.pdf", status="input-error", message="danneggiato")
    crash = _outcome(file="d.pdf", status="error", message="KeyError: 'x'")
    assert exit_status([clean], None) == 0
    assert exit_status([ok], None) == 0
    assert exit_status([ok], "warning") == 1
    assert exit_status([ok], "error") == 0
    assert exit_status([ok, bad], None) == 2
    assert exit_status([ok, bad], "warning") == 2
    assert exit_status([ok, bad, crash], None) == 1


def test_summary_table_lines_up_and_counts():
    from flows.batch import summary_table

    outcomes = [
        _outcome(file="piano-lungo-2025.pdf", status="ok", objectives=27, errors=1, warnings=19),
        _outcome(file="b.docx", status="ok", objectives=5, cached=True),
        _outcome(file="rotto.pdf", status="input-error", message="il PDF è danneggiato"),
    ]
    lines = summary_table(outcomes).splitlines()
    assert len(lines) == 2 + 3 + 1
    status_col = lines[0].index("Stato")
    assert all(line[status_col:].strip() for line in lines[2:5])  # status column aligned
    assert lines[2][status_col:] == "ok"
    assert lines[3][status_col:] == "ok (da cache)"
    assert "il PDF è danneggiato" in lines[4]
    assert lines[-1] == "2 di 3 piani elaborati"


def test_batch_names_a_bad_file_with_a_newline_in_one_line(prefect_home, tmp_path, capsys):
    from flows.cli import main

    folder = tmp_path / "piani"
    folder.mkdir()
    (folder / "rotto\n2.pdf").write_bytes(PLAN_PDF.read_bytes()[:5000])
    assert main(["batch", str(folder), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    named = [line for line in err.splitlines() if "rotto" in line]
    assert named and all(r"rotto\n2.pdf" in line for line in named), err


# --------------------------------------------------------------------------- killed batch


def _descendants(pid: int) -> set[int]:
    import psutil

    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def _alive(pids: set[int]) -> set[int]:
    import psutil

    out = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.add(pid)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_a_killed_batch_leaves_no_process_behind(tmp_path, sig):
    """``piao batch`` killed while its plans are read: the temporary Prefect server, the fork
    server and the worker processes end with it (SIGKILL gives the batch no chance to clean up:
    the kernel's parent-death signal and the workers' own watch do it)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    family: set[int] = set()
    folder = tmp_path / "piani"
    folder.mkdir()
    for i in range(6):
        shutil.copy(PLAN_DOCX, folder / f"piano-{i}.docx")
    env = {**os.environ, "PIAO_PREFECT_HOME": str(tmp_path / "home")}
    env.pop("PREFECT_API_URL", None)
    batch = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "batch", str(folder), "--out", str(tmp_path / "out"),
         "--workers", "2", "--quiet"], cwd=EXAMPLES.parent, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Wait for the family: the server, multiprocessing's resource tracker and the workers
        # (with the fork server in between when there is one).
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and batch.poll() is None:
            family |= _descendants(batch.pid)
            if len(_alive(family)) >= 4:
                break
            time.sleep(0.2)
        assert batch.poll() is None, "the batch ended before it could be killed"
        assert len(_alive(family)) >= 4, f"processes seen: {sorted(family)}"
        batch.send_signal(getattr(signal, sig))
        batch.wait(timeout=60)
        deadline = time.monotonic() + 30
        while _alive(family) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(family), f"left running after {sig}: {sorted(_alive(family))}"
    finally:  # also the family's orphans, when an assertion above failed
        for pid in _alive(family | _descendants(batch.pid) | {batch.pid}):
            os.kill(pid, signal.SIGKILL)
