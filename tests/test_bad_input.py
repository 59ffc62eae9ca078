"""Bad input: exit 2, one clear line on stderr naming the file and the cause, no traceback,
and nothing lost (issue 8, CONTRACT.md "Exit status")."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import main
from tests import badfiles

ROOT = Path(__file__).resolve().parent.parent


def _run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    return code, err


def _assert_clear_refusal(code: int, err: str, name: str, *causes: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, f"one line expected on stderr, got:\n{err}"
    assert "Traceback" not in err
    assert name in lines[0], lines[0]
    low = lines[0].lower()
    assert any(c in low for c in causes), f"cause not stated in words: {lines[0]}"


BAD_PLANS = {
    # name: (maker, words one of which the message must contain)
    "mancante.pdf": (None, ("non esiste", "non trovato")),
    "vuoto.pdf": (lambda p: p.write_bytes(b"") or p, ("vuoto",)),
    "casuale.pdf": (badfiles.random_bytes, ("non è un pdf", "danneggiat", "formato")),
    "troncato.pdf": (badfiles.truncated_pdf, ("danneggiat", "incomplet")),
    "protetto.pdf": (badfiles.encrypted_pdf, ("password", "protett", "cifrat")),
    "verbale.pdf": (
        lambda p: badfiles.text_pdf(p, ["Verbale di assemblea condominiale", "Ordine del giorno:",
                                        "1. Approvazione del bilancio consuntivo"]),
        ("non sembra", "piano della performance"),
    ),
    "solo-introduzione.pdf": (lambda p: badfiles.pages_of_plan(p, 1, 7), ("nessuna scheda", "schede")),
    "non-zip.docx": (lambda p: p.write_text("questo non è un documento Word") or p,
                     ("danneggiat", "non è un", "docx", "word")),
    "foglio.xlsx": (lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 100) or p,
                    ("formato", "non supportat", "danneggiat")),
    "immagine.png": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64) or p,
                     ("formato", "non supportat")),
}


@pytest.mark.parametrize("name", sorted(BAD_PLANS))
def test_bad_plan_is_refused_clearly_and_leaves_earlier_outputs(name, tmp_path, capsys):
    maker, causes = BAD_PLANS[name]
    plan = tmp_path / name
    if maker is not None:
        maker(plan)
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text("earlier run", encoding="utf-8")
    code, err = _run(capsys, "run", str(plan), "--out", str(out), "--ocr", "never")
    _assert_clear_refusal(code, err, name, *causes)
    assert [p.name for p in out.iterdir()] == ["plan.json"]
    assert (out / "plan.json").read_text(encoding="utf-8") == "earlier run"
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]  # no staging folder left


@pytest.mark.ocr
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract not installed")
def test_blank_scan_is_not_a_plan(tmp_path, capsys):
    plan = badfiles.blank_image_pdf(tmp_path / "bianco.pdf")
    code, err = _run(capsys, "run", str(plan), "--out", str(tmp_path / "out"))
    _assert_clear_refusal(code, err, "bianco.pdf", "non sembra", "nessun testo", "vuot", "piano della performance")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage\x00", b"numero,strategicita\nuno,strategico\n",
                                     b"- [unclosed\n  : yaml"])
def test_unreadable_classification_file(content, tmp_path, capsys):
    cls = tmp_path / "classi.csv"
    cls.write_bytes(content)
    code, err = _run(capsys, "run", str(badfiles.PLAN_PDF), "--out", str(tmp_path / "out"),
                     "--classification", str(cls))
    _assert_clear_refusal(code, err, "classi.csv", "classificazione", "riga", "leggibil", "formato")
    assert not (tmp_path / "out").exists()


def test_missing_classification_file(tmp_path, capsys):
    code, err = _run(capsys, "run", str(badfiles.PLAN_PDF), "--out", str(tmp_path / "out"),
                     "--classification", str(tmp_path / "nessuno.yaml"))
    _assert_clear_refusal(code, err, "nessuno.yaml", "non esiste", "non trovato")


def test_output_folder_that_cannot_be_written(tmp_path, capsys):
    blocker = tmp_path / "un-file"
    blocker.write_text("x")
    code, err = _run(capsys, "run", str(badfiles.PLAN_PDF), "--out", str(blocker / "out"))
    _assert_clear_refusal(code, err, "un-file", "scrivibile", "cartella")


def test_page_limit_refuses_long_plans(tmp_path, capsys):
    code, err = _run(capsys, "run", str(badfiles.PLAN_PDF), "--out", str(tmp_path / "out"), "--max-pages", "10")
    _assert_clear_refusal(code, err, "chiari-2025.pdf", "pagine")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["troncato.pdf", "protetto.pdf"])
def test_real_process_prints_one_line_and_no_traceback(name, tmp_path):
    plan = BAD_PLANS[name][0](tmp_path / name)
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(plan), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stdout == ""
