"""record_tables, the keyed CSV files and datapackage.json."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from outputs.write import FILE_WRITERS, write_outputs
from pipeline.allocation import allocate
from pipeline.checks import run_checks
from pipeline.errors import InputError
from pipeline.tables import KEYS, read_plan, record_tables
from tests.test_allocation_rules import plan_with_summary

DATA_WRITERS = {k: v for k, v in FILE_WRITERS.items() if k.endswith((".json", ".csv"))}
#: The CSV columns of the first release, in order: they must stay (contract: add, never rename).
FIRST_RELEASE = {
    "objectives.csv": ["number", "number_printed", "kind", "scope_line", "title", "timeframe", "threshold_pct",
                       "staff_count", "staff_text", "strategic_level", "indicators", "weights_sum",
                       "first_page", "last_page"],
    "indicators.csv": ["objective", "position", "name", "target", "target_value", "weight_pct", "activity", "page"],
    "findings.csv": ["rule", "severity", "objective", "page", "message"],
    "allocations.csv": ["objective", "scope", "strategic_level", "strategic_weight", "staff_count",
                        "staff_coefficient", "points", "amount_eur"],
}


@pytest.fixture(scope="module")
def record():
    return run_checks(allocate(plan_with_summary()))


@pytest.fixture(scope="module")
def out(record, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables") / "out"
    write_outputs(record, folder, writers=DATA_WRITERS)
    return folder


def _rows(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_one_frame_per_table_every_row_keyed(record):
    tables = record_tables(record)
    assert set(tables) == {"plans", "objectives", "indicators", "findings", "allocations"}  # no results yet
    assert all(isinstance(df, pd.DataFrame) for df in tables.values())
    assert len(tables["objectives"]) == len(record.objectives)
    assert len(tables["indicators"]) == sum(len(o.indicators) for o in record.objectives)
    assert len(tables["allocations"]) == len(record.allocations) > 0
    assert len(tables["findings"]) == len(record.findings) > 0
    for name, df in tables.items():
        assert set(KEYS) <= set(df.columns), name
        assert (df["entity"] == "Comune di Chiari").all() and (df["year"] == 2025).all(), name
        assert (df["sha256"] == record.source.sha256).all(), name
    amounts = tables["allocations"]["amount_eur"]
    assert round(sum(amounts), 2) == record.plan.budget.allocated
    card = record.objectives[1]
    rows = tables["indicators"][tables["indicators"]["objective"] == card.number]
    assert list(rows["weight_pct"]) == [i.weight_pct for i in card.indicators]


def test_results_table_when_the_record_has_results(record):
    results = {"objectives": [{"objective": 1, "achievement_pct": 80, "threshold_pct": 100, "payout_pct": 0,
                               "amount_eur": 7727.23, "paid_eur": 0.0, "indicators": []}],
               "paid_total": 0.0, "economia": 7727.23}
    df = record_tables(record.model_copy(update={"results": results}))["results"]
    assert df.loc[0, "objective"] == 1 and df.loc[0, "amount_eur"] == 7727.23 and df.loc[0, "year"] == 2025


def test_csvs_keep_their_columns_and_add_the_keys(out, record):
    for name, first in FIRST_RELEASE.items():
        rows = _rows(out / name)
        header = list(rows[0]) if rows else next(csv.reader((out / name).open(encoding="utf-8")))
        assert header[: len(first)] == first, name
        assert set(KEYS) <= set(header), name
        for r in rows:
            assert (r["entity"], r["year"], r["sha256"]) == ("Comune di Chiari", "2025", record.source.sha256)
    objectives = _rows(out / "objectives.csv")
    assert {r["number_printed"] for r in objectives} == {"true", "false"}  # card 16 prints no number
    weights = [r["weight_pct"] for r in _rows(out / "indicators.csv")]
    assert "100" in weights and not [w for w in weights if w.endswith(".0")]  # 25 stays 25
    (plan,) = _rows(out / "plans.csv")
    assert plan["budget_allocated"] == "69223.09" and json.loads(plan["strategic_weights"])["strategico"] == 40


def test_datapackage_describes_every_csv_and_its_keys(out):
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    csvs = sorted(p.name for p in out.glob("*.csv"))
    assert sorted(r["path"] for r in package["resources"]) == csvs
    data = {r["name"]: _rows(out / r["path"]) for r in package["resources"]}
    for res in package["resources"]:
        schema = res["schema"]
        header = next(csv.reader((out / res["path"]).open(encoding="utf-8", newline="")))
        assert [f["name"] for f in schema["fields"]] == header, res["name"]
        rows = data[res["name"]]
        for f in schema["fields"]:  # every value casts to its declared type
            for r in rows:
                v = r[f["name"]]
                if v == "":
                    continue
                {"integer": int, "number": float, "string": str,
                 "boolean": lambda x: {"true": 1, "false": 0}[x]}[f["type"]](v)
        keys = [tuple(r[k] for k in schema["primaryKey"]) for r in rows]
        assert len(keys) == len(set(keys)), res["name"]
        for fk in schema.get("foreignKeys", []):
            target = {tuple(r[k] for k in fk["reference"]["fields"]) for r in data[fk["reference"]["resource"]]}
            assert {tuple(r[k] for k in fk["fields"]) for r in rows} <= target, res["name"]


def test_read_plan_from_a_folder_or_a_file_and_refuses_others(out, record, tmp_path):
    assert read_plan(out) == record == read_plan(out / "plan.json")
    with pytest.raises(InputError, match="non trovato"):
        read_plan(tmp_path / "manca.json")
    (tmp_path / "x.json").write_text('{"schema_version": "1", "source": {}}', encoding="utf-8")
    with pytest.raises(InputError, match="non è un plan.json valido"):
        read_plan(tmp_path / "x.json")


def test_rows_csv_keeps_ints_and_writes_booleans_and_unknowns_as_the_contract_says(tmp_path):
    from outputs.data import write_rows_csv

    write_rows_csv(tmp_path / "x.csv", ["a", "b", "c"], [{"a": 1, "b": None, "c": True}, {"a": 2.5, "c": False}])
    assert (tmp_path / "x.csv").read_bytes() == b"a,b,c\r\n1,,true\r\n2.5,,false\r\n"
