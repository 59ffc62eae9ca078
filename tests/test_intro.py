"""Plan-level rules (intro), the summary table and parse_plan, on the real PDF, DOCX and OCR text.

Expected values come from tests/data/chiari-2025.expected.json (never copied here); text is
compared after folding case, accents, quotes and dash style.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from docx import Document as DocxDocument

from extractors.intro import find_budget, find_staff_bands, parse_band_label, parse_intro
from extractors.layout import Document, Line, Page
from extractors.normalize import fold, parse_it_number
from extractors.plan import parse_plan
from extractors.read import read_document
from extractors.summary import parse_summary
from pipeline.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "pdf": ROOT / "examples" / "chiari-2025.pdf",
    "docx": ROOT / "examples" / "chiari-2025.docx",
    "text": ROOT / "tests" / "data" / "chiari-2025.ocr.txt",
}
EXPECTED = json.loads((ROOT / "tests" / "data" / "chiari-2025.expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def docs():
    return {kind: read_document(str(path)) for kind, path in FILES.items()}


def _same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return fold(str(a)) == fold(str(b)) if a is not None and b is not None else a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 1e-9
    return a == b


def _report(got: dict, expected: dict) -> list[str]:
    bad = []
    for key, want in expected.items():
        have = got.get(key)
        if key == "staff_bands" and isinstance(have, list):
            have = [{k: band.get(k) for k in want[0]} for band in have] if want else have
        if key == "budget" and isinstance(have, dict):
            have = {k: have.get(k) for k in want}
        if not _same(have, want):
            bad.append(f"plan.{key}: expected {want!r}, got {have!r}")
    return bad


@pytest.mark.parametrize("kind", list(FILES))
def test_intro_equals_expected(docs, kind):
    plan = parse_intro(docs[kind]).model_dump()
    bad = _report(plan, EXPECTED["plan"])
    assert not bad, f"{kind}: " + "\n".join(bad)


@pytest.mark.parametrize("kind", list(FILES))
def test_staff_bands_all_staff_row_and_provenance(docs, kind):
    plan = parse_intro(docs[kind])
    flags = [b.all_staff for b in plan.staff_bands]
    assert flags.count(True) == 1
    all_row = plan.staff_bands[flags.index(True)]
    assert all_row.min is None and all_row.max is None
    # Every field found says where it was read; pages exist in the document.
    n_pages = len(docs[kind].pages)
    for field in ("entity", "title", "period", "year", "budget", "strategic_weights", "staff_bands", "categories"):
        assert 1 <= plan.pages[field] <= n_pages, field
    assert plan.budget.page == plan.pages["budget"]


def test_intro_pages_match_between_pdf_and_docx(docs):
    assert parse_intro(docs["pdf"]).pages == parse_intro(docs["docx"]).pages


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_summary_rows_and_total(docs, kind):
    plan = parse_intro(docs[kind])
    rows, total = parse_summary(docs[kind], levels=list(plan.strategic_weights))
    n_cards = len(EXPECTED["objectives"])
    assert [r.number for r in rows] == list(range(1, n_cards + 1))
    assert total == pytest.approx(plan.budget.allocated, abs=0.005)
    assert sum(r.amount_eur for r in rows) == pytest.approx(total, abs=0.01 * n_cards)
    for r in rows:
        assert r.strategic_level in plan.strategic_weights
        assert r.strategic_weight == plan.strategic_weights[r.strategic_level]
        assert r.points == pytest.approx(r.strategic_weight * r.staff_coefficient)
        assert r.title and r.scope and "\n" not in r.title
        assert r.staff_count >= 1
        band_coefficients = {b.coefficient for b in plan.staff_bands}
        assert r.staff_coefficient in band_coefficients
    # Multi-line cells come back whole: the row title starts the card's title.
    titles = {o["number"]: o["title"] for o in EXPECTED["objectives"]}
    agree = sum(fold(titles[r.number])[:25] == fold(r.title)[:25] for r in rows)
    assert agree >= 0.9 * n_cards


def test_summary_pdf_equals_docx(docs):
    pdf_rows, pdf_total = parse_summary(docs["pdf"])
    docx_rows, docx_total = parse_summary(docs["docx"])
    assert pdf_total == docx_total
    assert [r.model_dump() for r in pdf_rows] == [r.model_dump() for r in docx_rows]


def test_summary_from_lines_when_no_ruled_table(docs):
    with_tables, total = parse_summary(docs["pdf"])
    bare = Document(path="x.pdf", sha256="", format="pdf",
                    pages=[Page(number=p.number, lines=p.lines) for p in docs["pdf"].pages])
    from_lines, total_lines = parse_summary(bare)
    assert total_lines == total
    key = lambda r: (r.number, r.strategic_level, r.staff_count, r.strategic_weight,  # noqa: E731
                     r.staff_coefficient, r.points, r.amount_eur)
    assert [key(r) for r in from_lines] == [key(r) for r in with_tables]


def test_summary_absent_in_ocr_text(docs):
    # The summary table did not survive in the real OCR text.
    assert parse_summary(docs["text"]) == ([], None)


# -- parse_plan ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def records(docs):
    return {kind: parse_plan(doc) for kind, doc in docs.items() if kind in ("pdf", "docx")}


def test_plan_source(records):
    for kind, record in records.items():
        path = FILES[kind]
        assert record.source.file == path.name
        assert record.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert record.source.format == kind
        assert record.source.ocr_pages == []
    assert records["pdf"].source.pages == len(pdfium.PdfDocument(str(FILES["pdf"])))


def test_docx_and_pdf_give_the_same_plan(records):
    # every rule of the plan; not its blocks, which are each format's page as printed
    pdf, docx = (records[k].plan.model_dump(exclude={"blocks"}) for k in ("pdf", "docx"))
    diff = {k: (pdf[k], docx[k]) for k in pdf if pdf[k] != docx[k]}
    assert not diff, diff
    assert records["pdf"].plan.summary_total_eur == records["pdf"].plan.budget.allocated


def test_plan_has_the_cards(records):
    for record in records.values():
        assert [o.number for o in record.objectives] == [o["number"] for o in EXPECTED["objectives"]]


def _docx(tmp_path: Path, name: str, paragraphs: list[str]) -> str:
    d = DocxDocument()
    for text in paragraphs:
        d.add_paragraph(text)
    path = tmp_path / name
    d.save(path)
    return str(path)


def test_not_a_plan_and_plan_without_cards(tmp_path):
    letter = _docx(tmp_path, "lettera.docx", ["Gentile cliente,", "le inviamo la fattura di marzo.", "Cordiali saluti"])
    with pytest.raises(InputError, match="non sembra un Piano della Performance"):
        parse_plan(read_document(letter))
    intro_only = _docx(tmp_path, "solo-intro.docx", [
        "PIANO DELLA PERFORMANCE", "ESERCIZIO 2025-2027", "Gli obiettivi di performance organizzativa",
        "Strategicità Peso", "1. strategico 40", "2. innovativo 25",
    ])
    with pytest.raises(InputError, match="nessuna scheda obiettivo trovata"):
        parse_plan(read_document(intro_only))


def test_image_only_document_says_it_has_no_text():
    doc = read_document(str(ROOT / "tests" / "data" / "chiari-2025-scan-p1-10.pdf"), ocr="never")
    with pytest.raises(InputError, match="nessun testo leggibile"):
        parse_plan(doc)


# -- the rules on synthetic lines: other plans word and order things differently ------------------


def _lines(*texts: str) -> list[Line]:
    return [Line(text=t, page=1) for t in texts]


def test_budget_roles_come_from_words_not_order():
    lines = _lines(
        "Per altre politiche retributive (welfare) si destinano € 5.000,00; alle ulteriori progettualità",
        "che dovessero sorgere € 1.500,00. Le risorse attribuite ai settori con progettualità finanziate",
        "ammontano a € 20.250,50, su un importo massimo di € 26.750,50 determinato in bilancio.",
    )
    budget = find_budget(lines)
    assert (budget.total, budget.allocated, budget.reserve, budget.welfare) == (26750.5, 20250.5, 1500.0, 5000.0)


def test_budget_among_many_other_amounts():
    """An introduction that quotes dozens of amounts (past years, other funds) around the budget
    paragraph: the roles still go to the amounts their cue words point at."""
    noise = [f"Nell'anno {2000 + k} la spesa per la voce {k} è stata di € {k + 1}.{k % 10}00,00 come da rendiconto."
             for k in range(45)]
    lines = _lines(*noise[:30],
                   "Per altre politiche retributive (welfare) si destinano € 5.000,00; alle ulteriori progettualità",
                   "che dovessero sorgere € 1.500,00. Le risorse attribuite ai settori con progettualità finanziate",
                   "ammontano a € 20.250,50, su un importo massimo di € 26.750,50 determinato in bilancio.",
                   *noise[30:])
    budget = find_budget(lines)
    assert (budget.total, budget.allocated, budget.reserve, budget.welfare) == (26750.5, 20250.5, 1500.0, 5000.0)


def test_budget_with_ocr_euro_signs_and_missing_parts():
    budget = find_budget(_lines("nellimporto massimo di €& 12.000,00, attribuito ai settori per & 10.000,00."))
    assert (budget.total, budget.allocated, budget.reserve, budget.welfare) == (12000.0, 10000.0, None, None)
    assert find_budget(_lines("Nessun importo in questo testo.")).total is None


@pytest.mark.parametrize("label, parsed", [
    ("1", ("single", 1, 1)),
    ("Da 2 a 3", ("range", 2, 3)),
    ("Da4ab", ("range", 4, None)),  # OCR: the upper bound is unreadable
    ("Da6a?", ("range", 6, None)),
    ("Più di 10", ("above", 11, None)),
    ("Piu di 10", ("above", 11, None)),
    ("Oltre 12", ("above", 13, None)),
    ("Fino a 3", ("upto", 1, 3)),
    ("Tutto il personale dipendente", ("all", None, None)),
    ("Peso", None),
    # a 1 that OCR read as a lookalike (Valmorena's "da 1 a 2 dipendenti", scanned); "o" alone is no 0
    ("dala2 dipendenti", ("range", 1, 2)), ("Da 5 a l0", ("range", 5, 10)), ("da o a 2", ("range", None, 2)),
])
def test_band_labels(label, parsed):
    assert parse_band_label(label) == parsed


def test_band_list_whose_bullets_ocr_read_as_letters():
    # "• da 1 a 3 dipendenti: coefficiente 1,0" as Tesseract reads a 150 dpi scan of it.
    bands, _page = find_staff_bands(_lines(
        "Coefficienti per numero di dipendenti coinvolti:", "e dala3 dipendenti: coefficiente 1,0",
        "e da4a8 dipendenti: coefficiente 1,2", "e oltre 8 dipendenti: coefficiente 1,5", "Testo che segue.",
    ))
    assert [(b.min, b.max, b.coefficient) for b in bands] == [(1, 3, 1.0), (4, 8, 1.2), (9, None, 1.5)]


def test_unreadable_band_bounds_follow_from_neighbours():
    bands, page = find_staff_bands(_lines(
        "N. dipendenti coinvolti Peso", "1 0,50", "Da2a3 1,00", "Da4ab 1,50", "Da6a? 2,00", "Da8a9 2,50",
        "Oltre 9 3,00", "Tutto il personale 3,50", "Testo che segue la tabella.",
    ))
    assert [(b.min, b.max) for b in bands] == [(1, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, None), (None, None)]
    assert [b.label for b in bands][2] == "Da 4 a 5"
    assert [b.coefficient for b in bands] == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    assert bands[-1].all_staff and page == 1


def test_intro_of_an_empty_document_is_empty():
    plan = parse_intro(Document(path="x", sha256="", format="text", pages=[Page(number=1)]))
    assert plan.entity is None and plan.budget.total is None and plan.staff_bands == [] and plan.pages == {}


@pytest.mark.parametrize("text, value", [
    ("1.234,56", 1234.56), ("0,50", 0.5), ("40", 40.0), ("91.223,09", 91223.09), ("€ 4.000,00", 4000.0),
    ("12,5%", 12.5), ("abc", None), ("", None),
])
def test_parse_it_number(text, value):
    assert parse_it_number(text) == value


_HEADER = ("N.", "Obiettivo", "Settore/Area", "Strategicità", "N.\ndipendenti", "Peso\nstrategicità",
           "Peso\npersonale", "Punteggio", "Importo (€)")


def _row(n: str, level: str = "miglioramento") -> tuple[str, ...]:
    return (n, f"Obiettivo {n}", "SETTORE AMMINISTRATIVO-\nFINANZIARIO", level, "4", "20", "1,50", "30,00", "1.000,00")


def test_summary_ocr_misread_row_number_continues_the_sequence():
    from extractors.layout import Table

    table = Table(page=1, rows=(_HEADER, _row("10"), _row("ll"), _row("12"), ("TOTALE", None, None, None, None,
                                                                            None, None, "90,00", "3.000,00")))
    rows, total = parse_summary(Document(path="x", sha256="", format="pdf", pages=[Page(number=1, tables=[table])]))
    assert [r.number for r in rows] == [10, 11, 12] and total == 3000.0
    assert rows[0].scope == "SETTORE AMMINISTRATIVO-FINANZIARIO"  # a hyphen at a line end joins
    lines = _lines("Riepilogo obiettivi - anno 2025", "10 Titolo SETTORE miglioramento 4 20 1,50 30,00 1.000,00",
                   "ll Titolo SETTORE una tantum 4 5 1,50 7,50 250,00", "Il Titolo innovativo 4 25 1,50 37,50 1.250,00",
                   "TOTALE 75,00 2.500,00")
    rows, total = parse_summary(Document(path="x", sha256="", format="text", pages=[Page(number=1, lines=lines)]),
                                levels=["miglioramento", "una tantum", "innovativo"])
    # "ll" after 10 is 11; "Il" after 11 would be 11 again, not 12: it is not taken as a row.
    assert [(r.number, r.strategic_level) for r in rows] == [(10, "miglioramento"), (11, "una tantum")]
    assert total == 2500.0


@pytest.mark.ocr
@pytest.mark.slow
def test_intro_and_summary_from_the_scan_through_ocr():
    """The scan has no text layer: its first pages go through Tesseract, then the same rules."""
    import shutil

    if shutil.which("tesseract") is None:
        pytest.skip("Tesseract not installed")
    from extractors.ocr import ocr_pdf_pages

    scan = ROOT / "tests" / "data" / "chiari-2025-scan-p1-10.pdf"
    pages = ocr_pdf_pages(str(scan), list(range(1, 8)))
    doc = Document(path=str(scan), sha256="", format="pdf", pages=pages)
    plan = parse_intro(doc)
    bad = _report(plan.model_dump(), EXPECTED["plan"])
    assert not bad, "\n".join(bad)
    rows, total = parse_summary(doc, levels=list(plan.strategic_weights))
    print(f"summary rows read from the scan: {len(rows)}/{len(EXPECTED['objectives'])}")
    assert len(rows) >= 0.9 * len(EXPECTED["objectives"])
    assert total == pytest.approx(plan.budget.allocated, abs=0.005)


@pytest.mark.parametrize("cover, entity", [
    ("COMUNE DI SAN PAOLO D'ARGON", "Comune di San Paolo d'Argon"),
    ("COMUNE DI SANT’ANGELO LODIGIANO", "Comune di Sant'Angelo Lodigiano"),
    ("Città di Reggio nell'Emilia", "Città di Reggio nell'Emilia"),
    ("COMUNE DI RODENGO-SAIANO", "Comune di Rodengo-Saiano"),  # fold() spaces out the hyphen
    ("COMUNE DI  CASTEL SAN PIETRO  TERME", "Comune di Castel San Pietro Terme"),
])
def test_entity_names_keep_italian_capitalisation(cover, entity):
    from extractors.intro import find_entity

    assert find_entity(_lines("Allegato 1", cover))[0] == entity


@pytest.mark.parametrize("line, province", [
    ("PROVINCIA DI FORLÌ-CESENA", "Forlì-Cesena"),
    ("Provincia di Monza e della Brianza", "Monza e della Brianza"),
])
def test_province_names_as_printed(line, province):
    from extractors.intro import find_province

    assert find_province(_lines("COMUNE DI PROVA", line))[0] == province


def test_weights_rows_in_other_spellings():
    from extractors.intro import find_strategic_weights

    weights, page = find_strategic_weights(_lines("Livello di strategicità Peso", "1 - Strategico 40%", "2) innovativo 25",
                                                  "una tantum 5", "Il testo prosegue."))
    assert weights == {"strategico": 40, "innovativo": 25, "una tantum": 5} and page == 1


@pytest.mark.parametrize("heading", ["macrocategorie", "macro-categorie", "macro categorie", "Macro - Categorie"])
def test_categories_heading_in_every_spelling(heading):
    from extractors.intro import find_categories

    items, _ = find_categories(_lines(f"Gli obiettivi sono ricondotti alle seguenti {heading}:",
                                      "\u2022 obiettivi di semplificazione", "\u2022 obiettivi di trasparenza",
                                      "Il testo prosegue con una frase lunga che non è una categoria del piano."))
    assert items == ["obiettivi di semplificazione", "obiettivi di trasparenza"]


def test_categories_with_bullets_ocr_could_not_read():
    from extractors.intro import find_categories

    items, page = find_categories(_lines(
        "Si riconducono gli obiettivi alle seguenti macrocategorie:", "Q obiettivi finanziati da PNRR",
        "O obiettivi di semplificazione", "A obiettivi di trasparenza", "° obiettivi controllo territorio",
        "\uf071 obiettivi promozione del territorio",
        "Il conseguimento degli obiettivi di performance organizzativa costituisce condizione per l'erogazione",
    ))
    assert items == ["obiettivi finanziati da PNRR", "obiettivi di semplificazione", "obiettivi di trasparenza",
                     "obiettivi controllo territorio", "obiettivi promozione del territorio"]


def test_italian_money_round_trips():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from extractors.normalize import money_amounts

    @settings(max_examples=200, deadline=None)
    @given(st.integers(min_value=0, max_value=10**9))
    def check(cents: int) -> None:
        value = cents / 100
        printed = f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")  # 1.234,56
        assert parse_it_number(printed) == pytest.approx(value)
        assert [v for _, v in money_amounts(f"per € {printed}, e altro")] == [pytest.approx(value)]

    check()


def test_intro_ends_where_the_card_parser_finds_the_first_card():
    """A prose mention of "Obiettivo n. 4" is not a card; a card with only a scope line above
    its number keeps every intro line before that scope line."""
    from extractors.intro import intro_lines

    lines = ["Gli obiettivi di performance organizzativa", "Obiettivo n. 4 del DUP: ne discendono le schede.",
             "Le macrocategorie:", "\u2022 obiettivi di semplificazione", "\u2022 obiettivi di trasparenza",
             "\u2022 obiettivi finanziati da PNRR", "\u2022 obiettivi di promozione del territorio",
             "SETTORE TECNICO", "OBIETTIVO N. 1", "OBIETTIVO: Primo"]
    doc = Document(path="x.txt", sha256="0" * 64, format="text",
                   pages=[Page(number=1, lines=[Line(text=t, page=1) for t in lines])])
    assert [ln.text for ln in intro_lines(doc)] == lines[:7]
