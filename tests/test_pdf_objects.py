"""``extractors.pdfobjects.process_object`` gives, for every layout object of real PDFs (the
digital example, the matrix and piano-tipo fixtures: characters, rects, lines, curves, images),
the dict pdfplumber's own ``Page.process_object`` gives."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from extractors import pdfobjects

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path("/work/shared/fixtures")
PDFS = [ROOT / "examples/chiari-2025.pdf", FIXTURES / "montecaldo-2025.pdf", FIXTURES / "valmorena-2025.pdf"]


def _layout_objects(page, items):
    for obj in items:
        yield obj
        if hasattr(obj, "_objs"):
            yield from _layout_objects(page, obj._objs)


@pytest.mark.skipif(not pdfobjects.supported(), reason="pdfplumber release not mirrored: left alone")
@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.name)
def test_same_dicts_as_pdfplumber(path):
    if not path.exists():
        pytest.skip(f"{path} missing")
    theirs_of = pdfobjects.original()
    assert theirs_of is not pdfobjects.process_object
    kinds = set()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            n = 0
            for obj in _layout_objects(page, page.layout._objs):
                ours, theirs = pdfobjects.process_object(page, obj), theirs_of(page, obj)
                assert ours == theirs and list(ours) == list(theirs), (page.page_number, obj)
                kinds.add(ours["object_type"])
                n += 1
            assert n or not page.chars
            page.close()
    assert "char" in kinds and kinds & {"rect", "line", "curve"}  # text and rules were compared


def test_installed_only_on_a_mirrored_release(monkeypatch):
    for other in ("9.0.0", "0.12.0", "0.11.6", "0.11.0", "0.12.0rc1"):
        monkeypatch.setattr(pdfplumber, "__version__", other)
        assert not pdfobjects.supported(), other
    for mirrored in ("0.11.7", "0.11.11"):
        monkeypatch.setattr(pdfplumber, "__version__", mirrored)
        assert pdfobjects.supported(), mirrored
