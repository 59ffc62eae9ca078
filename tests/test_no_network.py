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
