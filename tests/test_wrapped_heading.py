"""A plan nobody built the reader for ("Lagorosso": Word headings, labelled paragraphs, a
3-column indicator table, the fund and the soglia in the introduction's sentences). Read from the
Word original and from LibreOffice's PDF of it, where the document's title wraps ("... Obiettivi
di / performance organizzativa"): the wrapped half of the title is no card banner, so the
introduction -- the fund and the soglia -- is not taken into the first card."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from extractors import parse_plan, read_document
from tests import planmaker as pm

#: (title, office, objective weight, staff, [(indicator, target, weight %)])
OBJECTIVES = [
    ("Digitalizzazione delle pratiche edilizie", "Servizio Urbanistica", 30, 3,
     [("Pratiche presentate on line sul totale", "≥ 80%", 60),
      ("Tempo medio di rilascio del permesso", "≤ 45 giorni", 40)]),
    ("Riduzione dei tempi di pagamento delle fatture", "Servizio Finanziario", 25, 2,
     [("Indicatore di tempestività dei pagamenti", "≤ 0 giorni", 100)]),
    ("Nuovo regolamento per l'uso delle sale civiche", "Segreteria generale", 20, 1,
     [("Approvazione in Consiglio comunale entro il 30/09/2026", "Sì", 100)]),
    ("Manutenzione programmata delle strade comunali", "Servizio Lavori pubblici", 25, 4,
     [("Km di strade con manutenzione eseguita", "n. 12", 70),
      ("Segnalazioni chiuse entro 30 giorni", "≥ 90%", 30)]),
]


def _lagorosso(path: Path) -> Path:
    doc = Document()
    doc.add_heading("COMUNE DI LAGOROSSO", 0)
    doc.add_paragraph("Provincia di Belluno")
    doc.add_heading("Piano della Performance 2026 – Obiettivi di performance organizzativa", 1)
    doc.add_paragraph("Le risorse destinate alla performance organizzativa per l'anno 2026 ammontano "
                      "a € 31.200,00, interamente ripartite tra gli obiettivi sulla base del peso "
                      "attribuito a ciascuno.")
    doc.add_paragraph("Un obiettivo si considera raggiunto se il grado di realizzazione è almeno "
                      "pari al 70%; al di sotto di tale soglia non si dà luogo ad alcuna erogazione.")
    for n, (title, office, weight, staff, indicators) in enumerate(OBJECTIVES, 1):
        doc.add_heading(f"Obiettivo n. {n} – {title}", 2)
        doc.add_paragraph(f"Struttura responsabile: {office}")
        doc.add_paragraph(f"Peso dell'obiettivo: {weight} punti")
        doc.add_paragraph(f"Personale coinvolto: {staff} dipendenti")
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, header in zip(table.rows[0].cells, ["Indicatore", "Valore atteso", "Peso %"]):
            cell.text = header
        for name, target, share in indicators:
            row = table.add_row().cells
            row[0].text, row[1].text, row[2].text = name, target, f"{share}%"
    doc.save(path)
    return path


def _check(path: Path) -> None:
    record = parse_plan(read_document(str(path)))
    plan = record.plan
    assert (plan.entity, plan.year) == ("Comune di Lagorosso", 2026)
    assert plan.budget.allocated == 31200.0  # "interamente ripartite tra gli obiettivi"
    assert plan.threshold.default_pct == 70
    assert plan.threshold.text.startswith("Un obiettivo si considera raggiunto")
    got = [(o.title, o.objective_weight, o.staff_count,
            [(i.target, i.weight_pct) for i in o.indicators]) for o in record.objectives]
    assert got == [(t, w, s, [(tg, p) for _, tg, p in inds]) for t, _, w, s, inds in OBJECTIVES]


def test_the_word_original(tmp_path):
    _check(_lagorosso(tmp_path / "lagorosso.docx"))


@pytest.mark.libreoffice
@pytest.mark.skipif(pm.soffice() is None, reason="LibreOffice not installed")
def test_the_pdf_whose_title_wraps(tmp_path):
    pdf = pm.to_pdf(_lagorosso(tmp_path / "lagorosso.docx"), tmp_path, tmp_path / "lo-profile")
    lines = [line.text for line in read_document(str(pdf)).lines()]
    assert "performance organizzativa" in lines  # the title does wrap in this PDF
    _check(pdf)
