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
    assert any(h == "4. Rilievi" for h in h1) and any("Ripartizione delle risorse" in h for h in h1)
    h2 = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    # findings by severity: errors before warnings
    assert h2.index(next(h for h in h2 if h.startswith("Errori"))) < \
        h2.index(next(h for h in h2 if h.startswith("Avvisi")))
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
    assert "Nessun rilievo per l'obiettivo n. 3." in text


def test_chart_picture_embedded(written):
    _, _, doc = written
    assert len(doc.inline_shapes) == 1  # no allocation: no amounts chart
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


# ----------------------------------------------------------------------------- for a decision


def _page_one(doc) -> list[str]:
    """Paragraph texts before the first page break."""
    out = []
    for p in doc.paragraphs:
        if 'w:br w:type="page"' in p._p.xml or "<w:br w:type=\"page\"/>" in p._p.xml:
            break
        out.append(p.text)
    return out


def _finding_tables(doc):
    return [t for t in doc.tables if [c.text for c in t.rows[0].cells] == ["Ob.", "Pag.", "Controllo", "Rilievo"]]


def test_page_one_gives_the_verdict(written, tmp_path):
    rec, _, doc = written
    errors = sorted({f.objective for f in rec.findings if f.severity == "error" and f.objective})
    assert errors  # the small record has errors (weights of objective 2, ...)
    want = "Esito: da correggere prima dell'approvazione (obiettiv"
    first = _page_one(doc)
    (line,) = [t for t in first if t.startswith(want)]
    assert line.endswith(", ".join(map(str, errors)) + ")") or "rilievi sul piano" in line
    # without errors: approvable
    ok = rec.model_copy(update={"findings": [f for f in rec.findings if f.severity != "error"]})
    write_verifica(ok, tmp_path / "ok.docx")
    assert "Esito: approvabile" in _page_one(Document(str(tmp_path / "ok.docx")))


def _tables_under_headings(doc) -> dict[str, list]:
    """Heading 2 text -> the tables that follow it (body order)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out: dict[str, list] = {}
    current = None
    for child in doc.element.body.iterchildren():
        if child.tag.endswith("}p"):
            p = Paragraph(child, doc)
            if p.style.name.startswith("Heading"):
                current = p.text
        elif child.tag.endswith("}tbl") and current:
            out.setdefault(current, []).append(Table(child, doc))
    return out


def test_each_error_and_warning_has_a_proposed_correction(written):
    rec, _, doc = written
    assert all(f.correction for f in rec.findings if f.severity in ("error", "warning"))
    by_heading = _tables_under_headings(doc)
    serious = [h for h in by_heading if h.startswith(("Errori", "Avvisi"))]
    assert len(serious) == 2
    rows = [r for h in serious for t in by_heading[h] for r in t.rows[1:]]
    n = sum(1 for f in rec.findings if f.severity in ("error", "warning"))
    granular = sum(f.rule == "threshold-granularity" for f in rec.findings)
    assert granular == 2 and len(rows) == n - 1  # the two granularity warnings read as one row
    assert all(r.cells[3].text.count("Correzione proposta: ") == 1 for r in rows)
    text = all_text(doc)
    assert all(f.correction in text for f in rec.findings if f.severity in ("error", "warning"))


def test_findings_sorted_by_objective_within_each_severity(written):
    _, _, doc = written
    for table in _finding_tables(doc):
        keys = [-1 if r.cells[0].text == "Piano" else int(r.cells[0].text.split(",")[0])
                for r in table.rows[1:]]
        assert keys == sorted(keys)


def test_no_rule_ids_and_no_cut_titles(tmp_path):
    from pipeline.checks import registered_rules

    rec = run_checks(expected_record())
    write_verifica(rec, tmp_path / "v.docx")
    text = all_text(Document(str(tmp_path / "v.docx")))
    for rule_id in registered_rules():
        assert rule_id not in text
    assert "…" not in text
    for o in rec.objectives:
        assert " ".join(o.title.split()) in text


def test_repeated_granularity_warnings_read_as_one_note(tmp_path):
    rec = run_checks(expected_record())
    granular = [f for f in rec.findings if f.rule == "threshold-granularity"]
    assert len(granular) >= 2
    write_verifica(rec, tmp_path / "v.docx")
    doc = Document(str(tmp_path / "v.docx"))
    rows = [r for t in _finding_tables(doc) for r in t.rows[1:]
            if r.cells[2].text == "Soglia raggiungibile solo al 100%"]
    assert len(rows) == 1
    numbers = ", ".join(str(f.objective) for f in granular)
    assert rows[0].cells[0].text == numbers and f"(n. {numbers})" in rows[0].cells[3].text
    assert rows[0].cells[3].text.count("Correzione proposta") == 1


def _allocated(record, off_by_cents: dict[int, int] | None = None):
    """The small record with a budget shared out, and a printed summary (optionally off)."""
    from pipeline.record import Allocation, SummaryRow

    allocs = [Allocation(objective=1, strategic_level="Alta", strategic_weight=2, staff_count=4,
                         staff_coefficient=1, points=2, amount_eur=200.0, scope="Settore A"),
              Allocation(objective=2, strategic_level="Media", strategic_weight=1, staff_count=12,
                         staff_coefficient=2, points=2, amount_eur=200.0, scope="Settore B"),
              Allocation(objective=3, strategic_level="Alta", strategic_weight=2, staff_count=2,
                         staff_coefficient=2, points=4, amount_eur=400.0, scope="Settore A")]
    off = off_by_cents or {}
    summary = [SummaryRow(number=a.objective, amount_eur=a.amount_eur + off.get(a.objective, 0) / 100,
                          page=12) for a in allocs]
    plan = record.plan.model_copy(update={"summary": summary, "summary_total_eur": 800.0})
    return record.model_copy(update={"allocations": allocs, "plan": plan})


def _allocation_table(doc):
    return next(t for t in doc.tables if t.rows[0].cells[-1].text == "Importo stampato")


def test_allocation_section_table_statement_and_chart(tmp_path):
    rec = _allocated(small_record())
    write_verifica(rec, tmp_path / "v.docx")
    doc = Document(str(tmp_path / "v.docx"))
    table = _allocation_table(doc)
    assert [c.text for c in table.rows[0].cells] == [
        "N.", "Settore/Area", "Strategicità (peso)", "Personale", "Coeff.", "Punti",
        "Importo calcolato", "Importo stampato"]
    assert [c.text for c in table.rows[1].cells] == [
        "1", "Settore A", "Alta (2)", "4", "1", "2", "€ 200,00", "€ 200,00"]
    assert [c.text for c in table.rows[-1].cells][5:] == ["8", "€ 800,00", "€ 800,00"]
    text = all_text(doc)
    assert "sono stati ricalcolati" in text and "tutti i 3 importi coincidono" in text
    assert len(doc.inline_shapes) == 2  # findings chart and amounts by Settore/Area
    assert any(p.text.startswith("Figura 2") for p in doc.paragraphs)


def test_allocation_statement_names_the_amounts_that_differ(tmp_path):
    rec = _allocated(small_record(), {2: 1000})  # printed € 10,00 more on objective 2
    write_verifica(rec, tmp_path / "v.docx")
    doc = Document(str(tmp_path / "v.docx"))
    (said,) = [p.text for p in doc.paragraphs if "sono stati ricalcolati" in p.text]
    assert "2 su 3 coincidono" in said and "obiettivi n. 2 " in said
    assert _allocation_table(doc).rows[2].cells[7].text == "€ 210,00"


def test_document_properties_name_the_entity_and_the_real_date(written):
    from datetime import datetime, timedelta, timezone

    _, _, doc = written
    props = doc.core_properties
    assert props.author == "Comune di Prova" and props.title.startswith("Verifica di coerenza")
    created = props.created.replace(tzinfo=props.created.tzinfo or timezone.utc)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(hours=1)


def test_a_rule_without_a_correction_still_gets_one(tmp_path):
    from pipeline.record import Finding

    rec = small_record()
    rec = rec.model_copy(update={"findings": [
        Finding(rule="regola-nuova", severity="warning", objective=1, page=8, message="Qualcosa non va.")]})
    write_verifica(rec, tmp_path / "v.docx")
    doc = Document(str(tmp_path / "v.docx"))
    (row,) = [r for t in _finding_tables(doc) for r in t.rows[1:]]
    assert row.cells[2].text == "Altro controllo" and "regola-nuova" not in all_text(doc)
    assert "Correzione proposta: Verificare il punto" in row.cells[3].text
