"""The command line speaks Italian, argparse's own words included; counts agree in number."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest

from flows.cliparse import ItalianArgumentParser

#: argparse's English, as it would print it (an oracle independent of the translation table).
ENGLISH = re.compile(r"usage:|options:|positional arguments|optional arguments|show this help|"
                     r"show program|error:|required:|invalid choice|choose from|invalid \w+ value|"
                     r"unrecognized arguments|expected (?:one|at most|at least|\d+) argument|ambiguous option",
                     re.IGNORECASE)


def _piao(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["batch", "--help"], ["render", "--help"],
                                  ["results", "--help"], ["load", "--help"], ["compare", "--help"]])
def test_help_has_no_english_argparse_text(args):
    proc = _piao(*args)
    assert proc.returncode == 0
    assert proc.stdout.startswith("uso: piao") and "opzioni:" in proc.stdout
    assert "mostra questo aiuto ed esce" in proc.stdout
    assert not ENGLISH.search(proc.stdout), ENGLISH.search(proc.stdout)


def test_usage_line_names_no_partial_command_list():
    # The usage line once listed {run,batch,render} while results, load and compare existed too.
    usage = _piao("--help").stdout.splitlines()[0]
    assert usage == "uso: piao [-h] [--version] COMANDO ...", usage
    listed = _piao("--help").stdout
    for command in ("run", "batch", "render", "results", "load", "compare"):
        assert re.search(rf"^    {command}\s+\S", listed, re.MULTILINE), command


@pytest.mark.parametrize("args, italian", [
    ([], "mancano argomenti obbligatori"),
    (["run"], "mancano argomenti obbligatori: PLAN, --out"),
    (["bogus"], "valore non ammesso: 'bogus'"),
    (["run", "x.pdf", "--out", "o", "--ocr", "maybe"], "argomento --ocr: valore non ammesso: 'maybe'"),
    (["run", "x.pdf", "--out", "o", "--max-pages", "abc"], "argomento --max-pages: 'abc' non è un numero intero di pagine"),
    (["run", "x.pdf", "--out", "o", "--ocr-mode", "x"], "argomenti non riconosciuti: --ocr-mode x"),
    (["run", "x.pdf", "--out", "o", "--nope"], "argomenti non riconosciuti: --nope"),
    (["run", "x.pdf", "--out"], "argomento --out: richiede un valore"),
])
def test_usage_errors_are_italian_with_exit_2(args, italian):
    proc = _piao(*args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1, proc.stderr  # one line (issue 18), not the usage block
    assert proc.stderr.startswith("piao") and "--help per l'aiuto" in proc.stderr
    assert italian in proc.stderr and "errore: " in proc.stderr
    assert not ENGLISH.search(proc.stderr), proc.stderr


def test_version():
    proc = _piao("--version")
    assert proc.returncode == 0 and re.fullmatch(r"piao \d+\.\d+\.\d+\S*\n", proc.stdout)


def test_other_argparse_users_keep_english():
    """The translation applies inside the Italian parser only."""
    ItalianArgumentParser(prog="x").format_help()
    plain = argparse.ArgumentParser(prog="y").format_help()
    assert plain.startswith("usage: y") and "show this help message and exit" in plain


def test_run_summary_line_singular_and_plural(monkeypatch, capsys, tmp_path):
    import flows.run
    from flows.cli import main
    from pipeline.record import Finding, Objective, PlanRecord, Source

    record = PlanRecord(source=Source(file="p.pdf", sha256="0" * 64, pages=1),
                        objectives=[Objective(number=1)],
                        findings=[Finding(rule="x", severity="info", message="m"),
                                  Finding(rule="y", severity="warning", message="m"),
                                  Finding(rule="y", severity="warning", message="m")])
    monkeypatch.setattr(flows.run, "run_plan", lambda *a, **k: record)
    assert main(["run", "p.pdf", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 obiettivo, 0 errori, 2 avvisi, 1 nota" in out
