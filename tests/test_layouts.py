"""Plans of other comuni, other layouts: the whole pipeline scored as acceptance scores it.

Montecaldo (matrix tables, one per Area) and Valmorena ("piano-tipo" cards with labelled
paragraphs), from the PDF and from the Word original, each against its expected record and
findings with the acceptance checks' own scorer (``tests/acceptance_score.py``, a copy of
``../shared/tools/score.py``). Plus a layout no shipped vocabulary knows, read through a user's
``--profile``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document as Docx

from flows.cli import main
from flows.run import RunOptions, extract, process
from pipeline.classification import load_classification
from tests import acceptance_score as score
from tests import planmaker as pm

DATA = Path(__file__).parent / "data"
PLANS = ["montecaldo-2025", "valmorena-2025"]


@pytest.fixture(scope="module", params=[(p, ext) for p in PLANS for ext in ("pdf", "docx")],
                ids=lambda v: f"{v[0]}.{v[1]}")
def scored(request):
    plan, ext = request.param
    classification = load_classification(str(DATA / f"{plan}.classification.json"))
    record = process(extract(DATA / f"{plan}.{ext}", RunOptions(ocr="never")), classification)
    got = json.loads(record.to_json())
    gold = json.loads((DATA / f"{plan}.expected.json").read_text(encoding="utf-8"))
    tally = score.Tally()
    score.score_plan(gold, got, tally)
    score.score_objectives(gold, got, tally)
    findings = json.loads((DATA / f"{plan}.findings.json").read_text(encoding="utf-8"))
    return plan, got, gold, tally, score.score_findings(findings, got)


def test_fields_right(scored):
    plan, _, _, tally, _ = scored
    pct = 100.0 * tally.ok / tally.total
    assert pct >= 98.0, f"{plan}: {tally.ok}/{tally.total} fields right; missed {tally.misses[:20]}"


def test_findings_raised_and_none_forbidden(scored):
    plan, _, _, _, (hits, total, problems) = scored
    assert hits == total and not problems, f"{plan}: {hits}/{total} required findings; {problems}"


def test_every_objective_found_with_its_indicators(scored):
    """Stricter than the score: every expected objective, by number, with as many indicators and
    the same weights in the same order."""
    plan, got, gold, _, _ = scored
    by_number = {o["number"]: o for o in got["objectives"]}
    assert sorted(by_number) == sorted(o["number"] for o in gold["objectives"])
    for g in gold["objectives"]:
        o = by_number[g["number"]]
        assert [i["weight_pct"] for i in o["indicators"]] == [i["weight_pct"] for i in g["indicators"]], \
            f"{plan} objective {g['number']}"


def test_allocation_to_the_cent(scored):
    """Amounts recomputed by hand from the expected record: allocated budget x weight x
    coefficient / sum, largest remainder on cents; they add up exactly to the budget."""
    from fractions import Fraction

    plan, got, gold, _, _ = scored
    cls = json.loads((DATA / f"{plan}.classification.json").read_text(encoding="utf-8"))
    bands = gold["plan"]["staff_bands"]
    weights = {k.lower(): v for k, v in gold["plan"]["strategic_weights"].items()}

    def coefficient(n):
        return next(b["coefficient"] for b in bands
                    if (b["min"] is None or n >= b["min"]) and (b["max"] is None or n <= b["max"]))

    scores = {}
    for o in gold["objectives"]:
        c = cls[str(o["number"])]
        weight = o["objective_weight"] if not weights else weights[c["strategicita"]]
        scores[o["number"]] = Fraction(str(weight)) * Fraction(str(coefficient(c["staff_count_used"])))
    cents = round(gold["plan"]["budget"]["allocated"] * 100)
    total = sum(scores.values())
    quotas = {n: cents * s / total for n, s in scores.items()}
    floor = {n: q.numerator // q.denominator for n, q in quotas.items()}
    left = cents - sum(floor.values())
    for n in sorted(quotas, key=lambda n: (-(quotas[n] - floor[n]), n))[:left]:
        floor[n] += 1
    amounts = {a["objective"]: a["amount_eur"] for a in got["allocations"]}
    assert amounts == {n: c / 100 for n, c in floor.items()}
    assert sum(round(a * 100) for a in amounts.values()) == cents


# -- a layout no shipped vocabulary knows, read with a user's profile ---------------------------


def _unknown_layout(path: Path) -> None:
    doc = Docx()
    doc.add_paragraph("COMUNE DI ROCCAVERDE")
    doc.add_paragraph("Piano della Performance 2026 – Piano integrato di attività e organizzazione (PIAO)")
    doc.add_paragraph("Soglia minima di raggiungimento per tutti gli obiettivi: 70%.")
    for n, (title, rows) in enumerate([
        ("Digitalizzazione dell'archivio", [("Fascicoli scansionati", "n. 500 fascicoli", "60"),
                                            ("Indice pubblicato", "Sì", "40")]),
        ("Riduzione dei tempi di risposta", [("Tempo medio di risposta", "≤ 20 giorni", "100")]),
    ], start=1):
        doc.add_paragraph(f"PROGETTO DI PERFORMANCE N. {n}")
        doc.add_paragraph(f"Obiettivo: {title}")
        doc.add_paragraph("Scadenza: 31/12/2026")
        doc.add_paragraph("Soglia minima: 70%")
        doc.add_paragraph("Personale coinvolto: n. 2 istruttori amministrativi")
        table = doc.add_table(rows=1, cols=3)
        for cell, text in zip(table.rows[0].cells, ("Misuratore", "Valore da raggiungere", "Quota %")):
            cell.text = text
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = text
    doc.save(path)


PROFILE = r"""
card_headings:
  - '^\W*PROGETTO\s+DI\s+PERFORMANCE\s+N\s*[.°]?\s*(?P<num>\d{1,3})\s*(?:[–—:\-]\s*(?P<rest>\S.*?))?\W*$'
column_roles:
  name: ['misuratore']
  target: ['valore\s+da\s+raggiungere']
  weight: ['quota\s*%']
"""


def test_profile_reads_a_layout_the_vocabulary_does_not_know(tmp_path, capsys):
    plan = tmp_path / "roccaverde-2026.docx"
    _unknown_layout(plan)
    assert main(["run", str(plan), "--out", str(tmp_path / "without"), "--quiet"]) == 2
    assert "nessuna scheda obiettivo trovata" in capsys.readouterr().err

    profile = tmp_path / "profilo.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    assert main(["run", str(plan), "--out", str(tmp_path / "with"), "--profile", str(profile), "--quiet"]) == 0
    got = json.loads((tmp_path / "with" / "plan.json").read_text(encoding="utf-8"))
    assert [o["title"] for o in got["objectives"]] == ["Digitalizzazione dell'archivio",
                                                       "Riduzione dei tempi di risposta"]
    assert [[(i["name"], i["target"], i["weight_pct"]) for i in o["indicators"]] for o in got["objectives"]] == [
        [("Fascicoli scansionati", "n. 500 fascicoli", 60), ("Indice pubblicato", "Sì", 40)],
        [("Tempo medio di risposta", "≤ 20 giorni", 100)],
    ]


def test_profile_with_an_unknown_key_is_refused_in_one_line(tmp_path, capsys):
    plan = tmp_path / "roccaverde-2026.docx"
    _unknown_layout(plan)
    profile = tmp_path / "profilo.yaml"
    profile.write_text("intestazioni_schede: ['PROGETTO']\n", encoding="utf-8")
    assert main(["run", str(plan), "--out", str(tmp_path / "o"), "--profile", str(profile)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "profilo.yaml" in err[0] and "intestazioni_schede" in err[0]
    assert not (tmp_path / "o").exists()


# -- layout variants built here: restarts, prerequisites, Gantt lists, unknown columns ----------


def _table(doc, rows):
    table = doc.add_table(rows=0, cols=len(rows[0]))
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text
    return table


def _parsed(doc, path):
    """The record parse_plan reads from ``doc`` saved at ``path``."""
    from extractors import parse_plan, read_document

    doc.save(path)
    return parse_plan(read_document(str(path)))


def _front(doc, entity="COMUNE DI PRATOLUNGO"):
    doc.add_paragraph(entity)
    doc.add_paragraph("Piano della Performance 2026 – obiettivi di performance organizzativa")


def test_numbering_restarting_per_service_gets_running_numbers(tmp_path):
    doc = Docx()
    _front(doc)
    cards = [("Servizio Tributi", 1, "Bonifica della banca dati TARI"),
             ("Servizio Tributi", 2, "Avvisi di accertamento IMU"),
             ("Servizio Polizia Locale", 1, "Controlli sulla sosta"),
             ("Servizio Polizia Locale", 2, "Educazione stradale nelle scuole")]
    for service, n, title in cards:
        doc.add_paragraph(f"{service} – Obiettivo n. {n}")
        doc.add_paragraph(f"Obiettivo: {title}")
        doc.add_paragraph("Soglia minima: 60%")
        doc.add_paragraph("Personale coinvolto: n. 2 istruttori")
        _table(doc, [("Indicatore", "Target 2026", "Peso %"), ("Pratiche concluse", "n. 50 pratiche", "100")])
    record = _parsed(doc, tmp_path / "pratolungo.docx")
    assert [o.number for o in record.objectives] == [1, 2, 3, 4]
    assert [o.printed_label for o in record.objectives] == [f"{s} – Obiettivo n. {n}" for s, n, _ in cards]
    assert [o.title for o in record.objectives] == [t for *_, t in cards]


def test_a_number_printed_twice_is_no_restart(tmp_path):
    doc = Docx()
    _front(doc)
    for n in (1, 2, 2, 3):
        doc.add_paragraph(f"OBIETTIVO N. {n}")
        doc.add_paragraph(f"Obiettivo: Titolo {n}")
        _table(doc, [("Indicatore", "Target", "Peso"), ("Atti", "n. 5 atti", "100")])
    record = _parsed(doc, tmp_path / "doppio.docx")
    assert [o.number for o in record.objectives] == [1, 2, 2, 3]
    assert all(o.printed_label is None for o in record.objectives)


def test_list_of_objectives_with_gantt_grid_and_an_x_prerequisite(tmp_path):
    doc = Docx()
    _front(doc)
    doc.add_paragraph("ANNO 2026")
    doc.add_paragraph("SERVIZIO SEGRETERIA")
    months = ["Gen", "Feb", "Mar", "Apr", "Mag", "Giu", "Lug", "Ago", "Set", "Ott", "Nov", "Dic"]
    header = ("N.", "Obiettivo", "Peso", "Personale", *months)

    def gantt(first, last):
        return tuple("X" if first <= m <= last else "" for m in range(1, 13))

    _table(doc, [header,
                 ("1", "Aggiornamento del regolamento degli uffici", "40", "n. 2 istruttori", *gantt(3, 10)),
                 ("2", "Rispetto degli obblighi di pubblicazione in Amministrazione trasparente", "X",
                  "tutto il personale", *gantt(1, 12)),
                 ("3", "Archiviazione digitale delle delibere", "60", "n. 1 istruttore", *gantt(5, 5))])
    record = _parsed(doc, tmp_path / "segreteria.docx")
    assert record.source.layout == "list"
    assert record.plan.prerequisites == ["Rispetto degli obblighi di pubblicazione in Amministrazione trasparente"]
    assert [(o.number, o.objective_weight, o.timeframe) for o in record.objectives] == [
        (1, 40, "01/03/2026 – 31/10/2026"), (3, 60, "01/05/2026 – 31/05/2026")]
    assert [o.scope_line for o in record.objectives] == ["SERVIZIO SEGRETERIA"] * 2


def test_unknown_column_is_a_reading_uncertain_finding(tmp_path):
    from flows.run import run_plan

    doc = Docx()
    _front(doc)
    doc.add_paragraph("OBIETTIVO N. 1")
    doc.add_paragraph("Obiettivo: Riordino dell'archivio")
    doc.add_paragraph("Soglia minima: 60%")
    doc.add_paragraph("Personale coinvolto: n. 2 istruttori")
    _table(doc, [("Indicatore", "Target", "Peso %", "Colore semaforo"), ("Faldoni", "n. 40 faldoni", "100", "verde")])
    path = tmp_path / "archivio.docx"
    doc.save(path)
    record = run_plan(path, tmp_path / "out", RunOptions())
    uncertain = [f for f in record.findings if f.rule == "reading-uncertain"]
    assert len(uncertain) == 1 and "«Colore semaforo»" in uncertain[0].message
    assert record.objectives[0].indicators[0].weight_pct == 100


def test_label_value_table_cards(tmp_path):
    """Each objective a two-column table: label | value rows, the indicators in a table after it."""
    doc = Docx()
    _front(doc)
    for n, title, due in ((1, "Sportello unico digitale", "30/09/2026"), (2, "Censimento del verde", "31/12/2026")):
        _table(doc, [(f"Obiettivo n. {n}", title),
                     ("Descrizione", "Attivazione dei servizi e formazione del personale."),
                     ("Responsabile", "Dott.ssa Anna Rossi"),
                     ("Scadenza", due),
                     ("Soglia minima", "70%"),
                     ("Personale coinvolto", "n. 3 istruttori amministrativi")])
        doc.add_paragraph("")
        _table(doc, [("Indicatore", "Valore atteso", "Peso"), ("Servizi attivati", "n. 6 servizi", "60"),
                     ("Dipendenti formati", "n. 10 dipendenti", "40")])
    record = _parsed(doc, tmp_path / "labelvalue.docx")
    got = [(o.number, o.title, o.timeframe, o.threshold_pct, o.staff_count,
            [(i.name, i.target_value, i.weight_pct) for i in o.indicators]) for o in record.objectives]
    assert got == [
        (1, "Sportello unico digitale", "30/09/2026", 70, 3, [("Servizi attivati", 6, 60), ("Dipendenti formati", 10, 40)]),
        (2, "Censimento del verde", "31/12/2026", 70, 3, [("Servizi attivati", 6, 60), ("Dipendenti formati", 10, 40)]),
    ]


def test_the_introduction_s_last_sentence_is_no_card_scope(tmp_path):
    """A heading with nothing above it on its page: the sentence that ends the introduction
    (the plan's payout rule, here) stays in the introduction, not the first card's scope."""
    doc = Docx()
    _front(doc)
    doc.add_paragraph("Al di sotto del 60% la quota non è erogata.")
    doc.add_paragraph("OBIETTIVO N. 1")
    doc.add_paragraph("Obiettivo: Riordino dell'archivio")
    _table(doc, [("Indicatore", "Target", "Peso %"), ("Faldoni", "n. 40 faldoni", "100")])
    record = _parsed(doc, tmp_path / "intro.docx")
    assert record.objectives[0].scope_line is None
    assert record.objectives[0].title == "Riordino dell'archivio"


def _sassoferro(path: Path):
    """The 'SCHEDA N.' plan of issue #12 saved at ``path`` (its tables have no borders:
    python-docx's default table style), and the readings it must give."""
    doc = Docx()
    doc.add_paragraph("COMUNE DI SASSOFERRO")
    doc.add_paragraph("Piano della Performance 2026 – obiettivi di performance organizzativa")
    doc.add_paragraph("Ogni obiettivo è pesato in punti; la quota è erogata se il risultato raggiunge almeno il 70%.")
    cards = [("Revisione del regolamento dei tributi minori", "30/06/2026", "n. 2 istruttori amministrativi", 40,
              [("Regolamento approvato", "Sì", "50"), ("Avvisi inviati", "n. 300 avvisi", "50")]),
             ("Digitalizzazione delle pratiche cimiteriali", "31/12/2026",
              "1 Istruttore direttivo cat. D, 3 Operai cat. B", 35,
              [("Pratiche digitalizzate", "n. 450 pratiche", "60"), ("Tempo medio di rilascio", "≤ 15 giorni", "40")])]
    for n, (title, due, staff, points, rows) in enumerate(cards, start=1):
        doc.add_paragraph(f"SCHEDA N. {n}")
        doc.add_paragraph(f"Denominazione: {title}")
        doc.add_paragraph(f"Termine: {due}")
        doc.add_paragraph(f"Risorse umane coinvolte: {staff}")
        doc.add_paragraph(f"Punteggio: {points} punti")
        _table(doc, [("Indicatore di performance", "Valore obiettivo", "Peso indicatore"), *rows])
    doc.save(path)
    want = [
        (cards[0][0], None, "30/06/2026", 70, 2, 40, [("Regolamento approvato", None, 50), ("Avvisi inviati", 300, 50)]),
        (cards[1][0], None, "31/12/2026", 70, 4, 35, [("Pratiche digitalizzate", 450, 60), ("Tempo medio di rilascio", 15, 40)]),
    ]
    return want


def _readings(record):
    return [(o.title, o.scope_line, o.timeframe, o.threshold_pct, o.staff_count, o.objective_weight,
             [(i.name, i.target_value, i.weight_pct) for i in o.indicators]) for o in record.objectives]


def test_a_plan_in_yet_another_wording(tmp_path):
    """'SCHEDA N.' headings, 'Denominazione:' / 'Termine:' / 'Risorse umane coinvolte:' /
    'Punteggio:' labels, 'Valore obiettivo' / 'Peso indicatore' columns, the year only in the
    title, the soglia in a sentence about the quota, points printed on every card. The last row
    of a card's table is no scope line of the next card."""
    from extractors import parse_plan, read_document

    want = _sassoferro(tmp_path / "sassoferro.docx")
    record = parse_plan(read_document(str(tmp_path / "sassoferro.docx")))
    assert (record.plan.year, record.plan.objective_weighting, record.plan.threshold.default_pct) == (2026, "points", 70)
    assert _readings(record) == want


@pytest.mark.libreoffice
@pytest.mark.skipif(pm.soffice() is None, reason="LibreOffice not installed")
def test_the_same_plan_from_its_pdf_without_ruling_lines(tmp_path):
    """The same plan exported by LibreOffice: its tables have no ruling lines, pdfplumber finds
    none, and the indicators are read from the words' positions alone, as from the DOCX."""
    from extractors import parse_plan, read_document

    want = _sassoferro(tmp_path / "sassoferro.docx")
    pdf = pm.to_pdf(tmp_path / "sassoferro.docx", tmp_path, tmp_path / "lo-profile")
    doc = read_document(str(pdf))
    assert not any(p.tables for p in doc.pages)
    record = parse_plan(doc)
    assert _readings(record) == want


def _roccaverde(path: Path):
    """A plan built for the before-stop review of this session: the fund in an 'ammonta a'
    sentence, the strategicità levels named after the colon of a sentence that wraps in the
    PDF ('Strategico 40, Rilevante 30, Ordinario 20'), 'Struttura responsabile:' before the
    other labels, borderless indicator tables."""
    doc = Docx()
    doc.add_paragraph("COMUNE DI ROCCAVERDE")
    doc.add_paragraph("Piano della Performance 2026 – Allegato B: obiettivi di performance organizzativa")
    doc.add_paragraph("Il fondo destinato alla performance organizzativa per l'anno 2026 ammonta a € 48.500,00.")
    doc.add_paragraph("Ad ogni obiettivo è attribuito un livello di strategicità: Strategico 40, Rilevante 30, "
                      "Ordinario 20.")
    doc.add_paragraph("Coefficienti per numero di dipendenti coinvolti:")
    for band in ("da 1 a 3 dipendenti: coefficiente 1,0", "da 4 a 8 dipendenti: coefficiente 1,2",
                 "oltre 8 dipendenti: coefficiente 1,5"):
        doc.add_paragraph(band, style="List Bullet")
    doc.add_paragraph("L'obiettivo si considera raggiunto, ai fini dell'erogazione del premio, se il grado di "
                      "realizzazione è almeno pari al 60%.")
    cards = [("Digitalizzazione delle pratiche edilizie", "Area Tecnica", "Strategico", "4 dipendenti",
              [("Pratiche presentate on line sul totale", "≥ 80%", "60"),
               ("Tempo medio di rilascio del permesso di costruire", "≤ 45 giorni", "40")]),
             ("Censimento delle aree verdi comunali", "Area Lavori Pubblici", "Ordinario", "n. 9 operai",
              [("Schede di censimento compilate", "n. 120", "50"),
               ("Mappa pubblicata sul sito istituzionale", "Sì", "30"),
               ("Relazione alla Giunta", "entro il 31/10/2026", "20")])]
    for n, (title, area, level, staff, rows) in enumerate(cards, start=1):
        if n > 1:
            doc.add_page_break()
        doc.add_heading(f"Obiettivo n. {n} – {title}", 2)
        doc.add_paragraph(f"Struttura responsabile: {area}")
        doc.add_paragraph(f"Strategicità: {level}")
        doc.add_paragraph(f"Personale coinvolto: {staff}")
        doc.add_paragraph("Indicatori:")
        _table(doc, [("Indicatore", "Valore atteso", "Peso %"), *rows])
    doc.save(path)
    plan = (2026, 48500, {"strategico": 40, "rilevante": 30, "ordinario": 20}, 60)
    objectives = [(c[0], c[1], c[2], s, [(name, int(w)) for name, _t, w in c[4]])
                  for c, s in zip(cards, (4, 9))]
    return plan, objectives


def _roccaverde_readings(record):
    plan = (record.plan.year, record.plan.budget.total, record.plan.strategic_weights,
            record.plan.threshold.default_pct)
    return plan, [(o.title, o.scope_line, o.strategic_level, o.staff_count,
                   [(i.name, i.weight_pct) for i in o.indicators]) for o in record.objectives]


def test_fund_levels_and_labels_in_other_sentences_from_docx(tmp_path):
    from extractors import parse_plan, read_document

    want = _roccaverde(tmp_path / "roccaverde.docx")
    assert _roccaverde_readings(parse_plan(read_document(str(tmp_path / "roccaverde.docx")))) == want


@pytest.mark.libreoffice
@pytest.mark.skipif(pm.soffice() is None, reason="LibreOffice not installed")
def test_fund_levels_and_labels_in_other_sentences_from_pdf(tmp_path):
    from extractors import parse_plan, read_document

    want = _roccaverde(tmp_path / "roccaverde.docx")
    pdf = pm.to_pdf(tmp_path / "roccaverde.docx", tmp_path, tmp_path / "lo-profile")
    assert _roccaverde_readings(parse_plan(read_document(str(pdf)))) == want
