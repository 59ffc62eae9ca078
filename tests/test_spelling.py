"""Spelling repair of OCR words (extractors/spelling.py) against the Italian lexicon."""

from __future__ import annotations

import pytest

from extractors.layout import Document, Line, Page, Word
from extractors.spelling import Speller, lexicon, repair_ocr_pages

pytestmark = pytest.mark.skipif(not lexicon(), reason="wordfreq (Italian lexicon) not installed")

PLAN = ("controllo delle segnalazioni dei cittadini e schedatura tecnico-impiantistica "
        "degli edifici comunali").replace("-", " ").split()


@pytest.fixture(scope="module")
def speller():
    return Speller(PLAN)


@pytest.mark.parametrize(("slip", "word"), [
    ("seanalazioni", "segnalazioni"),  # one letter misread
    ("seqguito", "seguito"),  # one letter too many
    ("awvio", "avvio"),
    ("impiantisca", "impiantistica"),  # a long word two letters short, as the plan spells it
])
def test_slips_are_repaired(speller, slip, word):
    assert speller.repair(slip) == word


@pytest.mark.parametrize("word", [
    "Seanalazioni",  # capitalised: a name, maybe
    "SEANALAZIONI",  # an acronym or a heading: left as printed
    "n.120", "2025", "3b",  # numbers and codes
    "efficientarne",  # a verb with its clitic: a word, though not in the lexicon
    "lattivita",  # an article glued to the word: dropping a letter would change the meaning
    "ramento",  # a short word's broken-off tail: its first letter is not changed
    "segnalazioni", "amianto", "refezione",  # real words
])
def test_what_is_never_touched(speller, word):
    assert speller.repair_text(word) == word


def test_words_glued_to_digits_or_slashes_are_left_alone(speller):
    assert speller.repair_text("ammvo/n.1 e 12seanalazioni") == "ammvo/n.1 e 12seanalazioni"
    assert speller.repair_text("(seanalazioni),") == "(segnalazioni),"


def test_only_ocr_pages_are_repaired_and_boxes_are_kept():
    w = Word("seanalazioni", 1, 10.0, 20.0, 60.0, 30.0)
    ocr_line = Line("Controllo seanalazioni", 1, 0.0, 20.0, 60.0, 30.0,
                    (Word("Controllo", 1, 0.0, 20.0, 8.0, 30.0), w))
    typed = Line("Controllo awvio", 2)
    doc = Document("x.pdf", "0", "pdf", [Page(1, lines=[ocr_line], ocr=True), Page(2, lines=[typed])])
    repair_ocr_pages(doc)
    (line,) = doc.pages[0].lines
    assert line.text == "Controllo segnalazioni"
    assert line.words[1].text == "segnalazioni" and (line.words[1].x0, line.words[1].x1) == (10.0, 60.0)
    assert doc.pages[1].lines[0].text == "Controllo awvio"  # a typed layer is quoted as typed
