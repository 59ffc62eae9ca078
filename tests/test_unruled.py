"""The unruled-table stage (``extractors/cards/unruled.py``) on positioned words.

The pages are laid out here word by word, as a PDF's text layer or Tesseract gives them: cells
side by side with no ruling lines. The expected rows are written by hand from the layout, never
computed by the code under test. The same stage on real LibreOffice PDFs is scored in
``tests/test_unseen_layouts.py`` (the ``unruled-*`` layouts).
"""

from __future__ import annotations

from extractors.cards.unruled import rows_from_unruled, tables_from_lines
from extractors.layout import Line, Word, line_of

CHAR, SPACE, HEIGHT, PITCH = 5.0, 2.8, 11.0, 14.0


def _words(text: str, x: float, top: float, page: int) -> list[Word]:
    out = []
    for token in text.split(" "):
        w = len(token) * CHAR
        out.append(Word(token, page, x, top, x + w, top + HEIGHT))
        x += w + SPACE
    return out


def _page(rows: list[list[tuple[float, str]]], page: int = 1, top: float = 100.0,
          gaps: list[float] | None = None) -> list[Line]:
    """Lines from cells: each line a list of (x, text); ``gaps`` extra space above each line."""
    lines = []
    y = top
    for k, cells in enumerate(rows):
        y += (gaps[k] if gaps else 0.0)
        words = [w for x, text in cells for w in _words(text, x, y, page)]
        lines.append(line_of(words))
        y += PITCH
    return lines


# columns at x = 90 (name), 240 (target), 380 (weight), as in a three-column Word table
HEADER = [(90, "Indicatore di performance"), (240, "Valore obiettivo"), (380, "Peso indicatore")]


def _cells(rows):
    return [(list(r.name), list(r.target), r.weight) for r in rows]


def test_three_columns_with_a_wrapped_name_and_target():
    lines = _page([
        HEADER,
        [(90, "Regolamento approvato dal"), (240, "Sì"), (380, "50")],
        [(90, "Consiglio comunale")],
        [(90, "Avvisi inviati ai"), (240, "n. 300"), (380, "50")],
        [(90, "contribuenti"), (240, "avvisi")],
    ], gaps=[0, 4, 0, 4, 0])
    rows = rows_from_unruled(lines)
    assert _cells(rows) == [
        (["Regolamento approvato dal", "Consiglio comunale"], ["Sì"], 50),
        (["Avvisi inviati ai", "contribuenti"], ["n. 300", "avvisi"], 50),
    ]


def test_the_table_ends_at_a_line_of_prose_across_the_columns():
    lines = _page([
        HEADER,
        [(90, "Pratiche digitalizzate"), (240, "n. 450 pratiche"), (380, "60")],
        [(90, "Tempo medio di rilascio"), (240, "≤ 15 giorni"), (380, "40")],
        [(90, "Il responsabile verifica ogni trimestre lo stato di avanzamento degli indicatori")],
    ])
    rows = rows_from_unruled(lines)
    assert _cells(rows) == [(["Pratiche digitalizzate"], ["n. 450 pratiche"], 60),
                            (["Tempo medio di rilascio"], ["≤ 15 giorni"], 40)]


def test_weight_column_first_and_a_header_over_two_lines():
    # "Peso (%)" and "Indicatore di / risultato" wrap in their header cells; the weight column
    # comes first: roles come from the header words, never from the position
    lines = _page([
        [(62, "Peso (%)"), (120, "Indicatore di"), (300, "Valore atteso 2026"), (420, "Valore di partenza")],
        [(120, "risultato")],
        [(62, "40%"), (120, "Registri di stato civile"), (300, "n. 120 registri"), (420, "n. 35 registri")],
        [(120, "digitalizzati")],
        [(62, "60%"), (120, "Certificati on-line"), (300, "≥ 60%"), (420, "22%")],
    ], gaps=[0, 0, 4, 0, 4])
    rows = rows_from_unruled(lines)
    assert _cells(rows) == [(["Registri di stato civile", "digitalizzati"], ["n. 120 registri"], 40),
                            (["Certificati on-line"], ["≥ 60%"], 60)]
    assert [r.baseline for r in rows] == [["n. 35 registri"], ["22%"]]


def test_a_row_split_by_a_page_break_is_joined_header_repeated_or_not():
    for repeat in (False, True):
        page1 = _page([
            HEADER,
            [(90, "Servizi serali e festivi"), (240, "n. 40 servizi"), (380, "40")],
            [(90, "Controlli della velocità con"), (240, "n. 60"), (380, "30")],
        ], page=1, top=700.0)
        page2 = _page(([HEADER] if repeat else []) + [
            [(90, "apparecchiature omologate"), (240, "controlli")],
            [(90, "Incontri di educazione"), (240, "almeno n. 8"), (380, "30")],
        ], page=2, top=60.0)
        tables = tables_from_lines(page1 + page2)
        assert [t.page for t in tables] == [1, 2]
        rows = rows_from_unruled(page1 + page2)
        assert _cells(rows) == [
            (["Servizi serali e festivi"], ["n. 40 servizi"], 40),
            (["Controlli della velocità con", "apparecchiature omologate"], ["n. 60", "controlli"], 30),
            (["Incontri di educazione"], ["almeno n. 8"], 30),
        ], f"header repeated: {repeat}"
        assert [r.page for r in rows] == [1, 1, 2]


def test_no_indicator_header_no_table():
    lines = _page([
        [(90, "Voce"), (300, "Importo")],
        [(90, "Fondo cassa"), (300, "2.105.448,20")],
    ])
    assert tables_from_lines(lines) == []
    assert rows_from_unruled(lines) is None


# --- a change of type inside a ruled PDF cell ---------------------------------------------------

def _chars(text: str, top: float, font: str, size: float, x: float = 10.0) -> list[dict]:
    return [{"text": ch, "top": top, "bottom": top + size, "x0": x + k * 4, "x1": x + k * 4 + 4,
             "fontname": font, "size": size} for k, ch in enumerate(text)]


def test_a_font_change_between_a_cell_s_lines_is_marked_with_a_blank_line():
    from extractors.pdf import _mark_style_breaks

    chars = (_chars("Titolo in", 100, "BAAAAA+Sans-Bold", 10) + _chars("grassetto", 112, "BAAAAA+Sans-Bold", 10)
             + _chars("descrizione", 124, "DAAAAA+Sans-Italic", 8.5) + _chars("in corsivo", 134, "DAAAAA+Sans-Italic", 8.5))
    chars.sort(key=lambda c: c["top"])
    cell = "Titolo in\ngrassetto\ndescrizione\nin corsivo"
    box = (5.0, 98.0, 200.0, 150.0)
    assert _mark_style_breaks(cell, box, chars) == "Titolo in\ngrassetto\n\ndescrizione\nin corsivo"
    # one type throughout, or lines that do not pair with the characters: the text as it was
    same = [dict(c, fontname="BAAAAA+Sans-Bold", size=10) for c in chars]
    assert _mark_style_breaks(cell, box, same) == cell
    assert _mark_style_breaks("Titolo in grassetto\ndescrizione", box, chars) == "Titolo in grassetto\ndescrizione"


def test_ocr_boxes_a_point_apart_keep_the_header_words_in_reading_order():
    # Tesseract's boxes of one line differ by a point or two ("Peso" a point lower than
    # "indicatore"): the header cell still reads "Peso indicatore", so its role is the weight
    header = _page([HEADER])[0]
    words = [Word(w.text, w.page, w.x0, w.top + (1.0 if w.text == "Peso" else 0.0), w.x1, w.bottom + 1.0)
             for w in header.words]
    body = _page([[(90, "Regolamento approvato"), (240, "Sì"), (380, "50")]], top=100.0 + PITCH + 6)
    tables = tables_from_lines([line_of(words), *body])
    assert tables[0].rows[0] == ("Indicatore di performance", "Valore obiettivo", "Peso indicatore")
    assert _cells(rows_from_unruled([line_of(words), *body])) == [(["Regolamento approvato"], ["Sì"], 50)]


# --- the review's findings (each test failed before its fix) ------------------------------------

def _scopes(lines):
    from extractors.cards.find import _find_cards
    from extractors.cards.values import _norm

    texts = [_norm(ln.text) for ln in lines]
    return [[texts[k] for k in c.scope_lines] for c in _find_cards(texts, [ln.page for ln in lines], lines)]


def test_a_scope_line_ending_in_a_number_after_a_table_is_the_next_card_s_scope():
    from extractors.cards.find import _find_cards

    for scope in ("Servizi Demografici – Area 2", "SERVIZI ALLA PERSONA - SETTORE 3", "Polizia Locale – Settore 4"):
        # read as text (no word boxes)
        texts = ["OBIETTIVO N. 1 - Riscossione", "Indicatori", "Indicatore Target Peso",
                 "Avvisi inviati n. 300 avvisi 100", scope,
                 "OBIETTIVO N. 2 - Anagrafe", "Indicatori", "Indicatore Target Peso", "Pratiche n. 3 100"]
        assert [c.scope_lines for c in _find_cards(texts)] == [[], [4]], scope
        # with word boxes: the scope line is one run of words, a row stands in the columns
        lines = _page([[(90, "OBIETTIVO N. 1 - Riscossione")], [(90, "Indicatori")], HEADER,
                       [(90, "Avvisi inviati"), (240, "n. 300"), (380, "100")], [(90, scope)],
                       [(90, "OBIETTIVO N. 2 - Anagrafe")]])
        assert _scopes(lines) == [[], [scope]], scope
    # a last row that names a service is still a row when its words stand in the columns
    lines = _page([[(90, "OBIETTIVO N. 1 - Riscossione")], [(90, "Indicatori")], HEADER,
                   [(90, "Servizi serali e festivi"), (240, "n. 40 servizi"), (380, "100")],
                   [(90, "OBIETTIVO N. 2 - Anagrafe")]])
    assert _scopes(lines) == [[], []]


def test_a_row_with_a_blank_or_non_numeric_weight_is_a_row_of_its_own():
    for weight in ("-", "n.d.", "—", None):
        lines = _page([
            HEADER,
            [(90, "Regolamento approvato"), (240, "Sì"), (380, "50")],
            [(90, "Avvisi inviati"), (240, "n. 300")] + ([(380, weight)] if weight else []),
            [(90, "Controlli"), (240, "n. 3"), (380, "50")],
        ], gaps=[0, 4, 4, 4])
        assert _cells(rows_from_unruled(lines)) == [
            (["Regolamento approvato"], ["Sì"], 50), (["Avvisi inviati"], ["n. 300"], None),
            (["Controlli"], ["n. 3"], 50)], weight
    # a row with only its name printed, after a gap wider than the wrapped lines' spacing
    lines = _page([
        HEADER,
        [(90, "Regolamento approvato dal"), (240, "Sì"), (380, "50")],
        [(90, "Consiglio comunale")],
        [(90, "Avvisi inviati")],
        [(90, "Controlli"), (240, "n. 3"), (380, "50")],
    ], gaps=[0, 4, 0, 4, 4])
    assert _cells(rows_from_unruled(lines)) == [
        (["Regolamento approvato dal", "Consiglio comunale"], ["Sì"], 50), (["Avvisi inviati"], [], None),
        (["Controlli"], ["n. 3"], 50)]
    # a weight's unit alone on its line still goes on with the weight above
    lines = _page([
        HEADER,
        [(90, "Regolamento approvato"), (240, "Sì"), (380, "50")],
        [(380, "punti")],
        [(90, "Controlli"), (240, "n. 3"), (380, "50")],
    ], gaps=[0, 4, 0, 4])
    assert _cells(rows_from_unruled(lines)) == [(["Regolamento approvato"], ["Sì"], 50), (["Controlli"], ["n. 3"], 50)]


def test_a_weight_cell_centred_on_a_wrapped_name_joins_its_row():
    lines = _page([
        HEADER,
        [(90, "Regolamento approvato dal"), (240, "Sì")],
        [(90, "Consiglio comunale"), (380, "50")],
        [(90, "e pubblicato")],
        [(90, "Controlli"), (240, "n. 3"), (380, "50")],
    ], gaps=[0, 4, 0, 0, 4])
    assert _cells(rows_from_unruled(lines)) == [
        (["Regolamento approvato dal", "Consiglio comunale", "e pubblicato"], ["Sì"], 50),
        (["Controlli"], ["n. 3"], 50)]


def test_a_wrapped_target_line_goes_on_while_no_new_name_stands_level_with_it():
    header = [(90, "Indicatore"), (300, "Target")]
    lines = _page([
        header,
        [(90, "Regolamento approvato"), (300, "Approvazione entro")],
        [(300, "Dicembre 2026")],
        [(90, "Avvisi inviati"), (300, "Invio")],
        [(300, "Completato")],
    ])
    assert [(list(r.name), list(r.target)) for r in rows_from_unruled(lines)] == [
        (["Regolamento approvato"], ["Approvazione entro", "Dicembre 2026"]),
        (["Avvisi inviati"], ["Invio", "Completato"])]


def test_a_name_cell_ending_just_short_of_the_next_column_is_no_prose():
    # "termini" ends 4 points before the target column: closer than the gap that parts cells in
    # a line, yet the table's whitespace column stays open; the row is read, not dropped
    name = "Pratiche evase entro termini"
    end = _words(name, 90, 0, 1)[-1].x1
    lines = _page([
        HEADER,
        [(90, "Regolamento"), (240, "Sì"), (380, "50")],
        [(90 + (236 - end), name), (240, "n. 300"), (380, "50")],
    ])
    assert _cells(rows_from_unruled(lines)) == [(["Regolamento"], ["Sì"], 50), ([name], ["n. 300"], 50)]


def test_the_readings_of_a_region_compete_on_evidence_and_an_empty_one_is_no_candidate():
    from extractors.cards.reader import _best_rows
    from extractors.cards.tables import _Row

    # the unruled reading found one row without a weight; the plain lines explain the region
    unruled = [_Row(name=["Regolamento approvato Avvisi inviati"])]
    plain = [_Row(name=["Regolamento approvato"], weight=50), _Row(name=["Avvisi inviati"], weight=50)]
    assert _best_rows(None, unruled, plain) is plain
    assert _best_rows([], None, plain) is plain
    assert _best_rows([], [], []) is None
    # a tie keeps the earlier reading (the template the three-column reading was made for)
    boxed = [_Row(name=["Regolamento"], weight=50), _Row(name=["Avvisi"], weight=50)]
    assert _best_rows(boxed, plain, None) is boxed


def test_a_wrapped_name_line_level_with_a_wrapped_formula_stays_in_its_row():
    # "15 giorni" opens with a figure and stands level with the formula's third line: the
    # formula column wraps on whatever stands beside it, only a new target line opens a row
    lines = _page([
        [(60, "Indicatore"), (180, "Formula di calcolo"), (300, "Target"), (400, "Peso")],
        [(60, "Segnalazioni dei"), (180, "Segnalazioni chiuse"), (300, "≥ 90%"), (400, "50%")],
        [(60, "cittadini chiuse entro"), (180, "entro 15 gg /")],
        [(60, "15 giorni"), (180, "segnalazioni x 100")],
        [(60, "Aree gioco ispezionate"), (180, "Verbali / aree"), (300, "n. 14 aree"), (400, "50%")],
    ], gaps=[0, 4, 0, 0, 4])
    assert _cells(rows_from_unruled(lines)) == [
        (["Segnalazioni dei", "cittadini chiuse entro", "15 giorni"], ["≥ 90%"], 50),
        (["Aree gioco ispezionate"], ["n. 14 aree"], 50)]


def test_a_pdf_cell_splits_only_where_its_type_changes_as_a_description_s_does():
    from extractors.pdf import _mark_style_breaks

    box = (5.0, 98.0, 200.0, 150.0)
    # a bold title over two lines, then a short line in regular type of the same size: one title
    chars = (_chars("Manutenzione del", 100, "BAAAAA+Sans-Bold", 10) + _chars("verde pubblico", 112, "BAAAAA+Sans-Bold", 10)
             + _chars("(Area tecnica)", 124, "CAAAAA+Sans", 10))
    cell = "Manutenzione del\nverde pubblico\n(Area tecnica)"
    assert _mark_style_breaks(cell, box, chars) == cell
    # a longer text after the change in regular type, same size: a description
    chars = (_chars("Verde", 100, "BAAAAA+Sans-Bold", 10) + _chars("Cicli di sfalcio e potature", 112, "CAAAAA+Sans", 10)
             + _chars("delle aree verdi", 124, "CAAAAA+Sans", 10))
    cell = "Verde\nCicli di sfalcio e potature\ndelle aree verdi"
    assert _mark_style_breaks(cell, box, chars) == "Verde\n\nCicli di sfalcio e potature\ndelle aree verdi"


def test_a_code_line_over_a_matrix_title_is_the_code_not_the_title():
    from extractors.cards.matrix import _Group, _objective
    from extractors.layout import Table

    g = _Group(table=Table(page=1, rows=(("Obiettivo", "Indicatore", "Peso"),), bbox=(0.0, 0.0, 0.0, 0.0)),
               scope=None, cells={"title": ["OB. 3", "", "Manutenzione del verde", "pubblico"]}, pages=[1])
    o = _objective(g, 1, None, 2026)
    assert (o.number, o.title, o.description) == (3, "Manutenzione del verde pubblico", None)
    # a title, then the description in another type
    g.cells = {"title": ["Manutenzione del verde", "", "Cicli di sfalcio e potature delle aree"]}
    o = _objective(g, 1, None, 2026)
    assert (o.title, o.description) == ("Manutenzione del verde", "Cicli di sfalcio e potature delle aree")


def test_a_cell_in_large_type_finds_its_characters_above_the_box():
    from extractors.pdf import _mark_style_breaks

    # 120-point characters whose middle stands in the box start 55 points above it: the window
    # above the box comes from the box, not from a fixed number of points
    chars = _chars("Grande", 43, "BAAAAA+Sans-Bold", 120) + _chars("descrizione lunga", 200, "DAAAAA+Sans-Italic", 60)
    box = (5.0, 98.0, 900.0, 400.0)
    assert _mark_style_breaks("Grande\ndescrizione lunga", box, chars) == "Grande\n\ndescrizione lunga"
