"""verifica.docx: opens with python-docx, has the report's structure, a chart and page numbers."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
from docx import Document

from outputs.verifica import findings_chart, write_verifica
from pipeline.checks import run_checks
from pipeline.record import Budget, Indicator, Objective, Plan, PlanRecord, Source, StaffBand
from records import expected_record

SHA = "ab" * 32


def small_record() -> PlanRecord:
    bands = [StaffBand(label="Da 1 a 9", min=1, max=9, coefficient=1),
             StaffBand(label="Più di 10", min=11, coefficient=2)]
    objectives = [
        Objective(number=1, title="Controlli edilizi", timeframe="Entro il 31/12/2025",
                  threshold_pct=90, staff_text="n.4 agenti", staff_count=4, pages=[8, 8],
                  indicators=[Indicator(name="Controlli", target="n. 100 controlli", target_value=100,
                                        weight_pct=100, activity="minimo 150 controlli", page=8)]),
        Objective(number=2, number_printed=False, title="Servizi sociali", timeframe="2025",
                  threshold_pct=70, staff_text="tutto il personale", pages=[9, 10],
                  indicators=[Indicator(name="A", weight_pct=60), Indicator(name="B", weight_pct=30)]),
        Objective(number=3, title="Scheda regolare", timeframe="2025", threshold_pct=100,
                  staff_text="n.2 dipendenti", staff_count=2, pages=[11, 11],
                  indicators=[Indicator(name="C", weight_pct=100)]),
    ]
    plan = Plan(entity="Comune di Prova", province="Bergamo", title="Piano della Performance 2025-2027",
                period="2025-2027", year=2025, staff_bands=bands,
                budget=Budget(total=1000.5, allocated=800, reserve=100, welfare=100.5))
    return run_checks(PlanRecord(source=Source(file="prova.pdf", sha256=SHA, pages=12),
                                 plan=plan, objectives=objectives))


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("verifica") / "verifica.docx"
    rec = small_record()
    write_verifica(rec, path, checked_on=date(2025, 3, 4))
    return rec, path, Document(str(path))


def test_structure_headings_and_styles(written):
    _, _, doc = written
    h1 = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert any("Sintesi" in h for h in h1)
    assert any("piano nel suo insieme" in h for h in h1)
    assert any("Quadro delle schede" in h for h in h1)
    assert any("Rilievi per obiettivo" in h for h in h1)
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert any(h.startswith("Obiettivo n. 1") for h in h2)
    assert not any(h.startswith("Obiettivo n. 3 ") for h in h2)  # no findings: no section
    assert any(p.style.name == "Title" for p in doc.paragraphs)
    styles = {t.style.name for t in doc.tables}
    assert "Light Grid Accent 1" in styles and "Table Grid" in styles


def test_cover_names_source_hash_and_date(written):
    _, _, doc = written
    text = all_text(doc)
    assert "COMUNE DI PROVA" in text and "prova.pdf" in text and SHA in text
    assert "4 marzo 2025" in text


def test_one_row_per_objective_with_weights_threshold_staff_status(written):
    rec, _, doc = written
    overview = next(t for t in doc.tables if t.rows[0].cells[0].text == "N." and len(t.columns) == 7)
    rows = overview.rows[1:]
    assert [r.cells[0].text for r in rows] == ["1", "2", "3"]
    second = [c.text for c in rows[1].cells]
    assert "90%" in second[3]  # 60 + 30
    assert second[4] == "70%" and second[5] == "non quantificabile" and second[6] == "Da correggere"
    assert rows[2].cells[6].text == "Conforme"


def test_findings_and_plan_checks_in_the_text(written):
    rec, _, doc = written
    text = all_text(doc)
    # budget arithmetic in Italian money format, with its difference
    assert "€ 1.000,50" in text and "1.000,50" in text
    assert "Numero di dipendenti non coperto da alcuna fascia" in text and ": 10." in text
    for f in rec.findings:
        if f.objective is None:
            assert f.message in text
    assert "150 controlli" in text


def test_chart_picture_embedded(written):
    _, _, doc = written
    assert len(doc.inline_shapes) == 1
    blobs = [r.target_part.blob for r in doc.part.rels.values() if "image" in r.reltype]
    assert blobs and blobs[0][:8] == b"\x89PNG\r\n\x1a\n"


def test_footer_has_page_field(written):
    _, _, doc = written
    xml = doc.sections[0].footer._element.xml
    assert "PAGE" in xml and "fldChar" in xml and "NUMPAGES" in xml


def test_no_findings_no_chart(tmp_path):
    rec = PlanRecord(source=Source(file="x.pdf", sha256=SHA, pages=1), plan=Plan(entity="Comune di X"))
    assert findings_chart(rec) is None
    write_verifica(rec, tmp_path / "v.docx")
    doc = Document(str(tmp_path / "v.docx"))
    assert len(doc.inline_shapes) == 0 and "Nessuna segnalazione" in all_text(doc)


def test_expected_chiari_record_report(tmp_path):
    rec = run_checks(expected_record())
    write_verifica(rec, tmp_path / "v.docx")
    doc = Document(str(tmp_path / "v.docx"))
    text = all_text(doc)
    assert "€ 91.223,09" in text
    assert "Obiettivo n. 16" in text


@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_converts_to_pdf_with_libreoffice(written, tmp_path):
    _, path, _ = written
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "verifica.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) >= 3
        first = doc.pages[0].extract_text()
        last = doc.pages[-1].extract_text()
    assert "Verifica di coerenza" in first
    assert "Pagina" in last


@pytest.mark.parametrize("budget, verdict", [
    (Budget(total=1000.5, allocated=800, reserve=100, welfare=100.5), "sommano esattamente"),
    (Budget(total=1000.5, allocated=800, reserve=100, welfare=90.5), "differenza di € 10,00"),
    # no share for the objectives: the rule cannot check, so neither may the report
    (Budget(total=1000.5, reserve=100, welfare=100.5), "non è indicata"),
    (Budget(allocated=800, reserve=100), "non è indicato"),
])
def test_budget_verdict_agrees_with_the_budget_sum_rule(budget, verdict, tmp_path):
    rec = small_record()
    rec = run_checks(rec.model_copy(update={"plan": rec.plan.model_copy(update={"budget": budget}),
                                            "findings": []}))
    write_verifica(rec, tmp_path / "v.docx", checked_on=date(2025, 3, 4))
    paragraphs = [p.text for p in Document(str(tmp_path / "v.docx")).paragraphs]
    (said,) = [t for t in paragraphs if t.startswith(("Le parti", "Il totale", "La quota"))]
    assert verdict in said
    flagged = any(f.rule == "budget-sum" for f in rec.findings)
    assert flagged == ("differenza" in said)


def test_every_registered_rule_has_an_italian_label_in_the_report():
    from outputs.verifica import rule_label, wording
    from pipeline.checks import registered_rules

    assert set(registered_rules()) <= set(wording()["rules"])
    assert rule_label("regola-nuova") == wording()["rule_fallback"] == "Altro controllo"
