"""Searchable scans (extractors/textlayer.py): an OCR layer over page images is recognised, judged,
and re-read by our OCR when poor; plan.json.source says how each page was read.

The searchable scan is made here (tests/searchable.py): the digital Chiari plan's pages rendered
to JPEG, with an invisible text layer Tesseract read from a coarse copy of each image.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from extractors.cards import parse_cards
from extractors.layout import Line, Page
from extractors.read import read_document
from extractors.spelling import lexicon
from extractors.textlayer import layer_quality, ocr_layer_pages, page_modes

DATA = Path(__file__).parent / "data"
DIGITAL = Path("/work/shared/fixtures/chiari-2025.pdf")
if not DIGITAL.exists():
    DIGITAL = DATA / "chiari-2025.pdf"
#: Digital pages made into the searchable scan: the summary table and card 2 (four indicators).
PAGES = [5, 9]

needs_tools = pytest.mark.skipif(
    not DIGITAL.exists() or shutil.which("tesseract") is None, reason="needs the Chiari PDF and Tesseract")


@pytest.fixture(scope="module")
def searchable(tmp_path_factory):
    from tests.searchable import make_searchable

    return make_searchable(DIGITAL, tmp_path_factory.mktemp("searchable") / "chiari-searchable.pdf", PAGES)


@needs_tools
def test_an_ocr_layer_over_page_images_is_recognised(searchable):
    assert ocr_layer_pages(str(searchable), [1, 2]) == {1, 2}
    assert ocr_layer_pages(str(DIGITAL), list(range(1, 11))) == set()  # typed text, no page images


@needs_tools
@pytest.mark.skipif(not lexicon(), reason="wordfreq (Italian lexicon) not installed")
def test_the_poor_layer_reads_worse_than_typed_text(searchable):
    typed = read_document(str(DIGITAL), ocr="never")
    layer = read_document(str(searchable), ocr="never")
    for n, digital_n in zip([1, 2], PAGES):
        poor, good = layer_quality(layer.pages[n - 1]), layer_quality(typed.pages[digital_n - 1])
        assert good.good and not poor.good
        assert poor.hit_rate < good.hit_rate


def test_layer_quality_counts_unknown_words_and_garbage():
    page = Page(1, lines=[Line("Controllo giornaliero degli incassi e rendicontazione mensile", 1)] * 5)
    assert layer_quality(page).good
    junk = Page(1, lines=[Line("Ctnrlo gimaliero d3gli inc@ssi e rndcnt;zione m'ns|le", 1)] * 10)
    q = layer_quality(junk)
    assert q.hit_rate < 0.5 and q.garbage > 0.2 and not q.good


@needs_tools
@pytest.mark.ocr
@pytest.mark.slow
def test_a_poor_layer_is_read_again_and_the_card_comes_out_as_from_the_digital_pdf(searchable):
    trusted = parse_cards(read_document(str(searchable), ocr="never"), 2025)
    doc = read_document(str(searchable), ocr="auto")
    assert page_modes(doc) == {"1": "ocr-layer-rejected", "2": "ocr-layer-rejected"}
    assert doc.ocr_pages == [1, 2]
    (card,) = parse_cards(doc, 2025)
    (digital,) = [c for c in parse_cards(read_document(str(DIGITAL), ocr="never"), 2025) if c.number == card.number]
    got = [(i.name, i.target, i.weight_pct) for i in card.indicators]
    want = [(i.name, i.target, i.weight_pct) for i in digital.indicators]
    assert got == want
    assert len(trusted[0].indicators) < len(want)  # what trusting the poor layer gave


def test_page_modes_say_how_each_page_was_read():
    from extractors.layout import Document

    pdf = Document("x.pdf", "0", "pdf", [Page(1), Page(2, ocr=True), Page(3, ocr=True)],
                   page_modes={3: "ocr-layer-rejected"})
    assert page_modes(pdf) == {"1": "text", "2": "ocr", "3": "ocr-layer-rejected"}
    text = Document("x.txt", "0", "text", [Page(1, ocr=True), Page(2, ocr=True)])
    assert page_modes(text) == {"1": "ocr-text", "2": "ocr-text"}


def test_plan_json_source_records_the_page_modes():
    from pipeline.record import Source

    src = Source(file="x.pdf", sha256="0", pages=2, page_modes={"1": "text", "2": "ocr-layer"})
    assert Source.model_validate_json(src.model_dump_json()).page_modes == {"1": "text", "2": "ocr-layer"}
