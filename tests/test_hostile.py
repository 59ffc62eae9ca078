"""Hostile files (issue 18): no hang, no bomb, one line, no leftovers.

Every file is built here (``tests/badfiles.py``) and read by a real ``python -m flows.cli`` process
under a wall-clock cap and a 2 GiB address-space cap (``RLIMIT_AS``): it must end in time, with
exit 2 and exactly one line on stderr naming the file and the cause. An oracle that is not the
code under test: the exit status, the line count and the absence of leftovers.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import resource
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from flows.cli import main
from tests import badfiles

ROOT = Path(__file__).resolve().parent.parent
MEMORY_CAP = 2 << 30  # bytes of address space
WALL_CAP = 90  # seconds


def _caps() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _piao(*argv: str, cap: float = WALL_CAP) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "default"}  # library warnings must still not show
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "flows.cli", *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=cap, preexec_fn=_caps, env=env)
    proc.elapsed = time.monotonic() - start  # type: ignore[attr-defined]
    return proc


def _assert_refused(proc: subprocess.CompletedProcess, name: str, *causes: str) -> str:
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1, f"exactly one stderr line expected, got:\n{proc.stderr[-2000:]}"
    assert name in lines[0], lines[0]
    assert any(c in lines[0].lower() for c in causes), lines[0]
    return lines[0]


def _assert_no_leftovers(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert not [p for p in tmp_path.rglob("*") if ".partial-" in p.name]


DAMAGED = ("danneggiat", "non sembra", "nessun testo", "nessuna scheda")

# name: (maker, extra options, words one of which the line must hold)
HOSTILE = {
    "lunghezza-se-stessa.pdf": (badfiles.self_length_pdf, (), DAMAGED),
    "risorse-se-stesse.pdf": (badfiles.self_resources_pdf, (), DAMAGED),
    "mediabox-se-stesso.pdf": (badfiles.self_mediabox_pdf, (), DAMAGED),
    "ciclo-riferimenti.pdf": (badfiles.reference_cycle_pdf, (), DAMAGED),
    "ciclo-albero-pagine.pdf": (badfiles.page_tree_cycle_pdf, (), DAMAGED),
    "form-disegna-se-stesso.pdf": (badfiles.self_drawing_form_pdf, (), DAMAGED),
    "array-profondi.pdf": (badfiles.deep_array_pdf, (), DAMAGED),
    "bomba-flate.pdf": (lambda p: badfiles.flate_bomb_pdf(p, inflated_mb=300), (), ("si espande", "limite")),
    "pagina-enorme.pdf": (badfiles.huge_page_pdf, (), ("20000", "punti")),
    "migliaia-di-pagine.pdf": (badfiles.many_pages_pdf, (), ("pagine", "massimo")),
    "lentissimo.pdf": (badfiles.slow_pdf, ("--timeout", "5"), ("--timeout", "secondi")),
    "bomba-zip.docx": (lambda p: badfiles.zip_bomb_docx(p, inflated_mb=300), (), ("si espande", "limite")),
    "paragrafi-vuoti.docx": (lambda p: badfiles.empty_paragraphs_docx(p, paragraphs=5_000_000), (),
                             ("si espande", "limite")),
    "miliardo-di-risate.docx": (badfiles.billion_laughs_docx, (), ("dtd", "doctype")),
}

# Stream bombs past Flate: every filter pdfminer decodes, alone and chained (the chain multiplies
# the factors: a 32 MiB Flate output under the limit feeds RunLength's 64 times).
EXPANDS = ("si espande", "limite")
HOSTILE.update({
    "bomba-runlength.pdf": (lambda p: badfiles.filtered_stream_pdf(p, badfiles.runlength_spaces(100),
                                                                   ["RunLengthDecode"]), (), EXPANDS),
    "bomba-flate-runlength.pdf": (lambda p: badfiles.filtered_stream_pdf(
        p, zlib.compress(badfiles.runlength_spaces(2048), 9), ["FlateDecode", "RunLengthDecode"]), (), EXPANDS),
    "bomba-ascii85.pdf": (lambda p: badfiles.filtered_stream_pdf(
        p, zlib.compress(b"z" * 20_000_000, 9), ["FlateDecode", "ASCII85Decode"]), (), EXPANDS),
    "bomba-asciihex-catena.pdf": (lambda p: badfiles.filtered_stream_pdf(
        p, zlib.compress(badfiles.runlength_spaces(2048), 9).hex().encode() + b">",
        ["ASCIIHexDecode", "FlateDecode", "RunLengthDecode"]), (), EXPANDS),
    "bomba-lzw.pdf": (lambda p: badfiles.filtered_stream_pdf(p, badfiles.lzw_spaces(200), ["LZWDecode"]),
                      (), EXPANDS),
    "colonne-ccitt.pdf": (lambda p: badfiles.filtered_stream_pdf(
        p, b"\x00" * 64, ["CCITTFaxDecode"], b"<< /K -1 /Columns 1000000000 >>"), (), EXPANDS),
    "colonne-predittore.pdf": (lambda p: badfiles.filtered_stream_pdf(
        p, zlib.compress(b"\x00" * 1000), ["FlateDecode"], b"<< /Predictor 12 /Columns 1000000000 >>"),
        (), EXPANDS),
    "molti-flussi.pdf": (badfiles.many_streams_pdf, (), ("in tutto",)),
    "protetto-rc4.pdf": (lambda p: badfiles.encrypted_pdf(p, "RC4-40"), (), ("password", "protett")),
    "protetto-aes256.pdf": (lambda p: badfiles.encrypted_pdf(p, "AES-256"), (), ("password", "protett")),
    "segnalibri-profondi.pdf": (badfiles.deep_outline_pdf, (), DAMAGED),
    "segnalibri-ciclo.pdf": (badfiles.outline_loop_pdf, (), DAMAGED),
    "albero-pagine-profondo.pdf": (badfiles.deep_page_tree_pdf, (), DAMAGED),
    "milione-di-pagine.pdf": (badfiles.claimed_pages_pdf, (), DAMAGED),
    "troncato.docx": (badfiles.truncated_docx, (), ("danneggiat",)),
    "molte-parti.docx": (badfiles.many_parts_docx, (), ("parti", "massimo")),
    "cartella.pdf": (lambda p: p.mkdir() or p, (), ("non è un file",)),
    "troppi-filtri.pdf": (lambda p: badfiles.filtered_stream_pdf(p, _hex_times(badfiles._TEXT, 9),
                                                                 ["ASCIIHexDecode"] * 9), (), ("filtri",)),
})


def _hex_times(data: bytes, times: int) -> bytes:
    for _ in range(times):
        data = data.hex().encode() + b">"
    return data


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_ends_in_time_with_one_line(name, tmp_path):
    maker, options, causes = HOSTILE[name]
    plan = maker(tmp_path / name)
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text("earlier run", encoding="utf-8")
    proc = _piao("run", str(plan), "--out", str(out), *options)
    _assert_refused(proc, name, *causes)
    assert proc.stdout == ""
    assert [p.name for p in out.iterdir()] == ["plan.json"]
    assert (out / "plan.json").read_text(encoding="utf-8") == "earlier run"
    assert not [p for p in tmp_path.rglob("*") if ".partial-" in p.name]


def test_page_drawing_millions_of_paths_is_refused(tmp_path):
    import zlib

    data = zlib.compress(b"0 0 m 1 1 l S\n" * 300_000, 9)  # 4 MB: 1.5 GB and 22 s unguarded
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    plan = badfiles._page_pdf(tmp_path / "tratti.pdf", page, [badfiles._stream(data, b"/Filter /FlateDecode ")])
    proc = _piao("run", str(plan), "--out", str(tmp_path / "out"), "--ocr", "never")
    _assert_refused(proc, "tratti.pdf", "oggetti")


def test_xxe_is_not_expanded(tmp_path):
    secret = tmp_path / "segreto.txt"
    secret.write_text("CONTENUTO-SEGRETO", encoding="utf-8")
    plan = badfiles.xxe_docx(tmp_path / "xxe.docx", secret)
    proc = _piao("run", str(plan), "--out", str(tmp_path / "out"))
    line = _assert_refused(proc, "xxe.docx", "dtd", "doctype")
    assert "CONTENUTO-SEGRETO" not in proc.stdout + line
    _assert_no_leftovers(tmp_path, tmp_path / "out")


def test_python_docx_parser_does_not_expand_entities():
    """Behind the DTD refusal, the library's own parser: an entity stays unexpanded."""
    from docx.oxml.parser import oxml_parser
    from lxml import etree

    xml = b'<!DOCTYPE r [<!ENTITY e "EXPANDED">]><r>&e;</r>'
    assert b"EXPANDED" not in etree.tostring(etree.fromstring(xml, oxml_parser))


# -- plan.json for render -------------------------------------------------------------------------


def _small_record():
    from pipeline.record import Budget, Indicator, Objective, Plan, PlanRecord, Source

    return PlanRecord(
        source=Source(file="piano.pdf", sha256="0" * 64, pages=3),
        plan=Plan(entity="Comune di Prova", budget=Budget(total=1000, allocated=1000)),
        objectives=[Objective(number=n, title=f"Obiettivo {n}", staff_count=2, threshold_pct=60,
                              indicators=[Indicator(name="Indicatore", weight_pct=100)], pages=[n, n])
                    for n in (1, 2)],
    )


def _edited(tmp_path: Path, edit) -> Path:
    data = json.loads(_small_record().to_json())
    edit(data)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("field,edit", [
    ("objectives/1/staff_count", lambda d: d["objectives"][1].update(staff_count=-3)),
    ("plan/budget/total", lambda d: d["plan"]["budget"].update(total=-500)),
    ("objectives/0/indicators/0/weight_pct", lambda d: d["objectives"][0]["indicators"][0].update(weight_pct=-10)),
])
def test_render_refuses_negative_values_naming_the_field(field, edit, tmp_path, capsys):
    plan = _edited(tmp_path, edit)
    code = main(["render", str(plan), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1, err
    assert field in err and "negativ" in err
    assert not (tmp_path / "out").exists()


def test_render_accepts_the_small_record(tmp_path, capsys):
    plan = _edited(tmp_path, lambda d: None)
    assert main(["render", str(plan), "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "allegato.docx").exists()


def test_render_of_100000_deep_json_is_one_line(tmp_path):
    deep = tmp_path / "profondo.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    proc = _piao("render", str(deep), "--out", str(tmp_path / "out"))
    _assert_refused(proc, "profondo.json", "profondit", "annidat")
    assert "RecursionError" not in proc.stderr


def test_render_refuses_nan(tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text(_small_record().to_json().replace('"total": 1000', '"total": NaN'), encoding="utf-8")
    assert main(["render", str(plan), "--out", str(tmp_path / "out")]) == 2
    assert "NaN" in capsys.readouterr().err


# -- options --------------------------------------------------------------------------------------


@pytest.mark.parametrize("option,value", [
    ("--page-timeout", "nan"), ("--page-timeout", "0"), ("--page-timeout", "-1"), ("--page-timeout", "inf"),
    ("--timeout", "nan"), ("--timeout", "0"), ("--timeout", "-5"), ("--max-pages", "0"),
    ("--max-pages", "-3"), ("--max-pages", "tre"),
])
def test_invalid_limits_are_refused_in_one_italian_line(option, value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(badfiles.PLAN_PDF), "--out", str(tmp_path / "out"), f"{option}={value}"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert len(err.splitlines()) == 1, err
    assert option in err and "non è" in err
    assert not (tmp_path / "out").exists()


# -- writing: disk full, dead runs' staging folders, children of a killed run --------------------


def test_disk_full_is_one_line_and_keeps_the_previous_output(tmp_path, capsys, monkeypatch):
    from outputs import write

    monkeypatch.setenv("PIAO_FORK", "0")
    plan = _edited(tmp_path, lambda d: None)
    out = tmp_path / "out"
    assert main(["render", str(plan), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full(record, path):
        Path(path).write_bytes(b"PK")  # part of a file, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setitem(write.FILE_WRITERS, "allegato.docx", full)
    capsys.readouterr()
    assert main(["render", str(plan), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "spazio su disco" in err, err
    assert "OSError" not in err and "Errno" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_run_removes_staging_folders_of_dead_runs_only(tmp_path):
    from outputs.write import write_outputs

    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = tmp_path / f".out.partial-{_dead_pid()}-{'a' * 16}"
        living = tmp_path / f".out.partial-{alive.pid}-{'b' * 16}"
        old = tmp_path / f".out.partial-{'c' * 16}"  # the former name, without a process id
        recent = tmp_path / f".other.partial-{'d' * 16}"
        for folder in (dead, living, old, recent):
            folder.mkdir()
            (folder / "plan.json").write_text("partial")
        os.utime(old, (time.time() - 3 * 86400,) * 2)
        write_outputs(_small_record(), tmp_path / "out", writers={"plan.json": lambda r, p: p.write_text("{}")})
        assert not dead.exists() and not old.exists()
        assert living.exists() and recent.exists()
        assert (tmp_path / "out" / "plan.json").read_text() == "{}"
    finally:
        alive.kill()
        alive.wait()


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state  # ended, waiting to be reaped


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_forked_child_dies_with_its_killed_parent(tmp_path):
    script = ("import sys, time\n"
              "from pipeline.forking import Forked\n"
              "child = Forked(time.sleep, 120)\n"
              "print(child._proc.pid, flush=True)\n"
              "time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(parent.stdout.readline())
        assert not _gone(child_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 20
        while not _gone(child_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(child_pid), "the forked child outlived its parent"
    finally:
        parent.kill()


# -- batch ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_batch_with_a_hanging_file_finishes_writes_the_good_plan_and_names_the_bad(tmp_path):
    folder = tmp_path / "piani"
    folder.mkdir()
    good = folder / "chiari-2025.docx"
    good.write_bytes((badfiles.EXAMPLES / "chiari-2025.docx").read_bytes())
    badfiles.slow_pdf(folder / "lentissimo.pdf")
    badfiles.self_length_pdf(folder / "lunghezza-se-stessa.pdf")
    out = tmp_path / "out"
    proc = _piao("batch", str(folder), "--out", str(out), "--workers", "1", "--timeout", "45",
                 "--page-timeout", "600", "--quiet", cap=240)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, proc.stderr[-2000:]  # one per file not processed
    slow = next(line for line in lines if "lentissimo.pdf" in line)
    assert "--timeout" in slow
    assert any("lunghezza-se-stessa.pdf" in line for line in lines)
    assert (out / "chiari-2025" / "plan.json").exists()
    assert not (out / "lentissimo").exists()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_run_supervisor_kills_work_stuck_where_no_deadline_reaches(tmp_path, capsys):
    """A hang in C code does not see the in-process deadline; the command's parent process kills
    the working child, removes its staging folder and prints the one line."""
    from flows.supervise import supervised

    out = tmp_path / "out"

    def stuck() -> int:
        (tmp_path / f".out.partial-{os.getpid()}-{'e' * 16}").mkdir()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGTERM})  # deaf to alarms
        time.sleep(60)
        return 0

    start = time.monotonic()
    code = supervised(stuck, timeout=0.5, grace=0.5, out_dir=str(out), on_timeout=lambda: "piano.pdf: troppo lento")
    assert code == 2
    assert time.monotonic() - start < 30
    assert capsys.readouterr().err == "piao: piano.pdf: troppo lento\n"
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_run_supervisor_passes_the_exit_status_through(capsys):
    from flows.supervise import supervised

    assert supervised(lambda: 1, timeout=60, on_timeout=lambda: "x") == 1
    assert supervised(lambda: 0, timeout=60, on_timeout=lambda: "x") == 0
    assert capsys.readouterr().err == ""


def test_a_time_limit_while_waiting_for_a_forked_child_ends_the_child(tmp_path):
    """The document's limit may fire while the parent waits for the other half of the pages:
    the wait ends at once and the child is not left reading."""
    from pipeline.deadline import deadline
    from pipeline.forking import Forked

    child = Forked(time.sleep, 60)
    start = time.monotonic()
    with deadline(0.5) as expired:
        with pytest.raises(expired):
            child.result()
    assert time.monotonic() - start < 10
    assert not child._proc.is_alive()


def test_deadlines_nest_and_the_outer_one_is_reported():
    from pipeline.deadline import deadline

    with deadline(0.3) as outer:
        with pytest.raises(outer):
            with deadline(30) as inner:
                try:
                    while True:
                        pass
                except inner:  # pragma: no cover - must not be the one raised
                    pytest.fail("the inner (later) deadline fired")
    # The inner one fires first; the outer one stays armed and fires later.
    with deadline(1.0) as outer:
        with pytest.raises(outer):
            with deadline(0.2) as inner:
                with pytest.raises(inner):
                    while True:
                        pass
            while True:
                pass



# -- stream filters: bounded, and still decoding what real files hold ------------------------------


def _runlength_literal(data: bytes) -> bytes:
    """RunLength encoding by literal runs of up to 128 bytes (an oracle independent of the decoder)."""
    out = bytearray()
    for i in range(0, len(data), 128):
        chunk = data[i:i + 128]
        out += bytes([len(chunk) - 1]) + chunk
    return bytes(out + b"\x80")


def _png_up_rows(data: bytes, columns: int) -> bytes:
    """PNG predictor rows of type 2 (Up): each byte minus the byte above it."""
    rows = [data[i:i + columns].ljust(columns, b" ") for i in range(0, len(data), columns)]
    out, above = bytearray(), bytes(columns)
    for row in rows:
        out += b"\x02" + bytes((b - a) & 255 for b, a in zip(row, above))
        above = row
    return bytes(out)


@pytest.mark.parametrize("filters,encode,parms", [
    (["ASCII85Decode", "FlateDecode"], lambda d: base64.a85encode(zlib.compress(d)) + b"~>", b""),
    (["ASCIIHexDecode", "RunLengthDecode"], lambda d: _runlength_literal(d).hex().encode() + b">", b""),
    (["FlateDecode"], lambda d: zlib.compress(_png_up_rows(d, 16)), b"<< /Predictor 12 /Columns 16 >>"),
    (["ASCIIHexDecode"] * 8, lambda d: _hex_times(d, 8), b""),
])
def test_bounded_filters_still_decode_real_streams(filters, encode, parms, tmp_path):
    import pdfplumber

    from extractors import pdfguard

    pdfguard.install()
    plan = badfiles.filtered_stream_pdf(tmp_path / "filtri.pdf", encode(badfiles._TEXT), filters, parms)
    with pdfplumber.open(plan) as pdf:
        assert pdf.pages[0].extract_text().strip() == "Piano della performance"


# -- more hostile kinds: names, permissions, external links, owner-only encryption ------------------


@pytest.mark.parametrize("name", ["piano\nseconda riga.pdf", "piano\r.pdf", "piano\x1b[31mrosso.pdf",
                                  "piàno città €.pdf"])
def test_a_file_name_with_control_characters_stays_one_line(name, tmp_path):
    plan = badfiles.random_bytes(tmp_path / name)
    plan.write_bytes(b"%PDF-1.4\n" + plan.read_bytes())
    proc = _piao("run", str(plan), "--out", str(tmp_path / "out"))
    line = _assert_refused(proc, name.encode("unicode_escape").decode("ascii") if not name.isprintable() else name,
                           *DAMAGED)
    assert "\x1b" not in line
    _assert_no_leftovers(tmp_path, tmp_path / "out")


#: Linux capabilities that let root read and write through any permission bits.
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _PR_CAPBSET_DROP = 1, 2, 24


def _without_override() -> None:
    """Before exec: as root, drop the capabilities that ignore permission bits (from the bounding
    set, so the executed program never has them), so a file mode 000 is unreadable as for anyone."""
    _caps()
    if os.geteuid() == 0:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
            if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                os._exit(77)  # cannot drop them: the test is skipped


@pytest.fixture
def open_dir():
    """A folder anyone may enter (pytest's own is the owner's only), removed afterwards."""
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="piao-permessi-"))
    path.chmod(0o777)
    yield path
    for p in path.rglob("*"):
        p.chmod(0o777)
    shutil.rmtree(path)


def _piao_unprivileged(*argv: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "flows.cli", *argv], capture_output=True, text=True, cwd=ROOT,
                          timeout=WALL_CAP, preexec_fn=_without_override)
    if proc.returncode == 77:
        pytest.skip("cannot drop the capabilities that bypass file permissions")
    return proc


def test_an_unreadable_plan_is_one_line(open_dir):
    plan = open_dir / "riservato.pdf"
    plan.write_bytes(badfiles.PLAN_PDF.read_bytes())
    plan.chmod(0)
    proc = _piao_unprivileged("run", str(plan), "--out", str(open_dir / "out"))
    line = _assert_refused(proc, "riservato.pdf", "non si può leggere")
    assert "permesso negato" in line and "Permission" not in line
    assert not (open_dir / "out").exists()


def test_an_output_folder_without_write_permission_is_one_line_and_keeps_what_it_holds(open_dir):
    plan = open_dir / "piano.pdf"
    plan.write_bytes(badfiles.pages_of_plan(open_dir / "x.pdf", 1, 3).read_bytes())
    out = open_dir / "out"
    out.mkdir()
    (out / "plan.json").write_text("earlier run", encoding="utf-8")
    out.chmod(0o555)
    open_dir.chmod(0o555)  # nor a staging folder beside it
    proc = _piao_unprivileged("run", str(badfiles.PLAN_PDF), "--out", str(out), "--ocr", "never")
    line = _assert_refused(proc, "out", "scrivibile")
    assert "permesso negato" in line and "Permission" not in line
    assert [p.name for p in out.iterdir()] == ["plan.json"]
    assert (out / "plan.json").read_text(encoding="utf-8") == "earlier run"
    open_dir.chmod(0o777)


def test_external_relationships_of_a_docx_are_never_fetched(tmp_path):
    """Hyperlink, linked picture, sub-document, OLE object and attached template all point at a
    server this test listens on: reading the file must not connect to it."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.5)
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    try:
        plan = badfiles.external_links_docx(tmp_path / "collegamenti.docx", url)
        proc = _piao("run", str(plan), "--out", str(tmp_path / "out"))
        assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr, proc.stderr[-2000:]
        assert len(proc.stderr.splitlines()) <= 1, proc.stderr
        with pytest.raises(socket.timeout):
            server.accept()  # nobody came
    finally:
        server.close()


def test_a_pdf_protected_only_against_editing_is_read(tmp_path):
    """An owner password without a password to open (plans published "protected") reads like
    the same pages unprotected: the same words on the same pages."""
    from extractors import read_document

    def words(path):
        doc = read_document(str(path), ocr="never")
        return [(w.page, w.text) for page in doc.pages for line in page.lines for w in line.words]

    protected = badfiles.owner_password_pdf(tmp_path / "protetto-modifica.pdf")
    plain = badfiles.pages_of_plan(tmp_path / "libero.pdf", 1, 8)
    assert b"/Encrypt" in protected.read_bytes()
    got = words(protected)
    assert len(got) > 500 and got == words(plain)
