"""date-outside-period on records built from the expected records of two other comuni (matrix and
piano-tipo layouts), with card prose written here in the forms those plans use: the planted late deadline
must be found, the traps (legal citations, "Baseline 2024", targets dated within the Scadenza) must not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.checks import findings_for
from pipeline.record import Indicator, Objective, Plan, PlanRecord, Source

DATA = Path(__file__).parent / "data"


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))


def build(expected: dict, prose: dict[int, dict[str, str]], scadenza_only: bool = False) -> PlanRecord:
    """The expected record as a PlanRecord, with the card prose given (by objective number)."""
    objectives = []
    for o in expected["objectives"]:
        timeframe = o["timeframe"]
        if scadenza_only:  # a matrix prints only the Scadenza: "01/01/2025 – 31/12/2025" -> "31/12/2025"
            timeframe = timeframe.split("–")[-1].strip()
        objectives.append(Objective(
            number=o["number"], title=o["title"], timeframe=timeframe, threshold_pct=o["threshold_pct"],
            staff_text=o["staff_text"], staff_count=o["staff_count"],
            indicators=[Indicator(name=i["name"], target=i["target"], target_value=i["target_value"],
                                  weight_pct=i["weight_pct"]) for i in o["indicators"]],
            **prose.get(o["number"], {}),
        ))
    plan = Plan(year=expected["plan"]["year"], period=expected["plan"]["period"])
    return PlanRecord(source=Source(file="p.pdf", sha256="0" * 64, pages=20), plan=plan, objectives=objectives)


MONTECALDO_PROSE = {
    3: {"description": "Riordino dell'archivio di deposito: elenco di scarto entro il 31/05/2025."},
    8: {"description": "Impianto fotovoltaico: collaudo entro il 30/09/2025, da aprile – giugno 2025 i lavori."},
    9: {"description": "Redazione del PEBA con rilievo degli edifici pubblici, con approvazione del Piano "
                       "in Consiglio comunale entro il 31/03/2026."},
    13: {"phases": "Fasi: analisi delle tariffe; bozza di regolamento entro il 31/03/2025; "
                   "apertura delle domande nel 1° trimestre 2025."},
}


@pytest.mark.parametrize("scadenza_only", [False, True], ids=["timeframe", "scadenza"])
def test_montecaldo_late_deadline_found_and_nothing_else(scadenza_only):
    rec = build(load("montecaldo-2025"), MONTECALDO_PROSE, scadenza_only)
    found = findings_for("date-outside-period", rec)
    assert [f.objective for f in found] == [9]
    assert "31/03/2026" in found[0].message


VALMORENA_PROSE = {
    1: {"description": "Per effetto del Regolamento (UE) 2019/1157 le carte cartacee perdono validità; "
                       "apertura straordinaria in due sabati al mese da marzo a novembre."},
    5: {"description": "L'art. 4-bis del D.L. n. 13/2023 chiede il pagamento entro 30 giorni."},
    8: {"description": "Il Piano è previsto dall'art. 32, comma 21, della L. n. 41/1986 e dall'art. 24 della "
                       "L. n. 104/1992; la proposta confluirà nel programma triennale dei lavori pubblici."},
    2: {"verification": "Indicatore | Formula di calcolo | Baseline 2024 | Target 2025 | Peso %"},
    6: {"description": "Obblighi di pubblicazione del D.Lgs. 33/2013, nel II semestre 2025."},
}


def test_valmorena_traps_raise_nothing():
    rec = build(load("valmorena-2025"), VALMORENA_PROSE)
    assert findings_for("date-outside-period", rec) == []


@pytest.mark.parametrize("prose, late", [
    ("approvazione nel 1° trimestre 2026", "1° trimestre 2026"),
    ("consegna entro aprile 2026", "entro aprile 2026"),
    ("cantiere aperto da settembre 2025 a febbraio 2026", "settembre 2025 a febbraio 2026"),
    ("attività nel II semestre 2024", "II semestre 2024"),
])
def test_quarters_and_months_reach_the_check(prose, late):
    expected = load("valmorena-2025")
    rec = build(expected, {1: {"description": prose}})
    [f] = findings_for("date-outside-period", rec)
    assert f.objective == 1 and late in f.message
