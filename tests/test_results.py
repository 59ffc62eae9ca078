"""Year end (`piao results`): payouts against hand computations from the printed amounts, the
threshold rules (Chiari: a soglia per card; Valmorena: payout bands), bad input, piano.xlsx as
input, and the files written (checked with python-docx / openpyxl, formulas recomputed by
LibreOffice)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from flows.cli import main
from pipeline.record import Indicator
from pipeline.results import target_rule
from tests.results_records import chiari_record, valmorena_record, write_csv


def cents(value) -> int:
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def euro(text: str) -> Decimal:
    """An amount as the plan prints it ("7.727,23") -> Decimal."""
    return Decimal(text.replace(".", "").replace(",", "."))


def hand_paid(amount: str, pct: int) -> Decimal:
    """amount x pct% rounded half up to the cent, by hand."""
    return (euro(amount) * pct / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def chiari(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("chiari") / "plan.json"
    path.write_text(chiari_record().to_json(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def valmorena(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("valmorena") / "plan.json"
    path.write_text(valmorena_record().to_json(), encoding="utf-8")
    return path


def run_results(plan: Path, results: Path, out: Path, capsys=None) -> int:
    return main(["results", str(plan), str(results), "--out", str(out), "--quiet"])


def payouts(out: Path) -> dict[int, dict[str, str]]:
    with (out / "payouts.csv").open(encoding="utf-8", newline="") as fh:
        return {int(r["objective"]): r for r in csv.DictReader(fh)}


# --------------------------------------------------------------------------- Chiari: soglia per card

#: Amounts printed in Chiari's "Riepilogo obiettivi" (pages 5-7), as printed.
CHIARI_PRINTED = {
    1: "7.727,23", 2: "5.151,49", 3: "1.931,81", 4: "804,92", 5: "2.575,74", 6: "1.931,81",
    7: "1.287,87", 8: "2.575,74", 9: "5.151,49", 10: "643,94", 11: "3.219,68", 12: "1.287,87",
    13: "804,92", 14: "1.931,81", 15: "1.931,81", 16: "2.575,74", 17: "1.609,84", 18: "2.575,74",
    19: "3.863,61", 20: "3.219,68", 21: "1.931,81", 22: "2.575,74", 23: "3.863,61", 24: "1.609,84",
    25: "1.609,84", 26: "965,90", 27: "3.863,61",
}
CHIARI_ALLOCATED = "69.223,09"

#: The year's results for Chiari, and by hand what each card then scores against its own soglia.
CHIARI_ROWS = {
    # 1: one indicator, soglia 100: declared done -> 100 >= 100 -> whole amount
    1: [(1, None, "sì")],
    # 2: weights 10/50/20/20, soglia 80; "almeno n.1 azione" with 0 is not met: 10+50+20 = 80 -> whole
    2: [(1, None, "sì"), (2, 1, None), (3, 0, None), (4, 1, None)],
    # 3: "Almeno n.15 attività", 14 done: 0 < soglia 100 -> nothing
    3: [(1, 14, None)],
    # 4: "n.3 mesi", 3: 100 >= 75 -> whole
    4: [(1, 3, None)],
    # 5: 60/40, soglia 80: "Almeno n.32 vie" 35 met (60); "Almeno il 60%" 58% not (0): 60 < 80 -> nothing
    5: [(1, 35, None), (2, "58%", None)],
    # 7: 20/25/30/25, soglia 90: 1 met, declared sì, 12 >= 10 met, 4 < "n. 5 corsi": 75 < 90 -> nothing
    7: [(1, 1, None), (2, None, "sì"), (3, 12, None), (4, 4, None)],
    # 8: 35/20/15/20/10, soglia 90: sì, sì, 12 rendicontazioni (met), sì, declared 50%: 95 -> whole
    8: [(1, None, "sì"), (2, None, "Sì"), (3, 12, None), (4, None, "si"), (5, None, "50%")],
    # 14: 30/45/25, soglia 65: 3 documenti met 30; declared 80% of 45 = 36; no: 66 >= 65 -> whole
    14: [(1, 3, None), (2, None, "80"), (3, None, "no")],
    # 16: bare targets 3/1/2/30 weighted 10/30/30/30, soglia 70: 3, 1, 1 (< 2), 30: 70 -> whole
    16: [(1, 3, None), (2, 1, None), (3, 1, None), (4, 30, None)],
}
CHIARI_NOT_PAID = {3, 5, 7}


def chiari_rows(record) -> list[tuple]:
    rows = []
    for o in record.objectives:
        given = CHIARI_ROWS.get(o.number)
        if given is None:  # every other card: each indicator declared done
            given = [(i, None, "sì") for i in range(1, len(o.indicators) + 1)]
        rows += [(o.number, i, v, r) for i, v, r in given]
    return rows


def test_chiari_payouts_to_the_cent(chiari, tmp_path):
    from outputs.schema import load_plan

    record = load_plan(chiari)
    out = tmp_path / "out"
    assert run_results(chiari, write_csv(tmp_path / "r.csv", chiari_rows(record)), out) == 0
    got = payouts(out)
    assert sorted(got) == list(range(1, 28))
    expected_paid = {n: (Decimal(0) if n in CHIARI_NOT_PAID else euro(a)) for n, a in CHIARI_PRINTED.items()}
    for n, row in got.items():
        assert cents(row["amount_eur"]) == cents(euro(CHIARI_PRINTED[n])), n
        assert cents(row["paid_eur"]) == cents(expected_paid[n]), n
        assert row["payout_pct"] in ("0", "100")  # a soglia alone: nothing or everything
    achieved = {n: Decimal(got[n]["achievement_pct"]) for n in (2, 3, 5, 7, 8, 14, 16)}
    assert achieved == {2: 80, 3: 0, 5: 60, 7: 75, 8: 95, 14: 66, 16: 70}
    results = json.loads((out / "plan.json").read_text(encoding="utf-8"))["results"]
    paid = sum(expected_paid.values())
    assert cents(results["paid_total"]) == cents(paid)
    economia = euro(CHIARI_ALLOCATED) - paid  # = 1.931,81 + 2.575,74 + 1.287,87
    assert economia == euro("5.795,42")
    assert cents(results["economia"]) == cents(economia)
    assert [f for f in json.loads((out / "plan.json").read_text())["findings"] if f["rule"] == "result-unclear"] == []


def test_chiari_unjudgeable_value_is_a_finding_not_a_guess(chiari, tmp_path):
    from outputs.schema import load_plan

    rows = chiari_rows(load_plan(chiari))
    # card 8 indicator 1 targets "Continua": a number cannot be judged against it
    rows = [(8, 1, 5, None) if (r[0], r[1]) == (8, 1) else r for r in rows]
    out = tmp_path / "out"
    assert run_results(chiari, write_csv(tmp_path / "r.csv", rows), out) == 0
    data = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    unclear = [f for f in data["findings"] if f["rule"] == "result-unclear"]
    assert [(f["objective"], f["severity"]) for f in unclear] == [(8, "warning")]
    assert "Continua" in unclear[0]["message"]
    eight = next(o for o in data["results"]["objectives"] if o["objective"] == 8)
    assert eight["indicators"][0]["achieved_pct"] is None
    assert eight["achievement_pct"] is None and eight["paid_eur"] is None
    assert data["results"]["paid_total"] is None and data["results"]["economia"] is None


# --------------------------------------------------------------------------- Valmorena: bands

#: Each card's results and, by hand, its achievement and what the bands pay (≥ 90 whole,
#: soglia..90 amount x achievement, below the soglia nothing; soglia 60, card 7: 80, card 12: 70).
VALMORENA_CASES = {
    # 40 "≤ 10 giorni": 12 not met; 35 "n. 800 CIE": 820 met; 25 "n. 18 aperture": 18 met -> 60: proportional
    1: ([(1, 12, None), (2, 820, None), (3, 18, None)], 60, hand_paid("1.906,25", 60)),
    # 30 met; 25 "100%" 100% met; 25 "≥ 50%" 45 not; 20 "100%" 100 met -> 75
    2: ([(1, 12, None), (2, "100%", None), (3, "45%", None), (4, 100, None)], 75, hand_paid("3.050,00", 75)),
    # 50 "≤ 30 giorni" 25 met; 30 "≥ 90%" 92 met; 20 "n. 1 (entro il 31/03/2025)" 1 met -> 100: whole
    3: ([(1, 25, None), (2, 92, None), (3, 1, None)], 100, euro("1.016,67")),
    # 40 "≥ 10%" 8 not; 30 met; 30 met -> 60: proportional (610,002 -> 610,00)
    4: ([(1, "8%", None), (2, 22, None), (3, 16, None)], 60, euro("610,00")),
    # 40 "≤ 0 giorni" 0 met; 30 "≤ 30 giorni" 31 not; 30 declared 50% -> 15: 55 < 60 -> nothing
    5: ([(1, 0, None), (2, 31, None), (3, None, "50%")], 55, Decimal(0)),
    # 35 met; 35 "n. 220 avvisi" 200 not; 30 "≥ 50%" 50 met -> 65 (1.445,574 -> 1.445,57)
    6: ([(1, 350, None), (2, 200, None), (3, "50%", None)], 65, euro("1.445,57")),
    # own soglia 80: 70 met, 30 "≥ 85%" 80 not -> 70 < 80 -> nothing (the plan's 60 would pay 70%)
    7: ([(1, "100%", None), (2, "80%", None)], 70, Decimal(0)),
    # declared sì/sì/no/sì on 30/20/20/30 -> 80 (1.779,168 -> 1.779,17)
    8: ([(1, None, "sì"), (2, None, "sì"), (3, None, "no"), (4, None, "sì")], 80, euro("1.779,17")),
    # 50 "≥ 95%" 96 met; 30 met; 20 "≥ 90%" 85 not -> 80 (1.270,832 -> 1.270,83)
    9: ([(1, 96, None), (2, 4, None), (3, 85, None)], 80, euro("1.270,83")),
    # 150 pratiche met; "≤ 30 giorni" 28 met; "≥ 60%" 70 met -> 100: whole
    10: ([(1, 150, None), (2, 28, None), (3, "70%", None)], 100, euro("3.050,00")),
    # 30 met; 30 "n. 40 verbali" 38 not; 20 met; 20 met -> 70 (2.935,625 -> 2.935,63, half up)
    11: ([(1, 8, None), (2, 38, None), (3, 24, None), (4, 7, None)], 70, euro("2.935,63")),
    # own soglia 70: 40 met, 30 met, 30 "100%" 90 not -> 70 = soglia: proportional (2.001,559 -> 2.001,56)
    12: ([(1, 91, None), (2, 20, None), (3, 90, None)], 70, euro("2.001,56")),
}


def valmorena_rows() -> list[tuple]:
    return [(n, i, v, r) for n, (rows, _, _) in VALMORENA_CASES.items() for i, v, r in rows]


def test_valmorena_bands_to_the_cent(valmorena, tmp_path):
    out = tmp_path / "out"
    assert run_results(valmorena, write_csv(tmp_path / "r.csv", valmorena_rows()), out) == 0
    got = payouts(out)
    for n, (_, achievement, paid) in VALMORENA_CASES.items():
        assert Decimal(got[n]["achievement_pct"]) == achievement, n
        assert cents(got[n]["paid_eur"]) == cents(paid), n
    assert got[7]["threshold_pct"] == "80" and got[12]["threshold_pct"] == "70" and got[1]["threshold_pct"] == "60"
    assert got[3]["payout_pct"] == "100" and got[1]["payout_pct"] == "60" and got[5]["payout_pct"] == "0"
    paid = sum(p for _, _, p in VALMORENA_CASES.values())
    results = json.loads((out / "plan.json").read_text(encoding="utf-8"))["results"]
    assert cents(results["paid_total"]) == cents(paid)
    assert cents(results["economia"]) == cents(euro("27.450,00") - paid)
    assert cents(results["allocated"]) == cents(euro("27.450,00"))


def test_a_prerequisite_not_met_stops_the_whole_payout(tmp_path):
    record = valmorena_record()
    record.plan.prerequisites = ["Rispetto dei tempi medi di pagamento (X)"]
    plan = tmp_path / "plan.json"
    plan.write_text(record.to_json(), encoding="utf-8")
    rows = valmorena_rows()
    out = tmp_path / "met"
    assert run_results(plan, write_csv(tmp_path / "ok.csv", [*rows, ("X", 1, None, "sì")]), out) == 0
    assert cents(payouts(out)[3]["paid_eur"]) == cents(euro("1.016,67"))
    out = tmp_path / "unmet"
    assert run_results(plan, write_csv(tmp_path / "no.csv", [*rows, ("X", 1, None, "no")]), out) == 0
    assert all(cents(r["paid_eur"]) == 0 for r in payouts(out).values())
    data = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert data["results"]["payable"] is False
    assert cents(data["results"]["economia"]) == cents(euro("27.450,00"))
    unmet = [f for f in data["findings"] if f["rule"] == "prerequisite-unmet"]
    assert len(unmet) == 1 and "tempi medi di pagamento" in unmet[0]["message"]


@pytest.mark.parametrize("target,value,direction", [
    ("≤ 10 giorni", 10, "less"), ("entro 30 giorni", None, "less"), ("max 15 giorni", None, "less"),
    ("15 giorni o meno", None, "less"), ("≥ 50%", 50, "more"), ("n. 800 CIE", 800, "more"),
    ("almeno 3 azioni", None, "more"), ("n. 1 (entro il 31/03/2025)", 1, "more"),
    ("Almeno il 60% delle rilevazioni", 60, "more"), ("30", 30, "more"), ("Sì", None, "yes"),
])
def test_direction_is_read_from_the_target_text(target, value, direction):
    assert target_rule(Indicator(target=target, target_value=value)).direction == direction


@pytest.mark.parametrize("target", ["Continua", "Assistenza continua", "entro il 31/12/2025", None, ""])
def test_targets_without_a_quantity_have_no_rule(target):
    assert target_rule(Indicator(target=target)) is None


# --------------------------------------------------------------------------- bad input


BAD = [
    ("unknown objective", [(13, 1, 5, None)], "riga 2: l'obiettivo 13 non è nel piano"),
    ("unknown indicator", [(7, 3, 5, None)], "riga 2: l'obiettivo 7 ha 2 indicatori, non c'è l'indicatore 3"),
    ("duplicate", [(1, 1, 5, None), (2, 1, 5, None), (1, 1, 6, None)], "riga 4: risultato ripetuto (obiettivo 1, indicatore 1, già alla riga 2)"),
    ("text for a number", [(1, 2, "molte", None)], "riga 2: «molte» non è un numero"),
    ("bad raggiunto", [(1, 2, None, "forse")], "riga 2: raggiunto «forse» non è sì, no né una percentuale"),
    ("raggiunto over 100", [(1, 2, None, "120%")], "riga 2: raggiunto 120% è fuori dall'intervallo 0-100"),
    ("objective not a number", [("uno", 1, 5, None)], "riga 2: «uno» non è un numero di obiettivo"),
]


@pytest.mark.parametrize("name,rows,cause", BAD, ids=[b[0] for b in BAD])
def test_bad_results_exit_2_with_one_line_and_nothing_written(valmorena, tmp_path, capsys, name, rows, cause):
    results = write_csv(tmp_path / "risultati.csv", rows)
    out = tmp_path / "out"
    assert run_results(valmorena, results, out) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(results) in err and cause in err, err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no staging left


@pytest.mark.parametrize("column,value,cause", [
    ("sha256", "cd" * 32, "è per un altro piano"),
    ("entity", "Comune di Chiari", "è per un altro ente"),
    ("year", "2024", "è per un altro anno (2024, il piano è del 2025)"),
])
def test_results_for_another_plan_are_refused(valmorena, tmp_path, capsys, column, value, cause):
    results = write_csv(tmp_path / "r.csv", [(1, 1, 5, None, value)],
                        header=f"obiettivo,indicatore,valore_rilevato,raggiunto,{column}")
    out = tmp_path / "out"
    (out).mkdir()
    (out / "keep.txt").write_text("earlier")
    assert run_results(valmorena, results, out) == 2
    assert cause in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_semicolon_csv_with_italian_decimals(valmorena, tmp_path):
    results = tmp_path / "r.csv"
    results.write_text("obiettivo;indicatore;valore_rilevato;raggiunto\n1;1;9,5;\n1;2;;80,5%\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_results(valmorena, results, out) == 0
    first = json.loads((out / "plan.json").read_text(encoding="utf-8"))["results"]["objectives"][0]
    assert first["indicators"][0] == {"indicator": 1, "measured": 9.5, "achieved_pct": 100, "how": "valore",
                                      "stated": None, "direction": "less",
                                      "name": "Tempo medio di attesa per l'appuntamento CIE"}
    assert first["indicators"][1]["achieved_pct"] == 80.5


# --------------------------------------------------------------------------- piano.xlsx as input


def test_filled_in_piano_xlsx_gives_the_same_payouts_as_the_csv(chiari, tmp_path):
    from openpyxl import load_workbook

    from outputs.schema import load_plan
    from outputs.xlsx import write_xlsx

    record = load_plan(chiari)
    piano = tmp_path / "piano.xlsx"
    write_xlsx(record, piano)
    wb = load_workbook(piano)
    ws = wb["Indicatori"]
    header = [c.value for c in ws[1]]
    col_o, col_v, col_r = (header.index(h) + 1 for h in ("N. obiettivo", "Valore rilevato", "Raggiunto"))
    # the office sorts the sheet (last card first) before filling it in
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    data.reverse()
    for r, values in enumerate(data, start=2):
        for c, v in enumerate(values, start=1):
            ws.cell(row=r, column=c).value = v  # (value=None in cell() would keep the old value)
    rows = {(n, i): (v, s) for n, i, v, s in chiari_rows(record)}
    keys = [(o.number, k) for o in record.objectives for k in range(1, len(o.indicators) + 1)][::-1]
    for r, (n, k) in enumerate(keys, start=2):
        assert ws.cell(row=r, column=col_o).value == n
        value, stated = rows[(n, k)]
        ws.cell(row=r, column=col_v, value=value)
        if stated == "80":
            ws.cell(row=r, column=col_r, value=0.8).number_format = "0%"  # typed "80%" in Excel
        else:
            ws.cell(row=r, column=col_r, value=stated)
    wb.save(piano)
    out_x, out_c = tmp_path / "x", tmp_path / "c"
    assert run_results(chiari, piano, out_x) == 0
    assert run_results(chiari, write_csv(tmp_path / "r.csv", chiari_rows(record)), out_c) == 0
    assert (out_x / "payouts.csv").read_text() == (out_c / "payouts.csv").read_text()


def test_piano_xlsx_of_another_plan_is_refused(chiari, valmorena, tmp_path, capsys):
    from outputs.schema import load_plan
    from outputs.xlsx import write_xlsx

    piano = tmp_path / "piano.xlsx"
    write_xlsx(load_plan(valmorena), piano)  # Valmorena's workbook...
    from openpyxl import load_workbook

    wb = load_workbook(piano)
    wb["Indicatori"].cell(row=2, column=8, value=3)
    wb.save(piano)
    assert run_results(chiari, piano, tmp_path / "out") == 2  # ...given with Chiari's plan.json
    assert "è per un altro piano" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- the files written


@pytest.fixture(scope="module")
def valmorena_out(valmorena, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("vout")
    out = base / "out"
    assert run_results(valmorena, write_csv(base / "r.csv", valmorena_rows()), out) == 0
    return out


def test_outputs_are_the_contract_set(valmorena_out):
    assert sorted(p.name for p in valmorena_out.iterdir()) == [
        "payouts.csv", "plan.json", "relazione.docx", "risultati.xlsx"]
    header = (valmorena_out / "payouts.csv").read_bytes().split(b"\r\n")[0]
    assert header == b"objective,achievement_pct,threshold_pct,payout_pct,amount_eur,paid_eur"
    from outputs.schema import load_plan

    assert load_plan(valmorena_out / "plan.json").results is not None  # valid against the published schema


def test_relazione_docx_headings_tables_and_chart(valmorena_out):
    from docx import Document

    doc = Document(str(valmorena_out / "relazione.docx"))
    heads = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name in ("Title", "Heading 1", "Heading 2")]
    assert heads[0] == ("Title", "Relazione sulla Performance 2025")
    h1 = [t for s, t in heads if s == "Heading 1"]
    assert h1 == ["1. Sintesi dei risultati", "2. Risultati per obiettivo",
                  "3. Erogazione delle risorse per obiettivo", "4. Rilievi", "5. Nota metodologica"]
    h2 = [t for s, t in heads if s == "Heading 2"]
    assert len(h2) == 12 and h2[6].startswith("Obiettivo 7 – ")
    # per objective an indicator table; card 1's first row: target and measured value
    tables = doc.tables
    card1 = next(t for t in tables if t.rows[0].cells[2].text == "Target")
    assert [c.text for c in card1.rows[1].cells] == ["1", card1.rows[1].cells[1].text, "≤ 10 giorni", "12", "40%", "0%"]
    payout = next(t for t in tables if t.rows[0].cells[0].text == "N." and t.rows[0].cells[-1].text == "Economia")
    total = [c.text for c in payout.rows[-1].cells]
    paid = sum(p for _, _, p in VALMORENA_CASES.values())
    assert total[0] == "Totale" and total[4] == "€ 27.450,00"
    assert total[5] == _eur_text(paid) and total[6] == _eur_text(euro("27.450,00") - paid)
    assert [c.text for c in payout.rows[7].cells][:4] == ["7", "70%", "80%", "0%"]
    assert len(doc.inline_shapes) == 1  # the achievement chart
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "dal 90% l'intera quota" in text and "proporzionale" in text


def test_risultati_xlsx_has_formulas_that_libreoffice_recomputes(valmorena_out, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(valmorena_out / "risultati.xlsx")
    assert wb.sheetnames == ["Obiettivi", "Indicatori"]
    ws_o, ws_i = wb["Obiettivi"], wb["Indicatori"]
    assert ws_i.max_row == 1 + sum(len(rows) for rows, _, _ in VALMORENA_CASES.values())
    assert str(ws_i["I2"].value).startswith("=IF(") and "G2*H2" in ws_i["I2"].value
    assert ws_o["E2"].value.startswith("=SUMIF(Indicatori!")
    assert ws_o["J2"].value.startswith("=IF(") and "H2-I2" in ws_o["J2"].value
    total = 12 + 3
    assert ws_o.cell(row=total, column=2).value == "Totale"
    assert [ws_o.cell(row=total, column=c).value for c in (8, 9, 10)] == ["=SUM(H2:H13)", "=SUM(I2:I13)", "=SUM(J2:J13)"]
    if not shutil.which("soffice"):
        pytest.fail("soffice is needed to recompute the formulas")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path), str(valmorena_out / "risultati.xlsx")],
                   check=True, capture_output=True, timeout=120)
    values = load_workbook(tmp_path / "risultati.xlsx", data_only=True)["Obiettivi"]
    for r, (n, (_, achievement, paid)) in enumerate(VALMORENA_CASES.items(), start=2):
        assert values.cell(row=r, column=1).value == n
        assert round(values.cell(row=r, column=5).value * 100, 6) == achievement
    paid = sum(p for _, _, p in VALMORENA_CASES.values())
    assert round(values.cell(row=total, column=9).value, 2) == float(paid)
    assert round(values.cell(row=total, column=10).value, 2) == float(euro("27.450,00") - paid)


def test_relazione_renders_in_libreoffice(valmorena_out, tmp_path):
    """relazione.docx opens and lays out in LibreOffice: page 1 as PNG is not blank, the PDF text
    carries the title and the totals."""
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(valmorena_out / "relazione.docx")],
                   check=True, capture_output=True, timeout=120)
    pdf = tmp_path / "relazione.pdf"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    from PIL import Image

    page = Image.open(next(tmp_path.glob("p-*.png"))).convert("L")
    assert page.getextrema()[0] < 100  # something dark is drawn on page 1
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    paid = sum(p for _, _, p in VALMORENA_CASES.values())
    assert "Relazione sulla Performance 2025" in text
    assert _eur_text(paid) in text and _eur_text(euro("27.450,00") - paid) in text


def test_an_xlsx_results_file_reads_like_the_csv(valmorena, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Obiettivo", "Indicatore", "Valore rilevato", "Raggiunto"])
    for n, i, v, r in valmorena_rows():
        if r == "50%":
            ws.append([n, i, v, 0.5])
            ws.cell(row=ws.max_row, column=4).number_format = "0%"  # a percentage typed in Excel
        elif isinstance(v, str) and v.endswith("%"):
            ws.append([n, i, int(v[:-1]), r])
        else:
            ws.append([n, i, v, r])
    wb.save(tmp_path / "r.xlsx")
    assert run_results(valmorena, tmp_path / "r.xlsx", tmp_path / "x") == 0
    assert run_results(valmorena, write_csv(tmp_path / "r.csv", valmorena_rows()), tmp_path / "c") == 0
    assert (tmp_path / "x" / "payouts.csv").read_text() == (tmp_path / "c" / "payouts.csv").read_text()


@pytest.mark.parametrize("content,cause", [
    (b"%PDF-1.4\n\xff\xfe\x00binary", "non è un CSV in UTF-8 né un file Excel"),
    ("nome,cognome\nMario,Rossi\n".encode(), "intestazione non riconosciuta"),
    (b"", "il file dei risultati è vuoto"),
])
def test_not_a_results_file(valmorena, tmp_path, capsys, content, cause):
    bad = tmp_path / "risultati.csv"
    bad.write_bytes(content)
    assert run_results(valmorena, bad, tmp_path / "out") == 2
    assert cause in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _eur_text(value) -> str:
    """The oracle's own money text, as the plan writes it: "€ 1.234,56"."""
    cents = round(value * 100)
    return "€ " + f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"
