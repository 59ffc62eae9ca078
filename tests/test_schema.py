"""The published JSON Schema of plan.json: equal to the record model's, and what it accepts/rejects."""

from __future__ import annotations

import json

import pytest
from records import EXPECTED, expected_record

from outputs.schema import SCHEMA_PATH, load_plan, plan_schema, schema_errors, schema_text
from pipeline.errors import InputError
from pipeline.record import Allocation, Finding, PlanRecord, SummaryRow


def _expected_json() -> dict:
    """tests/data's expected extraction, with the ``source`` block plan.json always has."""
    raw = json.loads(EXPECTED.read_text(encoding="utf-8"))
    raw.pop("_note", None)
    return {"source": {"file": "chiari-2025.pdf", "sha256": "0" * 64, "pages": 49}, **raw}


def test_published_schema_is_the_models():
    """Fails when the record model changed and scripts/export_schema.py was not re-run."""
    published = SCHEMA_PATH.read_text(encoding="utf-8")
    assert json.loads(published) == plan_schema(), "run: .venv/bin/python scripts/export_schema.py"
    assert published == schema_text()


def test_expected_records_validate():
    data = _expected_json()
    assert schema_errors(data) == []
    full = expected_record().model_copy(update={
        "findings": [Finding(rule="weights-sum", severity="error", objective=2, page=9, message="…")],
        "allocations": [Allocation(objective=1, strategic_level="strategico", strategic_weight=40,
                                   staff_count=15, staff_coefficient=3.0, points=120.0,
                                   amount_eur=7727.23)],
    })
    full.plan.summary = [SummaryRow(number=1, title="x", amount_eur=7727.23)]
    assert schema_errors(json.loads(full.to_json())) == []


def test_wrong_type_names_the_path():
    data = _expected_json()
    data["objectives"][3]["indicators"][0]["weight_pct"] = "abc"
    assert schema_errors(data) == ["objectives/3/indicators/0/weight_pct: 'abc' non è di tipo numero"]


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["objectives"][0].update(staff_count=2.5),
     "objectives/0/staff_count: 2.5 non è di tipo numero intero"),
    (lambda d: d["objectives"][1].update(kind="comunale"), "objectives/1/kind: 'comunale' non è tra i valori ammessi"),
    (lambda d: d["objectives"][2].update(colour="red"), "objectives/2: campi non previsti: 'colour'"),
    (lambda d: d.pop("source"), "(radice): manca il campo obbligatorio 'source'"),
    (lambda d: d.update(schema_version="2"), "schema_version: valore atteso '1', trovato '2'"),
    (lambda d: d["plan"]["budget"].update(total=[1]), "plan/budget/total: [1] non è di tipo numero"),
])
def test_malformed_records_are_rejected(edit, expected):
    data = _expected_json()
    edit(data)
    errors = schema_errors(data)
    assert errors and errors[0].startswith(expected), errors


def test_errors_come_in_document_order():
    data = _expected_json()
    data["objectives"][10]["threshold_pct"] = "tanto"
    data["objectives"][2]["threshold_pct"] = "poco"
    errors = schema_errors(data)
    assert [e.split(":")[0] for e in errors] == ["objectives/2/threshold_pct", "objectives/10/threshold_pct"]


def test_load_plan(tmp_path):
    good = tmp_path / "plan.json"
    good.write_text(json.dumps(_expected_json(), ensure_ascii=False), encoding="utf-8")
    record = load_plan(good)
    assert isinstance(record, PlanRecord) and len(record.objectives) == 27

    bad = tmp_path / "bad.json"
    data = _expected_json()
    data["objectives"][3]["indicators"][0]["weight_pct"] = "abc"
    data["objectives"][4]["number"] = "cinque"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_plan(bad)
    line = str(err.value)
    assert "\n" not in line and line.startswith(str(bad))
    assert "objectives/3/indicators/0/weight_pct: 'abc' non è di tipo numero" in line
    assert "altri 1 errori" in line

    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": "1",\n "source": ', encoding="utf-8")
    with pytest.raises(InputError, match=r"JSON non valido \(riga 2"):
        load_plan(broken)
    with pytest.raises(InputError, match="non trovato"):
        load_plan(tmp_path / "missing.json")
