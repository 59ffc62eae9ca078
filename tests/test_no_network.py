"""A whole run opens no network connection (issue 8): every socket connect is refused and recorded."""

from __future__ import annotations

import socket

import pytest

from flows.run import RunOptions, run_plan
from tests.badfiles import PLAN_PDF


@pytest.fixture
def no_network(monkeypatch):
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args[1:] if len(args) > 1 else args)
        raise OSError("network disabled by test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_whole_run_opens_no_connection(no_network, tmp_path):
    record = run_plan(PLAN_PDF, tmp_path / "out", RunOptions(ocr="never"))
    assert record.objectives, "the run must have done real work"
    assert (tmp_path / "out" / "verifica.docx").exists()
    assert no_network == []


def test_guard_catches_a_connection(no_network):
    # The guard itself must be able to fail: a connection attempt is recorded.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9))
    assert no_network


#: Loaded by every Python process of the batch (this one's child, the temporary Prefect server,
#: the Dask workers) through PYTHONPATH: a connection or a name lookup to anything but this
#: machine is refused and written to the log file, one line per attempt, with the process id.
SITECUSTOMIZE = '''
import os, socket

_LOG = os.environ["PIAO_TEST_NETLOG"]
_LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"}


def _record(what):
    with open(_LOG, "a", encoding="utf-8") as f:
        f.write(f"{os.getpid()} {what}\\n")


def _host(address):
    return address[0] if isinstance(address, tuple) else None  # None: a unix socket


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def connect(self, address):
    host = _host(address)
    if host is not None and host not in _LOCAL:
        _record(f"connect {address!r}")
        raise OSError("network disabled by test")
    return _connect(self, address)


def connect_ex(self, address):
    host = _host(address)
    if host is not None and host not in _LOCAL:
        _record(f"connect_ex {address!r}")
        return 111
    return _connect_ex(self, address)


def getaddrinfo(host, *args, **kwargs):
    if host not in _LOCAL and host is not None:
        _record(f"getaddrinfo {host!r}")
        raise socket.gaierror("network disabled by test")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
_record("guard loaded")
'''


@pytest.mark.slow
def test_batch_on_two_workers_opens_no_connection_beyond_this_machine(tmp_path):
    """``piao batch`` in a new process, 2 workers: the temporary Prefect server and a local Dask
    cluster start, plans are read and written; no process reaches past 127.0.0.1."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from tests.badfiles import EXAMPLES

    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = tmp_path / "net.log"
    folder = tmp_path / "piani"
    folder.mkdir()
    for stem in ("chiari-a", "chiari-b"):
        shutil.copy(EXAMPLES / "chiari-2025.docx", folder / f"{stem}.docx")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PIAO_TEST_NETLOG": str(log), "PIAO_PREFECT_HOME": str(tmp_path / "home"),
           "PYTHONPATH": os.pathsep.join([str(guard), str(root)])}
    env.pop("PREFECT_API_URL", None)
    # The guard can fail: a child's connection to a documentation address (RFC 5737) is logged.
    probe = ("import socket\n"
             "for call in (lambda: socket.create_connection(('example.org', 80), timeout=1),\n"
             "             lambda: socket.socket().connect(('192.0.2.1', 9))):\n"
             "    try: call()\n"
             "    except OSError: pass\n")
    subprocess.run([sys.executable, "-c", probe], env=env, check=True, timeout=60)
    probed = log.read_text(encoding="utf-8")
    assert "getaddrinfo 'example.org'" in probed and "connect ('192.0.2.1', 9)" in probed, probed
    log.unlink()

    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "batch", str(folder), "--out", str(tmp_path / "out"),
         "--workers", "2", "--quiet"],
        env=env, cwd=root, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert all((tmp_path / "out" / stem / "verifica.docx").is_file() for stem in ("chiari-a", "chiari-b"))
    lines = log.read_text(encoding="utf-8").splitlines()
    loaded = {line.split()[0] for line in lines if line.endswith("guard loaded")}
    # The guard ran in the batch process, the server and both workers (at least 4 processes).
    assert len(loaded) >= 4, lines
    assert [line for line in lines if not line.endswith("guard loaded")] == []
