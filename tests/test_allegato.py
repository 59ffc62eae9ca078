"""allegato.docx written from a record alone: structure, labels, tables, Italian numbers, nulls.

The records are built from tests/data's expected extraction (no extractor needed), with card prose
and an allocation added here so that every part of the document has something to show.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pdfplumber
import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from records import expected_record

from outputs.allegato import it_money, it_number, it_percent, write_allegato
from pipeline.record import Allocation, Indicator, Objective, Plan, PlanRecord, Source

WEIGHT_LINE = re.compile(r"^\(se completata = raggiungimento (\d+(?:,\d+)?)% obiettivo\)$")


def full_record() -> PlanRecord:
    """The expected Chiari record plus prose on every card and a (made-up) allocation."""
    record = expected_record()
    allocations = []
    for i, o in enumerate(record.objectives):
        o.description = f"Descrizione dell'obiettivo {o.number}, su due righe.\nSeconda riga."
        o.phases = "Entro aprile: prima fase;\nentro dicembre: seconda fase."
        o.activities = "Prima attività.\n- seconda attività;\n- terza attività."
        o.verification = "Rispetto della tempistica indicata."
        for ind in o.indicators:
            ind.activity = f"Attività riferibile a {ind.name}"
        allocations.append(Allocation(objective=o.number, strategic_level="miglioramento",
                                      strategic_weight=20, staff_count=4, staff_coefficient=1.5,
                                      points=30.0, amount_eur=1000 + i + 0.5, scope=o.scope_line))
    return record.model_copy(update={"allocations": allocations})


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def _all_text(doc) -> str:
    parts = _texts(doc)
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    for section in doc.sections:
        for part in (section.header, section.footer):
            parts += [p.text for p in part.paragraphs]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    record = full_record()
    path = tmp_path_factory.mktemp("allegato") / "allegato.docx"
    write_allegato(record, path)
    return record, path, Document(str(path))


def test_italian_numbers():
    assert it_number(91223.09, 2) == "91.223,09"
    assert it_number(0.5, 2) == "0,50"
    assert it_number(1234567) == "1.234.567"
    assert it_number(12.5) == "12,5"
    assert it_number(40.0) == "40"
    assert it_number(99.999) == "100" and it_number(1234.001) == "1.234"  # no dangling comma
    assert it_number(None) == ""
    assert it_money(4000) == "€ 4.000,00"
    assert it_percent(33.33) == "33,33%"


def test_cover_and_sections(written):
    record, _, doc = written
    texts = _texts(doc)
    assert texts[0] == "Allegato 2"  # the number comes from the plan's title
    assert "COMUNE DI CHIARI" in texts and "PROVINCIA DI BRESCIA" in texts
    assert "PIANO DELLA PERFORMANCE" in texts and f"ESERCIZIO {record.plan.period}" in texts
    # introduction, summary (landscape), cards, the notes on the regeneration
    assert [s.orientation for s in doc.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE,
                                                      WD_ORIENT.PORTRAIT, WD_ORIENT.PORTRAIT]
    assert doc.sections[1].page_width > doc.sections[1].page_height
    styles = {p.style.name for p in doc.paragraphs}
    assert {"Title", "Heading 1", "Heading 2"} <= styles
    footer = doc.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "fldChar" in footer
    assert doc.sections[0].header.paragraphs[0].text == "Allegato 2"


def test_introduction_rules_are_tables(written):
    record, _, doc = written
    plan = record.plan
    weights = doc.tables[0]
    assert [c.text for c in weights.rows[0].cells] == ["Strategicità", "Peso"]
    got = [(r.cells[0].text, r.cells[1].text) for r in weights.rows[1:]]
    assert got == [(f"{i}. {k}", it_number(v)) for i, (k, v) in enumerate(plan.strategic_weights.items(), 1)]
    bands = doc.tables[1]
    assert bands.rows[0].cells[1].text == "Peso"
    assert [(r.cells[0].text, r.cells[1].text) for r in bands.rows[1:]] == \
        [(b.label, it_number(b.coefficient, 2)) for b in plan.staff_bands]
    assert any(r.cells[1].text == "0,50" for r in bands.rows)  # decimal comma, two places
    texts = _texts(doc)
    for category in plan.categories:
        p = doc.paragraphs[texts.index(category)]
        assert p._p.pPr.numPr is not None  # a real bulleted list
    budget = next(t for t in texts if "ammontare complessivo" in t)
    b = plan.budget
    assert [m for m in re.findall(r"€ ([\d.]+,\d\d)", budget)] == \
        [it_number(v, 2) for v in (b.total, b.allocated, b.reserve, b.welfare)]
    assert "€ 91.223,09" in budget  # the Italian style itself, spelled out once


def test_summary_table_is_the_allocation(written):
    record, _, doc = written
    table = doc.tables[2]
    header = [c.text for c in table.rows[0].cells]
    assert header == ["N.", "Obiettivo", "Settore/Area", "Strategicità", "N. dipendenti",
                      "Peso strategicità", "Peso personale", "Punteggio", "Importo (€)"]
    rows = table.rows[1:-1]
    assert len(rows) == len(record.allocations)
    for row, a in zip(rows, record.allocations):
        cells = [c.text for c in row.cells]
        assert cells[0] == str(a.objective)
        assert cells[1] == record.objective(a.objective).title
        assert cells[3:] == [a.strategic_level, str(a.staff_count), it_number(a.strategic_weight),
                             it_number(a.staff_coefficient, 2), it_number(a.points, 2),
                             it_number(a.amount_eur, 2)]
    total = [c.text for c in table.rows[-1].cells]
    assert total[0] == "TOTALE"
    assert total[-1] == it_number(sum(a.amount_eur for a in record.allocations), 2)
    assert '<w:tblHeader' in table.rows[0]._tr.xml  # header repeats on every page


def test_one_card_per_page_with_the_plan_labels(written):
    record, _, doc = written
    paragraphs = doc.paragraphs
    texts = _texts(doc)
    starts = [i for i, t in enumerate(texts) if t == "PERFORMANCE ORGANIZZATIVA"]
    assert len(starts) == len(record.objectives)
    assert all(paragraphs[i].paragraph_format.page_break_before for i in starts[1:])
    assert texts.count(f"ANNO {record.plan.year}") == len(record.objectives)
    for o in record.objectives:
        assert f"OBIETTIVO N. {o.number}" in texts
        assert f"OBIETTIVO: {o.title}" in texts
        assert f"Tempi di attuazione: {o.timeframe}" in texts
        assert f"Soglia minima risultato atteso: {it_percent(o.threshold_pct)}" in texts
        assert f"Personale da coinvolgere al fine del raggiungimento dell’obiettivo: {o.staff_text}" in texts
    unnumbered = next(o for o in record.objectives if not o.number_printed)
    assert f"OBIETTIVO N. {unnumbered.number}" in texts  # printed now, although the original had none
    assert "OBIETTIVO N." not in texts
    # multi-line prose: first line after its label, each further line its own paragraph
    first = starts[0]
    card = texts[first:starts[1]]
    assert "Descrizione dell'obiettivo: Descrizione dell'obiettivo 1, su due righe." in card
    assert card[card.index("Descrizione dell'obiettivo: Descrizione dell'obiettivo 1, su due righe.") + 1] \
        == "Seconda riga."
    i = card.index("Attività operative da svolgere al fine del raggiungimento dell’obiettivo:")
    assert card[i + 1:i + 4] == ["Prima attività.", "- seconda attività;", "- terza attività."]
    assert "Indicatori per la verifica del raggiungimento dell'obiettivo: Rispetto della tempistica indicata." in card


def test_indicator_tables(written):
    record, _, doc = written
    tables = doc.tables[3:]
    with_indicators = [o for o in record.objectives if o.indicators]
    assert len(tables) == len(with_indicators)
    for table, o in zip(tables, with_indicators):
        assert [c.text for c in table.rows[0].cells] == [
            "Indicatori operativi per il raggiungimento dell’obiettivo", "Quantità",
            "Attività riferibile agli indicatori"]
        assert len(table.rows) == 1 + len(o.indicators)
        for row, ind in zip(table.rows[1:], o.indicators):
            assert row.cells[0].text == ind.name
            assert row.cells[1].text == (ind.target or "")
            lines = row.cells[2].text.split("\n")
            assert lines[0] == ind.activity
            m = WEIGHT_LINE.match(lines[-1])
            assert m and m.group(1) == it_number(ind.weight_pct)


def test_unknown_values_are_left_blank_never_none(tmp_path):
    record = PlanRecord(
        source=Source(file="x.pdf", sha256="0" * 64, pages=1),
        plan=Plan(entity="Comune di Prova"),
        objectives=[Objective(number=1, indicators=[Indicator(name="Solo nome")]),
                    Objective(title="Senza numero\x0c con rumore OCR", threshold_pct=None)],
    )
    path = tmp_path / "allegato.docx"
    write_allegato(record, path)
    doc = Document(str(path))
    text = _all_text(doc)
    assert "None" not in text and "null" not in text and "\x0c" not in text
    texts = _texts(doc)
    assert "COMUNE DI PROVA" in texts
    assert "Soglia minima risultato atteso:" in texts  # the label stays, the value is unknown
    assert "OBIETTIVO N. 1" in texts and "OBIETTIVO N." in texts
    assert "OBIETTIVO: Senza numero con rumore OCR" in texts
    assert not any("ammontare" in t for t in texts)  # no budget: no budget sentence
    assert not any(re.search(r"ANNO\b", t) for t in texts)  # no year known: none invented
    weight_cell = doc.tables[-1].rows[1].cells[2].text
    assert weight_cell == ""  # no activity, no weight: nothing to say


def test_empty_record(tmp_path):
    path = tmp_path / "allegato.docx"
    write_allegato(PlanRecord(source=Source(file="x.pdf", sha256="0" * 64, pages=1)), path)
    doc = Document(str(path))
    assert "None" not in _all_text(doc)
    assert "PERFORMANCE ORGANIZZATIVA" not in _texts(doc)


def test_weight_line_not_written_twice(tmp_path):
    record = expected_record()
    ind = record.objectives[4].indicators[1]
    ind.activity = f"Regolarizzazione.\n(se completato raggiungimento {ind.weight_pct} % obiettivo)"
    path = tmp_path / "allegato.docx"
    write_allegato(record, path)
    cells = [row.cells for t in Document(str(path)).tables for row in t.rows]
    cell = next(c[2].text for c in cells if c[0].text == ind.name)
    assert cell == f"Regolarizzazione.\n(se completata = raggiungimento {ind.weight_pct}% obiettivo)"


def _pdf(docx_path, out_dir, profile):
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out_dir), str(docx_path)],
                   check=True, capture_output=True, timeout=180)
    return out_dir / (docx_path.stem + ".pdf")


@pytest.mark.libreoffice
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_pdf_pages_read_like_the_plan(written, tmp_path):
    """Through LibreOffice: every card starts a page, the index points at the real pages."""
    record, path, _ = written
    pdf = _pdf(path, tmp_path, tmp_path / "lo-profile")
    with pdfplumber.open(pdf) as doc:
        pages = [p.extract_text() or "" for p in doc.pages]
        landscape = [p.width > p.height for p in doc.pages]
    card_pages = [i + 1 for i, t in enumerate(pages) if "PERFORMANCE ORGANIZZATIVA" in t]
    assert len(card_pages) == len(record.objectives)  # one card per page, never two on one
    for n, page in zip([o.number for o in record.objectives], card_pages):
        assert f"OBIETTIVO N. {n}\n" in pages[page - 1] + "\n"
    assert any(landscape) and not landscape[0] and not landscape[-1]
    index = pages[1]
    assert re.search(rf"Allegati: Schede di dettaglio attività obiettivo\.*\s*Pag\. {card_pages[0]}\b", index)
    intro_page = next(i + 1 for i, t in enumerate(pages) if "Gli obiettivi di performance organizzativa" in t)
    assert re.search(rf"1\. Gli obiettivi di performance\.*\s*Pag\. {intro_page}\b", index)
    # page numbers in the footer (none on the cover)
    assert pages[1].rstrip().endswith("2") and pages[-1].rstrip().endswith(str(len(pages)))


# --- any record, however incomplete or noisy, gives a document without "None" ---------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_text = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["", "\n\n", "a\x0cb", "x\ny\n"]))
_num = st.one_of(st.none(), st.integers(-5, 10**6), st.floats(-1e6, 1e6, allow_nan=False))
_indicator = st.builds(Indicator, name=_text, target=_text, target_value=_num, weight_pct=_num, activity=_text)
_objective = st.builds(
    Objective, number=st.one_of(st.none(), st.integers(0, 99)), number_printed=st.booleans(),
    scope_line=_text, title=_text, timeframe=_text, threshold_pct=_num, staff_text=_text,
    staff_count=st.one_of(st.none(), st.integers(0, 500)), strategic_level=_text, description=_text,
    phases=_text, activities=_text, verification=_text, indicators=st.lists(_indicator, max_size=3))
_plan = st.builds(Plan, entity=_text, province=_text, title=_text, period=_text,
                  year=st.one_of(st.none(), st.integers(1990, 2100)),
                  strategic_weights=st.dictionaries(st.text(min_size=1, max_size=12), _num.filter(
                      lambda v: v is not None), max_size=4),
                  categories=st.lists(st.text(max_size=20), max_size=3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=_plan, objectives=st.lists(_objective, max_size=3))
def test_any_record_is_written_without_none(tmp_path, plan, objectives):
    record = PlanRecord(source=Source(file="x.pdf", sha256="0" * 64, pages=1), plan=plan,
                        objectives=objectives)
    path = tmp_path / "allegato.docx"
    write_allegato(record, path)
    doc = Document(str(path))
    text = _all_text(doc)
    if "None" not in record.to_json():  # (unless the record's own text says it)
        assert "None" not in text
    assert len([t for t in _texts(doc) if t == "PERFORMANCE ORGANIZZATIVA"]) == len(objectives)


def test_no_total_when_an_amount_is_unknown(tmp_path):
    record = full_record()
    record.allocations[2].amount_eur = None
    path = tmp_path / "allegato.docx"
    write_allegato(record, path)
    summary = Document(str(path)).tables[2]
    total = [c.text for c in summary.rows[-1].cells]
    assert total[0] == "TOTALE" and total[-1] == ""  # points all known: their total stays
    assert total[-2] == it_number(sum(a.points for a in record.allocations), 2)


def test_document_properties_name_the_entity_and_the_real_date(written):
    from datetime import datetime, timedelta, timezone

    record, _, doc = written
    props = doc.core_properties
    assert props.author == record.plan.entity and record.plan.entity in props.title
    created = props.created.replace(tzinfo=props.created.tzinfo or timezone.utc)
    assert abs(datetime.now(timezone.utc) - created) < timedelta(hours=1)


def test_last_section_says_where_the_regeneration_differs(written):
    """Issue 14: a last section "Note sulla rigenerazione" names the source and every number the
    reader supplied (the Chiari card printed as "OBIETTIVO N." is the 16th)."""
    record, _, doc = written
    texts = _texts(doc)
    at = texts.index("Note sulla rigenerazione")
    notes = texts[at + 1:]
    assert any(record.source.file in n and record.source.sha256[:16] in n for n in notes)
    supplied = [o.number for o in record.objectives if not o.number_printed]
    assert supplied and all(any(f"Obiettivo n. {n}:" in x and "non riporta il numero" in x for x in notes)
                            for n in supplied)
