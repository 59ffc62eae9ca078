"""Plan-level rules in other comuni's forms: the two fixture plans of other layouts (PDF and DOCX,
oracle: their expected records and NOTES) and plans of this test's own, in wordings neither
fixture uses (python-docx -> LibreOffice PDF), so the reader is not fitted to the fixtures."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from extractors import read_document
from extractors.intro import find_threshold, parse_intro
from extractors.layout import Line
from pipeline.record import ThresholdBand

#: The fixture plans of other comuni: copied into tests/data, else beside the repository.
FIXTURES = next((d for d in (Path(__file__).parent / "data", Path("/work/shared/fixtures"),
                             Path(__file__).resolve().parents[2] / "shared" / "fixtures")
                 if (d / "valmorena-2025.pdf").is_file()), Path("/work/shared/fixtures"))

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures not available")


def _expected(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=[
    ("montecaldo-2025", "pdf"), ("montecaldo-2025", "docx"),
    ("valmorena-2025", "pdf"), ("valmorena-2025", "docx"),
])
def fixture_plan(request):
    name, kind = request.param
    return name, parse_intro(read_document(str(FIXTURES / f"{name}.{kind}")))


def test_plan_block_equals_the_expected_record(fixture_plan):
    name, plan = fixture_plan
    want = _expected(name)["plan"]
    assert plan.entity == want["entity"]
    assert plan.province == want["province"]
    assert plan.period == want["period"]
    assert plan.year == want["year"]
    got_budget = plan.budget.model_dump()
    for key in ("total", "allocated", "reserve", "welfare"):
        assert got_budget[key] == pytest.approx(want["budget"][key]), key
    assert {k: pytest.approx(v) for k, v in plan.strategic_weights.items()} == want["strategic_weights"]
    got_bands = [(b.min, b.max, b.coefficient) for b in plan.staff_bands]
    assert got_bands == [(b["min"], b["max"], pytest.approx(b["coefficient"])) for b in want["staff_bands"]]
    # The labels are the plan's own words.
    assert [b.label.casefold() for b in plan.staff_bands] == [b["label"].casefold() for b in want["staff_bands"]]


def test_montecaldo_levels_and_one_plan_level_soglia():
    # NOTES: "ONE plan-level threshold rule (60%)"; no payout bands are printed (contract: bands
    # empty when the plan states only a soglia); levels Alta 1,4 / Media 1,2 / Bassa 1,0.
    plan = parse_intro(read_document(str(FIXTURES / "montecaldo-2025.pdf")))
    assert plan.objective_weighting == "levels"
    assert plan.threshold.default_pct == 60 and plan.threshold.bands == []
    assert "almeno pari al 60%" in plan.threshold.text and plan.threshold.page == 3
    assert plan.prerequisites == []


def test_valmorena_points_and_payout_bands():
    # NOTES: "Peso dell'obiettivo: 30/100" per card; >= 90% full, 60-90% proportional, < 60% nothing.
    plan = parse_intro(read_document(str(FIXTURES / "valmorena-2025.pdf")))
    assert plan.objective_weighting == "points" and plan.strategic_weights == {}
    assert plan.threshold.default_pct == 60
    assert plan.threshold.bands == [
        ThresholdBand(min_pct=90, max_pct=None, payout="full"),
        ThresholdBand(min_pct=60, max_pct=90, payout="proportional"),
        ThresholdBand(min_pct=None, max_pct=60, payout="none"),
    ]
    assert plan.threshold.page == 3 and "quota intera" in plan.threshold.text
    # The cards' own "Soglia minima: 80% (in luogo della soglia del 60% ...)" is not the plan's rule.
    assert "80" not in plan.threshold.text


def _lines(*texts: str) -> list[Line]:
    return [Line(text=t, page=1) for t in texts]


@pytest.mark.parametrize("texts, default, bands", [
    (["Il premio è corrisposto per intero con un risultato pari o superiore all'85%;",
      "in proporzione al risultato tra il 50% e l'85%;", "non è erogato sotto il 50%."],
     50, [(85, None, "full"), (50, 85, "proportional"), (None, 50, "none")]),
    (["Ciascun obiettivo si intende raggiunto con una soglia minima del 75% del risultato atteso."], 75, []),
    (["Soglia minima: 80%"], None, []),  # a card's own line, not a rule for every objective
])
def test_threshold_wordings(texts, default, bands):
    rule = find_threshold(_lines(*texts))
    assert rule.default_pct == default
    assert [(b.min_pct, b.max_pct, b.payout) for b in rule.bands] == bands


# ------------------------------------------------------------------ plans of this test's own


def _lago(path: Path) -> None:
    """An Unione dei Comuni: levels as a bulleted list with "coeff.", staff bands "fino a" /
    "oltre", the fund in one sentence, one soglia, two prerequisites marked X in a table."""
    d = docx.Document()
    d.add_paragraph("UNIONE DEI COMUNI VAL DEL LAGO")
    d.add_paragraph("Provincia di Verona")
    d.add_paragraph("Piano della Performance 2026-2028")
    d.add_paragraph("Obiettivi gestionali per l'anno 2026")
    d.add_heading("Criteri di pesatura", level=2)
    d.add_paragraph("Ogni obiettivo è classificato secondo il grado di rilevanza strategica:")
    for t in ["• Strategica (coeff. 1,3) – obiettivi del programma di mandato;",
              "• Rilevante (coeff. 1,15) – obiettivi di miglioramento dei servizi;",
              "• Ordinaria (coeff. 1) – obiettivi di mantenimento."]:
        d.add_paragraph(t)
    d.add_heading("Personale coinvolto", level=2)
    d.add_paragraph("Il coefficiente del personale è determinato come segue:")
    for t in ["• fino a 2 addetti: coefficiente 0,9;", "• da 3 a 6 addetti: coefficiente 1,1;",
              "• oltre 6 addetti: coefficiente 1,4."]:
        d.add_paragraph(t)
    d.add_heading("Risorse", level=2)
    d.add_paragraph("Il fondo complessivo per la performance organizzativa ammonta a € 25.000,00; di tale "
                    "importo, € 21.500,00 sono ripartiti tra gli obiettivi e € 3.500,00 restano accantonati "
                    "a titolo di riserva per progetti sopravvenuti.")
    d.add_heading("Valutazione", level=2)
    d.add_paragraph("Per tutti gli obiettivi la quota è liquidata solo se il risultato complessivo è pari o "
                    "superiore al 70% del risultato atteso.")
    d.add_heading("Obiettivi di accesso", level=2)
    d.add_paragraph("Sono prerequisiti per l'erogazione del premio, senza peso, i seguenti obiettivi "
                    "contrassegnati con X:")
    table = d.add_table(rows=3, cols=2)
    for row, cells in zip(table.rows, [("Obiettivo trasversale", "Peso"),
                                       ("Rispetto dei termini di pubblicazione in Amministrazione trasparente", "X"),
                                       ("Attuazione delle misure del Piano anticorruzione", "X")]):
        row.cells[0].text, row.cells[1].text = cells
    d.add_paragraph("Seguono le schede.")
    d.add_page_break()
    d.add_paragraph("OBIETTIVO N. 1 – Digitalizzazione degli archivi")
    d.save(str(path))


def _borgo(path: Path) -> None:
    """A comune with points per objective, a staff table "1 dipendente / 2-3 dipendenti / 8 e
    oltre", the fund as three labelled amounts with welfare, and payout bands in other words."""
    d = docx.Document()
    d.add_paragraph("Comune di Borgo San Vito – Piano Integrato di Attività e Organizzazione 2025-2027")
    d.add_paragraph("Città Metropolitana di Torino")
    d.add_paragraph("Schede degli obiettivi di performance 2025")
    d.add_paragraph("Art. 2 – Pesatura. A ciascun obiettivo è attribuito un punteggio da 10 a 50 punti, "
                    "indicato nella scheda alla voce «Peso 35 punti».")
    d.add_paragraph("Art. 3 – Numero di dipendenti coinvolti e coefficiente")
    table = d.add_table(rows=5, cols=2)
    for row, cells in zip(table.rows, [("Dipendenti coinvolti", "Coefficiente"), ("1 dipendente", "0,70"),
                                       ("2-3 dipendenti", "1,00"), ("4-7 dipendenti", "1,20"),
                                       ("8 e oltre", "1,50")]):
        row.cells[0].text, row.cells[1].text = cells
    d.add_paragraph("Art. 4 – Risorse. Ammontare complessivo delle risorse: € 18.000,00; somme destinate agli "
                    "obiettivi: € 15.000,00; quota welfare: € 3.000,00.")
    d.add_paragraph("Art. 5 – Erogazione. La quota di ciascun obiettivo è erogata come segue:")
    for t in ["da 80% in su: erogazione integrale;", "dal 50% al 80%: quota erogata in proporzione al risultato;",
              "inferiore al 50%: nessun compenso."]:
        d.add_paragraph(t)
    d.add_paragraph("Art. 6 – Schede. Seguono le schede degli obiettivi.")
    d.add_page_break()
    d.add_paragraph("SCHEDA OBIETTIVO N. 1")
    d.add_paragraph("Peso 35 punti")
    d.save(str(path))


@pytest.fixture(scope="module")
def own_plans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own-plans")
    _lago(folder / "lago.docx")
    _borgo(folder / "borgo.docx")
    paths = {"lago.docx": folder / "lago.docx", "borgo.docx": folder / "borgo.docx"}
    if shutil.which("soffice"):
        subprocess.run(["soffice", f"-env:UserInstallation=file://{folder / 'lo-profile'}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(folder), str(folder / "lago.docx"),
                        str(folder / "borgo.docx")], check=True, capture_output=True, timeout=300)
        paths |= {"lago.pdf": folder / "lago.pdf", "borgo.pdf": folder / "borgo.pdf"}
    return paths


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_own_plan_levels_list_and_prose_bands(own_plans, kind):
    if f"lago.{kind}" not in own_plans:
        pytest.skip("LibreOffice not installed")
    plan = parse_intro(read_document(str(own_plans[f"lago.{kind}"])))
    assert plan.entity == "Unione dei Comuni Val del Lago" and plan.province == "Verona"
    assert plan.year == 2026 and plan.period == "2026-2028"
    assert plan.objective_weighting == "levels"
    assert plan.strategic_weights == {"strategica": 1.3, "rilevante": 1.15, "ordinaria": 1}
    assert [(b.label, b.min, b.max, b.coefficient) for b in plan.staff_bands] == [
        ("fino a 2 addetti", 1, 2, 0.9), ("da 3 a 6 addetti", 3, 6, 1.1), ("oltre 6 addetti", 7, None, 1.4)]
    b = plan.budget
    assert (b.total, b.allocated, b.reserve, b.welfare) == (25000, 21500, 3500, 0)
    assert plan.threshold.default_pct == 70 and plan.threshold.bands == []
    assert plan.threshold.text.startswith("Per tutti gli obiettivi")
    assert plan.prerequisites == ["Rispetto dei termini di pubblicazione in Amministrazione trasparente",
                                  "Attuazione delle misure del Piano anticorruzione"]


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_own_plan_points_table_bands_and_payout_bands(own_plans, kind):
    if f"borgo.{kind}" not in own_plans:
        pytest.skip("LibreOffice not installed")
    plan = parse_intro(read_document(str(own_plans[f"borgo.{kind}"])))
    assert plan.entity == "Comune di Borgo San Vito" and plan.province == "Torino"
    assert plan.year == 2025
    assert plan.objective_weighting == "points" and plan.strategic_weights == {}
    assert [(b.min, b.max, b.coefficient) for b in plan.staff_bands] == [
        (1, 1, 0.7), (2, 3, 1.0), (4, 7, 1.2), (8, None, 1.5)]
    b = plan.budget
    assert (b.total, b.allocated, b.reserve, b.welfare) == (18000, 15000, 0, 3000)
    assert plan.threshold.default_pct == 50
    assert [(x.min_pct, x.max_pct, x.payout) for x in plan.threshold.bands] == [
        (80, None, "full"), (50, 80, "proportional"), (None, 50, "none")]
    assert plan.prerequisites == []


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_valmorena_weights_table_is_read_as_the_summary(kind):
    """"Tabella 1 – Obiettivi specifici 2025 e relativi pesi" (N. / Obiettivo / Settore / Peso
    "30/100", with "Totale Settore ... 100/100" rows that are not objectives)."""
    from extractors.summary import parse_summary
    from pipeline.checks import findings_for
    from pipeline.record import Objective, PlanRecord, Source

    rows, total = parse_summary(read_document(str(FIXTURES / f"valmorena-2025.{kind}")))
    expected = _expected("valmorena-2025")["objectives"]
    assert [(r.number, r.strategic_weight) for r in rows] == [(o["number"], o["objective_weight"]) for o in expected]
    assert total is None and all(r.amount_eur is None for r in rows)
    # The table and the expected cards agree: no summary-mismatch; one card changed: one finding.
    cards = [Objective(number=o["number"], title=o["title"], staff_count=o["staff_count"],
                       objective_weight=o["objective_weight"]) for o in expected]
    record = PlanRecord(source=Source(file="v.pdf", sha256="0" * 64, pages=19), objectives=cards)
    record.plan.summary = rows
    assert findings_for("summary-mismatch", record) == []
    cards[5] = cards[5].model_copy(update={"objective_weight": 30})
    [hit] = findings_for("summary-mismatch", record.model_copy(update={"objectives": cards}))
    assert hit.objective == 6 and "riepilogo «35», scheda «30»" in hit.message


def test_a_weights_table_skips_x_prerequisites_and_a_gantt_list_is_no_summary(tmp_path):
    from extractors.summary import parse_summary

    def table(doc, rows):
        t = doc.add_table(rows=len(rows), cols=len(rows[0]))
        for row, cells in zip(t.rows, rows):
            for cell, text in zip(row.cells, cells):
                cell.text = text

    d = docx.Document()
    d.add_paragraph("Tabella dei pesi")
    table(d, [("N.", "Obiettivo", "Settore", "Peso"), ("1", "Regolamento degli uffici", "Segreteria", "40/100"),
              ("2", "Obblighi di trasparenza", "Tutti i settori", "X"), ("3", "Archivio digitale", "Segreteria", "60/100")])
    d.save(str(tmp_path / "pesi.docx"))
    rows, _ = parse_summary(read_document(str(tmp_path / "pesi.docx")))
    assert [(r.number, r.strategic_weight) for r in rows] == [(1, 40), (3, 60)]

    g = docx.Document()
    months = ["Gen", "Feb", "Mar", "Apr", "Mag", "Giu", "Lug", "Ago", "Set", "Ott", "Nov", "Dic"]
    table(g, [("N.", "Obiettivo", "Peso", "Personale", *months),
              ("1", "Regolamento degli uffici", "40", "n. 2 istruttori", *(["X"] * 12))])
    g.save(str(tmp_path / "gantt.docx"))
    assert parse_summary(read_document(str(tmp_path / "gantt.docx"))) == ([], None)
