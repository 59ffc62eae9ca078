"""Staff head-count (extractors/staff.py): required cases, the real Chiari texts (digital and OCR), crafted
countable/uncountable texts, year segments, and the patterns file being data."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import staff
from extractors.staff import count_staff

DATA = Path(__file__).parent / "data"
EXPECTED = json.loads((DATA / "chiari-2025.expected.json").read_text(encoding="utf-8"))
PLAN_YEAR = EXPECTED["plan"]["year"]
OBJECTIVES = EXPECTED["objectives"]
STAFF_LABEL = re.compile(
    r"Personale da coinvolgere al fine del raggiungimento dell.obiettivo:(.*?)"
    r"(?=Indicatori per la verifica|Riparto attivit|PERFORMANCE ORGANIZZATIVA|\Z)",
    re.S,
)


# --------------------------------------------------------------------------- the required cases


@pytest.mark.parametrize(
    "text, expected",
    [
        ("n.1 Responsabile EQ+ n°3 dipendenti", 4),
        ("4+1(Dirigente)", 5),
        ("2 istruttori amministrativi, 1 funzionario amministrativo EQ", 3),
        ("Mantelli Valentina", 1),
        ("tutto il personale", None),
        ("agenti incaricati", None),
        ("dirigenti; incaricati E.Q., n.15 dipendenti", None),
        # issue 12
        ("n.9 dipendenti dell'Area Tecnica + n.3 dipendenti volontari", 12),
        ("Responsabile Servizio Tributi + n. 2 istruttori", 3),
        ("1 Istruttore direttivo cat. D, 3 Operai cat. B", 4),
        ("n. 3 (1 istruttore direttivo, 2 istruttori amministrativi)", 3),
        ("n. 11 (4 Responsabili di Area, 7 referenti)", 11),
        ("personale dell'Ufficio Tecnico (squadra esterna manutenzioni)", None),
        ("due istruttori", 2),
        ("tre operai", 3),
    ],
)
def test_required_cases(text, expected):
    assert count_staff(text) == expected
    assert count_staff(text, PLAN_YEAR) == expected


# --------------------------------------------------------------------------- the real plan


@pytest.mark.parametrize("obj", OBJECTIVES, ids=[f"card{o['number']}" for o in OBJECTIVES])
def test_chiari_staff_texts(obj):
    assert count_staff(obj["staff_text"], PLAN_YEAR) == obj["staff_count"], obj["staff_text"]


def test_chiari_ocr_staff_sections():
    """The same texts as the plan's own noisy OCR prints them (line breaks, 'n. n°2', '2026 + 2028' ...)."""
    ocr = (DATA / "chiari-2025.ocr.txt").read_text(encoding="utf-8")
    sections = STAFF_LABEL.findall(ocr)
    assert len(sections) == len(OBJECTIVES)
    wrong = [
        (o["number"], s.strip()[:60], count_staff(s, PLAN_YEAR), o["staff_count"])
        for s, o in zip(sections, OBJECTIVES)
        if count_staff(s, PLAN_YEAR) != o["staff_count"]
    ]
    assert not wrong, wrong


def test_chiari_has_both_countable_and_uncountable_texts():
    # guards the two tests above against a fixture where everything is None (or nothing is)
    counts = [o["staff_count"] for o in OBJECTIVES]
    assert None in counts and any(isinstance(c, int) and c > 1 for c in counts)


# --------------------------------------------------------------------------- other comuni's plans

OTHER_PLANS = {name: json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
               for name in ("montecaldo-2025", "valmorena-2025")}
OTHER_CASES = [(name, o) for name, plan in OTHER_PLANS.items() for o in plan["objectives"]]


@pytest.mark.parametrize("name, obj", OTHER_CASES, ids=[f"{n}-{o['number']}" for n, o in OTHER_CASES])
def test_other_comuni_staff_texts(name, obj):
    """Matrix cells "n. 3 (1 istruttore direttivo, 2 istruttori amministrativi)" and piano-tipo prose
    "n. 1 Funzionario amministrativo (area dei Funzionari e E.Q.), ..." (categories are not people)."""
    year = OTHER_PLANS[name]["plan"]["year"]
    assert count_staff(obj["staff_text"], year) == obj["staff_count"], obj["staff_text"]


# --------------------------------------------------------------------------- general rules, crafted texts


@pytest.mark.parametrize(
    "text", ["Responsabile", "Resp. Area", "dirigente", "Responsabile Area E.Q.", "Segretario Comunale",
             "il Comandante", "Responsabile Settore Tecnico", "Responsabile Area, Mario Rossi"]
)
def test_singular_role_without_number_is_one(text):
    assert count_staff(text) == 1


@pytest.mark.parametrize(
    "text",
    ["dirigenti", "agenti", "dipendenti delle aree", "Personale impiegato", "Gruppo di lavoro",
     "Responsabile e collaboratori", "Responsabile + dip. ufficio", "n.1 Responsabile EQ + alcuni dipendenti",
     "tutti i dipendenti dell'area", "Ufficio Tecnico", "2 gruppi di lavoro",
     "Dirigente del Settore e Responsabili dei Servizi", "Dirigente + personale dell'Ufficio"],
)
def test_group_without_number_is_uncountable(text):
    assert count_staff(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3 dipendenti dell'area (2 assistenti sociali ed 1 amministrativo)", 3),  # breakdown, not added
        ("Gruppo di lavoro (n.2 tecnici/n.1 informatico/n.1 ammvo/n.1 sociale)", 5),  # members of a group
        ("dipendenti (n.2 amministrativi, n.1 tecnico)", 3),
        ("n.1 Responsabile (Mario Rossi) + n.2 istruttori", 3),  # a name labels the 1
        ("4+1(Dirigente) Uff. LL.PP.", 5),
        ("3 dipendenti (2 amministrativi e 2 tecnici)", None),  # the breakdown contradicts the number
        ("Gruppo di lavoro (tecnici dell'area)", None),
        ("Tutti i Responsabili di Area (n.8)", 8),  # a whole group whose size is given
        ("tutto il personale (n. 25 unità)", 25),
        ("n.3 dipendenti di cui n.1 part-time", 3),  # 'di cui' describes like a parenthetical
        ("n.3 dipendenti di cui n.1 part-time + Responsabile", 4),
        ("n.2 dipendenti ovvero 1 istruttore e 1 collaboratore", 2),
        ("n.2 dipendenti ovvero 2 istruttori e 1 collaboratore", None),
    ],
)
def test_parentheticals(text, expected):
    assert count_staff(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("n?1 Responsabile EQ+ n?3 dipendenti", 4),
        ("n.1Responsabile + n.2 dipendenti", 3),
        ("n. 1\nResponsabile EQ +\nn. 3 dipendenti", 4),
        ("n.1 Resp.Area EQ+n. n°2 dipendenti Area Gare", 3),
        ("Responsabile\nArea E.Q. n°1 dipendente", 2),
        ("n’2 operai, n°1 autista", 3),
        ("N. 4 dipendenti", 4),
        ("nr. 2 collaboratori", 2),
    ],
)
def test_ocr_noise_and_marker_spellings(text, expected):
    assert count_staff(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Comandante + n.3 agenti", 4),
        ("tre istruttori e un funzionario", 4),
        ("due dipendenti e una dirigente", 3),
        ("Dott.ssa Maria Rossi, Sig. Mario Bianchi", 2),
        ("MANTELLI VALENTINA", 1),
        ("Responsabile Servizio Personale e n.2 dipendenti", 3),  # 'Personale' names the unit here
        ("n.3 dipendenti di tutte le aree", 3),
        ("Area 3: n.2 dipendenti", 2),  # a unit's number is no head-count
        ("2 istruttori amministrativi, 1\nfunzionario amministrativo EQ.\n31\n", 3),  # a stray page number
        ("Responsabili di Area (8)", 8),
        ("Responsabile + 3", 4),
        ("1 Dirigente, 2 Responsabili EQ, 5 dipendenti", 8),
        ("Il Responsabile del Servizio e n. 2 operatori", 3),
        ("n.1 unità di personale + 2 unità cat. C", 3),
        ("Cat. D n.1, Cat. C n.2", 3),
        ("n. 1 Responsabile Area Tecnica, n. 1 Istruttore Tecnico (geom. Rossi)", 2),
        ("N.1 RESPONSABILE EQ + N.3 DIPENDENTI", 4),
        ("Mantelli Valentina e Rossi Mario", 2),
        ("1 Responsabile. E' previsto anche un nuovo istruttore", 2),
        ("n.3 dipendenti oltre al Responsabile", 4),
        ("n.1 dipendente con qualifica di istruttore", 1),
        ("Personale da coinvolgere al fine del raggiungimento dell'obiettivo: n.2 dipendenti", 2),  # label kept
    ],
)
def test_crafted_countable(text, expected):
    assert count_staff(text) == expected


@pytest.mark.parametrize(
    "text",
    ["n. 2 / 3 dipendenti", "2-3 dipendenti", "n.1 dipendente per ogni area", "n.2 tecnici, n.1 informatico, ecc.",
     "vedi scheda", "Rossi", "", "   ", None],
)
def test_crafted_uncountable(text):
    assert count_staff(text) is None


# --------------------------------------------------------------------------- year segments

SEGMENTED = "2025: Responsabile + n.2 dipendenti. 2026 ÷ 2028: Responsabile + n.4 dipendenti"


@pytest.mark.parametrize("year, expected", [(2025, 3), (2026, 5), (2028, 5), (2029, None), (None, None)])
def test_year_segments(year, expected):
    assert count_staff(SEGMENTED, year) == expected


def test_year_segments_ocr_layout_and_agreement():
    ocr_layout = "2025\nResponsabile + n. 1 dip.\n2026 + 2028\n\nResponsabile + n. 2 / 3 dip."
    assert count_staff(ocr_layout, 2025) == 2
    assert count_staff(ocr_layout, 2027) is None  # that segment holds a range
    assert count_staff("2025: n.2 dipendenti. 2026: n.2 dipendenti") == 2  # segments agree: no year needed
    # a year inside a sentence is no heading
    assert count_staff("n.2 dipendenti assunti nel 2025", 2026) == 2


# --------------------------------------------------------------------------- property: lists of numbered groups

ROLES = ["dipendenti", "istruttori amministrativi", "agenti", "Responsabili EQ", "operai", "tecnici", "funzionari"]
SEPS = [" + ", ", ", " e ", "; ", "+", " ed "]
MARKERS = ["n.", "n. ", "n°", "n° ", "n?", "", "nr. "]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 40), st.sampled_from(ROLES), st.sampled_from(MARKERS)), min_size=1, max_size=5),
    st.lists(st.sampled_from(SEPS), min_size=5, max_size=5),
    st.booleans(),
)
def test_numbered_groups_add_up(groups, seps, add_unnumbered):
    parts = [f"{marker}{n} {role}" for n, role, marker in groups]
    if add_unnumbered:
        parts.append("dipendenti dell'area")
    text = parts[0] + "".join(sep + p for sep, p in zip(seps, parts[1:]))
    expected = None if add_unnumbered else sum(n for n, _, _ in groups)
    assert count_staff(text) == expected, text


# --------------------------------------------------------------------------- the pipeline and its data


def test_pipeline_components_registered_by_name_and_cached():
    from spacy.language import Language

    nlp = staff.get_nlp()
    assert nlp is staff.get_nlp()
    assert nlp.lang == "it"
    assert nlp.pipe_names == [staff.RULER_FACTORY, staff.COUNTER_COMPONENT]
    assert Language.has_factory(staff.RULER_FACTORY)
    doc = nlp("n.1 Responsabile + n°3 dipendenti")
    assert doc._.staff_count == 4
    assert {"QTY", "ROLE_SG", "ROLE_PL", "SEP"} <= {e.label_ for e in doc.ents}


def test_patterns_file_is_data(tmp_path):
    text = "magazziniere + n.2 dipendenti"
    assert count_staff(text) == 2  # an unknown word is not a role
    patterns = tmp_path / "patterns.jsonl"
    shutil.copy(staff.PATTERNS_PATH, patterns)
    with patterns.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"label": "ROLE_SG", "pattern": [{"LOWER": "magazziniere"}]}) + "\n")
    nlp = staff.build_nlp(patterns)
    assert nlp.get_pipe(staff.RULER_FACTORY).patterns_path == patterns
    assert staff.count_with(nlp, text) == 3
    assert count_staff(text) == 2  # the cached default pipeline is untouched


def test_every_pattern_line_is_documented():
    rows = staff.load_patterns()
    assert rows and all(r.get("note") for r in rows)
    assert {"QTY", "NUM", "RANGE", "ROLE_SG", "ROLE_PL", "COLLECTIVE", "ALL", "SEP", "YEAR", "YEAR_RANGE"} <= {
        r["label"] for r in rows
    }


def test_normalize_splits_glued_tokens_and_keeps_line_starts():
    clean, starts = staff.normalize("n.1Responsabile EQ+\n4+1(Dirigente)")
    assert clean == "n. 1 Responsabile EQ + 4 + 1 ( Dirigente )"
    assert [clean[s:].split()[0] for s in starts] == ["n.", "4"]


# --------------------------------------------------------------------------- other phrasings (issue 12)


@pytest.mark.parametrize(
    "text, expected",
    [
        # named roles count one, whatever surrounds them
        ("Responsabile Servizio Finanziario + n. 1 istruttore contabile", 2),
        ("Responsabile Ufficio Tecnico + 3 operai", 4),
        ("Segretario Generale + 2 funzionari", 3),
        ("Il Responsabile dell'Area Finanziaria e due istruttori contabili", 3),
        ("Funzionario E.Q. Area Tecnica; n. 2 istruttori tecnici; n. 1 operaio specializzato", 4),
        ("Responsabile dell'Area Tecnica (Arch. Mario Rossi) e n. 2 istruttori tecnici", 3),
        ("Responsabile dell'Area (Funzionario E.Q.) + n. 2 istruttori", 3),
        ("n. 3 dipendenti + Segretario Comunale", 4),
        # categories, areas and units in the text are not people
        ("n. 2 dipendenti cat. C e n. 1 dipendente cat. D", 3),
        ("n. 1 Istruttore Direttivo (cat. D1), n. 2 Istruttori (cat. C)", 3),
        ("N. 1 Istruttore Direttivo Tecnico – Cat. D; N. 2 Operai – Cat. B", 3),
        ("1 Istruttore direttivo (area dei Funzionari), 2 Operatori (area degli Operatori)", 3),
        ("n.2 Istruttori Amministrativi – Area Istruttori; n.1 Funzionario – Area Funzionari e EQ", 3),
        ("Area Amministrativa: n. 2 istruttori; Area Tecnica: n. 3 operai", 5),
        ("2 dipendenti Area Amministrativa + 1 dipendente Area Tecnica", 3),
        ("N. 7 dipendenti dei Servizi Demografici", 7),
        # a dash before a role that names the profile just counted is no new person
        ("n. 1 Istruttore tecnico-geometra", 1),
        ("n. 1 Istruttore tecnico – Geometra, n. 2 operai", 3),
        ("n. 2 Istruttori tecnici – geometri, n. 1 operaio", 3),
        ("n. 1 Funzionario amministrativo-contabile, n. 2 Istruttori", 3),
        ("Comandante – Vicecomandante", 2),
        # one person with two titles: a role, then the office held with its unit
        ("Dirigente – Responsabile del Settore", 1),
        ("Dirigente - Responsabile del Settore Tecnico", 1),
        ("Funzionario – Responsabile dell'Ufficio Tributi", 1),
        ("Istruttore direttivo – Coordinatore del Servizio", 1),
        ("Dirigente – Responsabile del Settore + n. 2 istruttori", 3),
        ("Dirigente – Responsabile", 2),  # no office named: two people, as two ranks
        ("Responsabile del Settore – Dirigente", 2),
        ("n. 2 istruttori – Responsabile", 3),
        ("n.3 operai – squadra esterna", 3),
        ("n. 1 Istruttore Direttivo – Responsabile del procedimento", 1),
        ("Responsabile Area Finanziaria - n. 2 dipendenti", 3),
        # totals with their breakdown are counted once
        ("n. 5 (2 agenti, 2 istruttori, 1 ufficiale)", 5),
        ("n. 2 (un istruttore amministrativo e un operatore)", 2),
        ("n. 5 dipendenti (di cui 2 part-time)", 5),
        ("6 dipendenti: 1 funzionario, 3 istruttori, 2 operai", 6),
        ("n. 4 dipendenti: 1 funzionario e 3 istruttori; Responsabile", 5),
        ("n.1 Responsabile: n.2 dipendenti", 3),  # more than the number before the colon: a plain separator
        ("Personale coinvolto: n. 1 Responsabile, n. 2 istruttori", 3),
        ("Istruttori amministrativi: 2; Operai: 3", 5),
        ("Istruttori amministrativi n. 2, Operai n. 3", 5),
        ("Tutti i dipendenti dell'Area (n. 6)", 6),
        ("Servizio Tributi (n. 2 dipendenti)", 2),
        # number words and markers
        ("un funzionario, due istruttori e tre operai", 6),
        ("quindici agenti", 15),
        ("numero 3 dipendenti", 3),
        ("Totale n. 6 dipendenti", 6),
        ("n.1 Comandante P.L. + n.4 agenti + n.1 amministrativo", 6),
    ],
)
def test_other_phrasings_countable(text, expected):
    assert count_staff(text) == expected


@pytest.mark.parametrize(
    "text",
    ["n. 3 (2 istruttori, 2 operai)", "Responsabile del Servizio e personale dell'ufficio",
     "dipendenti dell'Ufficio Ragioneria", "personale della Polizia Locale", "n. 2 agenti + personale amministrativo",
     "Segretario comunale, Responsabili di Settore", "squadra operai", "operai del cantiere comunale",
     "Responsabile + dipendenti dell'Area", "Personale coinvolto: dipendenti dell'area", "Operai: vari"],
)
def test_other_phrasings_uncountable(text):
    assert count_staff(text) is None
