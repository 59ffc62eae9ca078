"""plan.json and the CSVs follow the contract; outputs are written completely or not at all."""

from __future__ import annotations

import csv
import json
import os
import stat

import pytest

from outputs.data import write_json
from outputs.write import FILE_WRITERS, write_outputs
from pipeline.record import Finding, PlanRecord
from tests.records import expected_record

DATA_WRITERS = {k: v for k, v in FILE_WRITERS.items() if k.endswith((".json", ".csv"))}


def test_plan_json_round_trips_and_keeps_numbers_as_numbers(tmp_path):
    record = expected_record()
    write_json(record, tmp_path / "plan.json")
    raw = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert raw["schema_version"] == "1"
    weight = raw["objectives"][0]["indicators"][0]["weight_pct"]
    assert isinstance(weight, (int, float)) and not isinstance(weight, bool)
    assert PlanRecord.model_validate(raw) == record


def test_csvs_are_rfc4180_utf8_with_one_row_per_item(tmp_path):
    record = expected_record()
    record = record.model_copy(update={"findings": [
        Finding(rule="weights-sum", severity="error", objective=2, page=9,
                message='Somma dei pesi 90, "attesa" 100; verificare')]})
    write_outputs(record, tmp_path / "out", writers=DATA_WRITERS)
    out = tmp_path / "out"
    raw = (out / "indicators.csv").read_bytes()
    assert b"\r\n" in raw and raw.decode("utf-8")
    with (out / "indicators.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(len(o.indicators) for o in record.objectives)
    with (out / "objectives.csv").open(encoding="utf-8", newline="") as fh:
        objectives = list(csv.DictReader(fh))
    assert [int(r["number"]) for r in objectives] == [o.number for o in record.objectives]
    # unknown values are empty cells, not "None"
    unknown = [o.number for o in record.objectives if o.staff_count is None]
    assert unknown, "the expected record has cards with an uncountable staff line"
    assert [int(r["number"]) for r in objectives if r["staff_count"] == ""] == unknown
    with (out / "findings.csv").open(encoding="utf-8", newline="") as fh:
        (finding,) = list(csv.DictReader(fh))
    assert finding["message"] == record.findings[0].message  # quotes and commas survive


def _broken(record, path):
    path.write_bytes(b"half")
    raise RuntimeError("disco pieno")


@pytest.mark.parametrize("failing, forked", [("piano.xlsx", False), ("verifica.docx", True)])
def test_failed_run_leaves_previous_outputs_untouched(failing, forked, tmp_path, monkeypatch):
    # verifica.docx is written in a forked child when forking is safe; xdist workers run
    # threads, so the fork path is forced here to test it.
    import outputs.write as write

    monkeypatch.setattr(write, "can_fork", lambda: forked)
    out = tmp_path / "out"
    write_outputs(expected_record(), out, writers=DATA_WRITERS)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    changed = expected_record().model_copy(update={"objectives": []})
    with pytest.raises(RuntimeError, match="disco pieno"):
        write_outputs(changed, out, writers={**DATA_WRITERS, failing: _broken})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind


def test_failed_first_run_creates_nothing(tmp_path):
    def broken(record, path):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_outputs(expected_record(), tmp_path / "new", writers={"plan.json": broken})
    assert list(tmp_path.iterdir()) == []


def test_input_error_survives_pickling_between_processes():
    import pickle

    from pipeline.errors import InputError

    err = pickle.loads(pickle.dumps(InputError("piano.pdf", "il PDF è danneggiato")))
    assert isinstance(err, InputError)
    assert (err.path, err.cause, str(err)) == ("piano.pdf", "il PDF è danneggiato", "piano.pdf: il PDF è danneggiato")


def _double(x):
    return 2 * x


def _fail(message):
    raise ValueError(message)


def test_forked_call_returns_its_value_or_raises_its_error():
    from pipeline.forking import Forked

    assert Forked(_double, 21).result() == 42
    with pytest.raises(ValueError, match="cella illeggibile"):
        Forked(_fail, "cella illeggibile").result()


def test_piao_fork_0_keeps_every_stage_in_one_process(monkeypatch):
    """A batch worker or a one-core baseline sets PIAO_FORK=0: no stage forks a second process."""
    import multiprocessing
    import threading

    from extractors import pdf
    from pipeline.forking import can_fork

    # Make the other conditions hold, so that only the switch can say no.
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", False, raising=False)
    monkeypatch.setenv("PIAO_FORK", "1")
    assert can_fork() and pdf._can_fork_worker()
    monkeypatch.setenv("PIAO_FORK", "0")
    assert not can_fork() and not pdf._can_fork_worker()


def test_a_forked_writer_lands_with_the_others(tmp_path, monkeypatch):
    import outputs.write as write

    monkeypatch.setattr(write, "can_fork", lambda: True)

    def fine(record, path):
        path.write_text(f"{len(record.objectives)} obiettivi", encoding="utf-8")

    record = expected_record()
    write_outputs(record, tmp_path / "out", writers={**DATA_WRITERS, "verifica.docx": fine})
    assert (tmp_path / "out" / "verifica.docx").read_text(encoding="utf-8") == f"{len(record.objectives)} obiettivi"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([*DATA_WRITERS, "verifica.docx"])


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_output_folder_has_the_users_usual_mode(umask, tmp_path):
    """The folder is staged and renamed into place: it must not keep a private staging mode."""
    old = os.umask(umask)
    try:
        write_outputs(expected_record(), tmp_path / "out", writers=DATA_WRITERS)
        (tmp_path / "plain").mkdir()  # what the same user gets from a folder made by hand
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "out").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o777 & ~umask


def test_weights_sum_is_added_as_printed_decimals(tmp_path):
    """18.92 + 17.93 + 37.66 + 25.49 is 100; float addition gives 99.99999999999999, which the
    weights-sum rule tolerated but objectives.csv printed."""
    from pipeline.checks import run_checks
    from pipeline.record import Indicator

    record = expected_record()
    card = record.objectives[0].model_copy(update={"indicators": [
        Indicator(name=f"I{k}", weight_pct=w) for k, w in enumerate([18.92, 17.93, 37.66, 25.49])]})
    record = run_checks(record.model_copy(update={"objectives": [card], "findings": []}))
    assert card.weights_total() == 100
    assert not [f for f in record.findings if f.rule == "weights-sum"]
    write_outputs(record, tmp_path / "out", writers=DATA_WRITERS)
    with (tmp_path / "out" / "objectives.csv").open(encoding="utf-8", newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["weights_sum"] == "100"
    half = card.model_copy(update={"indicators": [Indicator(name="A", weight_pct=50.5),
                                                  Indicator(name="B")]})
    assert half.weights_total() == 50.5 and card.model_copy(update={"indicators": []}).weights_total() is None
