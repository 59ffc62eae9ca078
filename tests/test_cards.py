"""The card parser on the real plan (digital PDF and DOCX: every expected field) and on small
crafted cards (blank number, table split over a page break, OCR spellings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.cards import join_lines, kind_of, parse_cards, quantity_fix, target_value, weight_of
from extractors.layout import Document, Line, Page, Table, Word
from extractors.text import read_text, split_pages
from tests.fieldcompare import compare_objectives, fold, load_expected, summary

ROOT = Path(__file__).resolve().parent.parent
PDF = ROOT / "examples" / "chiari-2025.pdf"
DOCX = ROOT / "examples" / "chiari-2025.docx"
EXCLUDE: tuple[str, ...] = ()


@pytest.fixture(scope="module")
def pdf_doc():
    from extractors import read_document

    return read_document(str(PDF), ocr="never")


@pytest.fixture(scope="module")
def pdf_cards(pdf_doc):
    return parse_cards(pdf_doc, 2025)


@pytest.fixture(scope="module")
def docx_cards():
    from extractors import read_document

    return parse_cards(read_document(str(DOCX)), 2025)


@pytest.mark.parametrize("which", ["pdf", "docx"])
def test_real_plan_every_expected_field(which, request):
    cards = request.getfixturevalue(f"{which}_cards")
    right, total, report = compare_objectives(cards, load_expected(), exclude=EXCLUDE)
    print(summary(right, total, report, which))
    assert total > 500
    assert right == total, summary(right, total, report, which)


def test_pdf_without_ruled_tables_every_expected_field(pdf_doc):
    """The same PDF with its ruled tables hidden: indicators are read from word positions alone
    (as for a scan), and must still give every expected field."""
    bare = Document(path=pdf_doc.path, sha256=pdf_doc.sha256, format=pdf_doc.format,
                    pages=[Page(number=p.number, width=p.width, height=p.height, lines=p.lines, tables=[])
                           for p in pdf_doc.pages])
    right, total, report = compare_objectives(parse_cards(bare, 2025), load_expected(), exclude=EXCLUDE)
    print(summary(right, total, report, "pdf, no tables"))
    assert right == total, summary(right, total, report, "pdf, no tables")


def test_pdf_and_docx_give_the_same_prose(pdf_cards, docx_cards):
    """The text fields the Allegato is regenerated from agree between the two formats."""
    assert len(pdf_cards) == len(docx_cards)
    for a, b in zip(pdf_cards, docx_cards):
        for f in ("description", "phases", "activities", "verification"):
            assert fold(getattr(a, f)) == fold(getattr(b, f)), (a.number, f)
        assert [fold(i.activity) for i in a.indicators] == [fold(i.activity) for i in b.indicators], a.number


def test_pdf_provenance(pdf_cards):
    for o in pdf_cards:
        assert len(o.pages) == 2 and o.pages[0] <= o.pages[1]
        assert o.pages[0] <= o.field_pages["title"] <= o.pages[1]
        for ind in o.indicators:
            assert ind.page is not None and o.pages[0] <= ind.page <= o.pages[1]
    # cards start on their own pages, in order
    starts = [o.pages[0] for o in pdf_cards]
    assert starts == sorted(set(starts))


# -- crafted cards -------------------------------------------------------------------------------


def _doc(pages: list[list[str]], tables: dict[int, list[Table]] | None = None, fmt: str = "pdf") -> Document:
    doc = Document(path="x", sha256="0", format=fmt)  # type: ignore[arg-type]
    for n, texts in enumerate(pages, start=1):
        doc.pages.append(Page(number=n, lines=[Line(text=t, page=n) for t in texts],
                              tables=(tables or {}).get(n, []), ocr=(fmt == "text")))
    return doc


def _card(number: str, title: str, scope: str = "SETTORE TERRITORIO / AREA LAVORI PUBBLICI") -> list[str]:
    return [
        "PERFORMANCE ORGANIZZATIVA", "ANNO 2031", scope, number,
        f"OBIETTIVO: {title}",
        "Descrizione dell'obiettivo: una descrizione", "Tempi di attuazione: 2031",
        "Fasi di attuazione: unica", "Attività operative da svolgere al fine del raggiungimento dell’obiettivo:",
        "fare cose",
    ]


TAIL = ["Soglia minima risultato atteso: 70 %",
        "Personale da coinvolgere al fine del raggiungimento dell’obiettivo: n.2 tecnici",
        "Indicatori per la verifica del raggiungimento dell'obiettivo: rispetto dei tempi"]
HEADER = ("Indicatori operativi per il\nraggiungimento dell’obiettivo", "Quantità", "Attività riferibile agli indicatori")


def test_blank_number_gets_its_position():
    pages = [_card("OBIETTIVO N. 7", "Primo") + TAIL,
             _card("OBIETTIVO N.", "Secondo") + TAIL,
             _card("OBIETTIVO N. 9", "Terzo") + TAIL]
    cards = parse_cards(_doc(pages), None)
    assert [(c.number, c.number_printed) for c in cards] == [(7, True), (8, False), (9, True)]
    assert [c.title for c in cards] == ["Primo", "Secondo", "Terzo"]
    assert cards[1].pages == [2, 2] and cards[1].threshold_pct == 70
    assert cards[0].timeframe == "2031" and cards[0].staff_text == "n.2 tecnici"


def test_table_split_over_a_page_break_is_merged():
    page1 = _card("OBIETTIVO N. 3", "Con tabella spezzata") + ["Indicatori operativi per il"]
    page2 = TAIL
    t1 = Table(page=1, rows=(HEADER,
                             ("Prima attività", "n.1azione", "fare\n(se completata = raggiungimento 40% obiettivo)"),
                             ("Seconda attività\nsu due", "almeno n.3", "fare ancora")))
    t2 = Table(page=2, rows=(HEADER,
                             ("", "", "e ancora\n(se completato raggiungimento 60 % obiettivo)")))
    cards = parse_cards(_doc([page1, page2], {1: [t1], 2: [t2]}), 2031)
    (card,) = cards
    assert [(i.name, i.target, i.target_value, i.weight_pct) for i in card.indicators] == [
        ("Prima attività", "n.1azione", 1, 40),
        ("Seconda attività su due", "almeno n.3", 3, 60),
    ]
    assert card.indicators[1].activity == "fare ancora e ancora"
    assert card.indicators[1].page == 1 and card.pages == [1, 2]


def test_row_split_mid_cell_over_a_page_break():
    """The name and quantity cells of one row continue on the next page (no weight yet)."""
    page1 = _card("OBIETTIVO N. 4", "Riga spezzata")
    t1 = Table(page=1, rows=(HEADER, ("Controllo degli incassi e", "Controllo", "Informatizzazione")))
    t2 = Table(page=2, rows=(HEADER, ("rendicontazione mensile", "continuo e n.12\nrendicontazioni",
                                      "(se completata = raggiungimento 15% obiettivo)")))
    (card,) = parse_cards(_doc([page1, TAIL], {1: [t1], 2: [t2]}), 2031)
    (ind,) = card.indicators
    assert ind.name == "Controllo degli incassi e rendicontazione mensile"
    assert ind.target == "Controllo continuo e n.12 rendicontazioni"
    assert (ind.target_value, ind.weight_pct) == (12, 15)


def test_ocr_noise_card_from_plain_text():
    lines = [
        "PERFORMANCE ORGANIZZATIVA", "ANNO 2031", "INTERSETTORIALE — TUTTE LE AREE", "OBIETTIVON. 1",
        "OBIETTIVO: Riqualificazione dei servizi per I'accessibilita",
        "Descrizione dell'obiettivo: testo", "Tempi di attuazione: 2031", "Fasi di attuazione: unica",
        "Attivita operative da svolgere al fine del raggiungimento dell’obiettivo:", "testo",
        "Indicatori operativi Quantita | Attivita riferibile agli indicatori",
        "per il raggiungimento", "dell’obiettivo",
        "Avvio cantieri n.1azione | avvio dei lavori (se completata =",
        "raggiungimento 30% obiettivo)",
        "Monitoraggio nA20 | verifica mensile",
        "(se completato raggiungimento 70 % obiettivo",
        "Soglia minima risultato atteso: 100 %",
        "Personale da coinvolgere al fine del raggiungimento dell’obiettivo: Mario Rossi",
        "Indicatori per la verifica del raggiungimento dell'obiettivo: tempi",
    ]
    (card,) = parse_cards(_doc([lines], fmt="text"), 2031)
    assert card.number == 1 and card.number_printed
    assert card.kind == "intersettoriale"
    assert card.title == "Riqualificazione dei servizi per l'accessibilita"
    assert card.threshold_pct == 100
    got = [(i.name, i.target, i.target_value, i.weight_pct) for i in card.indicators]
    assert got == [("Avvio cantieri", "n.1 azione", 1, 30), ("Monitoraggio", "n.120", 120, 70)]


@pytest.mark.parametrize("text,weight", [
    ("(se completata = raggiungimento 20% obiettivo)", 20),
    ("(se completato raggiungimento 25% obiettivo)", 25),
    ("(se completata = raggiungimento 30 % obiettivo)", 30),
    ("fare ( se completata= raggiungimento 100% obiettivo", 100),
    ("(se completato: raggiungimento del 15% dell'obiettivo)", 15),
    ("nessun peso qui", None),
])
def test_weight_spellings(text, weight):
    assert weight_of(text)[0] == weight


@pytest.mark.parametrize("target,value", [
    ("n.1 azione", 1), ("n. 30 servizi", 30), ("Almeno n.32 vie su 45 (70%)", 32),
    ("Almeno il 60% delle rilevazioni", 60), ("n.120 nominativi circa (350 sul triennio)", 120),
    ("n. azioni", None), ("Continua", None), ("19", 19),
    ("n.1.500 libri", 1500), (None, None),
    # as printed: the first number, OCR slips or not (they are repaired on OCR'd text only)
    ("2 85%", 2), ("nA20 nominativi", 20), ("2 persone", 2), ("250%", 250),
])
def test_target_value(target, value):
    assert target_value(target) == value


@pytest.mark.parametrize("target,value", [
    ("nA20 nominativi", 120),
    # a lone "1" after "n." that OCR read as a lookalike (a 150 dpi JPEG scan); "la" is a word
    ("n.] azione", 1), ("n. l azioni", 1), ("n.I azione", 1), ("n. la azione", None),
    # "≥ 85%" whose "≥" OCR read as a 2; "2 persone" and "250%" are left as printed
    ("2 85%", 85), ("2 persone", 2), ("250%", 250),
])
def test_target_value_of_an_ocr_read_cell_after_its_repair(target, value):
    assert target_value(quantity_fix(target)) == value


@pytest.mark.parametrize("scope,kind", [
    ("GENERALE - INTERA STRUTTURA", "generale"),
    ("INTERSETTORIALE (SICUREZZA E AMMINISTRATIVO-FINANZIARIO)", "intersettoriale"),
    ("SETTORE TERRITORIO e SETTORE AMMINISTRATIVO / AREA SUE", "intersettoriale"),
    ("SEGRETERIA AFFARI GENERALI", "settore"),
    ("SETTORE SICUREZZA - CORPO POLIZIA LOCALE", "settore"),
    (None, None),
])
def test_kind_from_scope(scope, kind):
    assert kind_of(scope) == kind


def test_quantity_and_join_rules():
    assert quantity_fix("n.1azione") == "n.1 azione"
    assert quantity_fix("nazioni") == "n. azioni"
    assert quantity_fix("n-12 rendicontazioni") == "n.12 rendicontazioni"
    assert quantity_fix("almeno n.1 corsoin presenza") == "almeno n.1 corso in presenza"
    assert quantity_fix("n.3 viesu 5") == "n.3 vie su 5"
    assert join_lines(["AREA SUE-SUAP-", "commercio"]) == "AREA SUE-SUAP-commercio"
    assert join_lines(["Inaugurazioni/eventi/", "mostre"]) == "Inaugurazioni/eventi/mostre"
    assert join_lines(["per l'implementazione/migliorament", "o dei servizi"]) == \
        "per l'implementazione/miglioramento dei servizi"
    assert join_lines(["uno -", "due"]) == "uno - due"


# Invented OCR text shaped like what OCR makes of an indicators table: the three columns
# interleaved line by line, blank lines where OCR wants them, glued words, stray characters.
OCR_CARD_QUANTITIES = """\
PERFORMANCE ORGANIZZATIVA
ANNO 2031
SETTORE SERVIZI AL CITTADINO
OBIETTIVO N. 4
OBIETTIVO: Riordino dell'archivio storico
Descrizione dell'obiettivo: testo
Tempi di attuazione: 2031
Fasi di attuazione: unica
Attivita operative da svolgere al fine del raggiungimento dell’obiettivo: testo
Indicatori operativi
per il raggiungimento
dell’obiettivo

Quantita | Attivita riferibile agli indicatori

Almeno Verifica dei fascicoli da parte del personale incaricato
n.40 documentisu |tramite scansione ottica (se completata =
60 (66%) raggiungimento 40% obiettivo)

Scansione dei fascicoli storici

Supporto agli utenti Supporto costante agli utenti e relazioni con gli
per la compilazione Assistenza uffici che rilasciano i titoli al fine di
delle domande online continua predisporre le pratiche (se completata =
raggiungimento 30% obiettivo)
Redazione del regolamento ] stesura del testo e confronto con gli uffici
entro il 30/06/2031 (se completata = raggiungimento 30% obiettivo)

Realizzazione di | Primo tema: accordi con soggetti pubblici
almeno 4 azioni | e privati, anche con strumenti formalizzati.
operative, una | Secondo tema: azioni operative orientate al

Sperimentazione
modelli
per ciascuno
dei temi

miglioramento dei servizi alle famiglie.
(se completata = raggiungimento 10% obiettivo)

Soglia minima risultato atteso: 70%
Personale da coinvolgere al fine del raggiungimento dell’obiettivo: n.2 tecnici
Indicatori per la verifica del raggiungimento dell'obiettivo: tempi
"""

OCR_CARD_NAMES = """\
PERFORMANCE ORGANIZZATIVA
ANNO 2031
SETTORE SICUREZZA
OBIETTIVO N. 5
OBIETTIVO: Presidio del territorio
Descrizione dell'obiettivo: testo
Tempi di attuazione: 2031
Fasi di attuazione: unica
Attivita operative da svolgere al fine del raggiungimento dell’obiettivo: testo
Indicatori operativi
per il raggiungimento
dell’obiettivo

Quantita | Attivita riferibile agli indicatori

N. sopralluoghi congiunti Definizione di procedure comuni ed eventuale
con le associazioni del redazione dei verbali condivisi in apposite

Volontariato per la 4 Schede; aggiornamento dei percorsi (ex Regolamento
prevenzione incendi (se completata = raggiungimento 30% obiettivo)
n. Rilievo degli accessi carrabili
Mappatura . .6 p . ! I. o
edifici/anno | (se completata = raggiungimento 20% obiettivo)
Controllo parcheggi Almeno 30 Controllo delle soste nelle zone a disco
4 controlli (se completata = raggiungimento 30% obiettivo)
Apertura sportello Accoglienza e orientamento degli
"Amico" e supporto settimanale | utenti (se completata = raggiungimento 20%
anziani obiettivo)

Soglia minima risultato atteso: 70%
Personale da coinvolgere al fine del raggiungimento dell’obiettivo: n.2 agenti
Indicatori per la verifica del raggiungimento dell'obiettivo: tempi
"""


def _ocr_rows(tmp_path, text: str) -> list[tuple]:
    f = tmp_path / "ocr.txt"
    f.write_text(text, encoding="utf-8")
    (card,) = parse_cards(read_text(str(f)), 2031)
    return [(i.name, i.target, i.target_value, i.weight_pct) for i in card.indicators]


def test_ocr_multiline_quantity_cells(tmp_path):
    """Glued unit + preposition, a quantity going on over the next line, a head noun a line
    above its quantity word, a lone ']' read as 1, a quantity cell spread over 'X | Y' lines
    and finished in a later run of short lines."""
    assert _ocr_rows(tmp_path, OCR_CARD_QUANTITIES) == [
        ("Scansione dei fascicoli storici", "Almeno n.40 documenti su 60 (66%)", 40, 40),
        ("Supporto agli utenti per la compilazione delle domande online", "Assistenza continua", None, 30),
        ("Redazione del regolamento entro il 30/06/2031", "1", 1, 30),
        ("Sperimentazione modelli", "Realizzazione di almeno 4 azioni operative, una per ciascuno dei temi", 4, 10),
    ]


def test_ocr_interleaved_name_cells(tmp_path):
    """A top-aligned name over blank lines cut at the column width, 'n.' with its number
    slipped to the next line, 'Almeno N' before a stray digit, the weight phrase's tail on
    the next line and a quoted word."""
    assert _ocr_rows(tmp_path, OCR_CARD_NAMES) == [
        ("N. sopralluoghi congiunti con le associazioni del Volontariato per la prevenzione incendi",
         "4", 4, 30),
        ("Mappatura", "n.6 edifici/anno", 6, 20),
        ("Controllo parcheggi", "Almeno 30 controlli", 30, 30),
        ('Apertura sportello "Amico" e supporto anziani', "settimanale", None, 20),
    ]


def test_read_text_pseudo_pages(tmp_path):
    plain = "Intro\n\nPERFORMANCE ORGANIZZATIVA\nANNO 2031\nA\n PERFORMANCE ORGANIZZATIVA\nB\n"
    assert [[s.strip() for s in p if s.strip()] for p in split_pages(plain)] == [
        ["Intro"], ["PERFORMANCE ORGANIZZATIVA", "ANNO 2031", "A"], ["PERFORMANCE ORGANIZZATIVA", "B"]]
    f = tmp_path / "plan.txt"
    f.write_text("pagina uno\n\fpagina due\n", encoding="utf-8")
    doc = read_text(str(f))
    assert doc.format == "text" and [p.number for p in doc.pages] == [1, 2]
    assert doc.pages[1].lines[0].text == "pagina due" and doc.pages[1].ocr


def _boxed_line(page: int, top: float, *cells: tuple[float, str]) -> Line:
    """One OCR line with word boxes: each cell is (x0, text); words 5 pt per character."""
    words = []
    for x0, text in cells:
        x = x0
        for tok in text.split():
            words.append(Word(tok, page, x, top, x + 5 * len(tok), top + 9))
            x += 5 * len(tok) + 4
    words.sort(key=lambda w: w.x0)
    return Line(" ".join(w.text for w in words), page, words[0].x0, top, words[-1].x1, top + 9, tuple(words))


def test_boxed_ocr_lines_are_read_by_column():
    """Scanned table (no ruling lines found): columns by x, rows by weight lines, header centred."""
    head = [Line(t, 1, 57, 20 + 12 * k, 300, 29 + 12 * k) for k, t in enumerate(_card("OBIETTIVO N. 2", "Scan"))]
    y = 200.0
    rows = [
        _boxed_line(1, y, (74, "Indicatori operativi per il"), (219, "Quantità"), (341, "Attività riferibile agli indicatori")),
        _boxed_line(1, y + 12, (65, "raggiungimento dell’obiettivo")),
        _boxed_line(1, y + 30, (284, "- individuazione del responsabile;")),
        _boxed_line(1, y + 42, (63, "Individuazione personale"), (218, "n. azioni"), (284, "- gruppo di lavoro")),
        _boxed_line(1, y + 54, (284, "(se completata = raggiungimento 10% obiettivo)")),
        _boxed_line(1, y + 70, (212, "almeno n.1"), (284, "incontri con i portatori di interesse")),
        _boxed_line(1, y + 76, (63, "Consultazione esterna"), (150, "us")),
        _boxed_line(1, y + 82, (225, "azione"), (284, "(se completato raggiungimento 90 % obiettivo)")),
        _boxed_line(1, y + 88, (63, "obiettivi")),
    ]
    tail = [Line(t, 1, 57, 340 + 12 * k, 300, 349 + 12 * k) for k, t in enumerate(TAIL)]
    doc = Document(path="scan.pdf", sha256="0", format="pdf")
    doc.pages.append(Page(number=1, width=595, height=842, lines=head + rows + tail, ocr=True))
    (card,) = parse_cards(doc, 2031)
    got = [(i.name, i.target, i.target_value, i.weight_pct) for i in card.indicators]
    assert got == [("Individuazione personale", "n. azioni", None, 10),
                   ("Consultazione esterna obiettivi", "almeno n.1 azione", 1, 90)]
    assert card.indicators[0].activity == "- individuazione del responsabile; - gruppo di lavoro"


def test_tables_without_geometry_go_to_their_cards_in_order():
    """DOCX-like input: two cards on one page, no boxes; each card gets one table, in order."""
    lines = _card("OBIETTIVO N. 1", "Uno") + TAIL + _card("OBIETTIVO N. 2", "Due") + TAIL
    t1 = Table(page=1, rows=(HEADER, ("Primo", "n.1 azione", "a\n(se completata = raggiungimento 100% obiettivo)")))
    t2 = Table(page=1, rows=(HEADER, ("Secondo", "n.2 azioni", "b\n(se completata = raggiungimento 100% obiettivo)")))
    cards = parse_cards(_doc([lines], {1: [t1, t2]}, fmt="docx"), 2031)
    assert [[i.name for i in c.indicators] for c in cards] == [["Primo"], ["Secondo"]]


def test_threshold_and_staff_printed_on_the_line_after_their_label(tmp_path):
    """An OCR text with no geometry: "70%" alone on a line is the threshold, not a page number;
    the threshold field takes one line, the label's own or, when the label stands alone, the next."""
    head = OCR_CARD_NAMES.split("Soglia minima")[0]
    f = tmp_path / "ocr.txt"
    f.write_text(head + "Soglia minima risultato atteso:\n70%\nuna riga che non è la soglia\n"
                 "Personale da coinvolgere al fine del raggiungimento dell’obiettivo:\n3\n"
                 "Indicatori per la verifica del raggiungimento dell'obiettivo: tempi\n", encoding="utf-8")
    (card,) = parse_cards(read_text(str(f)), 2031)
    assert card.threshold_pct == 70
    assert card.staff_text == "3"  # kept, not dropped as a page number (counting it is staff.py's call)


def test_reader_settings_refuse_unknown_names():
    from extractors.cards.settings import DEFAULT, settings

    assert settings(paragraph_gap=1.2).paragraph_gap == 1.2 and DEFAULT.paragraph_gap == 0.8
    with pytest.raises(TypeError, match="paragraph_gapp"):
        settings(paragraph_gapp=1.2)
