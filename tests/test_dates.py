"""Date mentions in the forms Italian plans use, and card timeframes as periods."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.dates import find_dates, parse_timeframe

D = date


@pytest.mark.parametrize("text, kind, start, end", [
    ("entro il 30.04.2025", "deadline", None, D(2025, 4, 30)),
    ("ENTRO IL 30.04.2025-Ricognizione delle nomine", "deadline", None, D(2025, 4, 30)),
    ("31/12/2025", "date", D(2025, 12, 31), D(2025, 12, 31)),
    ("entro il mese di aprile", "deadline", None, D(2025, 4, 30)),
    ("Entro aprile 2024:", "deadline", None, D(2024, 4, 30)),
    ("Entro il 30 giugno 2025:", "deadline", None, D(2025, 6, 30)),
    ("fino al 30 marzo 2025, o comunque", "deadline", None, D(2025, 3, 30)),
    ("entro il primo trimestre 2025", "deadline", None, D(2025, 3, 31)),
    ("entro 31 gennaio;", "deadline", None, D(2025, 1, 31)),
    ("dal 01/01/2025 al 31/12/2025", "period", D(2025, 1, 1), D(2025, 12, 31)),
    ("DAL 01/01/2025 AL 31/12/2025", "period", D(2025, 1, 1), D(2025, 12, 31)),
    ("tra il 15/06/2024 ed il 31/12/2024", "period", D(2024, 6, 15), D(2024, 12, 31)),
    ("01/01/2025 - 31/12/2025", "period", D(2025, 1, 1), D(2025, 12, 31)),
    ("QUADRIENNALE 01/01/2025 — 31/12/2028", "period", D(2025, 1, 1), D(2028, 12, 31)),
    ("Gennaio — dicembre 2025", "period", D(2025, 1, 1), D(2025, 12, 31)),
    ("gennaio-dicembre 2025", "period", D(2025, 1, 1), D(2025, 12, 31)),
    ("biennio 2024-2025", "year-range", D(2024, 1, 1), D(2025, 12, 31)),
    ("triennio 2025-2027", "year-range", D(2025, 1, 1), D(2027, 12, 31)),
    ("2024 - 2025 - 2026", "year-range", D(2024, 1, 1), D(2026, 12, 31)),
    ("2025/2027", "year-range", D(2025, 1, 1), D(2027, 12, 31)),
    ("2025 -2026", "year-range", D(2025, 1, 1), D(2026, 12, 31)),
    ("biennale 2025 2026", "year-range", D(2025, 1, 1), D(2026, 12, 31)),
    ("dal 2025 al 2026", "year-range", D(2025, 1, 1), D(2026, 12, 31)),
    ("avvio nel 2024 e conclusione nel 2028.", "year-range", D(2024, 1, 1), D(2028, 12, 31)),
    ("7/1/2025", "date", D(2025, 1, 7), D(2025, 1, 7)),
    ("attivazione dal 15.11.2024", "start", D(2024, 11, 15), None),
    ("Triennale", "duration", None, None),
])
def test_date_forms(text, kind, start, end):
    spans = find_dates(text, default_year=2025)
    assert len(spans) == 1, spans
    s = spans[0]
    assert (s.kind, s.start, s.end) == (kind, start, end)
    assert s.text in text


def test_yearless_mention_needs_a_default_year():
    assert find_dates("entro il mese di aprile") == []
    [s] = find_dates("entro il mese di aprile", default_year=2026)
    assert s.end == D(2026, 4, 30) and s.year_implied


def test_several_mentions_in_reading_order_with_offsets():
    text = "Fase 1) approvazione entro il 30.06.2025; Fase 2) aggiornamento entro il 31.12.2026"
    spans = find_dates(text)
    assert [s.end for s in spans] == [D(2025, 6, 30), D(2026, 12, 31)]
    assert all(text[s.start_char:s.end_char] == s.text for s in spans)


def test_not_dates():
    assert find_dates("entro 90 giorni dalla comunicazione", default_year=2025) == []
    assert find_dates("fino a 2 ore; €.60,00 fino a 4 ore", default_year=2025) == []
    assert find_dates("entro il 31/02/2025") == []  # no such day


@pytest.mark.parametrize("timeframe, start, end", [
    ("biennio 2024-2025", D(2024, 1, 1), D(2025, 12, 31)),
    ("Entro il 31/12/2025", D(2025, 1, 1), D(2025, 12, 31)),
    ("fino al 30 marzo 2025, o comunque sino all'assunzione del sostituto", D(2025, 1, 1), D(2025, 3, 30)),
    ("Triennale", D(2024, 1, 1), D(2026, 12, 31)),  # the plan's 2024-2026
    ("Triennale 2025-2027, secondo la durata del Piano di Zona", D(2025, 1, 1), D(2027, 12, 31)),
    ("Nel periodo ricompreso tra il 15/06/2025 ed il 30/09/2025", D(2025, 6, 15), D(2025, 9, 30)),
    ("2025", D(2025, 1, 1), D(2025, 12, 31)),
    ("dal 01/03/2025", D(2025, 3, 1), D(2025, 12, 31)),
])
def test_parse_timeframe(timeframe, start, end):
    p = parse_timeframe(timeframe, year=2025, plan_period="2024-2026")
    assert p is not None and (p.start, p.end) == (start, end)


def test_timeframe_duration_without_matching_plan_period_starts_at_plan_year():
    p = parse_timeframe("Biennale", year=2025, plan_period="2024-2026")
    assert p is not None and (p.start, p.end) == (D(2025, 1, 1), D(2026, 12, 31))


def test_unreadable_timeframe_is_none():
    assert parse_timeframe("durante tutto l'anno", year=2025) is None
    assert parse_timeframe(None, year=2025) is None


def test_yearless_mentions_take_the_year_heading_their_block():
    text = ("2025:\n- Preparazione evento: entro 15 febbraio;\n2026:\n- Progettazione bando entro 31 dicembre;"
            " Piano 2025/2027: entro giugno")
    spans = find_dates(text, default_year=2024)
    assert [s.end for s in spans if s.kind == "deadline"] == [D(2025, 2, 15), D(2026, 12, 31), D(2026, 6, 30)]


# --------------------------------------------------------------------------- issue 12: every written form

@pytest.mark.parametrize("text, kind, start, end", [
    ("1° trimestre 2026", "period", D(2026, 1, 1), D(2026, 3, 31)),
    ("nel terzo trimestre 2025", "period", D(2025, 7, 1), D(2025, 9, 30)),
    ("II semestre 2025", "period", D(2025, 7, 1), D(2025, 12, 31)),
    ("primo semestre dell'anno 2026", "period", D(2026, 1, 1), D(2026, 6, 30)),
    ("IV trimestre", "period", D(2025, 10, 1), D(2025, 12, 31)),  # the year from the default
    ("3° quadrimestre 2025", "period", D(2025, 9, 1), D(2025, 12, 31)),
    ("I° semestre 2025", "period", D(2025, 1, 1), D(2025, 6, 30)),
    ("1^ trimestre 2026", "period", D(2026, 1, 1), D(2026, 3, 31)),
    ("nel corso del 2° semestre 2025", "period", D(2025, 7, 1), D(2025, 12, 31)),
    ("entro il 1° trimestre 2026", "deadline", None, D(2026, 3, 31)),
    ("entro la fine del primo semestre 2025", "deadline", None, D(2025, 6, 30)),
    ("entro il II semestre 2025", "deadline", None, D(2025, 12, 31)),
    ("entro aprile 2024", "deadline", None, D(2024, 4, 30)),
    ("aprile – ottobre 2025", "period", D(2025, 4, 1), D(2025, 10, 31)),
    ("da aprile a ottobre 2025", "period", D(2025, 4, 1), D(2025, 10, 31)),
    ("settembre 2025 – giugno 2026", "period", D(2025, 9, 1), D(2026, 6, 30)),
    ("da marzo a novembre", "period", D(2025, 3, 1), D(2025, 11, 30)),
    ("entro il 31/03/2026", "deadline", None, D(2026, 3, 31)),
    ("dal 1° gennaio 2025", "start", D(2025, 1, 1), None),
    ("01/01/2025 – 31/12/2025", "period", D(2025, 1, 1), D(2025, 12, 31)),
    ("ANNO 2025 - 2026", "year-range", D(2025, 1, 1), D(2026, 12, 31)),
])
def test_more_date_forms(text, kind, start, end):
    spans = find_dates(text, default_year=2025)
    assert len(spans) == 1, spans
    s = spans[0]
    assert (s.kind, s.start, s.end) == (kind, start, end)


@pytest.mark.parametrize("text", [
    "Regolamento (UE) 2019/1157", "Direttiva (UE) 2016/2102 sull'accessibilità", "D.L. n. 13/2023",
    "L. n. 41/1986", "L. n. 104/1992", "D.Lgs. 33/2013", "art. 4-bis del D.L. n. 13/2023", "D.Lgs. n. 36/2023",
    "Baseline 2024", "Target 2025", "Valore atteso 2025", "Indicatore | Formula di calcolo | Baseline 2024 | Target 2025",
])
def test_citations_and_column_headers_are_not_dates(text):
    assert find_dates(text, default_year=2025) == []


def test_a_year_range_with_a_slash_is_still_a_period():
    [s] = find_dates("Piano 2025/2027")
    assert (s.kind, s.start, s.end) == ("year-range", D(2025, 1, 1), D(2027, 12, 31))


@pytest.mark.parametrize("timeframe, start, end", [
    ("31/12/2025", D(2025, 1, 1), D(2025, 12, 31)),  # a Scadenza alone: from the plan year's 1 January
    ("30/11/2025", D(2025, 1, 1), D(2025, 11, 30)),
    ("Scadenza: 30/06/2025", D(2025, 1, 1), D(2025, 6, 30)),
    ("31/03/2026", D(2025, 1, 1), D(2026, 3, 31)),
    ("01/01/2025 – 31/12/2025", D(2025, 1, 1), D(2025, 12, 31)),
    ("ANNO 2025 - 2026", D(2025, 1, 1), D(2026, 12, 31)),
    ("II semestre 2025", D(2025, 7, 1), D(2025, 12, 31)),
    ("1° trimestre 2026", D(2026, 1, 1), D(2026, 3, 31)),
    ("aprile – ottobre 2025", D(2025, 4, 1), D(2025, 10, 31)),
    ("entro aprile 2025", D(2025, 1, 1), D(2025, 4, 30)),
    ("Dicembre 2025", D(2025, 1, 1), D(2025, 12, 31)),  # a month as Scadenza: by its end
    ("31 ottobre 2025", D(2025, 1, 1), D(2025, 10, 31)),
])
def test_parse_timeframe_other_forms(timeframe, start, end):
    p = parse_timeframe(timeframe, year=2025, plan_period="2025-2027")
    assert p is not None and (p.start, p.end) == (start, end)


# --------------------------------------------------------------------------- months and Gantt grids

MONTHS_ROW = ["Attività", "Gen", "Feb", "Mar", "Apr", "Mag", "Giu", "Lug", "Ago", "Set", "Ott", "Nov", "Dic"]


def test_month_table_is_the_calendar():
    from pipeline.dates import MONTH_NAMES, MONTHS, month_name

    assert len(MONTH_NAMES) == 12 and MONTHS["gennaio"] == 1 and MONTHS["dicembre"] == 12
    assert [month_name(m) for m in (1, 6, 12)] == ["gennaio", "giugno", "dicembre"]


@pytest.mark.parametrize("word, month", [
    ("Aprile", 4), ("APR.", 4), ("sett", 9), ("genn.", 1), ("Dic", 12), ("giu", 6), ("GIUGNO", 6),
    ("ma", None), ("gi", None), ("Attività", None), ("Resp.", None), ("", None), (None, None),
])
def test_month_number(word, month):
    from pipeline.dates import month_number

    assert month_number(word) == month


@pytest.mark.parametrize("header, row, year, start, end", [
    (MONTHS_ROW, ["Rilievo", "", "", "X", "x", "X", "", "", "", "", "", "", ""], 2025, D(2025, 3, 1), D(2025, 5, 31)),
    (MONTHS_ROW, ["Collaudo"] + [""] * 10 + ["●", ""], 2025, D(2025, 11, 1), D(2025, 11, 30)),
    (MONTHS_ROW, ["Shaded"] + [False] * 6 + [True, True] + [False] * 4, 2025, D(2025, 7, 1), D(2025, 8, 31)),
    (["N.", "Fase"] + list("GFMAMGLASOND"), ["1", "Avvio"] + [""] * 9 + ["X", "X", "X"], 2025,
     D(2025, 10, 1), D(2025, 12, 31)),  # initials, resolved by their order
    (["Fase", "Set", "Ott", "Nov", "Dic", "Gen", "Feb"], ["Bando", "", "", "X", "X", "X", ""], 2025,
     D(2025, 11, 1), D(2026, 1, 31)),  # a school-year grid runs into the next year
    (["Fase", "ott 2025", "nov-25", "dic.25", "gen 2026"], ["F1", "X", "", "", "X"], 2024,
     D(2025, 10, 1), D(2026, 1, 31)),  # years written in the header win
])
def test_gantt_period(header, row, year, start, end):
    from pipeline.dates import gantt_period

    p = gantt_period(header, row, year)
    assert p is not None and (p.start, p.end) == (start, end)


def test_gantt_without_marks_or_months_is_none():
    from pipeline.dates import gantt_period

    assert gantt_period(MONTHS_ROW, ["Fase"] + [""] * 12, 2025) is None
    assert gantt_period(["Fase", "Responsabile", "Note"], ["F1", "X", "X"], 2025) is None
