"""`piao results` as Prefect flows (a real temporary Prefect server): one plan, and the batch
form over a folder, where a bad results file is reported and the others are written."""

from __future__ import annotations

import json

from tests.results_records import valmorena_record, write_csv
from tests.test_results import valmorena_rows


def test_results_flows_one_plan_and_a_folder(prefect_home, tmp_path, capsys):
    from flows.cli import main
    from flows.results import results_plan
    from flows.results_flow import run_results_one

    plans, inbox = tmp_path / "plans", tmp_path / "inbox"
    for stem in ("valmorena", "other"):
        (plans / stem).mkdir(parents=True)
        (plans / stem / "plan.json").write_text(valmorena_record().to_json(), encoding="utf-8")
    inbox.mkdir()
    write_csv(inbox / "valmorena.csv", valmorena_rows())
    write_csv(inbox / "other.csv", [(99, 1, 5, None)])  # no objective 99

    # one plan: the flow writes what the plain function writes
    outcome = run_results_one(plans / "valmorena" / "plan.json", inbox / "valmorena.csv", tmp_path / "one")
    assert outcome.status == "ok" and outcome.objectives == 12
    results_plan(plans / "valmorena" / "plan.json", inbox / "valmorena.csv", tmp_path / "plain")
    for name in ("payouts.csv", "plan.json"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()

    # a folder: the good plan is written, the bad file is reported with its cause, exit 2
    out = tmp_path / "out"
    assert main(["results", str(plans), str(inbox), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "other.csv" in err and "l'obiettivo 99 non è nel piano" in err
    assert sorted(p.name for p in out.iterdir()) == ["valmorena"]
    data = json.loads((out / "valmorena" / "plan.json").read_text(encoding="utf-8"))
    assert data["results"]["paid_total"] is not None
