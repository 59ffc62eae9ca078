"""The plan-level soglia is quoted from its own paragraph: a list printed right above it (the
staff bands of the Roccaverde test plan, Word bullets) is no part of it, in the Word original
and in LibreOffice's PDF of it (where the item and the paragraph after it are told apart by
geometry: the paragraph starts left of the item's text, after a line that stopped short)."""

from __future__ import annotations

import pytest

from extractors import parse_plan, read_document
from extractors.intro import find_threshold
from extractors.layout import Line
from tests import planmaker as pm
from tests.test_layouts import _roccaverde

#: The soglia paragraph as the test plan writes it (tests/test_layouts.py::_roccaverde).
SOGLIA = ("L'obiettivo si considera raggiunto, ai fini dell'erogazione del premio, se il grado di "
          "realizzazione è almeno pari al 60%.")


def test_the_soglia_text_of_the_word_original_is_its_paragraph_only(tmp_path):
    _roccaverde(tmp_path / "roccaverde.docx")
    threshold = parse_plan(read_document(str(tmp_path / "roccaverde.docx"))).plan.threshold
    assert (threshold.text, threshold.default_pct) == (SOGLIA, 60)


@pytest.mark.libreoffice
@pytest.mark.skipif(pm.soffice() is None, reason="LibreOffice not installed")
def test_the_soglia_text_of_the_pdf_is_its_paragraph_only(tmp_path):
    _roccaverde(tmp_path / "roccaverde.docx")
    pdf = pm.to_pdf(tmp_path / "roccaverde.docx", tmp_path, tmp_path / "lo-profile")
    threshold = parse_plan(read_document(str(pdf))).plan.threshold
    assert (threshold.text, threshold.default_pct) == (SOGLIA, 60)


def _lines(*texts: str) -> list[Line]:
    return [Line(text=t, page=1) for t in texts]


def test_a_list_item_ends_with_its_paragraph_line():
    """One line per paragraph (a DOCX): the item ends with its line, a numbered list too."""
    lines = _lines("Pesi per numero di dipendenti:", "1) fino a 3 dipendenti: 1,0", "2) oltre 3 dipendenti: 1,2",
                   "Ogni obiettivo è raggiunto se realizzato almeno al 70%.")
    rule = find_threshold(lines, paragraph_lines=True)
    assert (rule.text, rule.default_pct) == ("Ogni obiettivo è raggiunto se realizzato almeno al 70%.", 70)


def test_an_item_that_states_the_soglia_keeps_its_wrapped_lines():
    """Without geometry nor paragraph lines an item runs on (a wrapped OCR text line)."""
    lines = _lines("Regole:", "- l'obiettivo si considera raggiunto se il grado di", "realizzazione è almeno pari al 65%.")
    rule = find_threshold(lines)
    assert (rule.text, rule.default_pct) == ("l'obiettivo si considera raggiunto se il grado di realizzazione è almeno "
                                             "pari al 65%.", 65)
